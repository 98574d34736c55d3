#!/bin/bash
# Write a large ftrace text trace for the import benchmark: the event lines of
# the real trace tests/fixtures/netns-staged/ftrace-events.txt.gz, repeated
# with their timestamps moved on by 10 s each round, until the file reaches
# SIZE_MB. The header (with its entries line) comes first, once.
#
#   bench/import/gen-ftrace.sh OUT [SIZE_MB]        (default 1024)
set -euo pipefail
out=$1
size_mb=${2:-1024}
src=$(dirname "$0")/../../tests/fixtures/netns-staged/ftrace-events.txt.gz
zcat "$src" | awk -v limit=$((size_mb * 1048576)) '
	/^#/ { if (!body) { print; bytes += length($0) + 1 } ; next }
	{ body = 1; l[++n] = $0 }
	END {
		for (r = 0; bytes < limit; r++)
			for (i = 1; i <= n && bytes < limit; i++) {
				s = l[i]
				if (r) {
					# the timestamp is the field ending in ":" after the flags
					p = match(s, / [0-9]+\.[0-9]+: /)
					ts = substr(s, RSTART + 1, RLENGTH - 3)
					split(ts, t, ".")
					s = substr(s, 1, RSTART) (t[1] + 10 * r) "." t[2] substr(s, RSTART + RLENGTH - 2)
				}
				print s
				bytes += length(s) + 1
			}
	}' > "$out"
