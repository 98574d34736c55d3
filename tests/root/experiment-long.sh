#!/bin/bash
# The paper's experiments at the sizes the testbed issue asks for (about five
# minutes): Table 2's patterns for 20 s each, and the staged-load run of
# 100 s with 12.5 s steps. The shape of the paper's results must appear:
# A, B, C about equal (the link is the limit), B > D > E > F (CPU load), and
# throughput falling across the staged steps.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
V=$VNETPROF
t_on_exit "$V testbed down >/dev/null 2>&1"

run "$V" experiment patterns --duration 20s -o e.db --run-prefix pat --json -q
check "patterns exit 0 ($ERR)" [ "$RC" = 0 ]
echo "$OUT" > patterns.json
# the table of docs/experiments.md, from this run
/usr/bin/python3 -c 'import json,sys
for x in json.load(open(sys.argv[1]))["rows"]:
    print("# | %s | %.2f | %.2f | %.2f | %.2f..%.2f |" % (x["pattern"], x["median_bps"] / 1e9, x["p10_bps"] / 1e9, x["p90_bps"] / 1e9, x["vm_mean_min_bps"] / 1e9, x["vm_mean_max_bps"] / 1e9))' patterns.json
read -r a b c d e f < <(/usr/bin/python3 -c 'import json,sys; r={x["pattern"]: x["median_bps"] for x in json.load(open(sys.argv[1]))["rows"]}; print(*(r[p] / 1e9 for p in "ABCDEF"))' patterns.json)
echo "# medians, Gbit/s: A $a B $b C $c D $d E $e F $f"
check "A, B, C within 15 % of each other ($a $b $c)" awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
	if (!(a > 0 && b > 0 && c > 0)) exit 1
	mx = a; if (b > mx) mx = b; if (c > mx) mx = c; mn = a; if (b < mn) mn = b; if (c < mn) mn = c
	exit !(mx <= 1.15 * mn) }'
check "B > D > E > F: throughput falls as load rises ($b $d $e $f)" awk -v b="$b" -v d="$d" -v e="$e" -v f="$f" 'BEGIN { exit !(f > 0 && b > d && d > e && e > f) }'

run "$V" experiment staged --duration 100s --step 12.5s -o e.db --run-prefix stg --json -q
check "staged exits 0 ($ERR)" [ "$RC" = 0 ]
echo "$OUT" > staged.json
/usr/bin/python3 -c 'import json,sys
for x in json.load(open(sys.argv[1]))["rows"]:
    print("# | %s | %.2f | %.2f | %.2f |" % (x["step"], x["median_bps"] / 1e9, x["p10_bps"] / 1e9, x["p90_bps"] / 1e9))' staged.json
trend=$(/usr/bin/python3 - staged.json <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
m = [r["median_bps"] / 1e9 for r in rows]
# Spearman's rank correlation of step and median (no ties expected)
n = len(m)
rank = {v: i for i, v in enumerate(sorted(m))}
d2 = sum((i - rank[v]) ** 2 for i, v in enumerate(m))
rho = 1 - 6 * d2 / (n * (n * n - 1))
print(f"{rho:.3f} {m[0]:.2f} {m[-1]:.2f} " + ",".join(f"{x:.2f}" for x in m))
PY
)
read -r rho first last all <<<"$trend"
echo "# staged medians per step, Gbit/s: $all (Spearman rho with the step: $rho)"
check "staged: 8 steps" [ "$(tr ',' '\n' <<<"$all" | wc -l)" = 8 ]
check "staged: throughput falls across the steps (rho = $rho <= -0.8, last $last < first $first / 2)" \
	awk -v r="$rho" -v a="$first" -v z="$last" 'BEGIN { exit !(r != "" && a > 0 && r <= -0.8 && z < a / 2) }'
n=$(sqlite3 e.db "select count(*), max(k) + 1 from bins b join runs r on r.id = b.run_id where r.name = 'stg-staged'")
check "staged: 1000 bins, none missing ($n)" [ "$n" = "1000|1000" ]
miss=$(sqlite3 e.db "select count(*), min(c), max(c) from (select (select count(*) from samples m where m.series_id = s.id) c from series s join runs r on r.id = s.run_id where r.name = 'stg-staged') where c != 1000")
check "staged: every series has every bin (series without, fewest and most samples: $miss)" [ "${miss%%|*}" = 0 ]
[ "${miss%%|*}" = 0 ] || sqlite3 e.db "select k, t_end, flags from bins b join runs r on r.id = b.run_id where r.name = 'stg-staged' and flags != 0" | head -20
for s in 'netdev_bytes{dev="vnptb-nic0",dir="tx"}' 'iperf3_bits{vm="vm1",side="receiver"}' \
	'tracepoint_hits{event="net:net_dev_xmit",dev="vnptb-tap1"}' 'cpu_seconds{mode="softirq"}'; do
	have=$(sqlite3 e.db "select count(*) from series s join runs r on r.id = s.run_id where r.name = 'stg-staged' and s.name = '$s'")
	check "staged: has $s" [ "$have" = 1 ]
done
cp patterns.json staged.json "${RESULTS_DIR:-/tmp}/" 2>/dev/null || true
t_done
