#!/usr/bin/env bash
# Builds zio (release) and runs the main job. Until the chat server lands, that is the
# runtime tour in examples/hello.cpp.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -f build/release/build.ninja ]; then
  meson setup build/release --buildtype=release >/dev/null
fi
ninja -C build/release examples/hello >/dev/null
exec build/release/examples/hello "$@"
