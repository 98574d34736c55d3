#!/bin/bash
# Build the libFuzzer harnesses of the text importers with clang
# (-fsanitize=fuzzer,address,undefined) and run each for a bounded time on
# the seed corpus in tests/fuzz/corpus/<format>/. Exits non-zero if a
# fuzzer finds a crash, a sanitizer report or a leak (the input is kept in
# $OUT/<format>/crash-*).
#
#   tests/fuzz/run.sh [SECONDS_PER_FORMAT] [OUT]      (default 60 s, /tmp/vnp-fuzz)
#
# Needs clang (Debian: clang, libclang-rt-14-dev) and the library's -dev packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=${2:-/tmp/vnp-fuzz}
mkdir -p "$out"

cflags=(-g -O1 -std=c17 -D_GNU_SOURCE -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-DIMP_MAX_CELLS='(1ll << 18)' -DIMP_MAX_BINS='(1ll << 18)'
	-Iinclude -Isrc $(pkg-config --cflags libtracecmd jansson zlib))
libs=($(pkg-config --libs libtracecmd jansson zlib) -lm)
srcs=(src/core/log.c src/core/util.c src/core/series.c src/core/run.c src/core/csv.c
	src/import/*.c)

declare -A fmt=(
	[ftrace]=VNP_IMPORT_FTRACE
	[function-graph]=VNP_IMPORT_FUNCTION_GRAPH
	[perf-script]=VNP_IMPORT_PERF_SCRIPT
	[perf-stat]=VNP_IMPORT_PERF_STAT
	[iperf3]=VNP_IMPORT_IPERF3
	[auto]=VNP_IMPORT_AUTO
)
status=0
for name in ftrace function-graph perf-script perf-stat iperf3 auto; do
	bin=$out/fuzz-$name
	clang "${cflags[@]}" -DFUZZ_FORMAT="${fmt[$name]}" tests/fuzz/fuzz_import.c "${srcs[@]}" \
		"${libs[@]}" -o "$bin"
	work=$out/$name
	mkdir -p "$work/corpus"
	if [ "$name" = auto ]; then
		cp tests/fuzz/corpus/*/* "$work/corpus/"
	else
		cp tests/fuzz/corpus/"$name"/* "$work/corpus/"
	fi
	echo "fuzz: $name for $secs s"
	# -max_len above the reader's 64 KiB line limit; rss limit above the bins' bound
	if ! (cd "$work" && "$bin" -max_total_time="$secs" -max_len=140000 -rss_limit_mb=2048 \
		-timeout=20 -print_final_stats=1 corpus > log.txt 2>&1); then
		echo "fuzz: $name FAILED; see $work/log.txt and $work/crash-*"
		tail -30 "$work/log.txt"
		status=1
	else
		grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$work/log.txt" | tr '\n' ' '
		echo
	fi
done
exit $status
