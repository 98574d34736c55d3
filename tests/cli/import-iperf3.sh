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
last=$("$VNETPROF" export a.db --run server --format json | jq -c '.runs[0].bins[-1] | [.flags, .t_end]')
end=$(jq '.intervals[-1].sum.end' "$NS/iperf3-server.json")
check "the last bin is partial and ends with the report ($last, $end)" [ "$last" = "[4,$end]" ]
check "the run's wall clock is iperf3's start" \
	[ "$("$VNETPROF" export a.db --run server --format json | jq '.runs[0].start_wall')" = \
	  "$(jq '.start.timestamp.timesecs' "$NS/iperf3-server.json")" ]

# the staged run: the trace, then the receiver's throughput placed at 1101.0 s of its clock
run "$VNETPROF" import "$NS/ftrace-events.txt.gz" -o s.db --run staged
rows s.db staged 0.1 > trace.before
cp s.db s0.db
origin=$("$VNETPROF" export s.db --run staged --format json | jq '.runs[0].origin')
run "$VNETPROF" import "$NS/iperf3-server.json" -o s.db --into staged --offset 1101.0
check "--into --offset: added" [ "$RC" = 0 ]
check "--into: still one run" [ "$("$VNETPROF" runs s.db --json | jq length)" = 1 ]
rows s.db staged 0.1 > all
grep -v '^iperf3_bits' all > trace.after
check "--into: the trace's series are untouched" cmp -s trace.before trace.after
intervals "$NS/iperf3-server.json" |
	awk -v bin_ns=100000000 -v off=1101000000000 -v anchor="$(awk -v o="$origin" 'BEGIN { printf "%.0f", o * 1e9 }')" \
		-v base=0 "$AWK_SPREAD$ip_awk" | LC_ALL=C sort > want
grep '^iperf3_bits' all > got
same_rows "--into --offset 1101: iperf3 bits on the run's bins" want got

# an offset that puts the report before the trace: the run's origin moves back
run "$VNETPROF" import "$NS/iperf3-client.json" -o s0.db --into staged --offset 1099.95
check "--into, earlier than the run: added" [ "$RC" = 0 ]
o2=$("$VNETPROF" export s0.db --run staged --format json | jq '.runs[0].origin')
check "the origin moved back to 1099.9 ($o2)" [ "$o2" = 1099.9 ]
rows s0.db staged 0.1 | grep -v '^iperf3_bits' | awk -F'\t' -v OFS='\t' '{ $2 -= 5; print }' |
	LC_ALL=C sort > shifted
check "the trace's values moved 5 bins along, unchanged" cmp -s trace.before shifted

# refusals: the run is unchanged after each
"$VNETPROF" export s.db --format csv > keep.csv
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
check "after the refusals the store holds what it held" cmp -s keep.csv <("$VNETPROF" export s.db --format csv)

# what must be shown: analyze ranks net_dev_xmit and softirq_entry against the receiver
if "$VNETPROF" analyze --help > /dev/null 2>&1; then
	run "$VNETPROF" analyze s.db --run staged --json
	check "analyze: exits 0 on the staged run" [ "$RC" = 0 ]
	check "analyze: the target is the receiver's iperf3_bits" grep -q 'iperf3_bits{stream=\\"1\\",side=\\"receiver\\"}' <<<"$OUT"
	check "analyze: net_dev_xmit is ranked" grep -q 'net:net_dev_xmit' <<<"$OUT"
	check "analyze: softirq_entry is ranked" grep -q 'irq:softirq_entry' <<<"$OUT"
else
	echo "# SKIP analyze of the staged run: this build has no 'vnetprof analyze' (unit test import covers it)"
fi
t_done
