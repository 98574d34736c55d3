#!/bin/bash
# A CPU goes offline and comes back mid-run: its counters are reopened (events
# on it after its return are counted) and the bins where it went and where it
# came back are flagged incomplete, no others.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
CPU=/sys/devices/system/cpu/cpu1/online
if [ ! -w "$CPU" ] || [ "$(cat "$CPU")" != 1 ]; then
	skip "cpu1 cannot be taken offline here"
	t_done
fi
t_on_exit "echo 1 > $CPU"
netns_pair || { fail "namespace pair"; t_done; }
ip netns exec "$NS_B" "$UDPSEND" -l 9000 60 > sink.out &
t_on_exit "kill $! 2>/dev/null"
# The recorder runs this as its COMMAND, started after its origin and ending
# the run when it exits (its status is record's). Each transition is
# bracketed by one datagram from cpu0 just before it and one once the
# recorder has acted on it (its perf fds on cpu1 closed, then reopened: the
# state it polls for, bounded). They are the only frames on DEV_A, so the bin
# where the tx packet count of DEV_A (a kernel counter every run reads)
# reaches 1, 2, 3, 4 is where the test stood, on the run's own bins. Then
# 1000 datagrams from the returned cpu1, once its counters are open again.
cat > hotplug.sh <<EOF
rec=\$PPID
perf_fds() { ls -l /proc/\$rec/fd | grep -c perf_event; }
# until perf_fds OP N, 30 s at most
until_fds() { for i in \$(seq 1500); do [ "\$(perf_fds)" "\$1" "\$2" ] && return 0; sleep 0.02; done; return 1; }
mark() { ip netns exec $NS_A taskset -c 0 $UDPSEND $IP_B 9000 1 > /dev/null || exit 10; }
all=\$(perf_fds)
mark
echo 0 > $CPU || exit 11
until_fds -lt "\$all" || exit 12
mark
sleep 0.3 # a few bins offline, which nothing flags (none of the checks depends on how many)
mark
echo 1 > $CPU || exit 13
until_fds -ge "\$all" || exit 14
mark
ip netns exec $NS_A taskset -c 1 $UDPSEND $IP_B 9000 1000 100 > /dev/null || exit 15
EOF
run "$VNETPROF" record -q -o r.db --run hotplug -i 100ms \
	-e net:net_dev_xmit --filter "name == \"$DEV_A\"" -e sched:sched_switch -- bash hotplug.sh
check "record exits 0, as its command did ($RC: $ERR)" [ "$RC" = 0 ]
check "cpu1 is back online" [ "$(cat $CPU)" = 1 ]
# a veth counts what its peer took as tx_packets, what it could not as tx_dropped
tx=$(($(stat_of "$NS_A" "$DEV_A" tx_packets) + $(stat_of "$NS_A" "$DEV_A" tx_dropped)))
check "the kernel counted the 4 + 1000 datagrams on $DEV_A ($tx)" [ "$tx" = 1004 ]
run "$VNETPROF" export r.db --run hotplug --format csv
check "export exits 0 ($ERR)" [ "$RC" = 0 ]
hits=$(awk -F, 'NR > 1 && index($0, "net_dev_xmit") { t += $NF } END { print t + 0 }' <<<"$OUT")
check "datagrams sent on the returned CPU are all counted ($hits of $tx)" [ "$hits" = "$tx" ]
# the bins the test stood in: first bin whose cumulative tx count of DEV_A reaches 1..4
read -r off_a off_b on_a on_b < <(sqlite3 r.db "select m.k, m.value from samples m join series s on s.id = m.series_id
	join runs r on r.id = s.run_id where r.name = 'hotplug' and s.name = 'netdev_packets{dev=\"$DEV_A\",dir=\"tx\"}' order by m.k" |
	awk -F'|' '{ c += $2; for (i = 1; i <= 4; i++) if (!(i in at) && c >= i) at[i] = $1 }
		END { printf "%s %s %s %s\n", at[1], at[2], at[3], at[4] }')
flagged=$(sqlite3 r.db "select group_concat(b.k, ' ') from bins b join runs r on r.id = b.run_id where r.name = 'hotplug' and b.flags & 1")
echo "# cpu1 went offline within bins $off_a..$off_b, came back within $on_a..$on_b; flagged incomplete: ${flagged:-none}"
# each transition flags the bin whose read first finds it (closed when gone,
# reopened when back): inside its bracket, and nowhere else
in_bracket() { # FLAGS A B: some flagged bin in [A, B]
	awk -v f="$1" -v a="$2" -v b="$3" 'BEGIN { n = split(f, k, " "); for (i = 1; i <= n; i++) if (k[i] >= a && k[i] <= b) exit 0; exit 1 }'
}
outside() { # FLAGS A B C D: no flagged bin outside [A, B] and [C, D]
	awk -v f="$1" -v a="$2" -v b="$3" -v c="$4" -v d="$5" 'BEGIN { n = split(f, k, " "); if (a == "" || c == "") exit 1
		for (i = 1; i <= n; i++) if (!((k[i] >= a && k[i] <= b) || (k[i] >= c && k[i] <= d))) exit 1 }'
}
check "a bin where cpu1 went offline ($off_a..$off_b) is flagged incomplete (${flagged:-none})" in_bracket "$flagged" "$off_a" "$off_b"
check "a bin where cpu1 came back ($on_a..$on_b) is flagged incomplete (${flagged:-none})" in_bracket "$flagged" "$on_a" "$on_b"
check "no other bin is flagged incomplete (${flagged:-none})" outside "$flagged" "$off_a" "$off_b" "$on_a" "$on_b"
t_done
