#!/usr/bin/env bash
# Builds zio and every peer of the benchmark suite (benchmarks/README.md), then runs them
# side by side: bash scripts/bench.sh [benchmarks/run.py options, e.g. --runs 3 --quick].
# Installs what is missing from Debian's packages (Go, Rust with Tokio's crates, uvloop,
# Boost.Fiber, gnuplot, strace); builds offline. Results: build/bench/results.{md,csv,png}.
set -euo pipefail
cd "$(dirname "$0")/.."
ZIO_EXTRA_PACKAGES="golang-go cargo rustc librust-tokio-dev python3-uvloop libboost-fiber1.81-dev gnuplot-nox strace" \
  bash scripts/install-deps.sh

if [ ! -f build/release/build.ninja ]; then
  meson setup build/release --buildtype=release -Dbenchmarks=true >/dev/null
fi
ninja -C build/release benchmarks/zio_bench benchmarks/peers/epoll_floor_bench \
  benchmarks/peers/asio_spawn_bench benchmarks/peers/boost_fiber_bench >/dev/null

mkdir -p build/bench/peers
bash benchmarks/peers/go/build.sh build/bench/peers
bash benchmarks/peers/tokio/build.sh build/bench/peers >/dev/null
exec /usr/bin/python3 benchmarks/run.py "$@"
