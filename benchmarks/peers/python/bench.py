#!/usr/bin/python3
"""asyncio / uvloop peer of zio's benchmark suite.

Usage: /usr/bin/python3 bench.py asyncio|uvloop <benchmark> <threads> [n]

See ../../README.md for the contract: one line "RESULT <value> <unit>" on stdout,
errors on stderr with a non-zero exit. Standard library only, plus uvloop for the
uvloop flavour (Debian's python3-uvloop, hence /usr/bin/python3).
"""

import asyncio
import socket
import struct
import sys
import time

ECHO_CLIENTS = 10
MSG_SIZE = 64
SERVER_BUF = 4096


class BenchError(Exception):
    """A run that went wrong: reported on stderr, exit status 1."""


# ---------------------------------------------------------------- ping_pong

async def ping_pong(n):
    # Two bounded queues of capacity 1 are asyncio's equivalent of two
    # capacity-1 channels.
    ping = asyncio.Queue(maxsize=1)
    pong = asyncio.Queue(maxsize=1)

    async def task_b():
        for _ in range(n):
            await pong.put(await ping.get())

    async def task_a():
        for i in range(n):
            await ping.put(i)
            v = await pong.get()
            if v != i:
                raise BenchError(f"ping_pong: sent {i}, got back {v}")

    start = time.perf_counter_ns()
    await asyncio.gather(task_a(), task_b())
    elapsed = time.perf_counter_ns() - start
    return elapsed / n, "ns/round"


# -------------------------------------------------------------------- spawn

async def spawn(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    count = 0

    # One event loop thread runs everything, so a plain int is the "atomic"
    # counter: no other task can interleave between the read and the write.
    async def work():
        nonlocal count
        count += 1
        if count == n:
            done.set_result(None)

    start = time.perf_counter_ns()
    create_task = loop.create_task  # hoisted lookup; the loop body is the hot part
    for _ in range(n):
        # The handle is dropped on purpose: the loop's ready queue keeps the
        # task alive until it has run, which is all it needs.
        create_task(work())
    await done
    elapsed = time.perf_counter_ns() - start

    if count != n:
        raise BenchError(f"spawn: counter is {count}, want {n}")
    return n / (elapsed / 1e9), "spawns/s"


# --------------------------------------------------------------------- echo

# Streams (start_server / open_connection, StreamReader / StreamWriter) are
# the idiomatic asyncio API, so that is what is measured here, not the lower
# level Protocol callbacks, which would skip the StreamReader buffering layer.

async def serve_conn(reader, writer):
    # Read whatever arrived (up to 4096 bytes) and write it back. drain() is
    # the idiomatic back-pressure point; it returns at once unless the
    # transport's write buffer is above its high-water mark.
    try:
        while True:
            data = await reader.read(SERVER_BUF)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def echo_client(port, cid, n):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        # asyncio and uvloop both already set TCP_NODELAY on TCP transports;
        # set it anyway because the contract asks for it.
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        # Each message carries the client id and the round number, so a
        # misrouted or stale echo is caught, not just a short one.
        head = struct.Struct("<IQ")
        tail = bytes(range(head.size, MSG_SIZE))
        for i in range(n):
            msg = head.pack(cid, i) + tail
            writer.write(msg)
            reply = await reader.readexactly(MSG_SIZE)
            if reply != msg:
                raise BenchError(f"echo client {cid}: round {i} came back different")
    finally:
        writer.close()
        await writer.wait_closed()


async def echo(n):
    server = await asyncio.start_server(serve_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        # The clients' connects are timed too (part of each client's work);
        # 10 connects against 10*n round trips do not move the result.
        start = time.perf_counter_ns()
        await asyncio.gather(*(echo_client(port, cid, n) for cid in range(ECHO_CLIENTS)))
        elapsed = time.perf_counter_ns() - start
    finally:
        server.close()  # tear-down, outside the timed region
        await server.wait_closed()
    return ECHO_CLIENTS * n / (elapsed / 1e9), "msg/s"


# --------------------------------------------------------------------- idle

def vm_rss():
    """Resident set size in bytes, from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                fields = line.split()
                if len(fields) != 3 or fields[2] != "kB":
                    raise BenchError(f"unexpected VmRSS line {line!r}")
                return int(fields[1]) * 1024
    raise BenchError("no VmRSS line in /proc/self/status")


async def idle(n):
    loop = asyncio.get_running_loop()
    release = asyncio.Event()
    all_done = loop.create_future()
    started = 0
    finished = 0

    # No list of task handles: while parked, each task is kept alive by its
    # waiter future inside `release`; a counter plus a future replaces a join.
    async def parked():
        nonlocal started, finished
        started += 1
        await release.wait()
        finished += 1
        if finished == n:
            all_done.set_result(None)

    before = vm_rss()
    for _ in range(n):
        loop.create_task(parked())
    # One pass of the loop runs every task created above up to its wait();
    # keep yielding until all have checked in (no sleeps as synchronisation).
    # The increment and the park happen in the same step, so started == n
    # means all n are parked.
    while started < n:
        await asyncio.sleep(0)
    after = vm_rss()

    release.set()
    await all_done
    if finished != n:
        raise BenchError(f"idle: {finished} tasks finished, want {n}")
    return (after - before) / n, "B/task"


# --------------------------------------------------------------------- main

BENCHMARKS = {
    "ping_pong": (1_000_000, ping_pong),
    "spawn": (1_000_000, spawn),
    "echo": (50_000, echo),
    "idle": (100_000, idle),
}


def main(argv):
    if len(argv) not in (4, 5):
        raise BenchError(
            f"usage: {argv[0]} asyncio|uvloop ping_pong|spawn|echo|idle <threads> [n]")
    flavour, name, threads_arg = argv[1], argv[2], argv[3]
    if flavour not in ("asyncio", "uvloop"):
        raise BenchError(f"unknown flavour {flavour!r} (asyncio or uvloop)")
    if name not in BENCHMARKS:
        raise BenchError(f"unknown benchmark {name!r}")
    default_n, bench = BENCHMARKS[name]
    try:
        threads = int(threads_arg)
        n = int(argv[4]) if len(argv) == 5 else default_n
    except ValueError as e:
        raise BenchError(f"bad number: {e}") from None
    if threads not in (1, 2) or n < 1:
        raise BenchError("threads must be 1 or 2 and n positive")
    if threads != 1:
        # An event loop is bound to one thread; there is no multi-threaded mode.
        print(f"UNSUPPORTED {flavour} runs one thread")
        return

    if flavour == "uvloop":
        import uvloop  # only needed (and only required to exist) for this flavour
        loop_factory = uvloop.new_event_loop
    else:
        loop_factory = asyncio.new_event_loop

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        value, unit = runner.run(bench(n))
    print(f"RESULT {value:.1f} {unit}")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except BenchError as e:
        print(f"bench.py: {e}", file=sys.stderr)
        sys.exit(1)
