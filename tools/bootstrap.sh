#!/usr/bin/env bash
# Sets up a Debian 12 machine for herd (installs only what is missing),
# builds with CMake + Ninja (+ ccache), then runs the demo or the tests.
#
#   bash tools/bootstrap.sh demo    build the tour (examples/tour) and the library, run it
#   bash tools/bootstrap.sh test    build everything, then run every test through ctest
#
# Environment: HERD_BUILD_DIR (default: build), HERD_CMAKE_ARGS (extra
# arguments for the CMake configure step).
set -euo pipefail

mode=${1:-}
case "$mode" in
  demo|test) ;;
  *) echo "usage: bash tools/bootstrap.sh demo|test" >&2; exit 2 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(g++ cmake ninja-build ccache libboost1.81-all-dev libboost-json1.81-dev libboost1.81-tools-dev libtbb-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "bootstrap: run as root or install sudo" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

build=${HERD_BUILD_DIR:-build}
export CCACHE_DIR=${CCACHE_DIR:-${HOME:-/tmp}/.cache/ccache}
# ccache and precompiled headers: needed so the unit tests' PCH is cacheable.
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
# Paths relative to the checkout, and the working directory not hashed: a
# clone in another folder (CI's) hits what an earlier build cached.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja ${HERD_CMAKE_ARGS:-}

if [ "$mode" = demo ]; then
  cmake --build "$build" --target tour # only what the demo needs
  "$build/examples/tour/tour"
else
  cmake --build "$build"
  ctest --test-dir "$build" --output-on-failure
fi
