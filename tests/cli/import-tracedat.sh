#!/bin/bash
# import of trace-cmd's trace.dat (libtracecmd) against 'trace-cmd report'
# piped to awk.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/import-lib.sh"
# libtraceevent's own leak while parsing formats (see the file); not printing
# the suppressions used keeps LSan from writing a report (tests/lib.sh fails on any)
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/import-lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
cd "$T_TMP"
DAT=$TEST_FIXTURES/netns-staged/trace-events.dat
# scripts/deps.sh installs trace-cmd: without it the reference is missing, a failure
need_tool trace-cmd trace-cmd || t_done
# -t: nanosecond timestamps, as libtracecmd gives them
trace-cmd report -t -i "$DAT" 2> report.err > report.txt
rc=$?
check "trace-cmd report exits 0 ($rc: $(head -c 200 report.err))" [ "$rc" = 0 ]
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
# the imports above gave no --format: auto-detection chose the trace.dat
# importer (the series say which importer wrote them; trace-cmd report's text,
# the ftrace importer's, would give the same counts) and the same run as
# --format trace-dat, value by value
vnp_to auto.json export a.db --run dat --format json
check "auto-detected as trace-dat: every series is import:trace-dat ($(jq -c '[.runs[0].series[].backend] | unique' auto.json))" \
	jqt '[.runs[0].series[].backend] | length > 0 and all(. == "import:trace-dat")' auto.json
run "$VNETPROF" import "$DAT" --format trace-dat -o a.db --run datexplicit
check "trace.dat --format trace-dat imported" [ "$RC" = 0 ]
vnp_to explicit.json export a.db --run datexplicit --format json
check "auto-detected as trace-dat: the same bins and series, value by value, as --format trace-dat" \
	jqt --slurpfile e explicit.json '(.runs[0] | del(.id, .name, .cmdline)) == ($e[0].runs[0] | del(.id, .name, .cmdline))' auto.json
cp "$DAT" cut.dat
truncate -s 100000 cut.dat
expect_fail 1 "cut.dat" "$VNETPROF" import cut.dat -o a.db
vnp_to runs.json runs a.db --json
check "a cut trace.dat stored nothing" [ "$(jq length runs.json)" = 4 ]
expect_fail 1 "trace.dat is read from a file" "$VNETPROF" import - --format trace-dat -o a.db < "$DAT"
t_done
