#!/bin/bash
# import of ftrace text and function_graph text: per-bin counts against awk
# over the same files (docs/import.md).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/import-lib.sh"
cd "$T_TMP"
FF=$TEST_FIXTURES/ftrace-formats
NS=$TEST_FIXTURES/netns-staged
VH=$TEST_FIXTURES/vhost

# the context layouts: the timestamp is the first field "SSSS.UUUUUU:", the event the next
ctx_awk='
!/^#/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
	if (i > NF) next
	ts = substr($i, 1, length($i) - 1); ev = $(i + 1); sub(/:$/, "", ev)
	s = "tracepoint_hits{event=\"" sysname(ev) "\""
	if (by != "") {
		for (j = i + 2; j <= NF; j++) if (index($j, by "=") == 1) {
			v = substr($j, length(by) + 2); s = s "," by "=\"" v "\""; break
		}
	}
	emit(s "}", tbin(ts, 1))
}
END { out() }'

for f in default irq-info-off record-tgid; do
	run "$VNETPROF" import "$FF/$f.txt" -o a.db --run "$f"
	check "$f: imported" [ "$RC" = 0 ]
	awk -v by= "$AWK_BIN$ctx_awk" "$FF/$f.txt" | LC_ALL=C sort > want
	rows a.db "$f" 0.1 > got
	same_rows "$f.txt per-bin net_dev_xmit" want got
done
run "$VNETPROF" import "$FF/record-tgid.txt" -o a.db --run tgid-dev --by dev
check "record-tgid.txt --by dev: imported" [ "$RC" = 0 ]
awk -v by=dev "$AWK_BIN$ctx_awk" "$FF/record-tgid.txt" | LC_ALL=C sort > want
rows a.db tgid-dev 0.1 > got
same_rows "record-tgid.txt --by dev" want got
check "--by dev gives one series per device (eth0, fx-tap1, lo)" \
	[ "$(cut -f1 got | sort -u | grep -c 'dev=')" = 3 ]

# latency-format: "1213688us+:" are microseconds since the buffer started
run "$VNETPROF" import "$FF/latency-format.txt" -o a.db --run lat
check "latency-format: imported" [ "$RC" = 0 ]
# its own clock: the run says so, and its origin is the 0.1 s bin of the
# smallest "NNNus" of the file (awk), i.e. microseconds / 1e6, not some other scale
lat_origin=$(awk '!/^#/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+us/) { us = $i; sub(/us.*/, "", us); us += 0
	if (!n++ || us < m) m = us; break } } END { printf "%.1f", int(m / 100000) / 10 }' "$FF/latency-format.txt")
vnp_to lat.json export a.db --run lat --format json
check "latency-format: its own clock, origin $lat_origin s = the first event's 0.1 s bin ($(jq -c '.runs[0] | [.origin_clock, .origin]' lat.json))" \
	jqt --argjson o "$lat_origin" '.runs[0] | .origin_clock == "ftrace-latency" and .origin == $o' lat.json
awk "$AWK_BIN"'
!/^#/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+us/) break
	if (i > NF) next
	us = $i; sub(/us.*/, "", us)
	for (j = i + 1; j <= NF; j++) if ($j ~ /^[a-z_0-9]+:$/) break
	ev = $j; sub(/:$/, "", ev)
	emit("tracepoint_hits{event=\"" sysname(ev) "\"}", int(us / 100000))
}
END { out() }' "$FF/latency-format.txt" | LC_ALL=C sort > want
rows a.db lat 0.1 > got
same_rows "latency-format.txt per-bin" want got

expect_fail 1 "no-context-info.txt:3: .*no timestamps.*context-info" \
	"$VNETPROF" import "$FF/no-context-info.txt" -o a.db

# plain and gzip give the same run; so do two gzip members one after the other
gzip -c "$FF/default.txt" > d.txt.gz
run_ok "$VNETPROF" import d.txt.gz -o a.db --run gz
rows a.db default 0.1 > plain.rows
rows a.db gz 0.1 > gz.rows
same_lines "gzip: same bins as the plain file" plain.rows gz.rows
sed -n '1,200p' "$FF/default.txt" | gzip -c > two.gz
sed -n '201,$p' "$FF/default.txt" | gzip -c >> two.gz
run_ok "$VNETPROF" import two.gz -o a.db --run gz2 --format ftrace
rows a.db gz2 0.1 > gz2.rows
same_lines "gzip, two members: same bins" plain.rows gz2.rows

# the staged run: ring buffer wrapped on CPU 1
run "$VNETPROF" import "$NS/ftrace-events.txt.gz" -o a.db --run staged --by dev
check "ftrace-events.txt.gz: imported" [ "$RC" = 0 ]
zcat "$NS/ftrace-events.txt.gz" | awk -v by=dev "$AWK_BIN$ctx_awk" | LC_ALL=C sort > want
rows a.db staged 0.1 > staged.rows
grep -v '^trace_lost_events' staged.rows > got
same_rows "ftrace-events.txt.gz --by dev per-bin" want got
# independent (awk): the line of the "CPU 1 buffer started" marker; the header's
# written - in buffer; the bin of CPU 1's first event (the marker's bin, relative
# to the first bin), and how many bins lie before and at it
zcat "$NS/ftrace-events.txt.gz" > staged.txt
mark=$(awk '!m && /^##### CPU 1 buffer started/ { m = NR } END { print m }' staged.txt)
check "the wrap is a warning with its line ($mark)" grep -q "ftrace-events.txt.gz:$mark: CPU 1.s ring buffer wrapped" <<<"$ERR"
lost=$(awk -F'[ /]+' '/entries-in-buffer/ { print $5 - $4 }' staged.txt)
ninc=$(awk "$AWK_BIN"'
	!/^#/ && !k {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
		if (i > NF) next
		b = tbin(substr($i, 1, length($i) - 1), 1)
		if (!first) first = b
		if ($0 ~ / \[001\] /) k = b - first + 1
	}
	END { print k }' staged.txt)
check "trace_lost_events{cpu=\"1\"} holds the overwritten $lost events, once, in bin $((ninc - 1))" \
	[ "$lost" -gt 0 -a "$(grep '^trace_lost_events' staged.rows)" = "$(printf 'trace_lost_events{cpu="1"}\t%d\t%d' $((ninc - 1)) "$lost")" ]
vnp_to staged.json export a.db --run staged --format json
got_inc=$(jq '[.runs[0].bins[] | select(.flags == 1)] | length' staged.json)
check "bins before CPU 1's first event are flagged incomplete ($ninc = $got_inc)" [ "$ninc" -gt 0 -a "$ninc" = "$got_inc" ]

# function tracer: "fn <-parent", one series per function (and per task, per parent)
fn_awk='
!/^#/ {
	cpu = index($0, " [")
	task = substr($0, 1, cpu - 1); sub(/^ +/, "", task); sub(/ +$/, "", task)
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
	ts = substr($i, 1, length($i) - 1); fn = $(i + 1); parent = $(i + 2); sub(/^<-/, "", parent)
	s = "function_calls{function=\"" fn "\""
	if (by == "task") s = s ",task=\"" task "\""
	if (by == "parent") s = s ",parent=\"" parent "\""
	emit(s "}", tbin(ts, 1))
}
END { out() }'
for by in "" task parent; do
	run "$VNETPROF" import "$VH/function-tracer.txt" -o a.db --run "vhost$by" ${by:+--by $by}
	check "function-tracer.txt ${by:+--by $by }imported" [ "$RC" = 0 ]
	awk -v by="$by" "$AWK_BIN$fn_awk" "$VH/function-tracer.txt" | LC_ALL=C sort > want
	rows a.db "vhost$by" 0.1 > got
	same_rows "function-tracer.txt ${by:+--by $by }per-bin calls" want got
done
# what must be shown: one series per vhost worker and per QEMU thread
vnp_to vhosttask.json export a.db --run vhosttask --format json
jq -r '.runs[0].series[].name' vhosttask.json | sed -E 's/.*task="([^"]*)".*/\1/' | sort -u > tasks.got
grep -v '^#' "$VH/function-tracer.txt" | awk '{ t = substr($0, 1, index($0, " [") - 1); sub(/^ +/, "", t); sub(/ +$/, "", t); print t }' |
	sort -u > tasks.want
same_lines "--by task: the tasks are the file's ($(tr '\n' ' ' < tasks.want))" tasks.want tasks.got
check "--by task: vhost workers and QEMU threads are apart" \
	[ "$(grep -c '^vhost-' tasks.got)" -ge 1 -a "$(grep -c '^qemu-system-x86-' tasks.got)" -ge 1 ]

# function_graph with funcgraph-abstime: every entry "fn() {" or "fn();" is a call
graph_awk='
$2 == "|" && $1 ~ /^[0-9]+\.[0-9]+$/ {
	if ($0 ~ /=>/) next
	body = $0; sub(/^[^|]*\|[^|]*\|/, "", body)
	ind = match(body, /[^ ]/) - 1; body = substr(body, ind + 1)
	if (body !~ /\) \{ *$/ && body !~ /\); *$/) next
	split(body, w, " "); fn = w[1]; sub(/\(.*/, "", fn)
	mod = ""; if (w[2] ~ /^\[/) { mod = w[2]; sub(/^\[/, "", mod); sub(/\].*/, "", mod) }
	s = "function_calls{function=\"" fn "\"" (mod != "" ? ",module=\"" mod "\"" : "")
	c = $3; sub(/\)/, "", c)
	if (by == "task" && task[c] != "") s = s ",task=\"" task[c] "\""
	# the caller: the entry one level up on the same CPU (indent: 2 + 2 per level)
	d = int((ind - 2) / 2)
	if (by == "parent" && d > 0 && st[c, d - 1] != "") s = s ",parent=\"" st[c, d - 1] "\""
	st[c, d] = fn; st[c, d + 1] = ""
	emit(s "}", tbin($1, 1))
	next
}
/=>/ && !/\|/ { c = $1; sub(/\)/, "", c); t = $0; sub(/.*=> */, "", t); sub(/ +$/, "", t); task[c] = t }
END { out() }'
for by in parent "" task; do
	run "$VNETPROF" import "$VH/function-graph-abstime.txt" -o a.db --run "graph$by" ${by:+--by $by}
	check "function-graph-abstime.txt ${by:+--by $by }imported" [ "$RC" = 0 ]
	awk -v by="$by" "$AWK_BIN$graph_awk" "$VH/function-graph-abstime.txt" | LC_ALL=C sort > want
	rows a.db "graph$by" 0.1 > got
	same_rows "function-graph-abstime.txt ${by:+--by $by }per-bin calls" want got
done
check "module tags became a label" grep -q 'function_calls{function="handle_tx",module="vhost_net"}' got
check "--by task: the KVM vCPU thread named by the switch markers" grep -q 'task="CPU 0/K-26296"' got

# the same trace without funcgraph-abstime: an error that names the option
sed -E 's/^[0-9]+\.[0-9]+ \| //; 100q' "$VH/function-graph-abstime.txt" > noabs.txt
expect_fail 1 "noabs.txt:[0-9]+: .*funcgraph-abstime" \
	"$VNETPROF" import noabs.txt --format function-graph -o a.db
expect_fail 1 "noabs.txt:[0-9]+: .*funcgraph-abstime" "$VNETPROF" import noabs.txt -o a.db

# bins of other widths: 1 s and 10 ms
for d in 0 2; do
	bin=$(awk -v d=$d 'BEGIN { print 10 ^ -d }')
	run "$VNETPROF" import "$VH/function-tracer.txt" -o a.db --run "w$d" --bin "$bin"
	check "function-tracer.txt --bin $bin imported" [ "$RC" = 0 ]
	awk -v by= -v d=$d "$AWK_BIN${fn_awk//tbin(ts, 1)/tbin(ts, d)}" "$VH/function-tracer.txt" |
		LC_ALL=C sort > want
	rows a.db "w$d" "$bin" > got
	same_rows "function-tracer.txt --bin $bin per-bin calls" want got
done

# trace-cmd report's text (instance prefix, padded event names) reads like tracefs'
if need_tool trace-cmd trace-cmd; then
	trace-cmd report -i "$NS/trace-events.dat" > report.txt 2> report.err
	rc=$?
	check "trace-cmd report exits 0 ($rc: $(head -c 200 report.err))" [ "$rc" = 0 ]
	run "$VNETPROF" import report.txt -o a.db --run report
	check "trace-cmd report text: imported" [ "$RC" = 0 ]
	awk -v by= "$AWK_BIN$ctx_awk" report.txt | LC_ALL=C sort > want
	rows a.db report 0.1 > got
	same_rows "trace-cmd report text per-bin" want got
	check "its 'CPU:1 [EVENTS DROPPED]' is a warning with its line" \
		grep -qE 'report.txt:[0-9]+: CPU 1 dropped events' <<<"$ERR"
fi
t_done
