#!/bin/bash
# runs / show / export / import on the command line: round trip and bad input.
. "$(dirname "$0")/../lib.sh"
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
run "$VNETPROF" export a.db --format csv
echo "$OUT" > out1.csv
check "export reproduces the canonical input" cmp -s in.csv out1.csv
run "$VNETPROF" import out1.csv -o b.db
"$VNETPROF" export b.db --format csv > out2.csv
check "export -> import -> export is byte-identical" cmp -s out1.csv out2.csv
# independent count: rows per run with awk
n=$(awk -F, 'NR > 1 && $1 == "demo"' out2.csv | wc -l)
check "6 demo rows" [ "$n" = 6 ]

run "$VNETPROF" runs a.db --json
check "runs --json lists two runs" grep -q '"name":"demo".*"name":"second"' <<<"$OUT"
run "$VNETPROF" show a.db --run demo
check "show totals the counter (10+30=40)" grep -qE 'tracepoint_hits.* 40 ' <<<"$OUT"
run "$VNETPROF" export a.db --run second --format json
check "json export holds the value" grep -q '"values":\[0.25\]' <<<"$OUT"

# bad input: message and exit code; nothing lost
cp a.db keep.db
expect_fail 1 "already exists" "$VNETPROF" import in.csv -o a.db
check "store unchanged after a refused import" [ "$("$VNETPROF" export a.db --format csv)" = "$("$VNETPROF" export keep.db --format csv)" ]
printf 'demo,x,0,1\n' > short.csv
expect_fail 1 "short.csv:1: expected 5 fields" "$VNETPROF" import short.csv -o a.db
head -c 3000 /dev/urandom > garbage.csv
expect_fail 1 "garbage.csv" "$VNETPROF" import garbage.csv -o a.db
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
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then
	expect_fail 1 "cannot write the store" "$VNETPROF" import in.csv -o ro/x.db
fi
expect_fail 1 "cannot write the store" "$VNETPROF" import in.csv -o /proc/nope/x.db
check "same runs after all the refusals" cmp -s <("$VNETPROF" export a.db --format csv) <("$VNETPROF" export keep.db --format csv)
t_done
