#!/bin/bash
# Exact counts: N datagrams across a veth in namespaces this test creates,
# counted by the in-kernel filtered counter, by --by dev, and by -T, against
# the kernel's own interface statistics and the receiver's count; and where
# in time they are: paced bursts land in the bins of their time, and the
# kernel counters hold the same datagrams in the same bins.
. "$(dirname "$0")/../lib.sh"
need_root
need_tool sqlite3 sqlite3 || t_done
need_tool bpftool bpftool || t_done
need_tool jq jq || t_done
cd "$T_TMP"
before=$(tracefs_state)
netns_pair || { fail "could not build the namespace pair"; t_done; }

# the store, read while a recorder writes it (WAL) or after
sql() { sqlite3 -bail -cmd '.timeout 5000' -separator ' ' r.db "$1"; }
# per_bin RUN SERIES: one line per bin of RUN, in order: "K T_START T_END VALUE"
# (VALUE "-" where SERIES has none). T_END is the bin's actual read time, T_START
# the previous bin's (0, the origin, for the first): a late bin spans the
# bins it absorbed.
per_bin() {
	sql "SELECT b.k, b.t_end, COALESCE((SELECT s.value FROM samples s JOIN series x ON x.id = s.series_id
		WHERE x.run_id = r.id AND x.name = '$2' AND s.k = b.k), '-')
		FROM runs r JOIN bins b ON b.run_id = r.id WHERE r.name = '$1' ORDER BY b.k" |
		awk '{ print $1, p + 0, $2, $3; p = $2 }'
}
has_series() { [ "$(sql "SELECT count(*) FROM series x JOIN runs r ON r.id = x.run_id WHERE r.name = '$1' AND x.name = '$2'")" = 1 ]; }
# export_to FILE RUN ARGS...: vnetprof export, its exit status checked
export_to() {
	local f=$1 r=$2
	shift 2
	"$VNETPROF" export r.db --run "$r" "$@" > "$f" 2> "$f.err" || fail "export --run $r $* failed: $(cat "$f.err")"
}
# sink NAME PORT COUNT: a receiver in $NS_B that stops when COUNT arrived (at most 60 s)
sink() {
	ip netns exec "$NS_B" "$UDPSEND" -l "$2" 60 "$3" > "$1.out" &
	SINK=$!
	t_on_exit "kill $SINK 2>/dev/null"
	wait_for 20 listening "$1.out" || fail "the receiver $1 did not start"
}
listening() { grep -q listening "$1" 2>/dev/null; }
# reap PID: its exit status, checked
reap() { wait "$1" || fail "a receiver ended with $?"; }

# N datagrams in B bursts G ms apart: G is 4 bins of 100 ms
N=5000
B=4
G=400
tx0=$(stat_of "$NS_A" "$DEV_A" tx_packets)
txb0=$(stat_of "$NS_A" "$DEV_A" tx_bytes)
sink sink 9000 "$N"
sink_pid=$SINK
run "$VNETPROF" record -q -i 100ms -o r.db --run counts \
	-e net:net_dev_xmit --filter "name == \"$DEV_A\"" -T "$DEV_A@$NS_A" \
	-- sh -c "exec ip netns exec $NS_A $UDPSEND -b $B -g $G $IP_B 9000 $N 200 > bursts.txt"
check "record exits with the command's status 0 (rc=$RC: $ERR)" [ "$RC" = 0 ]
reap $sink_pid
got=$(tail -n 1 sink.out)
tx1=$(stat_of "$NS_A" "$DEV_A" tx_packets)
txb1=$(stat_of "$NS_A" "$DEV_A" tx_bytes)

export_to counts.csv counts --format csv
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

# Where the datagrams are in time. udpsend sent B bursts of N/B, each at
# least G ms after the previous one ended. Walking the bins in order, the
# running sum of the hits says which bins hold which burst: no bin may hold
# datagrams of two bursts (the bursts are 4 bins apart), so they lie in at
# least B bins; and from the start of the bin holding the last datagram of
# one burst to the end of the bin holding the first of the next, at least
# G ms minus one bin pass. (A bin's t_end is read just before its counters
# are: a datagram sent in between counts in that bin although it is later
# than t_end; the one bin allows for that read, which is never 100 ms.)
hseries=$(sql "SELECT x.name FROM series x JOIN runs r ON r.id = x.run_id WHERE r.name = 'counts' AND x.name LIKE 'tracepoint_hits%'")
per_bin counts "$hseries" > hits.bins
read -r nburst gapmin < <(awk '$1 == "burst" { n++; if (n == 2 || (n > 2 && $4 - last < m)) m = $4 - last; last = $5 } END { printf "%d %.3f\n", n, m }' bursts.txt)
check "udpsend sent $B bursts at least $G ms apart ($nburst, shortest gap $gapmin s)" \
	awk -v n="$nburst" -v b="$B" -v m="$gapmin" -v g="$G" 'BEGIN { exit !(n == b && m >= g / 1000) }'
bursts=$(awk -v N="$N" -v B="$B" -v G="$G" -v I=0.1 '
	{ n++; ts[n] = $2; te[n] = $3; c += $4 == "-" ? 0 : $4; C[n] = c; k[n] = $1 }
	END {
		S = N / B
		for (i = 0; i < B; i++) {
			for (r = 1; r <= n && C[r] <= i * S; r++) ;
			a[i] = r
			for (r = 1; r <= n && C[r] < (i + 1) * S; r++) ;
			z[i] = r
			printf "burst %d in bins %d..%d (%.2f..%.2f s); ", i, k[a[i]], k[z[i]], ts[a[i]], te[z[i]]
		}
		for (i = 0; i + 1 < B; i++) {
			if (z[i] >= a[i + 1]) { printf "bin %d holds bursts %d and %d; ", k[z[i]], i, i + 1; bad++ }
			else if (te[a[i + 1]] - ts[z[i]] < G / 1000 - I) { printf "bursts %d and %d only %.3f s apart; ", i, i + 1, te[a[i + 1]] - ts[z[i]]; bad++ }
		}
		printf "%d in %d bins with hits\n", c, nz
		exit bad || c != N || n == 0
	}
	$4 != "-" && $4 > 0 { nz++ }' hits.bins)
check "the counts are in the bins of their time: $bursts" [ $? = 0 ]
# The kernel counters hold the same datagrams in the same bins. Both are read
# at each bin's end, one after the other (perf counters, then the /proc/net/dev
# of each namespace), so a datagram sent between the two reads falls in bin k
# for one and k+1 for the other: a real effect of reading at nearly the same
# time. So per bin: what one counted by the end of bin k-1 the other counted
# by the end of bin k, both ways (the running sums never differ by more than
# the datagrams of one bin boundary), and the totals are equal.
per_bin counts "netdev_packets{dev=\"$DEV_B\",dir=\"rx\"}" > pkts.bins
same=$(paste -d ' ' hits.bins pkts.bins | awk '
	{ h = $4 == "-" ? 0 : $4; p = $8 == "-" ? 0 : $8; n++; if (h != p) d++
	  nh = ch + h; np = cp + p
	  if ($1 != $5 || nh < cp || np < ch) { printf "bin %d: %d hits, %d packets by its end, %d and %d before; ", $1, nh, np, ch, cp; bad++ }
	  ch = nh; cp = np }
	END { printf "%d bins, %d differ, totals %d and %d\n", n, d, ch, cp; exit bad || ch != cp || !n }')
check "kernel counters: the packets fall in the bins the hits do: $same" [ $? = 0 ]
check "kernel counters: no loopback" [ "$(grep -c 'dev=""lo' counts.csv)" = 0 ]
for m in 'softirqs{vec=""NET_RX""}' context_switches interrupts softnet_processed; do
	check "kernel counters: $m counted" [ "$(sum "$m")" -gt 0 ]
done

# A namespace deleted during a run goes away at once (the recorder holds no
# file of it open between bins, for the kernel counters nor for -T), and its
# devices' series stop there. The recorder runs until we stop it; once the
# store shows bins with values for the device, M1 datagrams on $DEV_A (in a
# namespace that stays) mark the time just before the deletion, M2 more the
# time after it. Bin k1 holds the first of the M1 and bin k2 the first of the
# M2, so every bin up to k1 - 2 was read before the deletion began and every
# bin from k2 + 1 after it ended. (Bins k1 - 1 and k2 are left out: one bin
# end reads $DEV_A's and the deleted namespace's counters one after the other,
# and the deletion may fall between the two reads.)
ip netns add "$NS_A-x" && t_on_exit "ip netns del $NS_A-x 2>/dev/null"
ip link add "${DEV_A}x" netns "$NS_A-x" type veth peer name "${DEV_B}x" netns "$NS_B"
ip link add "${DEV_A}y" netns "$NS_A-x" type veth peer name "${DEV_B}y" netns "$NS_B"
M1=50
M2=70
sink sinkg 9000 $((M1 + M2))
sinkg=$SINK
rm -f gone.stop
"$VNETPROF" record -q -i 100ms -o r.db --run gone -T "${DEV_A}y@$NS_A-x" \
	-- timeout 60 sh -c 'while [ ! -e gone.stop ]; do sleep 0.02; done' 2> gone.err &
rec=$!
t_on_exit "touch $T_TMP/gone.stop; kill $rec 2>/dev/null"
xs="netdev_packets{dev=\"${DEV_A}x\",dir=\"rx\"}"
ys="netdev_bytes{dev=\"${DEV_A}y@$NS_A-x\",dir=\"rx\"}"
ms="netdev_packets{dev=\"$DEV_A\",dir=\"tx\"}"
valued() { [ "$(per_bin gone "$xs" 2>/dev/null | awk '$4 != "-"' | wc -l)" -ge 2 ]; }
check "kernel counters: the recorder stored bins with values for ${DEV_A}x" wait_for 30 valued
ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 "$M1" > /dev/null || fail "sending the first marker failed"
ip netns del "$NS_A-x"
gone() { ! ip -n "$NS_B" link show "${DEV_B}x" > /dev/null 2>&1; }
wait_for 10 gone
left=$?
running() { [ "$left" = 0 ] && kill -0 $rec; }
check "kernel counters: a namespace deleted mid-run is gone with its devices (within 10 s, while the recorder runs)" running
ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 "$M2" > /dev/null || fail "sending the second marker failed"
# k1 and k2 from the markers' running sum; "k1 k2 LAST-BIN" once both are stored
marks() { per_bin gone "$ms" | awk -v m1="$M1" '{ c += $4 == "-" ? 0 : $4; last = $1 } !k1 && c > 0 { k1 = $1 + 1 } !k2 && c > m1 { k2 = $1 + 1 } END { print k1 - 1, k2 - 1, last + 0 }'; }
after() { read -r k1 k2 last < <(marks) && [ "$k2" -ge 0 ] && [ "$last" -ge $((k2 + 2)) ]; }
check "the recorder stored two bins after the second marker" wait_for 30 after
touch gone.stop
wait $rec
check "kernel counters: that run ends well" [ $? = 0 ]
reap $sinkg
read -r k1 k2 last < <(marks)
mt=$(per_bin gone "$ms" | awk '{ c += $4 == "-" ? 0 : $4 } END { print c + 0 }')
check "the markers: $((M1 + M2)) datagrams on $DEV_A ($mt), the first in bin $k1, the second lot from bin $k2 (of $last)" \
	[ "$mt" = $((M1 + M2)) -a "$k1" -ge 2 -a "$k2" -ge "$k1" ]
# before_after SERIES: "HAVE OF NONE OF" over bins k <= k1 - 2 and k >= k2 + 1
before_after() {
	per_bin gone "$1" | awk -v a=$((k1 - 2)) -v b=$((k2 + 1)) '
		$1 <= a { n1++; h += $4 != "-" } $1 >= b { n2++; z += $4 == "-" }
		END { print h + 0, n1 + 0, z + 0, n2 + 0 }'
}
stops() { has_series gone "$1" && [ "$have" = "$n1" -a "$n1" -ge 1 -a "$none" = "$n2" -a "$n2" -ge 1 ]; }
for s in "$xs" "$ys"; do
	read -r have n1 none n2 < <(before_after "$s")
	check "its device's $s: values in all $n1 bins read before the deletion ($have), none in the $n2 after ($none)" \
		stops "$s"
done
check "-T: and a warning says it went away" grep -q "${DEV_A}y@$NS_A-x went away" gone.err

# The default recording attaches nothing to the kernel: no perf event, no BPF
# program or link among its files (and a recording with -e has them). Its
# files are counted once it is recording (its run is in the store, which it
# writes only after every collector opened), while it is alive and still
# recording; then it is stopped and must end well.
HOOKS='anon_inode:(\[perf_event\]|bpf)'
hooks_of() { # RUN ARGS...: "FDS ALIVE STATUS" of a recorder started with ARGS
	local r=$1 pid fds alive=dead rc
	shift
	rm -f hooks.stop
	"$VNETPROF" record -q -i 100ms -o r.db --run "$r" "$@" \
		-- timeout 60 sh -c 'while [ ! -e hooks.stop ]; do sleep 0.02; done' > /dev/null 2> "$r.err" &
	pid=$!
	recording() { [ "$(sql "SELECT status FROM runs WHERE name = '$1'" 2>/dev/null)" = recording ]; }
	recording_or_dead() { recording "$1" || ! kill -0 "$2" 2>/dev/null; }
	wait_for 30 recording_or_dead "$r" "$pid" || echo "# $r: not recording after 30 s" >&2
	fds=$(ls -l "/proc/$pid/fd" 2>/dev/null)
	kill -0 "$pid" 2>/dev/null && recording "$r" && alive=alive
	touch hooks.stop
	wait "$pid"
	rc=$?
	echo "$(grep -cE "$HOOKS" <<<"$fds") $alive $rc"
}
read -r h0 a0 rc0 < <(hooks_of hooks0 -T "$DEV_A@$NS_A")
read -r h1 a1 rc1 < <(hooks_of hooks1 -T "$DEV_A@$NS_A" -e net:net_dev_xmit)
check "the default recording holds no perf or BPF fd ($h0, $a0, exit $rc0; with -e: $h1, $a1, exit $rc1)" \
	[ "$h0" = 0 -a "$a0" = alive -a "$rc0" = 0 -a "$h1" -gt 0 -a "$a1" = alive -a "$rc1" = 0 ]
run "$VNETPROF" record -q -i 100ms -o r.db --run nokc --no-kernel-counters -d 300ms
check "--no-kernel-counters: record exits 0 ($RC: $ERR)" [ "$RC" = 0 ]
export_to nokc.csv nokc --format csv
check "--no-kernel-counters records none of them" [ "$(grep -c 'netdev_\|softirqs\|context_sw' nokc.csv)" = 0 -a -s nokc.csv ]

# --by dev with perf counters (one filtered counter per device): two flows in
# opposite directions, one series per device
sink sinkb 9000 1200
s1=$SINK
ip netns exec "$NS_A" "$UDPSEND" -l 9001 60 700 > sinka.out &
s2=$!
t_on_exit "kill $s2 2>/dev/null"
wait_for 20 listening sinka.out || fail "the receiver sinka did not start"
run "$VNETPROF" record -q -i 50ms -o r.db --run bydev -B perf -e net:net_dev_xmit --by dev -e net:netif_receive_skb --by dev \
	-- bash -c "ip netns exec $NS_A $UDPSEND $IP_B 9000 1200 100 && ip netns exec $NS_B $UDPSEND $IP_A 9001 700 100"
check "--by dev record exits 0 ($ERR)" [ "$RC" = 0 ]
reap $s1
reap $s2
export_to bydev.csv bydev --format csv
x_a=$(awk -F, -v d="$DEV_A" 'NR > 1 && index($0, "net_dev_xmit") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bydev.csv)
x_b=$(awk -F, -v d="$DEV_B" 'NR > 1 && index($0, "net_dev_xmit") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bydev.csv)
r_b=$(awk -F, -v d="$DEV_B" 'NR > 1 && index($0, "netif_receive_skb") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bydev.csv)
check "--by dev: $DEV_A transmitted 1200 ($x_a)" [ "$x_a" = 1200 ]
check "--by dev: $DEV_B transmitted 700 ($x_b)" [ "$x_b" = 700 ]
check "--by dev: $DEV_B received 1200 ($r_b)" [ "$r_b" = 1200 ]
check "--by dev: an 'other' series for the devices not listed" grep -q 'dev=""other""' bydev.csv
# the BPF backend through record: per-device keys and byte sums, same traffic
# our BPF programs, "prog_id:ID" a line
bpf_ours() { local p; p=$(bpftool prog list) && awk '$1 ~ /^[0-9]+:$/ && $3 == "name" && $4 ~ /^vnp_/ { print "prog_id:" substr($1, 1, length($1) - 1) }' <<<"$p"; }
bpf_before=$(bpf_ours) || fail "bpftool prog list failed"
# ours left behind: not there before, and held by no living process (other
# programs of the host that load ours meanwhile hold theirs)
bpf_left() {
	local now
	now=$(bpf_ours) || { echo "bpftool failed"; return; }
	now=$(grep -vxFf <(printf '%s\n' "$bpf_before") <<<"$now")
	[ -z "$now" ] || grep -vxFf <(cat /proc/[0-9]*/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $1 $2 }') <<<"$now" | tr '\n' ' '
}
sink sinkc 9000 900
s3=$SINK
txb0=$(stat_of "$NS_A" "$DEV_A" tx_bytes)
run "$VNETPROF" record -q -i 50ms -o r.db --run bpf -B bpf -e net:net_dev_xmit --by dev \
	-- ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 900 300
check "record -B bpf exits 0 ($ERR)" [ "$RC" = 0 ]
reap $s3
txb1=$(stat_of "$NS_A" "$DEV_A" tx_bytes)
export_to bpf.csv bpf --format csv
bh=$(awk -F, -v d="$DEV_A" 'NR > 1 && index($0, "tracepoint_hits") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bpf.csv)
bb=$(awk -F, -v d="$DEV_A" 'NR > 1 && index($0, "tracepoint_bytes") && index($0, "dev=\"\"" d "\"\"") { t += $NF } END { print t + 0 }' bpf.csv)
check "-B bpf: $DEV_A transmitted 900 ($bh)" [ "$bh" = 900 ]
check "-B bpf: its bytes equal the kernel's tx_bytes delta ($bb vs $((txb1 - txb0)))" [ "$bb" = $((txb1 - txb0)) ]
export_to bpf.json bpf --format json
check "-B bpf: the series name their backend" grep -q '"bpf:' bpf.json
# (the kernel frees a program a little after its last fd closes)
bpf_settled() { [ -z "$(bpf_left)" ]; }
check "no BPF program of ours is left" wait_for 5 bpf_settled
# no backend named: BPF counts what it can (here tp_btf), perf what has a
# --filter; both count the same datagrams exactly
sink sinke 9000 500
s5=$SINK
run "$VNETPROF" record -q -i 50ms -o r.db --run auto -e net:net_dev_xmit --by dev \
	-e irq:softirq_entry --filter "vec == 3" \
	-- ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 500 300
check "record, no backend named, exits 0 ($ERR)" [ "$RC" = 0 ]
reap $s5
export_to auto.json auto --format json
be_sum() { jq -r --arg d "$2" '[.runs[0].series[] | select(.name == $d)][0] | "\(.backend) \([.values[] | select(. != null)] | add)"' "$1"; }
ah=$(be_sum auto.json "tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"$DEV_A\"}")
af=$(be_sum auto.json 'tracepoint_hits{event="irq:softirq_entry",filter="vec == 3"}')
check "default: --by dev is counted by BPF, 500 on $DEV_A ($ah)" [ "$ah" = "bpf:tp_btf 500" ]
check "default: the --filter event by perf ($af)" grep -Eq '^perf [1-9][0-9]*$' <<<"$af"
# BPF refused (a seccomp filter answers bpf(2) with EPERM, as a host's policy
# may): one warning, and perf counters count the same datagrams exactly
NOBPF=${NOBPF:-$(dirname "$UDPSEND")/nobpf}
sink sinkf 9000 400
s6=$SINK
run "$NOBPF" "$VNETPROF" record -i 50ms -o r.db --run nobpf -e net:net_dev_xmit --by dev \
	-- ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 400 300
check "BPF refused: record exits 0 ($ERR)" [ "$RC" = 0 ]
reap $s6
check "BPF refused: one line says so, and that perf counts instead" \
	[ "$(grep -c 'BPF counting is not available (.*EPERM.*); counting with perf' "$T_TMP/stderr")" = 1 ]
export_to nobpf.json nobpf --format json
nb=$(be_sum nobpf.json "tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"$DEV_A\"}")
check "BPF refused: perf counted 400 on $DEV_A ($nb)" [ "$nb" = "perf 400" ]
run "$NOBPF" "$VNETPROF" record -q -o r.db --run nobpf2 -B bpf -e net:net_dev_xmit -d 300ms
why=$(grep -c 'security policy' "$T_TMP/stderr")
check "BPF refused, -B bpf asked for: exit 1 and one line why ($ERR)" \
	[ "$RC" = 1 -a "$(wc -l < "$T_TMP/stderr")" = 1 -a "$why" = 1 ]
run "$VNETPROF" runs r.db
check "BPF refused, -B bpf: no run was left half-made (runs: exit $RC)" \
	[ "$RC" = 0 -a "$(grep -c nobpf2 <<<"$OUT")" = 0 -a "$(grep -c nobpf <<<"$OUT")" -ge 1 ]
# --by vm: a process that looks like QEMU (its command line names the VM and
# its tap) owns $DEV_A; the VM's series counts exactly what $DEV_A sent, and
# its CPU time is the process's (it spins, at most 60 s)
(exec -a qemu-system-x86_64 /usr/bin/python3 -c 'import time
t = time.time()
while time.time() - t < 60: pass' \
	-name guest=web1,debug-threads=on -netdev "tap,id=hostnet0,ifname=$DEV_A,vhost=on") &
fakeqemu=$!
t_on_exit "kill $fakeqemu 2>/dev/null"
sink sinkd 9000 777
s4=$SINK
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f\n", (f[12] + f[13]) / hz }' "/proc/$1/stat"; }
# The recording window contains the command's: the recorder reads its
# baseline before it starts COMMAND and its last bin after COMMAND exited.
# So the VM's CPU time over the run (utime + stime, which never decrease) is
# at least what the process gained between the command's first and last reads
# (c0, c1) and at most what it gained between reads before and after the
# whole record (q0, q1): exact bounds in the same clock ticks, whatever the
# start-up takes. The command waits (bounded) until the process gained 0.3 s
# of CPU, so that the lower bound means something.
cat > byvm.sh <<'EOF'
# byvm.sh PID NS UDPSEND ADDR: the COMMAND of the --by vm run
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f\n", (f[12] + f[13]) / hz }' "/proc/$1/stat"; }
c0=$(cpu_of "$1") || exit 1
echo "$c0" > c0
ip netns exec "$2" "$3" "$4" 9000 777 100 > /dev/null || exit 1
for _ in $(seq 1500); do
	awk -v a="$c0" -v b="$(cpu_of "$1")" 'BEGIN { exit !(b - a >= 0.3) }' && break
	sleep 0.02
done
cpu_of "$1" > c1
EOF
q0=$(cpu_of $fakeqemu)
run "$VNETPROF" record -q -i 50ms -o r.db --run byvm -e net:net_dev_xmit --by vm \
	-- bash byvm.sh "$fakeqemu" "$NS_A" "$UDPSEND" "$IP_B"
q1=$(cpu_of $fakeqemu)
check "--by vm exits 0 ($ERR)" [ "$RC" = 0 ]
reap $s4
kill $fakeqemu
export_to byvm.csv byvm --format csv
vmh=$(awk -F, 'NR > 1 && index($0, "tracepoint_hits") && index($0, "vm=\"\"web1\"\"") { t += $NF } END { print t + 0 }' byvm.csv)
check "--by vm: VM web1 (QEMU's -name, its tap $DEV_A) sent 777 ($vmh)" [ "$vmh" = 777 ]
vmc=$(awk -F, -v s='vm_cpu_seconds{vm=""web1""}' 'index($0, s) { t += $NF } END { printf "%.2f", t }' byvm.csv)
c0=$(cat c0 2>/dev/null) c1=$(cat c1 2>/dev/null)
check "--by vm: web1's CPU time is its process's over the run: $vmc s, within [$c1 - $c0, $q1 - $q0]" \
	awk -v g="$vmc" -v a="${c0:-x}" -v b="${c1:-x}" -v p="$q0" -v q="$q1" \
	'BEGIN { e = 0.001; exit !(a b ~ /^[0-9.]+$/ && b - a >= 0.3 - e && g >= b - a - e && g <= q - p + e) }'
check "--by vm: the rest is vm=\"host\"" grep -q 'vm=""host""' byvm.csv
check "tracefs as it was" [ "$(tracefs_state)" = "$before" ]
t_done
