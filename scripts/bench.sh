#!/usr/bin/env bash
# Builds zio and every peer of the benchmark suite (benchmarks/README.md), then runs them
# side by side: bash scripts/bench.sh [benchmarks/run.py options, e.g. --runs 3 --quick].
# Installs what is missing from Debian's packages (Go, Rust with Tokio's crates, uvloop,
# Boost.Fiber, gnuplot, strace); builds offline. Results: build/bench/results.{md,csv,png}.
set -euo pipefail
cd "$(dirname "$0")/.."
ZIO_EXTRA_PACKAGES="golang-go cargo rustc librust-tokio-dev python3-uvloop libboost-fiber1.81-dev gnuplot-nox strace" \
  bash scripts/install-deps.sh

# zio and the C++ peers get link-time optimisation, as the Tokio peer gets fat LTO with one
# codegen unit (peers/tokio/Cargo.toml): each side is its toolchain's optimised release build.
# A build of its own, so the tests' build (build/release) keeps its faster links.
if [ ! -f build/bench-release/build.ninja ]; then
  meson setup build/bench-release --buildtype=release -Db_lto=true -Dbenchmarks=true \
    -Dtests=false -Dexamples=false >/dev/null
fi
ninja -C build/bench-release benchmarks/zio_bench benchmarks/peers/epoll_floor_bench \
  benchmarks/peers/asio_spawn_bench benchmarks/peers/boost_fiber_bench >/dev/null

mkdir -p build/bench/peers
bash benchmarks/peers/go/build.sh build/bench/peers
bash benchmarks/peers/tokio/build.sh build/bench/peers >/dev/null
exec /usr/bin/python3 benchmarks/run.py --build build/bench-release "$@"
