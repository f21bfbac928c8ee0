#!/usr/bin/env bash
# Builds zio and runs every test, in up to three builds:
#   release  g++, -O3 (buildtype release); then again under chaos scheduling, one run per
#            seed in ZIO_CI_CHAOS_SEEDS_RELEASE (default "1 2 3")
#   asan     g++, AddressSanitizer + UndefinedBehaviorSanitizer, invariant checks on
#   tsan     clang++, ThreadSanitizer (clang's TSan copes with many live fibers; g++ 12's
#            dies past 8,128), invariant checks on; then under chaos, seeds in
#            ZIO_CI_CHAOS_SEEDS_TSAN (default "1")
# Usage: scripts/test.sh [release|asan|tsan]...   (default: all three)
# Ends with "N passed, N failed" counting Catch2 test cases over all builds and chaos runs;
# exits non-zero on any failure. A chaos failure prints the command that replays it
# (docs/reliability.md).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

flavours=("$@")
[ ${#flavours[@]} -eq 0 ] && flavours=(release asan tsan)

export ASAN_OPTIONS="detect_stack_use_after_return=1:abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

passed=0
failed=0
status=0

setup() {
  local flavour=$1 dir=build/$1
  local -a args=(-Dexamples=true -Dbenchmarks=true)
  local cxx=g++
  case $flavour in
    release) args+=(--buildtype=release) ;;
    asan) args+=(--buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false -Dinvariants=true) ;;
    tsan) cxx=clang++; args+=(--buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false -Dinvariants=true) ;;
    *) echo "test.sh: unknown build '$flavour' (release, asan or tsan)" >&2; return 1 ;;
  esac
  if [ ! -f "$dir/build.ninja" ]; then
    CXX=$cxx meson setup "$dir" "${args[@]}" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
}

# Runs each Catch2 test executable of a build with the XML reporter and adds up its cases.
# With a second argument, under chaos scheduling with that seed (ZIO_CHAOS), leaving out the
# areas without a scheduler (coro) or that compare programs' output (examples), and under
# TSan the stress tests too (they run in its plain pass). The stress tests' rounds are scaled
# to each build's speed (ZIO_STRESS_SCALE, a percentage; docs/reliability.md).
run_tests() {
  local flavour=$1 seed=${2:-} dir=build/$1 label=$1 suffix=""
  if [ -n "$seed" ]; then
    label="$flavour/chaos:$seed"
    suffix="-chaos$seed"
  fi
  mkdir -p "$dir/results"
  local tests
  tests=$(meson introspect --tests "$dir" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    print(t["name"] + "\t" + " ".join(t["cmd"]))')
  while IFS=$'\t' read -r name cmd; do
    [ -n "$name" ] || continue
    if [ -n "$seed" ] && { [ "$name" = coro ] || [ "$name" = examples ]; }; then continue; fi
    if [ -n "$seed" ] && [ "$flavour" = tsan ] && [ "$name" = stress ]; then continue; fi
    local scale=100
    case $flavour in
      asan) scale=25 ;;
      tsan) scale=10 ;;
      *) [ -n "$seed" ] && scale=25 ;;
    esac
    local xml="$dir/results/$name$suffix.xml" log="$dir/results/$name$suffix.log"
    local start=$SECONDS
    # shellcheck disable=SC2086
    if [ -n "$seed" ]; then
      ZIO_STRESS_SCALE=$scale ZIO_CHAOS=$seed timeout 1200 $cmd --reporter xml --out "$xml" --durations yes >"$log" 2>&1
    else
      ZIO_STRESS_SCALE=$scale timeout 1200 $cmd --reporter xml --out "$xml" --durations yes >"$log" 2>&1
    fi
    local rc=$?
    local counts
    counts=$(python3 scripts/catch_counts.py "$xml")
    local p=${counts% *} f=${counts#* }
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # crashed or timed out outside a case
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-15s %-12s %4d passed %4d failed  (%ds)\n' "$label" "$name" "$p" "$f" $((SECONDS - start))
    if [ "$f" -ne 0 ]; then
      status=1
      python3 scripts/catch_counts.py --failures "$xml"
      tail -40 "$log"
      [ -n "$seed" ] && echo "replay: (cd $(pwd) && ZIO_CHAOS=$seed $cmd)"
    fi
  done <<<"$tests"
}

if ! python3 scripts/check_samples.py; then   # the guide's samples equal code that builds
  failed=$((failed + 1))
  status=1
fi

for flavour in "${flavours[@]}"; do
  mkdir -p build
  start=$SECONDS
  if ! setup "$flavour"; then
    echo "$flavour: build failed" >&2
    failed=$((failed + 1))
    status=1
    continue
  fi
  echo "$flavour: built in $((SECONDS - start))s"
  run_tests "$flavour"
  case $flavour in
    release) chaos_seeds=${ZIO_CI_CHAOS_SEEDS_RELEASE-1 2 3} ;;
    tsan) chaos_seeds=${ZIO_CI_CHAOS_SEEDS_TSAN-1} ;;
    *) chaos_seeds="" ;;
  esac
  for seed in $chaos_seeds; do run_tests "$flavour" "$seed"; done
  if [ "$flavour" = release ]; then
    # zio as a dependency: subproject, wrap-file, pkg-config, installed, version error.
    start=$SECONDS
    consumer_out=$(bash test/consumer/run.sh build/consumer 2>&1)
    p=$(grep -c '^PASS ' <<<"$consumer_out")
    f=$(grep -c '^FAIL ' <<<"$consumer_out")
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-15s %-12s %4d passed %4d failed  (%ds)\n' "$flavour" "consumer" "$p" "$f" $((SECONDS - start))
    if [ "$f" -ne 0 ] || [ "$p" -ne 5 ]; then
      status=1
      [ "$p" -ne 5 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
      echo "$consumer_out"
    fi
    # The chat server's browser client in headless Chromium, beside a TCP client.
    start=$SECONDS
    browser_out=$(bash test/browser/run.sh build/release/examples/chat_server/chat_server 2>&1)
    browser_rc=$?
    p=$(grep -c '^PASS ' <<<"$browser_out")
    f=$(grep -c '^FAIL ' <<<"$browser_out")
    if [ "$browser_rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # died before its checks
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-15s %-12s %4d passed %4d failed  (%ds)\n' "$flavour" "browser" "$p" "$f" $((SECONDS - start))
    if [ "$f" -ne 0 ]; then
      status=1
      echo "$browser_out"
    fi
    # The benchmark runner with the implementations built here (zio and the C++ peers), at
    # small sizes: the suite keeps working. Timings are not checked; they never are in tests.
    start=$SECONDS
    if bench_out=$(/usr/bin/python3 benchmarks/run.py --quick --no-strace --out build/bench-smoke \
                     --impl zio,boost_fiber,asio_spawn,epoll_floor 2>&1) &&
       grep -q '^| echo | 1 | msg/s | ' <<<"$bench_out"; then
      p=1 f=0
    else
      p=0 f=1
      status=1
      echo "$bench_out"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-15s %-12s %4d passed %4d failed  (%ds)\n' "$flavour" "bench-smoke" "$p" "$f" $((SECONDS - start))
  fi
done

echo "$passed passed, $failed failed"
exit $status
