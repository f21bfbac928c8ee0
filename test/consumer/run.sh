#!/usr/bin/env bash
# Builds and runs test/consumer/main.cpp against zio in the four ways a user consumes it, and
# checks that an impossible version requirement fails with Meson's own message:
#   subproject   zio as a subproject directory (subprojects/zio pointing at this tree)
#   wrap         a zio.wrap whose archive is `meson dist`'s output (which meson dist also
#                builds and tests on its own), served from Meson's package cache
#                (--wrap-mode=nodownload: nothing may be fetched)
#   pkg-config   the installed library through `pkg-config --cflags --libs zio`, plain c++
#   installed    dependency('zio') in a Meson project, after install
#   version      dependency('zio', version : '>=99') fails cleanly at configure time
# Usage: test/consumer/run.sh WORKDIR. Prints "PASS name" / "FAIL name" per case.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mkdir -p "$1" && cd "$1" && pwd)
rm -rf "${work:?}"/*
main="$src/test/consumer/main.cpp"
version=$(sed -n "s/^  version : '\([0-9.]*\)',/\1/p" "$src/meson.build")

report() {  # name, command...
  local name=$1
  shift
  if "$@" >"$work/$name.log" 2>&1; then
    echo "PASS $name"
  else
    echo "FAIL $name"
    tail -30 "$work/$name.log"
  fi
}

# A consumer project: $1 = directory, $2 = the dependency() call.
make_project() {
  mkdir -p "$1"
  cp "$main" "$1/main.cpp"
  cat >"$1/meson.build" <<MESON
project('zio_consumer', 'cpp', default_options : ['cpp_std=c++20'])
zio_dep = $2
executable('consumer', 'main.cpp', dependencies : zio_dep)
MESON
}

build_and_run() {  # project dir, extra setup args...
  local dir=$1
  shift
  meson setup "$dir/build" "$dir" "$@" && ninja -C "$dir/build" && "$dir/build/consumer"
}

case_subproject() {
  make_project "$work/subproject" "dependency('zio', fallback : ['zio', 'zio_dep'])"
  mkdir -p "$work/subproject/subprojects"
  ln -s "$src" "$work/subproject/subprojects/zio"
  # An option of zio's set from the parent: accepted although tests never build as subproject.
  build_and_run "$work/subproject" -Dzio:tests=true --wrap-mode=nodownload
}

case_wrap() {
  meson setup "$work/dist-build" "$src" -Dtests=false -Dexamples=false -Dbenchmarks=false &&
    meson dist -C "$work/dist-build" --allow-dirty --formats gztar || return 1  # also builds and tests the archive on its own
  local archive="$work/dist-build/meson-dist/zio-$version.tar.gz"
  make_project "$work/wrap" "dependency('zio', version : '>=$version')"
  mkdir -p "$work/wrap/subprojects/packagecache"
  cp "$archive" "$work/wrap/subprojects/packagecache/"
  cat >"$work/wrap/subprojects/zio.wrap" <<WRAP
[wrap-file]
directory = zio-$version
source_url = https://example.invalid/zio-$version.tar.gz
source_filename = zio-$version.tar.gz
source_hash = $(sha256sum "$archive" | cut -d' ' -f1)

[provide]
zio = zio_dep
WRAP
  build_and_run "$work/wrap" --wrap-mode=nodownload
}

install_zio() {
  meson setup "$work/install-build" "$src" --prefix="$work/prefix" --libdir=lib \
    -Dtests=false -Dexamples=false -Dbenchmarks=false &&
    ninja -C "$work/install-build" && meson install -C "$work/install-build" --quiet
}

case_pkg_config() {
  export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
  # shellcheck disable=SC2046
  c++ -std=c++20 "$main" -o "$work/pkg-config-consumer" $(pkg-config --cflags --libs zio) &&
    "$work/pkg-config-consumer" && pkg-config --modversion zio | grep -qx "$version"
}

case_installed() {
  make_project "$work/installed" "dependency('zio')"
  PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" build_and_run "$work/installed"
}

case_version() {
  make_project "$work/version" "dependency('zio', version : '>=99')"
  local output
  if output=$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" meson setup "$work/version/build" "$work/version" 2>&1); then
    echo "configure succeeded although zio $version does not satisfy >=99"
    return 1
  fi
  echo "$output"
  # Meson's own version error at configure time, before any compiler saw a header.
  echo "$output" | grep -q "zio" && echo "$output" | grep -q "'>=99'"
}

report subproject case_subproject
report wrap case_wrap
if install_zio >"$work/install.log" 2>&1; then
  report pkg-config case_pkg_config
  report installed case_installed
  report version case_version
else
  tail -30 "$work/install.log"
  echo "FAIL pkg-config"
  echo "FAIL installed"
  echo "FAIL version"
fi
