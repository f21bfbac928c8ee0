#!/usr/bin/env bash
# Runs the chat server's browser test: headless Chromium (Debian's chromium) driven by
# playwright-core from npm. Usage: test/browser/run.sh path/to/chat_server
# Output: PASS/FAIL lines, one per check (scripts/test.sh counts them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
server="$(realpath "$1")"
cd "$here"
if [ ! -d node_modules/playwright-core ]; then
  npm install --no-audit --no-fund --silent >/dev/null
fi
exec node chat_browser_test.mjs "$server"
