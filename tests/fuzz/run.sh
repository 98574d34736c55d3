#!/bin/bash
# Build the libFuzzer harnesses of the text importers with clang
# (-fsanitize=fuzzer,address,undefined) and run each for a bounded time on
# the seed corpus in tests/fuzz/corpus/<format>/. Exits non-zero if a
# fuzzer finds a crash, a sanitizer report or a leak (the input is kept in
# $OUT/<format>/crash-*). See tests/fuzz/README.md.
#
#   tests/fuzz/run.sh [SECONDS_PER_FORMAT] [OUT]      (default 60 s, build-fuzz)
#
# make check runs it for 20 s per format into a fresh directory. The corpus
# of each format grows in $OUT/<format>/corpus and is kept: a later run with
# the same OUT goes on from it. With 600 s or more per format (the long mode,
# for before a release: `tests/fuzz/run.sh 600`) the corpus is also minimised
# at the end, and the inputs that reach code the seeds do not are copied to
# $OUT/<format>/new/ for review.
#
# Needs clang (Debian: clang, libclang-rt-14-dev) and the library's -dev packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=${2:-build-fuzz}
case $secs in
'' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS_PER_FORMAT] [OUT]" >&2; exit 2 ;;
esac
long=0
if [ "$secs" -ge 600 ]; then long=1; fi
mkdir -p "$out/obj"

# -DIMP_MAX_*: a mutated timestamp can make an input span hours at 1 ms bins;
# bounding the values held to 16384 (128 KiB) keeps the work per input near
# its parsing (at 2^18, building and walking the bins cost more than parsing).
# Inputs past it take the same "too many bins" path as a real import past 2^26.
cflags=(-g -O1 -std=c17 -D_GNU_SOURCE -fno-omit-frame-pointer
	-Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wformat=2
	-Wno-format-nonliteral -Werror
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
	-DIMP_MAX_CELLS='(1ll << 14)' -DIMP_MAX_BINS='(1ll << 14)'
	-Iinclude -Isrc $(pkg-config --cflags libtracecmd jansson zlib))
libs=($(pkg-config --libs libtracecmd jansson zlib) -lm)
srcs=(src/core/log.c src/core/util.c src/core/series.c src/core/run.c src/core/csv.c
	src/import/*.c)

# the library's sources once (they do not depend on the format), in parallel
objs=() pids=() status=0
for s in "${srcs[@]}"; do
	o=$out/obj/$(echo "${s%.c}" | tr / -).o
	objs+=("$o")
	clang "${cflags[@]}" -c "$s" -o "$o" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
if [ "$status" != 0 ]; then
	echo "fuzz: building the importers failed"
	exit 1
fi

# the seeds of format $1 into $2: text longer than 16 KiB is cut to its first
# 16 KiB of whole lines (the whole recordings serve the cli tests; a fuzzer
# mutates a short input many more times in the same time); JSON is kept whole
seed() {
	local f
	for f in tests/fuzz/corpus/"$1"/*; do
		if [ "$1" != iperf3 ] && [ "$(stat -c %s "$f")" -gt 16384 ]; then
			head -c 16384 "$f" | sed '$d' > "$2/$(basename "$f")"
		else
			cp "$f" "$2/"
		fi
	done
}

declare -A fmt=(
	[ftrace]=VNP_IMPORT_FTRACE
	[function-graph]=VNP_IMPORT_FUNCTION_GRAPH
	[perf-script]=VNP_IMPORT_PERF_SCRIPT
	[perf-stat]=VNP_IMPORT_PERF_STAT
	[iperf3]=VNP_IMPORT_IPERF3
	[auto]=VNP_IMPORT_AUTO
)
formats=(ftrace function-graph perf-script perf-stat iperf3)
for name in "${formats[@]}" auto; do
	bin=$out/fuzz-$name
	if ! clang "${cflags[@]}" -fsanitize=fuzzer -DFUZZ_FORMAT="${fmt[$name]}" \
		tests/fuzz/fuzz_import.c "${objs[@]}" "${libs[@]}" -o "$bin"; then
		echo "fuzz: building $name failed"
		status=1
		continue
	fi
	work=$out/$name
	mkdir -p "$work/corpus" "$work/seeds"
	rm -f "$work/seeds"/*
	if [ "$name" = auto ]; then
		for f in "${formats[@]}"; do seed "$f" "$work/seeds"; done
	else
		seed "$name" "$work/seeds"
	fi
	cp "$work/seeds"/* "$work/corpus/"
	echo "fuzz: $name for $secs s ($(find "$work/corpus" -type f | wc -l) inputs to start from)"
	# -max_len above the reader's 64 KiB line limit; rss limit above the bins' bound
	opts=(-max_len=140000 -rss_limit_mb=2048 -timeout=20)
	if ! (cd "$work" && "$(realpath "$bin")" "${opts[@]}" -max_total_time="$secs" \
		-print_final_stats=1 corpus > log.txt 2>&1); then
		echo "fuzz: $name FAILED; see $work/log.txt and $work/crash-*"
		tail -30 "$work/log.txt"
		status=1
		continue
	fi
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$work/log.txt" | tr '\n' ' '
	echo
	[ "$long" = 1 ] || continue
	# long mode: the corpus becomes the seeds and the fewest inputs that keep
	# its features (edges and their hit counts); new/ gets the fewest inputs
	# that reach edges the seeds do not (-use_counters=0), for review
	rm -rf "$work/min" "$work/new"
	mkdir -p "$work/min" "$work/new"
	cp "$work/seeds"/* "$work/min/"
	cp "$work/seeds"/* "$work/new/"
	if ! (cd "$work" && "$(realpath "$bin")" "${opts[@]}" -merge=1 min corpus \
		> merge.log 2>&1 && "$(realpath "$bin")" "${opts[@]}" -merge=1 -use_counters=0 \
		new corpus >> merge.log 2>&1); then
		echo "fuzz: $name: minimising the corpus FAILED; see $work/merge.log"
		status=1
		continue
	fi
	for f in "$work/seeds"/*; do rm -f "$work/new/$(basename "$f")"; done
	rm -rf "$work/corpus"
	mv "$work/min" "$work/corpus"
	echo "fuzz: $name: corpus minimised to $(find "$work/corpus" -type f | wc -l) inputs;" \
		"$(find "$work/new" -type f | wc -l) reach code the seeds do not: $work/new/"
done
exit $status
