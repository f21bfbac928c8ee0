#!/usr/bin/env bash
# Builds zio (release) and runs the main job: the example chat server. Connect with
# `nc 127.0.0.1 7000` (or telnet), or open http://127.0.0.1:7001/ in a browser; Ctrl-C stops
# it. Arguments go to the server (`bash scripts/demo.sh --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -f build/release/build.ninja ]; then
  meson setup build/release --buildtype=release >/dev/null
fi
ninja -C build/release examples/chat_server/chat_server >/dev/null
exec build/release/examples/chat_server/chat_server "$@"
