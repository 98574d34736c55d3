#!/bin/bash
# Build and run the analysis benchmark (BENCHMARKS.md, "Analysis speed").
# It compiles the analysis and the run model straight from the sources with
# the flags of Meson's default buildtype (debugoptimized: -O2 -g), so it does
# not depend on the rest of the library. Usage: bench/analyze/run.sh [ARGS]
# (ARGS as bench_rank: "sweep" by default).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${BENCH_DIR:-$(mktemp -d /tmp/vnp-bench-XXXXXX)}
cc=${CC:-cc}
cflags=${CFLAGS:--O2 -g}
$cc -std=c17 -D_GNU_SOURCE $cflags -I"$src/include" -I"$src/src" -o "$out/bench_rank" \
	"$src/bench/analyze/bench_rank.c" "$src"/src/analyze/*.c \
	"$src/src/core/run.c" "$src/src/core/series.c" "$src/src/core/util.c" "$src/src/core/log.c" -lm
echo "# $($cc --version | head -1); $cflags; $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
exec "$out/bench_rank" "${@:-sweep}"
