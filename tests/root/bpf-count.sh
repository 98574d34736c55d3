#!/bin/bash
# BPF counting (src/collect/bpfcount.c) on the real kernel: N datagrams one
# way (in paced bursts) and M the other across a veth pair in namespaces this
# test creates, every sender pinned to one CPU. The BPF counts per device
# (tp_btf, tp and raw_tp) must equal N and M, the in-kernel filtered perf
# counters over the same traffic, and the kernel's interface statistics;
# bytes must equal tx_bytes; each bin holds exactly the datagrams sent inside
# its time; per-CPU series are one per possible CPU and put the events on the
# senders' CPU. Equal device names in two namespaces stay apart. The function
# backends (fentry, kprobe) count a function only this test calls exactly
# where the kernel allows them (asked independently: bpfcount-run -k), and
# elsewhere fail with their one-line reason; like a run ended by SIGTERM,
# they leave no BPF program, link or map behind.
. "$(dirname "$0")/../lib.sh"
need_root
RUNNER=${BPFCOUNT_RUN:-$(dirname "$UDPSEND")/bpfcount-run}
[ -x "$RUNNER" ] || { fail "no bpfcount-run beside udpsend ($RUNNER)"; t_done; }
need_tool bpftool bpftool || t_done
need_tool taskset util-linux || t_done
cd "$T_TMP"

# our objects: the programs of count.bpf.c, its maps and its links, and the
# kernel check's program (bpfcount-run -k)
OURS='vnp_tp_btf|vnp_tp|vnp_raw_tp|vnp_fentry|vnp_kprobe|vnp_kcheck|vnp_totals|vnp_devs|count_bp\.rodata'
# bpf_ours: the programs and maps named as ours, one "prog_id:ID" or
# "map_id:ID" a line (a link holds its program, so a link left behind shows
# as a program)
bpf_ours() {
	local progs maps
	progs=$(bpftool prog list) && maps=$(bpftool map list) || { echo "bpftool failed"; return 1; }
	awk -v re="^($OURS)\$" -v k=prog_id: '$1 ~ /^[0-9]+:$/ && $3 == "name" && $4 ~ re { print k substr($1, 1, length($1) - 1) }' <<<"$progs"
	awk -v re="^($OURS)\$" -v k=map_id: '$1 ~ /^[0-9]+:$/ && $3 == "name" && $4 ~ re { print k substr($1, 1, length($1) - 1) }' <<<"$maps"
}
# held_by [PID]: the fdinfo of every file of PID, or of every process
held_by() { if [ $# -gt 0 ]; then cat /proc/"$1"/fdinfo/*; else cat /proc/[0-9]*/fdinfo/*; fi 2>/dev/null; }
# orphans: objects of ours that were not there before the test and that no
# living process holds: what a run left behind. (Objects that other programs
# of the host load meanwhile are held by their processes: they do not count.)
orphans() {
	local now
	now=$(bpf_ours) || { echo "bpftool failed"; return; }
	now=$(grep -vxFf <(printf '%s\n' "$before") <<<"$now")
	[ -n "$now" ] || return 0
	grep -vxFf <(held_by | awk '$1 == "prog_id:" || $1 == "map_id:" { print $1 $2 }') <<<"$now" | tr '\n' ' '
}
none_left() { [ -z "$(orphans)" ]; }
# the kernel frees programs and maps a little after their last fd closes
settled() { wait_for 5 none_left || { echo "# left behind: $(orphans)" >&2; return 1; }; }
before=$(bpf_ours)
tfs_before=$(tracefs_state)
check "bpftool lists programs and maps ($(grep -c . <<<"$before") of ours before the test)" [ "$before" != "bpftool failed" ]

netns_pair || { fail "could not build the namespace pair"; t_done; }
# a device of the same name in both namespaces: one end of a veth pair whose
# other end has no address, reached through a static neighbour (frames stop there)
for ns in "$NS_A" "$NS_B"; do
	ip -n "$ns" link add vnpdup0 type veth peer name vnpdup1 &&
		ip -n "$ns" link set vnpdup1 up && ip -n "$ns" link set vnpdup0 up ||
		fail "cannot add vnpdup0 in $ns"
done
ip -n "$NS_A" addr add 198.18.2.1/24 dev vnpdup0
ip -n "$NS_A" neigh replace 198.18.2.2 lladdr 02:00:00:00:00:02 dev vnpdup0 nud permanent
N=3000 # in B bursts, G ms apart: many bins (I ms) apart
B=3
G=250
I=20
M=1700
K=150
# every sender runs on one CPU: the highest online one
PIN=$(awk -F'[-,]' '{ print $NF }' /sys/devices/system/cpu/online)
# possible CPUs, from the kernel's list of ranges (e.g. 0-1 or 0-3,6)
NPOSS=$(awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-"); c += n == 2 ? r[2] - r[1] + 1 : 1 } } END { print c }' /sys/devices/system/cpu/possible)
sa() { stat_of "$NS_A" "$DEV_A" "$1"; }
sb() { stat_of "$NS_B" "$DEV_B" "$1"; }
txa0=$(sa tx_packets) txba0=$(sa tx_bytes) txb0=$(sb tx_packets) txbb0=$(sb tx_bytes) rxbb0=$(sb rx_bytes)
# the receivers stop when all arrived (at most 60 s)
ip netns exec "$NS_B" "$UDPSEND" -l 9000 60 "$N" > sinkb.out &
s1=$!
ip netns exec "$NS_A" "$UDPSEND" -l 9001 60 "$M" > sinka.out &
s2=$!
t_on_exit "kill $s1 $s2 2>/dev/null"
listening() { grep -q listening sinkb.out && grep -q listening sinka.out; } 2>/dev/null
wait_for 20 listening || fail "the receivers did not start"

fa="name == \"$DEV_A\""
fb="name == \"$DEV_B\""
send="taskset -c $PIN $UDPSEND"
run "$RUNNER" -t -i "$I" -d 60 \
	-b net:net_dev_xmit,dev,bytes -b net:netif_receive_skb,dev,bytes,backend=tp \
	-b net:net_dev_queue,dev,backend=raw_tp -b net:netif_rx,cpu -b net:net_dev_start_xmit,dev,cpu \
	-p "net:net_dev_xmit=$fa" -p "net:net_dev_xmit=$fb" -p "net:netif_receive_skb=$fb" \
	-p "net:netif_receive_skb=$fa" \
	-- bash -c "ip netns exec $NS_A $send -b $B -g $G $IP_B 9000 $N 200 > bursts.txt &&
		ip netns exec $NS_B $send $IP_A 9001 $M 300 > /dev/null &&
		ip netns exec $NS_A $send 198.18.2.2 9002 $K 100 > /dev/null"
check "bpfcount-run exits 0 (rc=$RC: $ERR)" [ "$RC" = 0 ]
printf '%s\n' "$OUT" > out.txt
wait $s1
rs1=$?
wait $s2
rs2=$?
check "the receivers end well ($rs1 $rs2)" [ "$rs1" = 0 -a "$rs2" = 0 ]
txa1=$(sa tx_packets) txba1=$(sa tx_bytes) txb1=$(sb tx_packets) txbb1=$(sb tx_bytes) rxbb1=$(sb rx_bytes)

# val KIND NAME: the sum (field 3) of the "series" or "perf" line whose name is NAME
val() { awk -v k="$1" -v n="$2" '$1 == k && substr($0, length(k) + 2, length(n)) == n && substr($0, length(k) + 2 + length(n), 1) == " " { print $(NF - (k == "series")) ; f = 1 } END { if (!f) print "missing" }' out.txt; }
hits() { val series "tracepoint_hits{event=\"$1\",dev=\"$2\"}"; }
bytes() { val series "tracepoint_bytes{event=\"$1\",dev=\"$2\"}"; }

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
# Which bins hold the N datagrams, by time. udpsend sent burst i inside
# [T_FIRST, T_LAST] (its clock before the first and after the last sendto);
# bpfcount-run's bin k holds what happened inside (LO, HI) (before its
# previous read began, after its own ended); both are CLOCK_MONOTONIC. So
# every bin with events must overlap a burst, and the bins that overlap burst
# i must hold exactly its datagrams. With the bursts 250 ms apart and bins of
# 20 ms, no bin overlaps two bursts, so the events lie in at least B bins.
read -r nburst gapmin < <(awk '$1 == "burst" { n++; if (n == 2 || (n > 2 && $4 - last < m)) m = $4 - last; last = $5 } END { printf "%d %.3f\n", n, m }' bursts.txt)
check "udpsend sent $B bursts at least $G ms apart ($nburst, shortest gap $gapmin s)" \
	awk -v n="$nburst" -v b="$B" -v m="$gapmin" -v g="$G" 'BEGIN { exit !(n == b && m >= g / 1000) }'
placed=$(awk -v N="$N" -v s="tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"$DEV_A\"}" '
	FNR == NR { if ($1 == "burst") { f[$2] = $4; l[$2] = $5; want[$2] = $3; nb++ } ; next }
	$1 == "bin" { lo[$2] = $3; hi[$2] = $4 }
	$1 == "value" && $4 == s { v[$2] = $3 }
	END {
		for (k in v) {
			n = 0
			for (i = 0; i < nb; i++)
				if (lo[k] < l[i] && hi[k] > f[i]) { n++; b = i }
			if (n != 1) { printf "bin %d (%.3f..%.3f) holds %d events and overlaps %d bursts; ", k, lo[k], hi[k], v[k], n; bad++; continue }
			got[b] += v[k]; bins[b]++; total += v[k]; nbins++
		}
		for (i = 0; i < nb; i++) {
			printf "burst %d: %d of %d in %d bins; ", i, got[i], want[i], bins[i]
			if (got[i] != want[i]) bad++
		}
		printf "%d events in %d bins\n", total, nbins
		exit bad || total != N || nbins < nb
	}' bursts.txt out.txt)
check "each bin holds exactly the datagrams sent inside its time, N in at least B bins: $placed" [ $? = 0 ]
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
# by CPU: one series per possible CPU (the kernel's list), and the events on
# the CPU the senders were pinned to. netif_rx (not by device) counts the
# whole host, so it holds at least the N + M + K frames ours received there;
# net_dev_start_xmit by device and CPU counts ours exactly.
ncpu=$(grep -c '^series tracepoint_hits{event="net:netif_rx",cpu=' out.txt)
check "by CPU: one series per possible CPU ($ncpu, $NPOSS possible)" [ "$ncpu" = "$NPOSS" ]
rx_pin=$(val series "tracepoint_hits{event=\"net:netif_rx\",cpu=\"$PIN\"}")
check "by CPU: netif_rx on the senders' CPU $PIN counted at least N + M + K ($rx_pin)" \
	awk -v v="$rx_pin" -v w=$((N + M + K)) 'BEGIN { exit !(v ~ /^[0-9]+$/ && v + 0 >= w) }'
percpu() { # DEV: "VALUE-ON-PIN SUM-ON-OTHER-CPUS SERIES" of net_dev_start_xmit on DEV
	awk -v p="tracepoint_hits{event=\"net:net_dev_start_xmit\",dev=\"$1\",cpu=\"" -v pin="$PIN" '
		$1 == "series" && index($2, p) == 1 { c = substr($2, length(p) + 1); sub(/".*/, "", c)
			n++; if (c == pin) on += $3; else off += $3 }
		END { print on + 0, off + 0, n + 0 }' out.txt
}
read -r on_a off_a n_a < <(percpu "$DEV_A")
read -r on_b off_b n_b < <(percpu "$DEV_B")
check "by device and CPU: $DEV_A sent N on CPU $PIN and none elsewhere ($on_a, $off_a; $n_a series)" \
	[ "$on_a" = "$N" -a "$off_a" = 0 -a "$n_a" = "$NPOSS" ]
check "by device and CPU: $DEV_B sent M on CPU $PIN and none elsewhere ($on_b, $off_b; $n_b series)" \
	[ "$on_b" = "$M" -a "$off_b" = 0 -a "$n_b" = "$NPOSS" ]
read -r _ nbins inc rec full < <(grep '^bins ' out.txt)
check "no bin incomplete, no recursion miss, map never full ($inc $rec $full over $nbins bins)" \
	[ "$inc" = 0 -a "$rec" = 0 -a "$full" = 0 ]
check "nothing of ours left in BPF after a run" settled

# The function backends. Which of them this kernel allows is asked the way
# `vnetprof probe` asks (bpfcount-run -k: a minimal program loaded and
# attached with plain bpf(2) and perf_event_open(2), not through the library
# under test). Where one works it must count exactly: it counts ifb_xmit,
# which only transmissions on an ifb device call, K2 datagrams sent out of
# an ifb device of ours (the kernel's own count: its rx_packets, which
# ifb_xmit increments, and the perf counter on its net_dev_xmit). Where one
# does not, it must fail with its one-line reason and leave nothing behind.
FN=udp_sendmsg
if ip -n "$NS_A" link add vnpifb0 type ifb 2>/dev/null && ip -n "$NS_A" link set vnpifb0 up &&
	ip -n "$NS_A" addr add 198.18.5.1/24 dev vnpifb0; then
	FN=ifb_xmit
fi
run "$RUNNER" -k "$FN"
kc=$OUT
check "the kernel check runs ($FN, rc=$RC: $(tr '\n' ';' <<<"$kc"))" [ "$RC" = 0 ]
check "  ... and leaves nothing" settled
state_of() { awk -v b="$1" '$1 == "kernel" && $2 == b { print $4; f = 1 } END { if (!f) print "missing" }' <<<"$kc"; }
fe=$(state_of fentry) kp=$(state_of kprobe)
# a kernel with kprobes configured has the kprobe PMU or kprobe_events
config=$(zcat /proc/config.gz 2>/dev/null)
if grep -qx 'CONFIG_KPROBES=y' <<<"$config"; then
	check "CONFIG_KPROBES=y: the kernel check finds kprobes ($kp)" [ "$kp" != absent ]
elif [ -e /proc/config.gz ]; then
	check "CONFIG_KPROBES off: the kernel check finds no kprobes ($kp)" [ "$kp" = absent ]
fi
[ -e /sys/kernel/btf/vmlinux ] || check "no /sys/kernel/btf/vmlinux: the kernel check finds no BTF ($fe)" [ "$fe" = nobtf ]
K2=400
works() { # BACKEND: it must count the K2 calls of $FN exactly
	local be=$1 rx0 rx1 c p
	if [ "$FN" != ifb_xmit ]; then
		skip "$be works here, but the kernel has no ifb device, so no function that only this test calls: no exact count"
		return
	fi
	rx0=$(stat_of "$NS_A" vnpifb0 rx_packets)
	run "$RUNNER" -i 50 -d 30 -b "func:$FN,backend=$be" -p 'net:net_dev_xmit=name == "vnpifb0"' \
		-- ip netns exec "$NS_A" taskset -c "$PIN" "$UDPSEND" 198.18.5.2 9003 "$K2" 100
	rx1=$(stat_of "$NS_A" vnpifb0 rx_packets)
	printf '%s\n' "$OUT" > "func-$be.txt"
	c=$(awk -v n="function_calls{function=\"$FN\"}" '$1 == "series" && $2 == n { print $3 }' "func-$be.txt")
	p=$(awk '$1 == "perf" { print $NF }' "func-$be.txt")
	check "$be works here (kernel check): it counts $FN exactly: $K2 datagrams = ifb rx_packets delta = perf = $be ($((rx1 - rx0)), ${p:-none}, ${c:-none}; rc=$RC: $ERR)" \
		[ "$RC" = 0 -a $((rx1 - rx0)) = "$K2" -a "$p" = "$K2" -a "$c" = "$K2" ]
	check "  ... on backend bpf:$be" grep -qx "backend func:$FN bpf:$be" "func-$be.txt"
	check "  ... and left nothing" settled
}
refused() { # BACKEND STATE PATTERN...: the backend must fail with its reason
	local be=$1 st=$2 pat=$3
	expect_fail 1 "^bpfcount-run: func:$FN: $be: .*($pat)" "$RUNNER" -d 0.2 -b "func:$FN,backend=$be"
	check "  $be refusal ($st) left nothing" settled
}
case $fe in
ok) works fentry ;;
nobtf) refused fentry "$fe" 'no kernel BTF' ;;
nofunc) refused fentry "$fe" 'no such function' ;;
refused) case $(awk '$2 == "fentry" { print $6 }' <<<"$kc") in
	1 | 13) refused fentry "$fe" 'EPERM|policy' ;;
	*) refused fentry "$fe" '.' ;;
	esac ;;
*) fail "the kernel check says nothing usable about fentry ($fe)" ;;
esac
case $kp in
ok) works kprobe ;;
absent) refused kprobe "$kp" 'CONFIG_KPROBES' ;;
legacy) skip "kprobe: no kprobe PMU, only kprobe_events, which the kernel check does not write (the top-level tracefs instance): whether kprobes may attach is unknown" ;;
refused) case $(awk '$2 == "kprobe" { print $6 }' <<<"$kc") in
	1 | 13) refused kprobe "$kp" 'EPERM|policy' ;;
	*) refused kprobe "$kp" '.' ;;
	esac ;;
*) fail "the kernel check says nothing usable about kprobe ($kp)" ;;
esac
# no backend named: the first that works, or both reasons
if [ "$fe" = ok ] || [ "$kp" = ok ]; then
	[ "$fe" = ok ] && want=fentry || want=kprobe
	run "$RUNNER" -d 0.2 -b "func:$FN"
	chose() { [ "$RC" = 0 ] && grep -qx "backend func:$FN bpf:$1" <<<"$OUT"; }
	check "no backend named: $want, the first that works here (rc=$RC: $ERR)" chose "$want"
	check "  ... and left nothing" settled
elif [ "$kp" != legacy ]; then
	expect_fail 1 "no BPF backend works here: fentry: .*; kprobe: .*" "$RUNNER" -d 0.2 -b "func:$FN"
	check "  both refusals left nothing" settled
fi
expect_fail 1 'no such function' "$RUNNER" -d 0.2 -b net:net_dev_xmit,dev -b func:vnp_no_such_function,backend=fentry
check "  a failing second spec unloads the first" settled
expect_fail 1 'has no tracepoint|no such tracepoint|unknown event' "$RUNNER" -d 0.2 -b net:vnp_no_such_event,backend=tp_btf
expect_fail 1 'given twice' "$RUNNER" -d 0.2 -b net:net_dev_xmit -b net:net_dev_xmit,bytes
expect_fail 1 'unknown BPF backend' "$RUNNER" -d 0.2 -b net:net_dev_xmit,backend=fentry
check "  failed opens left nothing" settled

# SIGTERM while counting: everything detached
"$RUNNER" -d 60 -b net:net_dev_xmit,dev -b sched:sched_switch,backend=raw_tp > sig.out 2> sig.err &
pid=$!
t_on_exit "kill $pid 2>/dev/null"
loaded() { [ "$(held_by "$pid" | awk '$1 == "prog_id:" && !s[$2]++' | wc -l)" = 2 ]; }
check "while counting, bpfcount-run holds its two programs" wait_for 30 loaded
kill -TERM "$pid"
wait "$pid"
rc=$?
check "SIGTERM: exit 130 ($rc)" [ "$rc" = 130 ]
check "SIGTERM: nothing of ours left in BPF" settled
check "tracefs as it was" [ "$(tracefs_state)" = "$tfs_before" ]
t_done
