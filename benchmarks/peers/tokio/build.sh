#!/usr/bin/env bash
# Build the Tokio peer offline against Debian's packaged crates.
#   benchmarks/peers/tokio/build.sh OUTDIR   ->   OUTDIR/tokio_bench
#
# Needs Debian's cargo, rustc and librust-tokio-dev (crate sources in
# /usr/share/cargo/registry). Everything cargo writes -- its home, the
# generated Cargo.lock and the target dir -- stays under OUTDIR.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
registry=/usr/share/cargo/registry

# Debian's toolchain by absolute path: a rustup cargo/rustc earlier on PATH
# would be a different compiler from the one a fresh machine gets.
cargo=/usr/bin/cargo
export RUSTC=/usr/bin/rustc
for f in "$cargo" "$RUSTC"; do
    [[ -x $f ]] || { echo "missing $f (apt-get install cargo rustc)" >&2; exit 1; }
done
ls -d "$registry"/tokio-1.* >/dev/null 2>&1 ||
    { echo "no tokio in $registry (apt-get install librust-tokio-dev)" >&2; exit 1; }

# Private CARGO_HOME whose config points crates.io at Debian's vendored
# directory, so nothing is ever fetched and $HOME/.cargo is never touched.
export CARGO_HOME=$out/cargo-home
mkdir -p "$CARGO_HOME"
cat >"$CARGO_HOME/config.toml" <<CONF
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$registry"

[net]
offline = true
CONF

# Cargo writes Cargo.lock next to Cargo.toml, so build from a staged copy: the
# lock is resolved fresh against whatever crate versions Debian has installed
# and the source tree stays clean.
stage=$out/tokio-src
rm -rf "$stage"
mkdir -p "$stage"
cp "$here/Cargo.toml" "$stage/"
cp -r "$here/src" "$stage/"

# -j 1 and nice: the benchmark machine is small and may be busy.
(cd "$stage" && nice -n 10 "$cargo" build --release --offline -j 1 \
    --target-dir "$out/tokio-target")

cp "$out/tokio-target/release/tokio_bench" "$out/tokio_bench"
echo "built $out/tokio_bench"
