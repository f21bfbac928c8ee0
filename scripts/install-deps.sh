#!/usr/bin/env bash
# Installs what building and testing zio needs from Debian 12's packages.
# Idempotent: when everything is present it changes nothing and touches no network.
set -euo pipefail

packages=(
  g++ clang-14 libclang-rt-14-dev
  meson ninja-build pkg-config
  libboost1.81-dev libboost-context1.81-dev
  libspdlog-dev catch2 liburing-dev
  chromium nodejs
)
if [ "${ZIO_EXTRA_PACKAGES:-}" != "" ]; then
  read -r -a extra <<<"$ZIO_EXTRA_PACKAGES"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages and not root; run as root or install: $*" >&2
    exit 1
  fi
}

if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  need_root "${missing[@]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm (the browser test fetches playwright-core with it): Debian's nodejs packages it
# separately; a NodeSource nodejs, where a machine uses that repository, includes it and
# conflicts with Debian's npm package. So install it only when the command is missing.
if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: installing npm" >&2
  need_root npm
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
