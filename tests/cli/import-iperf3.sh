#!/bin/bash
# import of iperf3 JSON against the report's own values (read with jq), and
# --into RUN --offset SECONDS: an iperf3 report placed into a trace's run.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/import-lib.sh"
cd "$T_TMP"
NS=$TEST_FIXTURES/netns-staged

# "stream side start end bytes" for every stream of every interval, client and server ends
intervals() {
	jq -r '
	def ivs($server): .[] | select(.sum.omitted | not) | .streams | to_entries[] |
		"\(.key + 1) \(if .value.sender then "sender" else "receiver" end) \(.value.start) \(.value.end) \(.value.bytes)";
	(.intervals | ivs(false)), ((.server_output_json.intervals // []) | ivs(true))' "$1"
}
ip_awk='{ spread("iperf3_bits{stream=\"" $1 "\",side=\"" $2 "\"}", ns_of($3), ns_of($4), $5 * 8) }
END { out2(base) }'

for end in server client; do
	f=$NS/iperf3-$end.json
	run "$VNETPROF" import "$f" -o a.db --run "$end"
	check "iperf3-$end.json: imported" [ "$RC" = 0 ]
	intervals "$f" | awk -v bin_ns=100000000 -v off=0 -v anchor=0 -v base=0 "$AWK_SPREAD$ip_awk" |
		LC_ALL=C sort > want
	rows a.db "$end" 0.1 > got
	same_rows "iperf3-$end.json: bits per bin = bytes x 8 spread by overlap" want got
done
check "client: sender and receiver (--get-server-output) sides" \
	[ "$(cut -f1 got | sort -u | tr '\n' ' ')" = 'iperf3_bits{stream="1",side="receiver"} iperf3_bits{stream="1",side="sender"} ' ]
vnp_to server.json export a.db --run server --format json
last=$(jq -c '.runs[0].bins[-1] | [.flags, .t_end]' server.json)
end=$(jq '.intervals[-1].sum.end' "$NS/iperf3-server.json")
check "the last bin is partial and ends with the report ($last, $end)" [ "$last" = "[4,$end]" ]
check "the run's wall clock is iperf3's start ($(jq '.start.timestamp.timesecs' "$NS/iperf3-server.json"))" \
	jqt --slurpfile r "$NS/iperf3-server.json" '.runs[0].start_wall == $r[0].start.timestamp.timesecs and .runs[0].start_wall > 0' server.json

# the staged run: the trace, then the receiver's throughput placed at 1101.0 s of its clock
run "$VNETPROF" import "$NS/ftrace-events.txt.gz" -o s.db --run staged
check "the staged trace: imported" [ "$RC" = 0 ]
rows s.db staged 0.1 > trace.before
cp s.db s0.db
vnp_to before.json export s.db --run staged --format json
origin=$(jq '.runs[0].origin' before.json)
run "$VNETPROF" import "$NS/iperf3-server.json" -o s.db --into staged --offset 1101.0
check "--into --offset: added" [ "$RC" = 0 ]
vnp_to runs.json runs s.db --json
check "--into: still one run" [ "$(jq length runs.json)" = 1 ]
rows s.db staged 0.1 > all
grep -v '^iperf3_bits' all > trace.after
same_lines "--into: the trace's series are untouched" trace.before trace.after
intervals "$NS/iperf3-server.json" |
	awk -v bin_ns=100000000 -v off=1101000000000 -v anchor="$(awk -v o="$origin" 'BEGIN { printf "%.0f", o * 1e9 }')" \
		-v base=0 "$AWK_SPREAD$ip_awk" | LC_ALL=C sort > want
grep '^iperf3_bits' all > got
same_rows "--into --offset 1101: iperf3 bits on the run's bins" want got

# an offset that puts the report before the trace: the run's origin moves back
run "$VNETPROF" import "$NS/iperf3-client.json" -o s0.db --into staged --offset 1099.95
check "--into, earlier than the run: added" [ "$RC" = 0 ]
vnp_to s0.json export s0.db --run staged --format json
o2=$(jq '.runs[0].origin' s0.json)
check "the origin moved back to 1099.9 ($o2)" [ "$o2" = 1099.9 ]
rows s0.db staged 0.1 > s0.rows
grep -v '^iperf3_bits' s0.rows | awk -F'\t' -v OFS='\t' '{ $2 -= 5; print }' | LC_ALL=C sort > shifted
same_lines "the trace's values moved 5 bins along, unchanged" trace.before shifted

# refusals: the run is unchanged after each
vnp_to keep.csv export s.db --format csv
expect_fail 1 "already has the series iperf3_bits" \
	"$VNETPROF" import "$NS/iperf3-server.json" -o s.db --into staged --offset 1101
expect_fail 1 "iperf3-relative clock.*--offset" "$VNETPROF" import "$NS/iperf3-client.json" -o s.db --into staged
expect_fail 1 "no run 'nothere'" "$VNETPROF" import "$NS/iperf3-client.json" -o s.db --into nothere --offset 1
expect_fail 2 "differs from run 'staged'" "$VNETPROF" import "$NS/iperf3-client.json" -o s.db --into staged --offset 1 --bin 1s
expect_fail 2 "--label labels a new run" "$VNETPROF" import "$NS/iperf3-client.json" -o s.db --into staged --offset 1 --label a=b
expect_fail 2 "give one of them" "$VNETPROF" import "$NS/iperf3-client.json" -o s.db --into staged --run x
expect_fail 2 "--offset 'abc'" "$VNETPROF" import "$NS/iperf3-client.json" -o s.db --into staged --offset abc
expect_fail 1 "iperf3-server.json: its times are on the iperf3-relative clock, the files before it on the trace clock" \
	"$VNETPROF" import "$NS/ftrace-events.txt.gz" "$NS/iperf3-server.json" -o s.db --run mixed
vnp_to after.csv export s.db --format csv
same_lines "after the refusals the store holds what it held" keep.csv after.csv

# what must be shown: analyze ranks net_dev_xmit and softirq_entry against the
# receiver. The reference (awk, docs/analysis.md sections 1-5) from the run's
# exported stored bins: analysis bins of 0.5 s = 5 stored bins of 0.1 s, a
# counter summed, and missing unless all 5 have a value and none is flagged
# late or partial; a last group of fewer than 5 left out. Pearson's r over the
# bins where both have a value; r at lag L pairs indicator bin t with target
# bin t + L, L within +-floor(bins / 4); the best lag has the largest |r|
# (ties: nearest 0, then negative); the ranking is by |r| at the best lag,
# then |r| at lag 0.
vnp_to staged.json export s.db --run staged --format json
jq -r '.runs[0].series[] | select(.role == "target") | .name' staged.json > target.want
jq -r '.runs[0].series[] | select(.role == "indicator") | .name' staged.json > ind.names
check "the staged run: one target, the receiver's iperf3_bits, and 2 indicators" \
	[ "$(cat target.want)" = 'iperf3_bits{stream="1",side="receiver"}' -a "$(wc -l < ind.names)" = 2 ]
# one line per stored bin: flags, the indicators' values, the target's ("null": none)
jq -r '.runs[0] | [.series[] | select(.role == "indicator")] as $ind | (.series[] | select(.role == "target")) as $tg |
	range(.bins | length) as $k | [.bins[$k].flags] + [$ind[].values[$k]] + [$tg.values[$k]] | map(. // "null") | @tsv' \
	staged.json > stored.tsv
awk -F'\t' -v f=5 '
function pearson(s, L,    t, n, mx, my, sx, sy, sxx, syy, sxy, dx, dy) {
	n = 0; sx = 0; sy = 0
	for (t = 0; t < nb; t++) if (t + L >= 0 && t + L < nb && (s, t) in a && (0, t + L) in a) {
		n++; sx += a[s, t]; sy += a[0, t + L]
	}
	N = n
	if (n < 3) return "null"
	mx = sx / n; my = sy / n; sxx = syy = sxy = 0
	for (t = 0; t < nb; t++) if (t + L >= 0 && t + L < nb && (s, t) in a && (0, t + L) in a) {
		dx = a[s, t] - mx; dy = a[0, t + L] - my
		sxx += dx * dx; syy += dy * dy; sxy += dx * dy
	}
	if (sxx == 0 || syy == 0) return "null"
	return sxy / sqrt(sxx * syy)
}
function abs(x) { return x < 0 ? -x : x }
function num(x) { return x == "null" ? x : sprintf("%.17g", x) }
{ nf = NF; for (c = 1; c <= NF; c++) v[NR - 1, c] = $c }
END {
	m = nf - 2                      # indicators 1..m (columns 2..m+1); the target (last column) is series 0
	nb = int(NR / f); ml = int(nb / 4)
	for (j = 0; j < nb; j++) for (s = 0; s <= m; s++) {
		col = s ? s + 1 : nf; ok = 1; sum = 0
		for (i = j * f; i < j * f + f; i++) {
			fl = v[i, 1]
			if (v[i, col] == "null" || int(fl / 2) % 2 || int(fl / 4) % 2) ok = 0
			else sum += v[i, col]
		}
		if (ok) a[s, j] = sum
	}
	printf "%d\t%.17g\n", nb, ml * 0.5
	for (s = 1; s <= m; s++) {
		r0 = pearson(s, 0); n0 = N; best = r0; bl = 0
		for (d = 1; d <= ml; d++) for (sg = -1; sg <= 1; sg += 2) {
			r = pearson(s, sg * d)
			if (r != "null" && (best == "null" || abs(r) > abs(best) * (1 + 1e-12))) { best = r; bl = sg * d }
		}
		printf "%d\t%d\t%s\t%s\t%.17g\n", s, n0, num(r0), num(best), bl * 0.5
	}
}' stored.tsv |
	jq -n -R --rawfile names ind.names '($names | split("\n")[:-1]) as $nm | [inputs | split("\t")] as $l |
	{n_bins: ($l[0][0] | tonumber), max_lag_s: ($l[0][1] | tonumber),
	 indicators: [$l[1:][] | {series: $nm[(.[0] | tonumber) - 1], n: (.[1] | tonumber),
		pearson: (.[2] | fromjson), pearson_best_lag: (.[3] | fromjson), best_lag_s: (.[4] | tonumber)}]}' > ref.json
check "the reference is JSON (2 indicators)" jqt '.indicators | length == 2' ref.json
jq '.indicators |= sort_by(-(.pearson_best_lag | fabs), -(.pearson | fabs))' ref.json > ref.sorted.json
run "$VNETPROF" analyze s.db --run staged --json
check "analyze: exits 0 on the staged run" [ "$RC" = 0 ]
printf '%s\n' "$OUT" > an.json
check "analyze: the target is the receiver's iperf3_bits (.target)" jqt --rawfile t target.want '.target == ($t | rtrimstr("\n"))' an.json
check "analyze: $(jq -r '"\(.n_bins) bins of 0.5 s, lags up to \(.max_lag_s) s"' ref.json), as the reference" \
	jqt --slurpfile r ref.json '.bin_s == 0.5 and .n_bins == $r[0].n_bins and .max_lag_s == $r[0].max_lag_s' an.json
check "analyze: the ranking is the reference's ($(jq -r '[.indicators[].series] | join(", ")' ref.sorted.json))" \
	jqt --slurpfile r ref.sorted.json '[.indicators[].series] == [$r[0].indicators[].series] and [.indicators[].rank] == [1, 2]' an.json
for k in 0 1; do
	name=$(jq -r ".indicators[$k].series" ref.sorted.json)
	check "analyze: $name: n, r, best lag and its r = the reference's to 1e-9 ($(jq -c ".indicators[$k] | [.n, .pearson, .best_lag_s, .pearson_best_lag]" ref.sorted.json))" \
		jqt --slurpfile r ref.sorted.json --argjson k "$k" '
		def near($a; $b): ($a | type) == "number" and ($b | type) == "number" and (($a - $b) | fabs) <= 1e-9;
		$r[0].indicators[$k] as $w | .indicators[$k] | .series == $w.series and .n == $w.n and .n >= 10 and
		near(.pearson; $w.pearson) and near(.pearson_best_lag; $w.pearson_best_lag) and .best_lag_s == $w.best_lag_s' an.json
done
t_done
