#!/bin/bash
# testbed up/down/status with both switches; idempotent up; a kill -9 in the
# middle of 'up' followed by 'down' leaves nothing.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
V=$VNETPROF
t_on_exit "$V testbed down >/dev/null 2>&1"
"$V" testbed down > /dev/null
leftovers() {
	{ ip netns list | grep -c '^vnptb' ; ip -o link show | grep -cE ': (vnptb|ovs-netdev)' ;
	  ls -d /sys/fs/cgroup/*/vnetprof* /sys/fs/cgroup/unified/vnetprof* 2>/dev/null | wc -l ;
	  pgrep -f 'vnetprof-testbed/ovs' | wc -l ; } | awk '{ t += $1 } END { print t }'
}
check "nothing of the testbed before the test" [ "$(leftovers)" = 0 ]

for sw in bridge ovs; do
	if [ $sw = ovs ] && ! command -v ovs-vswitchd > /dev/null; then
		echo "# SKIP ovs: Open vSwitch is not installed (apt-get install openvswitch-switch)"
		continue
	fi
	run "$V" testbed up --vms 3 --switch $sw --link-rate 1gbit
	check "$sw: up exits 0 ($ERR)" [ "$RC" = 0 ]
	run "$V" testbed up --vms 3 --switch $sw --link-rate 1gbit
	check "$sw: a second up is a no-op" grep -q "was already up" <<<"$OUT"
	expect_fail 1 "other settings is up" "$V" testbed up --vms 4 --switch $sw
	run "$V" testbed status --json
	check "$sw: status lists 4 namespaces" [ "$(grep -o '"kind":"netns"' <<<"$OUT" | wc -l)" = 4 ]
	check "$sw: every VM has a cgroup limited to 2 CPUs" [ "$(cat /sys/fs/cgroup/cpu/vnetprof-tb/vm2/cpu.cfs_quota_us 2>/dev/null || cut -d' ' -f1 /sys/fs/cgroup/vnetprof-tb/vm2/cpu.max)" = 200000 ]
	check "$sw: the NIC is shaped by tbf" grep -q "tbf" <<<"$(tc qdisc show dev vnptb-nic0)"
	ip netns exec vnptb-remote iperf3 -s -1 -p 5299 > /dev/null 2>&1 &
	srv=$!
	sleep 0.3
	bps=$(ip netns exec vnptb-vm2 timeout 15 iperf3 -c 198.18.0.2 -p 5299 -t 2 -J | /usr/bin/python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))')
	wait $srv
	check "$sw: VM2 reaches the remote host, under the 1 Gbit/s shaping ($bps bit/s)" [ "$bps" -gt 100000000 -a "$bps" -lt 1050000000 ]
	run "$V" testbed down
	check "$sw: down exits 0" [ "$RC" = 0 ]
	check "$sw: nothing left after down" [ "$(leftovers)" = 0 ]
done

# kill -9 during up, then down
"$V" testbed up --vms 8 > /dev/null 2>&1 &
pid=$!
sleep 0.3
kill -9 $pid
wait $pid 2>/dev/null
check "something was half-built when up was killed" [ "$(leftovers)" -gt 0 ]
run "$V" testbed down
check "down after kill -9 exits 0" [ "$RC" = 0 ]
check "down after kill -9 leaves nothing" [ "$(leftovers)" = 0 ]
check "status says down" grep -q '"up":false,"objects":\[\]' <<<"$("$V" testbed status --json)"
t_done
