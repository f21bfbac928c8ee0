#!/bin/sh
# Build the Go peer: build.sh OUTDIR  ->  OUTDIR/go_bench
# Standard library only and offline (GOPROXY=off). The build cache and GOPATH
# live under OUTDIR and GOENV=off skips the per-user go env file, so nothing is
# read from or written to $HOME or the source tree. (GOTOOLCHAIN only matters
# to Go >= 1.21, which would otherwise try to fetch a toolchain.)
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")" && pwd)

export GOPROXY=off GOFLAGS=-mod=mod GO111MODULE=on GOENV=off GOTOOLCHAIN=local
export GOCACHE="$out/go-cache" GOPATH="$out/gopath"
GO=${GO:-/usr/bin/go}

cd "$src"
"$GO" build -trimpath -o "$out/go_bench" .
