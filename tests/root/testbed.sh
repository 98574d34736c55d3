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
	if [ $sw = bridge ]; then
		# CPU time per VM: a busy loop put into VM3's cgroup for 1.5 s, against
		# the loop's own utime + stime (it is followed from the first bin it is
		# seen in, so up to one bin of it may be missing)
		cg=/sys/fs/cgroup/cpu/vnetprof-tb/vm3
		[ -d $cg ] || cg=/sys/fs/cgroup/vnetprof-tb/vm3
		"$V" record -q -o vc.db --run vc -i 100ms -d 2.5s -T vnptb-nic0 --by vm &
		rec=$!
		sleep 0.5
		bash -c 'echo $$ > '"$cg"'/cgroup.procs; end=$((SECONDS + 5)); while [ $SECONDS -lt $end ]; do :; done' &
		burn=$!
		sleep 1.5
		kill -STOP $burn
		burnt=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); print (f[12] + f[13]) / hz }' /proc/$burn/stat)
		kill -KILL $burn
		wait $rec
		got=$("$VNETPROF" export vc.db --run vc --format csv |
			awk -F, -v s='vm_cpu_seconds{vm=""vm3""}' 'index($0, s) { t += $NF } END { printf "%.3f", t }')
		check "$sw: VM3's CPU time is the loop's ($got s recorded, $burnt s used)" \
			awk -v g="$got" -v b="$burnt" 'BEGIN { exit !(b > 0.5 && g <= b + 0.03 && g >= b - 0.12) }'
		check "$sw: one CPU series per VM and the remote host" \
			[ "$("$VNETPROF" export vc.db --run vc --format csv | grep -o 'vm_cpu_seconds{vm=""[a-z0-9]*""}' | sort -u | wc -l)" = 4 ]
	fi
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
