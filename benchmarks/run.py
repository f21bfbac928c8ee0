#!/usr/bin/python3
"""Runs zio and its peers on the workloads of benchmarks/README.md and compares them.

    benchmarks/run.py [--runs 5] [--bench ping_pong,spawn,echo,idle] [--threads 1,2]
                      [--impl zio,go,...] [--quick] [--out build/bench]

Expects the programs built (scripts/bench.sh builds them, then calls this). Every round
runs each implementation once, in turn (A B C A B C ...), so a slow phase of this shared
machine hits all of them; the table shows medians. Results: OUT/results.csv (every run),
OUT/results.md (the table), OUT/results.png (gnuplot, when installed).

Each ratio says how many times better zio is than that peer on the row's measure (higher
throughput, or lower time, memory or system calls): above 1 zio wins.
"""
import argparse
import csv
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCHMARKS = ["ping_pong", "spawn", "echo", "idle"]
# Units in which a smaller number is better; the others are throughputs.
LOWER_IS_BETTER = {"ns/round", "B/task", "MiB", "calls/msg"}
ECHO_CLIENTS = 10


class Impl:
    def __init__(self, name, command, scale=None):
        self.name = name
        self.command = command      # argv prefix; the benchmark, threads and n follow
        self.scale = scale or {}    # benchmark -> fraction of the default size (slow peers)

    def available(self):
        return pathlib.Path(self.command[0]).exists() and all(
            pathlib.Path(a).exists() for a in self.command[1:] if a.endswith(".py"))


def implementations(build, peers_out):
    python = "/usr/bin/python3"   # Debian's, the one python3-uvloop installs into
    bench_py = str(ROOT / "benchmarks/peers/python/bench.py")
    return [
        Impl("zio", [str(build / "benchmarks/zio_bench")]),
        Impl("go", [str(peers_out / "go_bench")]),
        Impl("tokio", [str(peers_out / "tokio_bench")]),
        # Sized down where a run would take minutes; results are per operation. spawn and idle
        # keep the full size: their memory figures depend on it.
        Impl("asyncio", [python, bench_py, "asyncio"], scale=PYTHON_SCALE),
        Impl("uvloop", [python, bench_py, "uvloop"], scale=PYTHON_SCALE),
        # Every Boost.Fiber stack is its own mmap: a million queued fibers take ~20 s and 9 GB.
        Impl("boost_fiber", [str(build / "benchmarks/peers/boost_fiber_bench")], scale={"spawn": 0.1}),
        Impl("asio_spawn", [str(build / "benchmarks/peers/asio_spawn_bench")]),
        Impl("epoll_floor", [str(build / "benchmarks/peers/epoll_floor_bench")]),
    ]


DEFAULT_N = {"ping_pong": 1_000_000, "spawn": 1_000_000, "echo": 50_000, "idle": 100_000}
PYTHON_SCALE = {"ping_pong": 0.2, "echo": 0.2}


def size(impl, bench, quick):
    n = DEFAULT_N[bench] * impl.scale.get(bench, 1.0)
    if quick:
        n /= 50
    return max(1, int(n))


def run_once(impl, bench, threads, n, timeout):
    """One run: (value, unit, peak RSS in KiB), or None when unsupported. Raises on failure.
    wait4 gives this child's own peak RSS, which subprocess.run would not."""
    argv = impl.command + [bench, str(threads), str(n)]
    env = dict(os.environ, GOMAXPROCS=str(threads))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise RuntimeError(f"{' '.join(argv)}: no result within {timeout} s")
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        text = out.read()
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: exit {proc.returncode}: {err.read().strip()[-500:]}")
    line = text.strip().splitlines()[-1] if text.strip() else ""
    if line.startswith("UNSUPPORTED"):
        return None
    m = re.fullmatch(r"RESULT (\S+) (\S+)", line)
    if not m:
        raise RuntimeError(f"{' '.join(argv)}: unexpected output {text!r}")
    return float(m[1]), m[2], usage.ru_maxrss


def syscalls_per_message(impl, threads, small, large):
    """System calls per echoed message: strace -c at two sizes, so start-up cancels out."""
    totals = []
    for n in (small, large):
        with tempfile.NamedTemporaryFile("r") as trace:
            argv = ["strace", "-f", "-c", "-o", trace.name] + impl.command + ["echo", str(threads), str(n)]
            env = dict(os.environ, GOMAXPROCS=str(threads))
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                                  timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
            if proc.stdout.startswith("UNSUPPORTED"):
                return None
            total = re.search(r"^\S+\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total$", trace.read(), re.M)
            if not total:
                raise RuntimeError(f"{impl.name}: no total in strace's summary")
            totals.append(int(total[1]))
    return (totals[1] - totals[0]) / ((large - small) * ECHO_CLIENTS)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bench", default=",".join(BENCHMARKS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--impl", default="")
    ap.add_argument("--quick", action="store_true", help="small sizes, one run: checks that everything works")
    ap.add_argument("--no-strace", action="store_true", help="skip the system-call counts")
    ap.add_argument("--build", default=str(ROOT / "build/release"))
    ap.add_argument("--out", default=str(ROOT / "build/bench"))
    args = ap.parse_args()

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    impls = [i for i in implementations(pathlib.Path(args.build), out / "peers") if i.available()]
    if args.impl:
        wanted = args.impl.split(",")
        impls = [i for i in impls if i.name in wanted]
    if not impls or impls[0].name != "zio":
        sys.exit("run.py: zio_bench is not built (run scripts/bench.sh)")
    runs = 1 if args.quick else args.runs
    benches = args.bench.split(",")
    threads_list = [int(t) for t in args.threads.split(",")]
    print(f"implementations: {', '.join(i.name for i in impls)}; {runs} round(s)", flush=True)

    # samples[(bench, threads, measure, unit)][impl] = [values]
    samples = {}
    rows = []
    timeout = 900

    def record(key, impl, value):
        samples.setdefault(key, {}).setdefault(impl, []).append(value)
        rows.append([*key, impl, value])

    for r in range(runs):
        for bench in benches:
            for threads in threads_list:
                for impl in impls:
                    n = size(impl, bench, args.quick)
                    got = run_once(impl, bench, threads, n, timeout)
                    if got is None:
                        continue
                    value, unit, rss_kib = got
                    record((bench, threads, bench, unit), impl.name, value)
                    if bench == "spawn":
                        record((bench, threads, "peak RSS", "MiB"), impl.name, rss_kib / 1024)
                    print(f"  round {r + 1}: {bench} threads={threads} {impl.name}: {value:.1f} {unit}", flush=True)

    if "echo" in benches and not args.no_strace and shutil.which("strace"):
        small, large = (200, 400) if args.quick else (2000, 4000)
        for threads in threads_list:
            for impl in impls:
                got = syscalls_per_message(impl, threads, small, large)
                if got is not None:
                    record(("echo", threads, "system calls", "calls/msg"), impl.name, got)
                    print(f"  echo threads={threads} {impl.name}: {got:.2f} system calls per message", flush=True)

    with open(out / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["benchmark", "threads", "measure", "unit", "implementation", "value"])
        w.writerows(rows)

    table = render_table(samples, [i.name for i in impls])
    (out / "results.md").write_text(table)
    print()
    print(table)
    draw_chart(samples, [i.name for i in impls], out)


def advantage(zio, peer, unit):
    """How many times better zio is than the peer on this measure."""
    if zio <= 0 or peer <= 0:
        return None
    return peer / zio if unit in LOWER_IS_BETTER else zio / peer


def fmt(v):
    if v >= 1_000_000:
        return f"{v / 1e6:.2f} M"
    if v >= 1000:
        return f"{v / 1e3:.1f} k"
    return f"{v:.3g}" if v < 10 else f"{v:.0f}"


def render_table(samples, names):
    peers = names[1:]
    head = ["benchmark", "threads", "unit"] + names + [f"vs {p}" for p in peers]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for (bench, threads, measure, unit), by_impl in samples.items():
        med = {k: statistics.median(v) for k, v in by_impl.items()}
        cells = [measure if measure == bench else f"{bench}: {measure}", str(threads), unit]
        cells += [fmt(med[n]) if n in med else "–" for n in names]
        for p in peers:
            a = advantage(med.get("zio", 0), med.get(p, 0), unit) if "zio" in med and p in med else None
            cells.append(f"{a:.2f}×" if a else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def draw_chart(samples, names, out):
    """One bar group per row: zio's advantage over each peer (log scale; above 1 zio wins)."""
    if not shutil.which("gnuplot"):
        print("gnuplot not found: no chart", file=sys.stderr)
        return
    peers = names[1:]
    data = out / "advantage.dat"
    with open(data, "w") as f:
        f.write("row " + " ".join(peers) + "\n")
        for (bench, threads, measure, unit), by_impl in samples.items():
            if "zio" not in by_impl:
                continue
            zio = statistics.median(by_impl["zio"])
            label = (bench if measure == bench else f"{bench} {measure}").replace(" ", "_") + f"_{threads}t"
            vals = []
            for p in peers:
                a = advantage(zio, statistics.median(by_impl[p]), unit) if p in by_impl else None
                vals.append(f"{a:.4f}" if a else "NaN")
            f.write(label + " " + " ".join(vals) + "\n")
    script = f"""
set terminal pngcairo size 1400,600 noenhanced font ',10'
set output '{out / "results.png"}'
set title "zio's advantage over each peer (x times better; above 1 zio wins; medians)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y 2
set yrange [0.03125:64]
set grid ytics
set xtics rotate by -30
set key outside right
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb 'black'
plot for [i=2:{len(peers) + 1}] '{data}' using i:xtic(1) title columnheader(i)
"""
    proc = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if proc.returncode != 0:
        # Debian's gnuplot-nox may lack the cairo terminal; the plain png one is always there.
        script = script.replace("pngcairo size 1400,600 noenhanced font ',10'", "png size 1400,600 noenhanced")
        proc = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if proc.returncode != 0:
        print(f"gnuplot failed: {proc.stderr.strip()}", file=sys.stderr)


if __name__ == "__main__":
    main()
