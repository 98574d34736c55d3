#!/bin/bash
# A CPU goes offline and comes back mid-run: its counters are reopened (events
# on it after its return are counted) and the bins in between are flagged.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
CPU=/sys/devices/system/cpu/cpu1/online
if [ ! -w "$CPU" ] || [ "$(cat "$CPU")" != 1 ]; then
	echo "# SKIP: cpu1 cannot be taken offline here"
	exit 77
fi
t_on_exit "echo 1 > $CPU"
netns_pair || { fail "namespace pair"; t_done; exit 1; }
ip netns exec "$NS_B" "$UDPSEND" -l 9000 8 > sink.out &
t_on_exit "kill $! 2>/dev/null"
"$VNETPROF" record -q -o r.db --run hotplug -i 100ms -d 4s \
	-e net:net_dev_xmit --filter "name == \"$DEV_A\"" -e sched:sched_switch > rec.out 2>&1 &
rec=$!
sleep 1
echo 0 > "$CPU" || { fail "offline cpu1"; }
sleep 1
echo 1 > "$CPU"
sleep 0.5
# after its return: datagrams sent from cpu1 only
ip netns exec "$NS_A" taskset -c 1 "$UDPSEND" "$IP_B" 9000 1000 100 > /dev/null
wait $rec
check "record exits 0 ($(cat rec.out))" [ $? = 0 ]
hits=$("$VNETPROF" export r.db --run hotplug --format csv | awk -F, 'NR > 1 && index($0, "net_dev_xmit") { t += $NF } END { print t + 0 }')
flagged=$(sqlite3 r.db "select count(*) from bins where flags & 1")
check "datagrams sent on the returned CPU are all counted ($hits of 1000)" [ "$hits" = 1000 ]
check "bins where the CPU went and came are flagged incomplete ($flagged)" [ "$flagged" -ge 2 ]
t_done
