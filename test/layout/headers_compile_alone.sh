#!/usr/bin/env bash
# Every header under include/herd/ (impl/ aside: each is included by its
# header) compiles as the only #include of a translation unit: it includes
# what its declarations need. ctest runs it (layout.headers_compile_alone).
#
#   bash test/layout/headers_compile_alone.sh COMPILER INCLUDE_DIR
set -euo pipefail
cxx=$1
inc=$(cd "$2" && pwd)
export cxx inc
check() {
  if ! out=$(printf '#include <%s>\n' "$1" | "$cxx" -std=c++20 -fsyntax-only -I"$inc" -x c++ - 2>&1); then
    printf 'does not compile alone: %s\n%s\n' "$1" "$out" | head -20
    return 1
  fi
}
export -f check
cd "$inc"
headers=$(find herd -name '*.hpp' -not -path 'herd/impl/*' | sort)
count=$(echo "$headers" | wc -l)
if echo "$headers" | xargs -P "$(nproc)" -I{} bash -c 'check "$@"' _ {}; then
  echo "$count headers: each compiles alone"
else
  echo "some headers do not compile alone (above)"
  exit 1
fi
