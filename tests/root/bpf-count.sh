#!/bin/bash
# BPF counting (src/collect/bpfcount.c) on the real kernel: N datagrams one
# way and M the other across a veth pair in namespaces this test creates.
# The BPF counts per device (tp_btf, tp and raw_tp) must equal N and M, the
# in-kernel filtered perf counters over the same traffic, and the kernel's
# interface statistics; bytes must equal tx_bytes. Equal device names in two
# namespaces stay apart. fentry and kprobe (refused on the development
# machines) must fail with their one-line reason and leave no BPF program,
# link or map behind, as must a run ended by SIGTERM.
. "$(dirname "$0")/../lib.sh"
need_root
RUNNER=${BPFCOUNT_RUN:-$(dirname "$UDPSEND")/bpfcount-run}
[ -x "$RUNNER" ] || { fail "no bpfcount-run beside udpsend ($RUNNER)"; t_done; exit 1; }
command -v bpftool >/dev/null || { fail "bpftool not installed (apt-get install bpftool)"; t_done; exit 1; }
cd "$T_TMP"

# our objects: the programs of count.bpf.c, its maps and its links
OURS='vnp_tp_btf|vnp_tp|vnp_raw_tp|vnp_fentry|vnp_kprobe|vnp_totals|vnp_devs|count_bp\.rodata'
# (a link holds its program, so a link left behind would show as a program)
bpf_state() {
	{
		bpftool prog list
		bpftool map list
	} 2>/dev/null | grep -cE "name ($OURS)( |$)"
}
# the kernel frees programs and maps a little after their last fd closes
settled() {
	local i
	for i in $(seq 60); do
		[ "$(bpf_state)" = "$before" ] && return 0
		sleep 0.05
	done
	return 1
}
before=$(bpf_state)
tfs_before=$(tracefs_state)

netns_pair || { fail "could not build the namespace pair"; t_done; exit 1; }
# a device of the same name in both namespaces: one end of a veth pair whose
# other end has no address, reached through a static neighbour (frames stop there)
for ns in "$NS_A" "$NS_B"; do
	ip -n "$ns" link add vnpdup0 type veth peer name vnpdup1 &&
		ip -n "$ns" link set vnpdup1 up && ip -n "$ns" link set vnpdup0 up ||
		fail "cannot add vnpdup0 in $ns"
done
ip -n "$NS_A" addr add 198.18.2.1/24 dev vnpdup0
ip -n "$NS_A" neigh replace 198.18.2.2 lladdr 02:00:00:00:00:02 dev vnpdup0 nud permanent
N=3000
M=1700
K=150
sa() { stat_of "$NS_A" "$DEV_A" "$1"; }
sb() { stat_of "$NS_B" "$DEV_B" "$1"; }
txa0=$(sa tx_packets) txba0=$(sa tx_bytes) txb0=$(sb tx_packets) txbb0=$(sb tx_bytes) rxbb0=$(sb rx_bytes)
ip netns exec "$NS_B" "$UDPSEND" -l 9000 6 > sinkb.out &
s1=$!
ip netns exec "$NS_A" "$UDPSEND" -l 9001 6 > sinka.out &
s2=$!
t_on_exit "kill $s1 $s2 2>/dev/null"
until grep -q listening sinkb.out 2>/dev/null && grep -q listening sinka.out 2>/dev/null; do sleep 0.05; done

fa="name == \"$DEV_A\""
fb="name == \"$DEV_B\""
run "$RUNNER" -i 20 -d 30 \
	-b net:net_dev_xmit,dev,bytes -b net:netif_receive_skb,dev,bytes,backend=tp \
	-b net:net_dev_queue,dev,backend=raw_tp -b net:netif_rx,cpu \
	-p "net:net_dev_xmit=$fa" -p "net:net_dev_xmit=$fb" -p "net:netif_receive_skb=$fb" \
	-p "net:netif_receive_skb=$fa" \
	-- bash -c "ip netns exec $NS_A $UDPSEND $IP_B 9000 $N 200 && ip netns exec $NS_B $UDPSEND $IP_A 9001 $M 300 && ip netns exec $NS_A $UDPSEND 198.18.2.2 9002 $K 100"
check "bpfcount-run exits 0 (rc=$RC: $ERR)" [ "$RC" = 0 ]
printf '%s\n' "$OUT" > out.txt
wait $s1 $s2
txa1=$(sa tx_packets) txba1=$(sa tx_bytes) txb1=$(sb tx_packets) txbb1=$(sb tx_bytes) rxbb1=$(sb rx_bytes)

# val KIND NAME: the sum (field 3) of the "series" or "perf" line whose name is NAME
val() { awk -v k="$1" -v n="$2" '$1 == k && substr($0, length(k) + 2, length(n)) == n && substr($0, length(k) + 2 + length(n), 1) == " " { print $(NF - (k == "series")) ; f = 1 } END { if (!f) print "missing" }' out.txt; }
hits() { val series "tracepoint_hits{event=\"$1\",dev=\"$2\"}"; }
bytes() { val series "tracepoint_bytes{event=\"$1\",dev=\"$2\"}"; }
bins() { awk -v n="tracepoint_hits{event=\"$1\",dev=\"$2\"}" '$1 == "series" && $2 == n { print $4 }' out.txt; }

echo "# sent $N and $M; tx_packets deltas $((txa1 - txa0)) and $((txb1 - txb0)); receivers got $(tail -n 1 sinkb.out) and $(tail -n 1 sinka.out)"
check "the kernel saw exactly N and M frames (tx_packets)" [ $((txa1 - txa0)) = "$N" -a $((txb1 - txb0)) = "$M" ]
check "the backends chosen: tp_btf by default, tp and raw_tp when forced" \
	grep -qx 'backend net:net_dev_xmit bpf:tp_btf' out.txt
check "  ... tp" grep -qx 'backend net:netif_receive_skb bpf:tp' out.txt
check "  ... raw_tp" grep -qx 'backend net:net_dev_queue bpf:raw_tp' out.txt

x_a=$(hits net:net_dev_xmit "$DEV_A") x_b=$(hits net:net_dev_xmit "$DEV_B")
p_a=$(val perf "net:net_dev_xmit=$fa") p_b=$(val perf "net:net_dev_xmit=$fb")
check "tp_btf net_dev_xmit on $DEV_A = N = perf counter ($x_a, perf $p_a)" [ "$x_a" = "$N" -a "$p_a" = "$N" ]
check "tp_btf net_dev_xmit on $DEV_B = M = perf counter ($x_b, perf $p_b)" [ "$x_b" = "$M" -a "$p_b" = "$M" ]
nb=$(bins net:net_dev_xmit "$DEV_A")
check "the per-bin deltas that sum to N are spread over bins ($nb bins with events)" [ "${nb:-0}" -ge 2 ]
b_a=$(bytes net:net_dev_xmit "$DEV_A") b_b=$(bytes net:net_dev_xmit "$DEV_B")
check "tp_btf bytes on $DEV_A = tx_bytes delta ($b_a vs $((txba1 - txba0)))" [ "$b_a" = $((txba1 - txba0)) ]
check "tp_btf bytes on $DEV_B = tx_bytes delta ($b_b vs $((txbb1 - txbb0)))" [ "$b_b" = $((txbb1 - txbb0)) ]

r_b=$(hits net:netif_receive_skb "$DEV_B") r_a=$(hits net:netif_receive_skb "$DEV_A")
pr_b=$(val perf "net:netif_receive_skb=$fb") pr_a=$(val perf "net:netif_receive_skb=$fa")
check "tp netif_receive_skb on $DEV_B = N = perf ($r_b, perf $pr_b)" [ "$r_b" = "$N" -a "$pr_b" = "$N" ]
check "tp netif_receive_skb on $DEV_A = M = perf ($r_a, perf $pr_a)" [ "$r_a" = "$M" -a "$pr_a" = "$M" ]
# netif_receive_skb's len is taken after the Ethernet header was pulled
rb=$(bytes net:netif_receive_skb "$DEV_B")
check "tp netif_receive_skb bytes on $DEV_B = rx_bytes delta - 14 N ($rb vs $((rxbb1 - rxbb0 - 14 * N)))" \
	[ "$rb" = $((rxbb1 - rxbb0 - 14 * N)) ]

q_a=$(hits net:net_dev_queue "$DEV_A") q_b=$(hits net:net_dev_queue "$DEV_B")
check "raw_tp net_dev_queue (device from skb->dev) on $DEV_A = N, $DEV_B = M ($q_a, $q_b)" \
	[ "$q_a" = "$N" -a "$q_b" = "$M" ]

d_a=$(hits net:net_dev_xmit "vnpdup0@$NS_A") d_b=$(hits net:net_dev_xmit "vnpdup0@$NS_B")
check "equal names in two namespaces stay apart: vnpdup0@$NS_A = $K, vnpdup0@$NS_B = 0 ($d_a, $d_b)" \
	[ "$d_a" = "$K" -a "$d_b" = 0 ]
check "an 'other' series for devices unknown at open" grep -q 'dev="other"' out.txt
ncpu=$(grep -c '^series tracepoint_hits{event="net:netif_rx",cpu=' out.txt)
check "by CPU: one series per possible CPU ($ncpu)" [ "$ncpu" -ge 1 ]
read -r _ nbins inc rec full < <(grep '^bins ' out.txt)
check "no bin incomplete, no recursion miss, map never full ($inc $rec $full over $nbins bins)" \
	[ "$inc" = 0 -a "$rec" = 0 -a "$full" = 0 ]
check "nothing of ours left in BPF after a run" settled

# the function backends: refused here with their reason, nothing left behind
expect_fail 1 'fentry.*(EPERM|policy)|fentry.*BTF' "$RUNNER" -d 0.2 -b func:udp_sendmsg,backend=fentry
check "  fentry refusal left nothing" settled
expect_fail 1 'kprobe.*CONFIG_KPROBES|kprobe.*refused' "$RUNNER" -d 0.2 -b func:udp_sendmsg,backend=kprobe
check "  kprobe refusal left nothing" settled
if ! zcat /proc/config.gz 2>/dev/null | grep -q '^CONFIG_KPROBES=y'; then
	expect_fail 1 'no BPF backend works here: fentry: .*; kprobe: .*CONFIG_KPROBES' \
		"$RUNNER" -d 0.2 -b net:net_dev_xmit,dev -b func:udp_sendmsg
	check "  a failing second spec unloads the first" settled
fi
expect_fail 1 'no such function' "$RUNNER" -d 0.2 -b func:vnp_no_such_function,backend=fentry
expect_fail 1 'has no tracepoint|no such tracepoint|unknown event' "$RUNNER" -d 0.2 -b net:vnp_no_such_event,backend=tp_btf
expect_fail 1 'given twice' "$RUNNER" -d 0.2 -b net:net_dev_xmit -b net:net_dev_xmit,bytes
expect_fail 1 'unknown BPF backend' "$RUNNER" -d 0.2 -b net:net_dev_xmit,backend=fentry
check "  failed opens left nothing" settled

# SIGTERM while counting: everything detached
"$RUNNER" -d 30 -b net:net_dev_xmit,dev -b sched:sched_switch,backend=raw_tp > sig.out 2> sig.err &
pid=$!
t_on_exit "kill $pid 2>/dev/null"
for _ in $(seq 100); do
	[ "$(bpf_state)" != "$before" ] && break
	sleep 0.05
done
check "while counting, our programs are loaded" [ "$(bpf_state)" != "$before" ]
kill -TERM "$pid"
wait "$pid"
rc=$?
check "SIGTERM: exit 130 ($rc)" [ "$rc" = 130 ]
check "SIGTERM: nothing of ours left in BPF" settled
check "tracefs as it was" [ "$(tracefs_state)" = "$tfs_before" ]
t_done
