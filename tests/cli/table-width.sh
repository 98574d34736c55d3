#!/bin/bash
# Text tables size their name columns to their content: a run or series name
# wider than a fixed column would push every later column right. For each
# table, the column after the name starts at the same offset in the header
# and in every row.
. "$(dirname "$0")/../lib.sh"
cd "$T_TMP"
long=a-rather-long-run-name-wider-than-any-fixed-column-20261201
for r in "$long" b; do
	run "$VNETPROF" import --format iperf3 -o t.db --run "$r" "$TEST_FIXTURES/netns-staged/iperf3-client.json"
	check "import $r exits 0 ($RC: $ERR)" [ "$RC" = 0 ]
done
# edge FIELD start|end: the offset where whitespace-separated field FIELD
# begins (a left-aligned column) or ends (a right-aligned one), per line
edge() { awk -v f="$1" -v e="$2" '{ s = $0; o = 0; for (i = 1; i < f; i++) { match(s, /^ *[^ ]+ +/); o += RLENGTH; s = substr(s, RLENGTH + 1) } match(s, /^[^ ]+/); print o + (e == "end" ? RLENGTH : 0) }'; }
aligned() { # FIELD start|end LINES: one offset for all
	local n
	n=$(edge "$1" "$2" <<<"$3" | sort -u | wc -l)
	[ "$n" = 1 ]
}
run "$VNETPROF" runs t.db
check "runs exits 0 ($RC: $ERR)" [ "$RC" = 0 ]
check "runs: STATUS starts at one offset in every line" aligned 3 start "$OUT"
check "  ... and the long name is there whole" grep -qF " $long " <<<"$OUT"
run "$VNETPROF" compare t.db --runs "$long,b"
check "compare exits 0 ($RC: $ERR)" [ "$RC" = 0 ]
table=$(sed -n '/^RUN /,/^  /p' <<<"$OUT" | grep -v '^  ')
check "compare: the table has a header and two rows ($(wc -l <<<"$table") lines)" [ "$(wc -l <<<"$table")" = 3 ]
check "compare: BINS (right-aligned) ends at one offset in every line" aligned 2 end "$table"
run "$VNETPROF" show t.db --run b
check "show exits 0 ($RC: $ERR)" [ "$RC" = 0 ]
table=$(sed -n '/^SERIES /,$p' <<<"$OUT")
check "show: KIND starts at one offset in every line ($(wc -l <<<"$table") lines)" aligned 2 start "$table"
t_done
