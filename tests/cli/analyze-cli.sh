#!/bin/bash
# analyze / compare on the command line: series with known correlations and
# a known lag go in through the CSV import, and those numbers come out; a
# planted level shift is found; every degenerate input says why. Needs jq.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/import-lib.sh"
cd "$T_TMP"
# jqt (import-lib.sh): jq -e, quietly, on a file or standard input
jqe() { jqt "$@" known.json; }

# ---- a run whose answers are known by construction --------------------
# y: the numbers 0..99 shuffled (Park-Miller, exact in awk's doubles), each
# held for two bins. Against the target 1e6 * (100 + y) bytes per bin:
#   lead   = y three bins later        -> r = 1 at lag +3 bins (+1.5 s)
#   neg    = 500 - y                   -> r = -1 at lag 0
#   half   = y +- 20, alternating      -> the +-20 is orthogonal to y (y is
#            constant over each pair), so r = sqrt(V / (V + 400)) with V the
#            variance of 0..99, 833.25
#   flat   = 7                         -> undefined: constant
#   void   = no values                 -> undefined: no values
# Bin 200 is shorter than the others (partial): it must be left out.
awk 'function row(name, t0, t1, v) { printf "known,\"%s\",%g,%g,%s\n", name, t0, t1, v }
BEGIN {
	Q = "\"\""; n = 200; s = 12345
	for (i = 0; i < 100; i++) v[i] = i
	for (i = 99; i > 0; i--) {
		s = (s * 16807) % 2147483647; j = s % (i + 1)
		t = v[i]; v[i] = v[j]; v[j] = t
	}
	for (k = 0; k < n; k++) y[k] = v[int(k / 2)]
	print "run,series,t_start,t_end,value"
	for (k = 0; k <= n; k++) {
		t0 = k * 0.5; t1 = k < n ? t0 + 0.5 : t0 + 0.2
		yy = k < n ? y[k] : 50
		row("netdev_bytes{dev=" Q "nic0" Q ",dir=" Q "rx" Q "}", t0, t1, sprintf("%.0f", 1e6 * (100 + yy)))
		row("function_calls{function=" Q "lead" Q "}", t0, t1, k + 3 < n ? y[k + 3] : 50)
		row("function_calls{function=" Q "half" Q "}", t0, t1, yy + (k % 2 ? -20 : 20))
		row("function_calls{function=" Q "neg" Q "}", t0, t1, 500 - yy)
		row("function_calls{function=" Q "flat" Q "}", t0, t1, 7)
		row("function_calls{function=" Q "void" Q "}", t0, t1, "")
		row("cpu_share{function=" Q "vcpu_enter_guest" Q "}", t0, t1, sprintf("%.2f", 0.25 + (k % 4) * 0.01))
	}
}' > known.csv

# ---- throughput falls from 9.1 to 5.7 Gbit/s at t = 50 s ---------------
# noise +e, -e on each pair of bins, so each segment's mean is exact
awk 'function row(name, t0, v) { printf "steps,\"%s\",%g,%g,%s\n", name, t0, t0 + 0.5, v }
BEGIN {
	Q = "\"\""; s = 777
	print "run,series,t_start,t_end,value"
	for (k = 0; k < 200; k++) {
		if (k % 2 == 0) { s = (s * 16807) % 2147483647; e = (s % 1000) * 5000 }
		lev = k < 100 ? 568750000 : 356250000
		sg = k % 2 ? -1 : 1
		row("netdev_bytes{dev=" Q "nic0" Q ",dir=" Q "rx" Q "}", k * 0.5, sprintf("%.0f", lev + sg * e))
		row("function_calls{function=" Q "handle_tx" Q "}", k * 0.5, lev / 1000 + sg * e / 10000)
		row("cpu_share{function=" Q "vcpu_enter_guest" Q "}", k * 0.5, k < 100 ? 0.3 : 0.5)
	}
}' > steps.csv

run "$VNETPROF" import known.csv -o a.db --label experiment=t
check "import known" [ "$RC" = 0 ]
run "$VNETPROF" import steps.csv -o a.db --label experiment=t
check "import steps" [ "$RC" = 0 ]

# ---- the known numbers ------------------------------------------------
run "$VNETPROF" analyze a.db --run known --json
check "analyze --json exits 0" [ "$RC" = 0 ]
echo "$OUT" > known.json
check "the output is JSON" jqt . known.json
check "never NaN in JSON" bash -c '! grep -qi nan known.json'
ind() { printf '.indicators[] | select(.series == "function_calls{function=\\"%s\\"}")' "$1"; }
check "contract: top-level fields" jqe 'has("run") and has("target") and has("bin_s") and has("sma_s") and has("n_bins") and has("indicators") and has("segments")'
check "contract: indicator fields" jqe '(.indicators | length) == 6 and ([.indicators[] | has("series") and has("pearson") and has("pearson_sma") and has("spearman") and has("best_lag_s") and has("pearson_best_lag") and has("ci95") and has("n")] | all)'
check "contract: segment fields" jqe '(.segments | length) > 0 and ([.segments[] | has("t_start") and has("t_end") and has("target_mean") and has("target_sd") and has("indicators")] | all)'
check "run, bin, window, bins" jqe '.run == "known" and .bin_s == 0.5 and .sma_s == 10 and .n_bins == 201'
check "target chosen and in bit/s" jqe '.target == "netdev_bytes{dev=\"nic0\",dir=\"rx\"}" and .target_unit == "bit/s"'
check "the partial bin is left out" jqe '.bins_excluded.partial == 1'
check "lead: best lag +1.5 s" jqe "$(ind lead) | .best_lag_s == 1.5"
check "lead: r = 1 at that lag" jqe "$(ind lead) | .pearson_best_lag > 0.999999999999"
check "neg: r = -1 at lag 0" jqe "$(ind neg) | .pearson < -0.999999999999 and .best_lag_s == 0 and .spearman < -0.999999999999"
want=$(awk 'BEGIN { printf "%.17g", sqrt(833.25 / 1233.25) }')
got=$(jq "$(ind half) | .pearson" known.json)
check "half: r = sqrt(833.25/1233.25) = $want (got $got)" awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; exit d > 1e-12 * w }'
check "half: n = 200 pairs" jqe "$(ind half) | .n == 200"
check "half: the interval holds r" jqe "$(ind half) | .ci95[0] < .pearson and .pearson < .ci95[1]"
check "ranking: neg, lead, half first" jqe '[.indicators[:3][].series] == ["function_calls{function=\"neg\"}", "function_calls{function=\"lead\"}", "function_calls{function=\"half\"}"]'
check "ranks are 1..n" jqe '[.indicators[].rank] == [range(1; (.indicators | length) + 1)]'
check "flat: null, and why" jqe "$(ind flat) | .pearson == null and .undefined.pearson == \"undefined, because the indicator is constant (7 in every bin used)\""
check "void: null, and why" jqe "$(ind void) | .pearson == null and .undefined.spearman == \"undefined, because the indicator has no values\""
check "undefined ones rank last" jqe '[.indicators[-2:][].series] == ["function_calls{function=\"flat\"}", "function_calls{function=\"void\"}"]'
# --exclude: the matching indicators are gone, counted, and the rest keep their r
nall=$(jq '.indicators | length' known.json)
nfc=$(jq '[.indicators[].series | select(startswith("function_calls{function=\"l") or startswith("function_calls{function=\"h"))] | length' known.json)
run "$VNETPROF" analyze a.db --run known --json --exclude 'function_calls{function="l*' -x '*"h*'
check "--exclude exits 0 ($ERR)" [ "$RC" = 0 ]
check "--exclude: $nfc of $nall left out, and said so" jqt --argjson n "$nfc" --argjson a "$nall" \
	'.indicators_excluded == $n and (.indicators | length) == $a - $n and $n >= 2' <<<"$OUT"
check "--exclude: none of them ranked" jqt '[.indicators[].series | test("function=\"[lh]")] | any | not' <<<"$OUT"
check "--exclude: neg keeps its r" jqt "$(ind neg) | .pearson < -0.999999999999" <<<"$OUT"
run_ok "$VNETPROF" analyze a.db --run known --json --max-lag 0 --sma 0
check "--max-lag 0: lag 0 only, for the 4 defined indicators" jqt "[.indicators[] | select(.best_lag_s != null) | .best_lag_s] | length == 4 and all(. == 0)" <<<"$OUT"
check "--sma 0: no smoothed r, and why" jqt ".sma_s == 0 and ([.indicators[].undefined.pearson_sma] | unique == [\"undefined, because it was turned off\"])" <<<"$OUT"
# each value held for two bins: autocorrelated, so the default penalty cuts it
# once by chance (docs/analysis.md, section 6); a higher penalty does not
run_ok "$VNETPROF" analyze a.db --run known --json --penalty 8
check "held-in-pairs series: no cut at --penalty 8" jqt '(.segments | length) == 1' <<<"$OUT"
run_ok "$VNETPROF" analyze a.db --run known --bin 1s --json
check "--bin 1s: 100 bins" jqt '.n_bins == 100 and .bin_s == 1' <<<"$OUT"
run_ok "$VNETPROF" analyze a.db --run known --top 2
# the data: the ranking table holds two rows, the JSON's first two, and the
# count is known.csv's series that are not the target (awk)
nind=$(awk 'NR > 1 { sub(/^[^,]*,/, ""); sub(/,[^,]*,[^,]*,[^,]*$/, ""); if (!/^"netdev_bytes/ && !($0 in s)) { s[$0]; n++ } } END { print n }' known.csv)
awk '/^RANK / { t = 1; next } t && !NF { exit } t { print $1, $NF }' <<<"$OUT" > top.got
jq -r '.indicators[:2][] | "\(.rank) \(.series)"' known.json > top.want
same_lines "--top 2: the table shows the first two of the ranking" top.want top.got
check "--top 2: says 2 of the $nind indicators of known.csv" grep -qF "($nind in all, 2 shown)" <<<"$OUT"
check "text: never NaN" bash -c '! grep -qiw nan <<<"$1"' _ "$OUT"

# ---- the planted shift ------------------------------------------------
run "$VNETPROF" analyze a.db --run steps
check "analyze steps exits 0" [ "$RC" = 0 ]
check "summary: fell from 9.1 to 5.7 Gbit/s at t = 50 s" grep -q 'Throughput fell from 9.1 to 5.7 Gbit/s at t = 50 s; the indicator that tracks it best is function_calls{function="handle_tx"}' <<<"$OUT"
run_ok "$VNETPROF" analyze a.db --run steps --json
echo "$OUT" > steps.json
check "two segments, cut at 50 s" jqt '(.segments | length) == 2 and .segments[1].t_start == 50 and .segments[0].t_end == 50' steps.json
check "segment means 9.1 and 5.7 Gbit/s" jqt '.segments[0].target_mean == 9.1e9 and .segments[1].target_mean == 5.7e9' steps.json
check "handle_tx changes by -37.36 %" jqt '.segments[1].indicators["function_calls{function=\"handle_tx\"}"].change | . + 0.373626373626 | fabs < 1e-9' steps.json
check "the share rises by 2/3" jqt '.segments[1].indicators["cpu_share{function=\"vcpu_enter_guest\"}"].change | . - 2/3 | fabs < 1e-12' steps.json
check "summary in JSON" jqt '.summary | startswith("Throughput fell from 9.1 to 5.7 Gbit/s at t = 50 s")' steps.json
run_ok "$VNETPROF" analyze a.db --run steps --json --penalty 1e6
check "--penalty 1e6: one segment" jqt '(.segments | length) == 1 and (.summary | startswith("Throughput held at about 7.4 Gbit/s"))' <<<"$OUT"

# ---- compare ----------------------------------------------------------
run_ok "$VNETPROF" compare a.db --label experiment=t --json
check "compare --label: two runs, oldest first" jqt '[.runs[].run] == ["known", "steps"]' <<<"$OUT"
echo "$OUT" > cmp.json
check "steps: mean 7.4 Gbit/s, 200 bins" jqt '.runs[1] | (.mean / 7.4e9 - 1 | fabs) < 1e-12 and .n_bins == 200' cmp.json
# the reference (awk): the target per bin in bit/s (bytes x 8 / 0.5 s), sorted;
# quantiles as docs/analysis.md section 7 defines them (Hyndman and Fan's type 7,
# numpy's default): with x sorted from index 0 and h = (n - 1) p,
# q(p) = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]); sd with n - 1
awk -F, 'NR > 1 && $2 ~ /^"netdev_bytes/ { printf "%.17g\n", $NF * 16 }' steps.csv | sort -g > steps.target
awk 'function q(p,   h, f) { h = (n - 1) * p; f = int(h); return f + 1 >= n ? x[n - 1] : x[f] + (h - f) * (x[f + 1] - x[f]) }
{ x[n++] = $1 + 0 }
END {
	for (i = 0; i < n; i++) s += x[i]
	m = s / n
	for (i = 0; i < n; i++) ss += (x[i] - m) ^ 2
	sd = sqrt(ss / (n - 1))
	printf "{\"n\": %d, \"mean\": %.17g, \"sd\": %.17g, \"cv\": %.17g, \"min\": %.17g, \"p10\": %.17g, \"median\": %.17g, \"p90\": %.17g, \"max\": %.17g, \"cdf\": [", \
		n, m, sd, sd / m, q(0), q(0.1), q(0.5), q(0.9), q(1)
	for (i = 0; i <= 20; i++) printf "%s[%.17g, %.17g]", (i ? ", " : ""), q(i / 20), i / 20
	print "]}"
}' steps.target > steps.ref.json
check "steps: the reference has 200 values ($(jq -c '[.n, .p10, .median, .p90]' steps.ref.json))" jqt '.n == 200' steps.ref.json
check "steps: mean, sd, cv, min, p10, median, p90, max = the reference's to 1e-9" jqt --slurpfile r steps.ref.json '
	def near($a; $b): ($a | type) == "number" and (($a - $b) | fabs) <= 1e-9 * ($b | fabs);
	$r[0] as $w | .runs[1] | .n == $w.n and ([["mean", "sd", "cv", "min", "p10", "median", "p90", "max"][] as $k | near(.[$k]; $w[$k])] | all)' cmp.json
check "steps: the 21 CDF points = the reference's quantiles at p = 0, 0.05, ..., 1" jqt --slurpfile r steps.ref.json '
	def near($a; $b): ($a | type) == "number" and (($a - $b) | fabs) <= 1e-9 * ($b | fabs);
	$r[0].cdf as $w | .runs[1].cdf | length == 21 and ([range(21) as $i | near(.[$i][0]; $w[$i][0]) and .[$i][1] == $w[$i][1]] | all)' cmp.json
check "known: partial bin left out" jqt '.runs[0] | .n_bins == 201 and .n == 200' cmp.json
check "known: indicator means" jqt '.runs[0].indicators["function_calls{function=\"flat\"}"] == 7 and .runs[0].indicators["function_calls{function=\"void\"}"] == null' cmp.json
check "known: why void has no mean" jqt '.runs[0].undefined["function_calls{function=\"void\"}"] == "undefined, because the series has no values"' cmp.json
check "cpu share means" jqt '(.runs[0].cpu_share["cpu_share{function=\"vcpu_enter_guest\"}"] - 0.265 | fabs) < 1e-12 and .runs[1].cpu_share["cpu_share{function=\"vcpu_enter_guest\"}"] == 0.4' cmp.json
# the text's run rows and indicator columns follow --runs: both orders, each
# row with its own run's bins (distinct t_start in its CSV: awk)
bins_of() { awk -F, 'NR > 1 { b[$(NF - 2)] } END { n = 0; for (k in b) n++; print n }' "$1.csv"; }
for order in steps,known known,steps; do
	run_ok "$VNETPROF" compare a.db --runs $order
	printf '%s\n' "$OUT" > cmp-$order.txt
	for r in ${order//,/ }; do echo "$r $(bins_of $r)"; done > order.want
	awk '/^RUN / { t = 1; next } t && !/^[a-z]/ { exit } t { print $1, $2 }' cmp-$order.txt > order.got
	same_lines "compare --runs $order, text: the run rows in that order, with their bins" order.want order.got
	check "compare --runs $order, text: the indicator columns in that order" \
		[ "$(awk '/^SERIES / { print $2 "," $3; exit }' cmp-$order.txt)" = "$order" ]
done
check "compare text: indicator matrix, void absent from steps" grep -qE 'function_calls\{function="void"\} +absent +undef *$' cmp-steps,known.txt
# an indicator that is 0 in every run (a device no traffic crossed) is left
# out of the text, counted; JSON keeps it
for r in z1 z2; do
	printf 'run,series,t_start,t_end,value\n' > $r.csv
	for k in 0 1 2 3 4 5; do
		printf '%s,"netdev_bytes{dev=""nic0"",dir=""rx""}",%s,%s,%s\n' $r $k $((k + 1)) $((1000 + k))
		printf '%s,"function_calls{function=""idle""}",%s,%s,0\n' $r $k $((k + 1))
		printf '%s,"function_calls{function=""busy""}",%s,%s,%s\n' $r $k $((k + 1)) $((k % 3))
	done >> $r.csv
	run_ok "$VNETPROF" import $r.csv -o z.db
done
run_ok "$VNETPROF" compare z.db --runs z1,z2 --bin 1s
check "compare text: a row that is 0 in every run is not shown" \
	[ "$(grep -c 'function="idle"' <<<"$OUT")" = 0 -a "$(grep -c 'function="busy"' <<<"$OUT")" = 1 ]
# how many indicator series are 0 in every row of both CSVs (awk): the ones left out
nzero=$(cat z1.csv z2.csv | awk -F, '!/^run,/ { v = $NF; sub(/^[^,]*,/, ""); sub(/,[^,]*,[^,]*,[^,]*$/, "")
	if (/^"netdev_bytes/) next; seen[$0]; if (v + 0 != 0) nz[$0] } END { for (k in seen) if (!(k in nz)) n++; print n + 0 }')
check "compare text: and it is counted ($nzero)" grep -qF "($nzero more were 0 in every run; --json has them)" <<<"$OUT"
run_ok "$VNETPROF" compare z.db --runs z1,z2 --bin 1s --json
check "compare --json: it is there, 0" jqt '.runs[0].indicators["function_calls{function=\"idle\"}"] == 0' <<<"$OUT"

# ---- degenerate runs --------------------------------------------------
printf 'run,series,t_start,t_end,value\none,"netdev_bytes{dev=""n""}",0,0.5,100\none,"function_calls{function=""f""}",0,0.5,3\n' > one.csv
run_ok "$VNETPROF" import one.csv -o d.db
run "$VNETPROF" analyze d.db --run one --json
check "one bin: exit 0" [ "$RC" = 0 ]
check "one bin: why" jqt '.indicators[0].pearson == null and .indicators[0].undefined.pearson == "undefined, because only 1 bin has a value in both the indicator and the target (3 needed)"' <<<"$OUT"
run_ok "$VNETPROF" analyze d.db --run one
check "one bin, text: why" grep -q 'undefined, because only 1 bin has a value in both' <<<"$OUT"
check "one bin, text: never NaN" bash -c '! grep -qiw nan <<<"$1"' _ "$OUT"
awk 'BEGIN { print "run,series,t_start,t_end,value"; for (k = 0; k < 40; k++) {
	printf "flat,\"netdev_bytes{dev=\"\"n\"\"}\",%g,%g,1000\n", k * 0.5, k * 0.5 + 0.5
	printf "flat,\"function_calls{function=\"\"f\"\"}\",%g,%g,%d\n", k * 0.5, k * 0.5 + 0.5, k } }' > flat.csv
run_ok "$VNETPROF" import flat.csv -o d.db
run_ok "$VNETPROF" analyze d.db --run flat --json
check "constant target: why" jqt '.indicators[0].undefined.pearson == "undefined, because the target is constant (16000 in every bin used)"' <<<"$OUT"
check "constant target: held, no indicator defined" jqt '.summary | test("held at about 16 kbit/s.*no indicator.s correlation with it is defined")' <<<"$OUT"
printf 'run,series,t_start,t_end,value\nnotarget,"function_calls{function=""f""}",0,0.5,3\n' > nt.csv
run_ok "$VNETPROF" import nt.csv -o d.db

expect_fail 1 "run 'notarget' has no series with role target \(throughput\); choose one with --target SERIES" "$VNETPROF" analyze d.db --run notarget
expect_fail 1 "run 'known' has no series 'nope'; its targets: netdev_bytes" "$VNETPROF" analyze a.db --run known --target nope
expect_fail 1 "'function_calls' matches 5 series of run 'known'" "$VNETPROF" analyze a.db --run known --target function_calls
expect_fail 1 "no run 'zzz'" "$VNETPROF" analyze a.db --run zzz
expect_fail 1 '"error":"no run .zzz' "$VNETPROF" analyze a.db --run zzz --json
expect_fail 1 "run 'one' has 1 bin of 0.5 s, not one whole analysis bin of 1 s" "$VNETPROF" analyze d.db --run one --bin 1s
expect_fail 2 "an analysis bin of 0.75 s is not a whole multiple of the run's bin \(0.5 s\); possible: 0.5 s, 1 s, 1.5 s, ... \(nearest: 0.5 s or 1 s\)" "$VNETPROF" analyze a.db --run known --bin 0.75s
expect_fail 2 "an analysis bin of 0.25 s is shorter than the run's bin \(0.5 s\)" "$VNETPROF" analyze a.db --run known --bin 250ms
expect_fail 2 '"error":"analyze: an analysis bin of 0.75 s' "$VNETPROF" analyze a.db --run known --bin 0.75s --json
expect_fail 2 "a moving-average window of 1.25 s is not a whole multiple of the analysis bin" "$VNETPROF" analyze a.db --run known --sma 1.25s
expect_fail 2 "a maximum lag of 0.7 s is not a whole multiple of the analysis bin" "$VNETPROF" analyze a.db --run known --max-lag 0.7
expect_fail 2 "--sma 'abc' is not a duration" "$VNETPROF" analyze a.db --sma abc
expect_fail 2 "--penalty '-1' is not a positive number" "$VNETPROF" analyze a.db --penalty -1
expect_fail 2 "--top 'x' is not a count" "$VNETPROF" analyze a.db --top x
expect_fail 2 "unknown option '--bogus'" "$VNETPROF" analyze --bogus
expect_fail 2 "unexpected argument 'b.db'" "$VNETPROF" analyze a.db b.db
expect_fail 1 "nothere.db: no such store" "$VNETPROF" analyze nothere.db
expect_fail 2 "give the runs: --runs R1,R2,... or --label K=V" "$VNETPROF" compare a.db
expect_fail 2 "give --runs or --label, not both" "$VNETPROF" compare a.db --runs known --label experiment=t
expect_fail 1 "no run in the store has label experiment=none" "$VNETPROF" compare a.db --label experiment=none
expect_fail 1 "no run 'zzz'" "$VNETPROF" compare a.db --runs known,zzz
expect_fail 2 "run 'known': an analysis bin of 0.75 s is not a whole multiple" "$VNETPROF" compare a.db --runs known --bin 0.75s
expect_fail 1 "run 'known' has no series 'nope'" "$VNETPROF" compare a.db --runs known --target nope
expect_fail 2 '"error":"compare: give the runs' "$VNETPROF" compare a.db --json
t_done
