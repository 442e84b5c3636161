#!/usr/bin/env bash
# What `#include` of each public header costs: compile time and peak memory of
# a translation unit that includes just that header (g++ -std=c++20 -O2 -c,
# no ccache), against one that includes <boost/asio.hpp> alone. Prints a
# Markdown table (README, "Architecture"). Run it on an idle machine.
#
#   bash tools/header-cost.sh [compiler [flags]]      (default: g++ -O2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cxx=${1:-g++}
flags=${2:--O2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # $1: the include line
  printf '%s\nint main() {}\n' "$1" > "$tmp/tu.cpp"
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$cxx" -std=c++20 $flags -Iinclude -c "$tmp/tu.cpp" -o "$tmp/tu.o"
  read -r secs kb < "$tmp/time"
  printf '| `%s` | %s | %d |\n' "${1#\#include }" "$secs" $((kb / 1024))
}

echo "| header | seconds | peak MB |"
echo "|---|---|---|"
measure '#include <boost/asio.hpp>'
find include/herd -name '*.hpp' -not -path '*/detail/*' -not -path '*/impl/*' | sed 's|^include/||' | sort |
  while read -r h; do measure "#include <$h>"; done
