#!/bin/bash
# import of trace-cmd's trace.dat (libtracecmd) against 'trace-cmd report'
# piped to awk.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/import-lib.sh"
# libtraceevent's own leak while parsing formats (see the file)
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/import-lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
cd "$T_TMP"
DAT=$TEST_FIXTURES/netns-staged/trace-events.dat
if ! command -v trace-cmd > /dev/null; then
	echo "# SKIP: trace-cmd is not installed"
	exit 77
fi
# -t: nanosecond timestamps, as libtracecmd gives them
trace-cmd report -t -i "$DAT" 2> /dev/null > report.txt
rep_awk='
{
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
	if (i > NF) next
	ev = $(i + 1); sub(/:$/, "", ev); s = "tracepoint_hits{event=\"" sysname(ev) "\""
	if (by == "dev") for (j = i + 2; j <= NF; j++) if ($j ~ /^dev=/) { s = s ",dev=\"" substr($j, 5) "\""; break }
	if (by == "cpu") { c = $(i - 1); gsub(/[][]/, "", c); s = s ",cpu=\"" c + 0 "\"" }
	emit(s "}", tbin(substr($i, 1, length($i) - 1), 1))
}
END { out() }'
for by in "" dev cpu; do
	run "$VNETPROF" import "$DAT" -o a.db --run "dat$by" ${by:+--by $by}
	check "trace.dat ${by:+--by $by }imported" [ "$RC" = 0 ]
	awk -v by="$by" "$AWK_BIN$rep_awk" report.txt | LC_ALL=C sort > want
	rows a.db "dat$by" 0.1 > got
	same_rows "trace.dat ${by:+--by $by }per-bin counts = trace-cmd report | awk" want got
done
check "CPU 1's dropped events are a warning" grep -q 'CPU 1 lost events' <<<"$ERR"
check "auto-detected as trace-dat" [ "$RC" = 0 ]
cp "$DAT" cut.dat
truncate -s 100000 cut.dat
expect_fail 1 "cut.dat" "$VNETPROF" import cut.dat -o a.db
check "a cut trace.dat stored nothing" [ "$("$VNETPROF" runs a.db --json | jq length)" = 3 ]
expect_fail 1 "trace.dat is read from a file" "$VNETPROF" import - --format trace-dat -o a.db < "$DAT"
t_done
