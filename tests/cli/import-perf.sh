#!/bin/bash
# import of perf script and perf stat -x -I output: per-bin values against
# awk over the same files.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/import-lib.sh"
CORPUS=$(cd "$(dirname "$0")/../fuzz/corpus" && pwd)
cd "$T_TMP"
NS=$TEST_FIXTURES/netns-staged

# --- perf script, cpu-clock samples: share of each function per bin --------
share_awk='
function base(p) { sub(/.*\//, "", p); return p }
/cpu-clock:/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
	b = tbin(substr($i, 1, length($i) - 1), 1)
	comm = substr($0, 1, index($0, sprintf(" %s ", $(i - 2))) - 1); sub(/^ +/, "", comm)
	sym = $(i + 4); dso = substr($0, index($0, " " sym " (") + length(sym) + 3); sub(/\)$/, "", dso)
	if (dso == "[kernel.kallsyms]") { fn = sym; sub(/\+0x.*/, "", fn); if (fn == "[unknown]") fn = "kernel:[unknown]" }
	else if (dso == "[unknown]") fn = "user:" comm
	else fn = "user:" base(dso)
	cnt["cpu_share{function=\"" fn "\"}\t" b]++; tot[b]++
	if (!(nb++) || b < minb) minb = b
}
END {
	for (k in cnt) { split(k, p, "\t"); printf "%s\t%d\t%.17g\n", p[1], p[2] - minb, cnt[k] / tot[p[2]] }
	for (b in tot) printf "cpu_samples{event=\"cpu-clock\"}\t%d\t%d\n", b - minb, tot[b]
}'
run "$VNETPROF" import "$NS/perf-script-cpu-clock.txt" -o a.db --run samples
check "perf script cpu-clock: imported" [ "$RC" = 0 ]
awk "$AWK_BIN$share_awk" "$NS/perf-script-cpu-clock.txt" | LC_ALL=C sort > want
rows a.db samples 0.1 > got
same_rows "perf-script-cpu-clock.txt: cpu_share and cpu_samples per bin" want got
check "kernel symbols lose their offset" grep -q '^cpu_share{function="veth_xmit"}' got
check "a user sample of an unknown binary is its comm's" grep -q 'function="user:yes"' got

# with callchains (-g): the first frame is the function
run "$VNETPROF" import "$CORPUS/perf-script/perf-script-callchain.txt" -o a.db --run chain
check "perf script -g: imported" [ "$RC" = 0 ]
want_n=$(grep -c 'cpu-clock:' "$CORPUS/perf-script/perf-script-callchain.txt")
rows a.db chain 0.1 > chain.rows
got_n=$(awk -F'\t' '/^cpu_samples/ { s += $3 } END { print s }' chain.rows)
check "perf script -g: every sample counted ($want_n = $got_n)" [ "$want_n" -gt 0 -a "$want_n" = "$got_n" ]
leaf_awk='
/cpu-clock:/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
	b = tbin(substr($i, 1, length($i) - 1), 1); getline
	if ($NF == "([kernel.kallsyms])") { fn = $2; sub(/\+0x.*/, "", fn); n[fn "\t" b]++ }
	if (!(nb++) || b < minb) minb = b
}
END { for (k in n) { split(k, p, "\t"); printf "%s\t%d\t%d\n", p[1], p[2] - minb, n[k] } }'
awk "$AWK_BIN$leaf_awk" "$CORPUS/perf-script/perf-script-callchain.txt" | LC_ALL=C sort > want
# the shares times the totals give back the kernel leaf counts
awk -F'\t' '
	/^cpu_samples/ { tot[$2] = $3; next }
	/^cpu_share\{function="[^u]/ { s = $1; sub(/^cpu_share\{function="/, "", s); sub(/"\}$/, "", s); sh[s "\t" $2] = $3 }
	END { for (k in sh) { split(k, p, "\t"); printf "%s\t%d\t%d\n", p[1], p[2], int(sh[k] * tot[p[2]] + 0.5) } }' chain.rows |
	grep -v '^kernel:' | LC_ALL=C sort > got
same_rows "perf script -g: kernel leaf functions per bin" want got

# tracepoints: tracepoint_hits{event="sys:name"}, --by dev from the payload
tp=$CORPUS/perf-script/perf-script-tracepoints.txt
run "$VNETPROF" import "$tp" -o a.db --run tp --by dev
check "perf script tracepoints: imported" [ "$RC" = 0 ]
awk "$AWK_BIN"'
{
	for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
	ev = $(i + 1); sub(/:$/, "", ev); s = "tracepoint_hits{event=\"" ev "\""
	for (j = i + 2; j <= NF; j++) if ($j ~ /^dev=/) { s = s ",dev=\"" substr($j, 5) "\""; break }
	emit(s "}", tbin(substr($i, 1, length($i) - 1), 1))
}
END { out() }' "$tp" | LC_ALL=C sort > want
rows a.db tp 0.1 > got
same_rows "perf script tracepoints --by dev per bin" want got

# --- perf stat -x, -I: counts spread over the bins by overlap -------------
stat_awk='
!/^#/ && NF {
	n = split($0, f, ","); ts = f[1]; gsub(/ /, "", ts); t = ns_digits(ts); i = 2; cpu = ""
	if (f[2] ~ /^CPU[0-9]/) { cpu = substr(f[2], 4); i = 3 }
	ev = f[i + 2]
	s = (ev ~ /^[a-z0-9_]+:[a-z0-9_]+$/ ? "tracepoint_hits" : "perf_stat_count") "{event=\"" ev "\"" (cpu != "" ? ",cpu=\"" cpu "\"" : "") "}"
	t0 = (s in prev) ? prev[s] : 0; prev[s] = t
	spread(s, t0, t, f[i] + 0); total[s] += f[i]
}
END { out2(); for (s in total) printf "TOTAL\t%s\t%.17g\n", s, total[s] > "totals.want" }'
for f in "$NS/perf-stat-interval.csv" "$CORPUS/perf-stat/perf-stat-percpu.csv"; do
	name=$(basename "$f" .csv)
	run "$VNETPROF" import "$f" -o a.db --run "$name"
	check "$name: imported" [ "$RC" = 0 ]
	awk -v bin_ns=100000000 -v off=0 -v anchor=0 "$AWK_SPREAD$stat_awk" "$f" | LC_ALL=C sort > want
	rows a.db "$name" 0.1 > got
	same_rows "$name: per-bin values, spread as the reference spreads them" want got
	# perf stat's own numbers: every event's total is the sum of its rows
	awk -F'\t' '{ t[$1] += $3 } END { for (s in t) printf "TOTAL\t%s\t%.17g\n", s, t[s] }' got |
		LC_ALL=C sort > totals.got
	LC_ALL=C sort -o totals.want totals.want
	check "$name: each event's total is perf stat's sum ($(wc -l < totals.want) series)" \
		awk -F'\t' 'NR == FNR { w[$2] = $3; next } { d = w[$2] - $3; if (d < 0) d = -d; if (d > 1e-9 * w[$2]) bad = 1 } END { exit bad }' totals.want totals.got
done
# -A: the stored series are one per event and CPU of the file (awk)
awk -F, '!/^#/ && NF && $2 ~ /^CPU[0-9]/ {
	print ($5 ~ /^[a-z0-9_]+:[a-z0-9_]+$/ ? "tracepoint_hits" : "perf_stat_count") "{event=\"" $5 "\",cpu=\"" substr($2, 4) "\"}" }' \
	"$CORPUS/perf-stat/perf-stat-percpu.csv" | LC_ALL=C sort -u > percpu.want
vnp_to percpu.json export a.db --run perf-stat-percpu --format json
jq -r '.runs[0].series[].name' percpu.json | LC_ALL=C sort > percpu.got
same_lines "-A: one series per event and CPU" percpu.want percpu.got
# with 0.5 s bins and intervals of exactly 0.5 s, every count lands whole in its bin
printf '     0.500000000,100,,net:net_dev_xmit,500000000,100.00,,\n     1.000000000,7,,net:net_dev_xmit,500000000,100.00,,\n     1.500000000,0,,net:net_dev_xmit,500000000,100.00,,\n' > exact.csv
run "$VNETPROF" import exact.csv --format perf-stat -o a.db --run exact --bin 0.5
check "aligned intervals: imported" [ "$RC" = 0 ]
rows a.db exact 0.5 > exact.rows
check "aligned intervals: the bins hold perf stat's counts exactly" \
	[ "$(cut -f2,3 exact.rows | tr '\t\n' ':,')" = "0:100,1:7," ]
t_done
