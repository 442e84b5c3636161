#!/usr/bin/env bash
# The load figure of README ("Performance"): wrk against
# examples/beast/http_offload on loopback, CPU-heavy work offloaded to herd's
# executor (/compute) against the same work inline on the I/O thread
# (/inline/compute). The server: one I/O thread, WORK_THREADS executor
# threads (also the limiter's total), queue bound 1024. Two measurements per
# mode, DURATION seconds each:
#   mix    one wrk, CONNECTIONS connections, 1 request in 10 heavy, the rest /hello
#   split  two wrk at once: 8 connections of heavy requests only, and
#          CONNECTIONS-8 of /hello only (how the cheap requests fare while
#          heavy ones run)
#
#   bash tools/load/http_offload.sh            (after bash tools/bootstrap.sh demo)
#
# Environment: HERD_BUILD_DIR (default build), DURATION (default 10),
# CONNECTIONS (default 64), N (rounds of a heavy request, default 500000,
# about 1 ms), WORK_THREADS (default 2). Installs wrk (Debian package) if it is
# missing. wrk shares the machine's cores with the server: compare the modes
# within one run, not across machines.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

build=${HERD_BUILD_DIR:-build}
duration=${DURATION:-10}
connections=${CONNECTIONS:-64}
n=${N:-500000}
work_threads=${WORK_THREADS:-2}
server="$build/examples/beast/http_offload/http_offload"
[ -x "$server" ] || { echo "build first: bash tools/bootstrap.sh demo" >&2; exit 1; }
if ! command -v wrk >/dev/null || ! command -v bc >/dev/null; then
  sudo=(); [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -q && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q wrk bc
fi

out=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$out"' EXIT
"$server" --serve --io-threads 1 --work-threads "$work_threads" --max-in-flight "$work_threads" --queue-bound 1024 \
  > "$out/server.log" &
pid=$!
for _ in $(seq 100); do grep -q listening "$out/server.log" && break; sleep 0.05; done
port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$out/server.log")
[ -n "$port" ] || { echo "server did not start" >&2; cat "$out/server.log" >&2; exit 1; }
url="http://127.0.0.1:$port/"

# run NAME CONNECTIONS EVERY HEAVY_PATH: one wrk, its RESULT line into $out/NAME
run() { HEAVY="$4?n=$n" EVERY="$3" wrk -t1 -c"$2" -d"${duration}s" -s tools/load/mix.lua "$url" | grep '^RESULT' > "$out/$1"; }
ms() { echo "scale=2; $1/1000" | bc; }
row() { # LABEL FILE
  local requests seconds rps p50_us p90_us p99_us errors
  eval "$(sed 's/^RESULT //' "$2")"
  printf '%-44s %9s %9s %9s %9s %7s\n' "$1" "$rps" "$(ms "$p50_us")" "$(ms "$p90_us")" "$(ms "$p99_us")" "$errors"
}

echo "server: 1 I/O thread, $work_threads executor threads; heavy request: $n rounds (~1 ms); ${duration}s per run"
printf '%-44s %9s %9s %9s %9s %7s\n' "run" "req/s" "p50 ms" "p90 ms" "p99 ms" "errors"
for mode in inline offload; do
  path=/compute; [ "$mode" = inline ] && path=/inline/compute
  run "mix-$mode" "$connections" 10 "$path"
  row "mix ($connections conn, 1 in 10 heavy), $mode" "$out/mix-$mode"
done
for mode in inline offload; do
  path=/compute; [ "$mode" = inline ] && path=/inline/compute
  run "heavy-$mode" 8 1 "$path" &
  heavy_pid=$!
  run "light-$mode" $((connections - 8)) 0 "$path"
  wait "$heavy_pid"
  row "split, $mode: heavy (8 conn)" "$out/heavy-$mode"
  row "split, $mode: /hello ($((connections - 8)) conn)" "$out/light-$mode"
done
kill -INT "$pid"
wait "$pid"
pid=
tail -1 "$out/server.log"
