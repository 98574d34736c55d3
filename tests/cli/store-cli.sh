#!/bin/bash
# runs / show / export / import on the command line: round trip and bad input.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/import-lib.sh"
cd "$T_TMP"

cat > in.csv <<'CSV'
run,series,t_start,t_end,value
demo,"tracepoint_hits{event=""net:net_dev_xmit"",dev=""veth0""}",0,0.5,10
demo,"tracepoint_hits{event=""net:net_dev_xmit"",dev=""veth0""}",0.5,1,
demo,"tracepoint_hits{event=""net:net_dev_xmit"",dev=""veth0""}",1,1.5,30
demo,"netdev_bytes{dev=""veth0"",dir=""tx""}",0,0.5,1000000000.5
demo,"netdev_bytes{dev=""veth0"",dir=""tx""}",0.5,1,0.1
demo,"netdev_bytes{dev=""veth0"",dir=""tx""}",1,1.5,3e-07
second,"cpu_seconds{mode=""user""}",0,1,0.25
CSV
run "$VNETPROF" import --format csv in.csv -o a.db
check "import exits 0" [ "$RC" = 0 ]
vnp_to out1.csv export a.db --format csv
same_lines "export reproduces the canonical input" in.csv out1.csv
run "$VNETPROF" import out1.csv -o b.db
check "import of the export exits 0" [ "$RC" = 0 ]
vnp_to out2.csv export b.db --format csv
same_lines "export -> import -> export is byte-identical" out1.csv out2.csv
# independent count: rows per run with awk
n=$(awk -F, 'NR > 1 && $1 == "demo"' out2.csv | wc -l)
check "6 demo rows" [ "$n" = 6 ]

run_ok "$VNETPROF" runs a.db --json
check "runs --json lists the two runs of in.csv, in order, with their bins" jqt --argjson w \
	"$(awk -F, 'NR > 1 && !($1 in b) { o[++n] = $1 } NR > 1 && !(($1, $(NF - 2)) in t) { t[$1, $(NF - 2)]; b[$1]++ }
		END { printf "["; for (i = 1; i <= n; i++) printf "%s[\"%s\",%d]", (i > 1 ? "," : ""), o[i], b[o[i]]; print "]" }' in.csv)" \
	'[.[] | [.name, .bins]] == $w' <<<"$OUT"
run_ok "$VNETPROF" show a.db --run demo
# the counter's row: bins with a value, total, mean, min, max against awk over in.csv
want=$(awk -F, 'NR > 1 && $1 == "demo" && $2 ~ /tracepoint_hits/ && $NF != "" { n++; s += $NF; if (n == 1 || $NF < lo) lo = $NF; if (n == 1 || $NF > hi) hi = $NF }
	END { printf "%d %g %g %g %g", n, s, s / n, lo, hi }' in.csv)
got=$(awk '$1 == "tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"veth0\"}" { printf "%d %g %g %g %g", $5, $6, $7, $8, $9 }' <<<"$OUT")
check "show: the counter's bins, total, mean, min, max ($want) are in.csv's ($got)" [ -n "$want" -a "$want" = "$got" ]
run_ok "$VNETPROF" export a.db --run second --format json
check "json export holds the value" jqt '.runs[0].series[0].values == [0.25]' <<<"$OUT"

# bad input: message and exit code; nothing lost
cp a.db keep.db
vnp_to keep.csv export keep.db --format csv
expect_fail 1 "already exists" "$VNETPROF" import in.csv -o a.db
vnp_to now.csv export a.db --format csv
same_lines "store unchanged after a refused import" keep.csv now.csv
printf 'demo,x,0,1\n' > short.csv
expect_fail 1 "short.csv:1: expected 5 fields" "$VNETPROF" import short.csv -o a.db
garbage 3000 3 > garbage.csv
expect_fail 1 "garbage.csv" "$VNETPROF" import garbage.csv -o a.db
# 63 bytes whose t_start asks for 10^8 bins: refused by the importers' bound
# (512 MiB of values), not allocated (it took 2.7 GiB before), store untouched
printf 'run,series,t_start,t_end,value\nfar,x,10000000,10000000.1,1\n' > far.csv
vnp_to before-far.csv export a.db --format csv
expect_fail 1 "far.csv: run 'far': 1 series x 100000001 bins of 0.1 s would need 763 MiB, more than an import allows" \
	"$VNETPROF" import far.csv -o a.db
vnp_to after-far.csv export a.db --format csv
same_lines "a refused CSV changes nothing in the store" before-far.csv after-far.csv
expect_fail 1 "no such store" "$VNETPROF" runs nothere.db
expect_fail 1 '"error":"nothere.db: no such store' "$VNETPROF" runs nothere.db --json
echo "not a database at all, just text, long enough to be a header" > bad.db
expect_fail 1 "damaged or not an SQLite file" "$VNETPROF" runs bad.db
expect_fail 1 "no run 'zzz'" "$VNETPROF" export a.db --run zzz --format csv
expect_fail 2 "unknown option '--bogus'" "$VNETPROF" runs --bogus
expect_fail 2 "give --format csv or --format json" "$VNETPROF" export a.db
expect_fail 2 "unknown format 'xml'" "$VNETPROF" import --format xml in.csv
expect_fail 2 "not a command" "$VNETPROF" frobnicate
expect_fail 2 '"error":"runs: unknown option' "$VNETPROF" runs --json --bogus
# a directory the user may not write to: root writes anywhere (CAP_DAC_OVERRIDE),
# so as root vnetprof runs without the capabilities that bypass permissions
mkdir ro && chmod 555 ro
asuser=()
[ "$(id -u)" = 0 ] && asuser=(setpriv --bounding-set=-dac_override,-dac_read_search --)
check "the directory ro/ refuses a new file (${asuser[*]:-as $(id -un)})" bash -c '! "$@" touch ro/probe 2> /dev/null' _ "${asuser[@]}"
expect_fail 1 "ro/x.db: cannot write the store" "${asuser[@]}" "$VNETPROF" import in.csv -o ro/x.db
check "nothing was written in ro/" [ -z "$(ls -A ro)" ]
expect_fail 1 "cannot write the store" "$VNETPROF" import in.csv -o /proc/nope/x.db
vnp_to now.csv export a.db --format csv
same_lines "same runs after all the refusals" keep.csv now.csv
t_done
