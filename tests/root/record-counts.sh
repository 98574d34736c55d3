#!/bin/bash
# Exact counts: N datagrams across a veth in namespaces this test creates,
# counted by the in-kernel filtered counter, by --by dev, and by -T, against
# the kernel's own interface statistics and the receiver's count.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
before=$(tracefs_state)
netns_pair || { fail "could not build the namespace pair"; t_done; exit 1; }

N=5000
tx0=$(stat_of "$NS_A" "$DEV_A" tx_packets)
txb0=$(stat_of "$NS_A" "$DEV_A" tx_bytes)
ip netns exec "$NS_B" "$UDPSEND" -l 9000 6 > sink.out &
sink=$!
t_on_exit "kill $sink 2>/dev/null"
until grep -q listening sink.out 2>/dev/null; do sleep 0.05; done

run "$VNETPROF" record -q -i 100ms -o r.db --run counts \
	-e net:net_dev_xmit --filter "name == \"$DEV_A\"" -T "$DEV_A@$NS_A" \
	-- ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 "$N" 200
check "record exits with the command's status 0 (rc=$RC: $ERR)" [ "$RC" = 0 ]
wait $sink
got=$(tail -n 1 sink.out)
tx1=$(stat_of "$NS_A" "$DEV_A" tx_packets)
txb1=$(stat_of "$NS_A" "$DEV_A" tx_bytes)

"$VNETPROF" export r.db --run counts --format csv > counts.csv
sum() { awk -F, -v s="$1" 'NR > 1 && index($0, s) { t += $NF } END { printf "%d", t }' counts.csv; }
hits=$(sum "tracepoint_hits")
bytes=$(sum "netdev_bytes{dev=\"\"$DEV_A@$NS_A\"\",dir=\"\"tx\"\"}")
pkts=$(sum "netdev_packets{dev=\"\"$DEV_A@$NS_A\"\",dir=\"\"tx\"\"}")
echo "# sent $N, received $got, tx_packets delta $((tx1 - tx0)), counted $hits, -T packets $pkts"
check "the receiver got all $N datagrams" [ "$got" = "$N" ]
check "the kernel's tx_packets delta is N (no ARP/ND: static neighbours, IPv6 off)" [ $((tx1 - tx0)) = "$N" ]
check "net_dev_xmit filtered on $DEV_A totals N ($hits)" [ "$hits" = "$N" ]
check "-T tx bytes equal the kernel's delta ($bytes vs $((txb1 - txb0)))" [ "$bytes" = $((txb1 - txb0)) ]
check "-T tx packets equal N" [ "$pkts" = "$N" ]
# the kernel's own counters, read every bin by default: every device of every
# namespace (labelled as --by dev labels it), but not -T's device again
kp=$(sum "netdev_packets{dev=\"\"$DEV_B\"\",dir=\"\"rx\"\"}")
kb=$(sum "netdev_bytes{dev=\"\"$DEV_B\"\",dir=\"\"rx\"\"}")
echo "# kernel counters: $DEV_B received $kp packets, $kb bytes"
check "kernel counters: $DEV_B (in $NS_B) received N ($kp)" [ "$kp" = "$N" ]
check "kernel counters: and the bytes $DEV_A sent ($kb vs $((txb1 - txb0)))" [ "$kb" = $((txb1 - txb0)) ]
check "kernel counters: -T's $DEV_A@$NS_A is not recorded twice" \
	[ "$(grep -c "netdev_packets{dev=\"\"$DEV_A" counts.csv)" = "$(grep -c "netdev_packets{dev=\"\"$DEV_A@$NS_A\"\"" counts.csv)" ]
kpb=$(awk -F, -v d="$DEV_B" 'NR > 1 && index($0, "netdev_packets{dev=\"\"" d "\"\",dir=\"\"rx") && $NF > 0' counts.csv | wc -l)
nzh=$(awk -F, 'NR > 1 && /tracepoint_hits/ && $NF > 0' counts.csv | wc -l)
check "kernel counters: the packets fall in the bins the hits do ($kpb vs $nzh bins)" \
	[ "$kpb" -ge 1 -a $(( (kpb - nzh) * (kpb - nzh) )) -le 1 ]
check "kernel counters: no loopback" [ "$(grep -c 'dev=""lo' counts.csv)" = 0 ]
for m in 'softirqs{vec=""NET_RX""}' context_switches interrupts softnet_processed; do
	check "kernel counters: $m counted" [ "$(sum "$m")" -gt 0 ]
done
# a namespace deleted during a run goes away at once (the recorder holds no
# file of it open between bins, for the kernel counters nor for -T), and its
# devices' series stop there
ip netns add "$NS_A-x" && t_on_exit "ip netns del $NS_A-x 2>/dev/null"
ip link add "${DEV_A}x" netns "$NS_A-x" type veth peer name "${DEV_B}x" netns "$NS_B"
ip link add "${DEV_A}y" netns "$NS_A-x" type veth peer name "${DEV_B}y" netns "$NS_B"
"$VNETPROF" record -q -i 100ms -o r.db --run gone -d 2s -T "${DEV_A}y@$NS_A-x" 2> gone.err &
rec=$!
sleep 0.8
ip netns del "$NS_A-x"
for i in $(seq 20); do ip -n "$NS_B" link show "${DEV_B}x" > /dev/null 2>&1 || break; sleep 0.05; done
left=$(ip -n "$NS_B" -o link show "${DEV_B}x" 2>/dev/null | wc -l)
check "kernel counters: a namespace deleted mid-run is gone with its devices within 1 s" [ "$left" = 0 ]
wait $rec
check "kernel counters: that run ends well" [ $? = 0 ]
"$VNETPROF" export r.db --run gone --format csv > gone.csv
have=$(awk -F, -v d="${DEV_A}x" 'index($0, "netdev_packets{dev=\"\"" d) && index($0, "rx") && $NF != ""' gone.csv | wc -l)
none=$(awk -F, -v d="${DEV_A}x" 'index($0, "netdev_packets{dev=\"\"" d) && index($0, "rx") && $NF == ""' gone.csv | wc -l)
check "kernel counters: its device has values before ($have bins) and none after ($none bins)" \
	[ "$have" -ge 4 -a "$none" -ge 8 ]
have=$(awk -F, -v d="${DEV_A}y@" 'index($0, "netdev_bytes{dev=\"\"" d) && index($0, "rx") && $NF != ""' gone.csv | wc -l)
none=$(awk -F, -v d="${DEV_A}y@" 'index($0, "netdev_bytes{dev=\"\"" d) && index($0, "rx") && $NF == ""' gone.csv | wc -l)
check "-T: the same for a target in that namespace ($have bins, then $none without)" \
	[ "$have" -ge 4 -a "$none" -ge 8 ]
check "-T: and a warning says it went away" grep -q "${DEV_A}y@$NS_A-x went away" gone.err
# the default recording attaches nothing to the kernel: no perf event, no BPF
# program or link among its files (and a recording with -e has them)
hooks_of() { # ARGS...: the hook fds of a recorder started with ARGS, 0.7 s in
	"$VNETPROF" record -q -i 100ms -o r.db -d 1.5s "$@" > /dev/null 2>&1 &
	local pid=$! n
	sleep 0.7
	n=$(ls -l "/proc/$pid/fd" 2>/dev/null | grep -c 'perf_event\|bpf')
	wait $pid
	echo "$n"
}
h0=$(hooks_of -T "$DEV_A@$NS_A")
h1=$(hooks_of -T "$DEV_A@$NS_A" -e net:net_dev_xmit)
check "the default recording holds no perf or BPF fd ($h0; with -e: $h1)" [ "$h0" = 0 -a "$h1" -gt 0 ]
run "$VNETPROF" record -q -i 100ms -o r.db --run nokc --no-kernel-counters -d 300ms
check "--no-kernel-counters records none of them" \
	[ "$("$VNETPROF" export r.db --run nokc --format csv | grep -c 'netdev_\|softirqs\|context_sw')" = 0 ]
nz=$(awk -F, 'NR > 1 && /tracepoint_hits/ && $NF > 0' counts.csv | wc -l)
check "the counts are spread over bins ($nz bins with hits)" [ "$nz" -ge 1 ]

# --by dev with perf counters (one filtered counter per device): two flows in
# opposite directions, one series per device
ip netns exec "$NS_B" "$UDPSEND" -l 9000 8 > sinkb.out &
s1=$!
ip netns exec "$NS_A" "$UDPSEND" -l 9001 8 > sinka.out &
s2=$!
t_on_exit "kill $s1 $s2 2>/dev/null"
until grep -q listening sinkb.out 2>/dev/null && grep -q listening sinka.out 2>/dev/null; do sleep 0.05; done
run "$VNETPROF" record -q -i 50ms -o r.db --run bydev -B perf -e net:net_dev_xmit --by dev -e net:netif_receive_skb --by dev \
	-- bash -c "ip netns exec $NS_A $UDPSEND $IP_B 9000 1200 100 && ip netns exec $NS_B $UDPSEND $IP_A 9001 700 100"
check "--by dev record exits 0 ($ERR)" [ "$RC" = 0 ]
wait $s1 $s2
"$VNETPROF" export r.db --run bydev --format csv > bydev.csv
x_a=$(awk -F, -v d="$DEV_A" 'NR > 1 && index($0, "net_dev_xmit") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bydev.csv)
x_b=$(awk -F, -v d="$DEV_B" 'NR > 1 && index($0, "net_dev_xmit") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bydev.csv)
r_b=$(awk -F, -v d="$DEV_B" 'NR > 1 && index($0, "netif_receive_skb") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bydev.csv)
check "--by dev: $DEV_A transmitted 1200 ($x_a)" [ "$x_a" = 1200 ]
check "--by dev: $DEV_B transmitted 700 ($x_b)" [ "$x_b" = 700 ]
check "--by dev: $DEV_B received 1200 ($r_b)" [ "$r_b" = 1200 ]
check "--by dev: an 'other' series for the devices not listed" grep -q 'dev=""other""' bydev.csv
# the BPF backend through record: per-device keys and byte sums, same traffic
ip netns exec "$NS_B" "$UDPSEND" -l 9000 6 > sinkc.out &
s3=$!
t_on_exit "kill $s3 2>/dev/null"
until grep -q listening sinkc.out 2>/dev/null; do sleep 0.05; done
txb0=$(stat_of "$NS_A" "$DEV_A" tx_bytes)
run "$VNETPROF" record -q -i 50ms -o r.db --run bpf -B bpf -e net:net_dev_xmit --by dev \
	-- ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 900 300
check "record -B bpf exits 0 ($ERR)" [ "$RC" = 0 ]
wait $s3
txb1=$(stat_of "$NS_A" "$DEV_A" tx_bytes)
"$VNETPROF" export r.db --run bpf --format csv > bpf.csv
bh=$(awk -F, -v d="$DEV_A" 'NR > 1 && index($0, "tracepoint_hits") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bpf.csv)
bb=$(awk -F, -v d="$DEV_A" 'NR > 1 && index($0, "tracepoint_bytes") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bpf.csv)
check "-B bpf: $DEV_A transmitted 900 ($bh)" [ "$bh" = 900 ]
check "-B bpf: its bytes equal the kernel's tx_bytes delta ($bb vs $((txb1 - txb0)))" [ "$bb" = $((txb1 - txb0)) ]
check "-B bpf: the series name their backend" grep -q '"bpf:' <<<"$("$VNETPROF" export r.db --run bpf --format json)"
check "no BPF program of ours is left" [ "$(bpftool prog list 2>/dev/null | grep -c 'vnp_\|count_')" = 0 ]
# no backend named: BPF counts what it can (here tp_btf), perf what has a
# --filter; both count the same datagrams exactly
ip netns exec "$NS_B" "$UDPSEND" -l 9000 6 > sinke.out &
s5=$!
t_on_exit "kill $s5 2>/dev/null"
until grep -q listening sinke.out 2>/dev/null; do sleep 0.05; done
run "$VNETPROF" record -q -i 50ms -o r.db --run auto -e net:net_dev_xmit --by dev \
	-e irq:softirq_entry --filter "vec == 3" \
	-- ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 500 300
check "record, no backend named, exits 0 ($ERR)" [ "$RC" = 0 ]
wait $s5
"$VNETPROF" export r.db --run auto --format json > auto.json
be_sum() { jq -r --arg d "$1" '[.runs[0].series[] | select(.name == $d)][0] | "\(.backend) \([.values[] | select(. != null)] | add)"' auto.json; }
ah=$(be_sum "tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"$DEV_A\"}")
af=$(be_sum 'tracepoint_hits{event="irq:softirq_entry",filter="vec == 3"}')
check "default: --by dev is counted by BPF, 500 on $DEV_A ($ah)" [ "$ah" = "bpf:tp_btf 500" ]
check "default: the --filter event by perf ($af)" grep -Eq '^perf [1-9][0-9]*$' <<<"$af"
# BPF refused (a seccomp filter answers bpf(2) with EPERM, as a host's policy
# may): one warning, and perf counters count the same datagrams exactly
NOBPF=${NOBPF:-$(dirname "$UDPSEND")/nobpf}
ip netns exec "$NS_B" "$UDPSEND" -l 9000 6 > sinkf.out &
s6=$!
t_on_exit "kill $s6 2>/dev/null"
until grep -q listening sinkf.out 2>/dev/null; do sleep 0.05; done
run "$NOBPF" "$VNETPROF" record -i 50ms -o r.db --run nobpf -e net:net_dev_xmit --by dev \
	-- ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 400 300
check "BPF refused: record exits 0 ($ERR)" [ "$RC" = 0 ]
wait $s6
check "BPF refused: one line says so, and that perf counts instead" \
	[ "$(grep -c 'BPF counting is not available (.*EPERM.*); counting with perf' "$T_TMP/stderr")" = 1 ]
"$VNETPROF" export r.db --run nobpf --format json > nobpf.json
nb=$(jq -r --arg d "tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"$DEV_A\"}" \
	'[.runs[0].series[] | select(.name == $d)][0] | "\(.backend) \([.values[] | select(. != null)] | add)"' nobpf.json)
check "BPF refused: perf counted 400 on $DEV_A ($nb)" [ "$nb" = "perf 400" ]
run "$NOBPF" "$VNETPROF" record -q -o r.db --run nobpf2 -B bpf -e net:net_dev_xmit -d 300ms
why=$(grep -c 'security policy' "$T_TMP/stderr")
check "BPF refused, -B bpf asked for: exit 1 and one line why ($ERR)" \
	[ "$RC" = 1 -a "$(wc -l < "$T_TMP/stderr")" = 1 -a "$why" = 1 ]
check "BPF refused, -B bpf: no run was left half-made" [ -z "$("$VNETPROF" runs r.db | grep nobpf2)" ]
# --by vm: a process that looks like QEMU (its command line names the VM and
# its tap) owns $DEV_A; the VM's series counts exactly what $DEV_A sent, and
# its CPU time is the process's (it spins, at most 30 s)
(exec -a qemu-system-x86_64 /usr/bin/python3 -c 'import time
t = time.time()
while time.time() - t < 30: pass' \
	-name guest=web1,debug-threads=on -netdev "tap,id=hostnet0,ifname=$DEV_A,vhost=on") &
fakeqemu=$!
t_on_exit "kill $fakeqemu 2>/dev/null"
ip netns exec "$NS_B" "$UDPSEND" -l 9000 6 > sinkd.out &
s4=$!
until grep -q listening sinkd.out 2>/dev/null; do sleep 0.05; done
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); print (f[12] + f[13]) / hz }' "/proc/$1/stat"; }
q0=$(cpu_of $fakeqemu)
run "$VNETPROF" record -q -i 50ms -o r.db --run byvm -e net:net_dev_xmit --by vm \
	-- bash -c "sleep 0.5; ip netns exec $NS_A $UDPSEND $IP_B 9000 777 100; sleep 0.5"
q1=$(cpu_of $fakeqemu)
check "--by vm exits 0 ($ERR)" [ "$RC" = 0 ]
wait $s4
kill $fakeqemu
"$VNETPROF" export r.db --run byvm --format csv > byvm.csv
vmh=$(awk -F, 'NR > 1 && index($0, "tracepoint_hits") && index($0, "vm=\"\"web1\"\"") { t += $NF } END { print t + 0 }' byvm.csv)
check "--by vm: VM web1 (QEMU's -name, its tap $DEV_A) sent 777 ($vmh)" [ "$vmh" = 777 ]
vmc=$(awk -F, -v s='vm_cpu_seconds{vm=""web1""}' 'index($0, s) { t += $NF } END { printf "%.2f", t }' byvm.csv)
check "--by vm: web1's CPU time is its process's over the run ($vmc s of $q0 -> $q1)" \
	awk -v g="$vmc" -v a="$q0" -v b="$q1" 'BEGIN { exit !(g > 0.5 && g <= b - a + 0.02 && g >= b - a - 0.25) }'
check "--by vm: the rest is vm=\"host\"" grep -q 'vm=""host""' byvm.csv
check "tracefs as it was" [ "$(tracefs_state)" = "$before" ]
t_done
