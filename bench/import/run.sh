#!/bin/bash
# Import speed and memory (BENCHMARKS.md, "Importers").
#
#   bench/import/run.sh VNETPROF [SIZE_MB] [WORKDIR]
#
# VNETPROF: the binary (an optimised build: --buildtype=debugoptimized or
# release, no sanitizers). Every command runs pinned to one CPU (taskset -c
# 1), three times; the median wall time is reported with the peak RSS
# (/usr/bin/time %M). Files are read from the page cache (each is read once
# before timing). Nothing here needs root.
#
#  1. a SIZE_MB (default 1024) ftrace text trace made by gen-ftrace.sh from
#     the real trace of tests/fixtures: vnetprof import, and a plain awk
#     count of the same events per event and 0.1 s bin;
#  2. the fixture pair ftrace-events.txt.gz (decompressed) and
#     trace-events.dat (the same tracefs instance): vnetprof import of the
#     text, of the gzip, of the trace.dat, trace-cmd report of the
#     trace.dat (to /dev/null, and piped to the same awk count), awk on the text.
set -euo pipefail
vnp=$(realpath "$1")
size_mb=${2:-1024}
work=${3:-/tmp/vnp-bench-import}
here=$(cd "$(dirname "$0")" && pwd)
fx=$here/../../tests/fixtures/netns-staged
mkdir -p "$work"
cd "$work"

[ -s big.txt ] && [ "$(($(stat -c %s big.txt) >> 20))" -ge "$size_mb" ] || "$here/gen-ftrace.sh" big.txt "$size_mb"
[ -s events.txt ] || zcat "$fx/ftrace-events.txt.gz" > events.txt

count_awk='
!/^#/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
	if (i > NF) next
	ts = $i; split(ts, t, "."); n[$(i + 1) "\t" (t[1] * 10 + substr(t[2], 1, 1))]++
}
END { for (k in n) c++; print c " (event, bin) pairs" > "/dev/stderr" }'

# measure NAME BYTES CMD...: median of 3 runs of wall time, MB/s over BYTES, peak RSS
measure() {
	local name=$1 bytes=$2 t rss
	shift 2
	: > times
	for r in 1 2 3; do
		rm -f bench.db bench.db-wal bench.db-shm
		/usr/bin/time -f "%e %M" -o one taskset -c 1 "$@" > /dev/null 2> /dev/null
		cat one >> times
	done
	t=$(sort -n times | sed -n 2p | cut -d' ' -f1)
	rss=$(sort -n times | sed -n 2p | cut -d' ' -f2)
	awk -v n="$name" -v b="$bytes" -v t="$t" -v r="$rss" 'BEGIN {
		printf "| %-58s | %8.2f s | %8.1f MB/s | %8.1f MiB |\n", n, t, b / 1e6 / t, r / 1024 }'
}

cat big.txt events.txt "$fx/trace-events.dat" > /dev/null
big=$(stat -c %s big.txt)
ev=$(stat -c %s events.txt)
echo "| what | wall (median of 3) | input rate | peak RSS |"
echo "|---|---:|---:|---:|"
measure "vnetprof import, ftrace text $((big >> 20)) MiB" "$big" "$vnp" import big.txt -o bench.db
measure "vnetprof import --by dev, same file" "$big" "$vnp" import big.txt -o bench.db --by dev
measure "awk per-(event, bin) count, same file ($(readlink -f "$(command -v awk)"))" "$big" awk "$count_awk" big.txt
measure "vnetprof import, ftrace-events text ($((ev >> 20)) MiB)" "$ev" "$vnp" import events.txt -o bench.db
measure "vnetprof import, the same .gz" "$ev" "$vnp" import "$fx/ftrace-events.txt.gz" -o bench.db
measure "vnetprof import, trace-events.dat (same events)" "$ev" "$vnp" import "$fx/trace-events.dat" -o bench.db
measure "trace-cmd report trace-events.dat > /dev/null" "$ev" trace-cmd report -i "$fx/trace-events.dat"
measure "trace-cmd report trace-events.dat | awk count" "$ev" sh -c "trace-cmd report -i '$fx/trace-events.dat' 2>/dev/null | awk '$count_awk'"
measure "awk per-(event, bin) count of the text" "$ev" awk "$count_awk" events.txt
echo
echo "input rate: bytes of ftrace text (for trace.dat: of its text form) per second of wall time"
