#!/bin/bash
# probe: one line per facility, valid JSON, and nothing left behind;
# list events: the same events as tracefs holds, counted independently.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
before=$(tracefs_state)
run "$VNETPROF" probe
check "probe exits 0 ($ERR)" [ "$RC" = 0 ]
PROBE=$OUT
for f in "tracefs" "perf tracepoint counting" "perf sampling" "function tracer" "function profiler" \
	"kprobes" "BPF tracepoint programs" "BPF kprobe programs" "BPF fentry programs" "KVM" \
	"vhost-net" "Open vSwitch" "network namespaces" "kernel counters" "run-queue delay"; do
	check "probe has a line for $f" grep -qE "^$f +(yes|no) +[^ ]" <<<"$OUT"
done
bare=$(grep -cE ' (yes|no) *$' <<<"$OUT")
check "every line says why or how ($bare bare lines)" [ "$bare" = 0 ]
run "$VNETPROF" probe --json
check "probe --json exits 0 ($ERR)" [ "$RC" = 0 ]
check "probe --json is valid JSON with 15 entries" /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert len(d) == 15 and all({'name','ok','detail'} <= set(x) for x in d)" "$OUT"
# independent: the devices the kernel counters read, counted by ip(8): ours
# and every named namespace's, no loopbacks. Other tests may add or remove
# namespaces meanwhile: count before and after the probe until they agree.
ip_devs() { { ip -o link show; for ns in $(ip netns list | cut -d' ' -f1); do ip -n "$ns" -o link show 2>/dev/null; done; } |
	awk -F': ' '$2 !~ /^lo(@|$)/' | wc -l; }
for try in 1 2 3 4 5; do
	n0=$(ip_devs)
	run "$VNETPROF" probe
	n1=$(ip_devs)
	[ "$n0" = "$n1" ] && break
done
check "probe exits 0 again ($ERR)" [ "$RC" = 0 ]
pdev=$(awk '/^kernel counters/ { print $4 }' <<<"$OUT")
check "probe's kernel counters see the devices ip(8) lists ($pdev vs $n0, $n1)" [ "$pdev" = "$n0" -a "$n0" = "$n1" ]
# independent: can perf itself count a tracepoint system-wide here?
if need_tool perf linux-perf; then
	if perf stat -a -e sched:sched_switch -x, true > /dev/null 2>&1; then perf_ok=yes; else perf_ok=no; fi
	probe_ok=$(awk '/^perf tracepoint counting/ { print $4 }' <<<"$PROBE")
	check "probe's tracepoint-counting answer ($probe_ok) is perf stat's ($perf_ok)" [ "$probe_ok" = "$perf_ok" ]
fi
if [ -e /dev/kvm ]; then kvm_dev=yes; else kvm_dev=no; fi
probe_kvm=$(awk '$1 == "KVM" { print $2 }' <<<"$PROBE")
kvm_consistent() { [ "$kvm_dev" = yes ] || [ "$probe_kvm" = no ]; }
check "probe's KVM answer ($probe_kvm) is no without /dev/kvm ($kvm_dev)" kvm_consistent
check "probe left tracefs as it was" [ "$(tracefs_state)" = "$before" ]

T=/sys/kernel/tracing
want=$(find "$T/events/net" -mindepth 1 -maxdepth 1 -type d | wc -l)
run "$VNETPROF" list events 'net:*'
check "list events 'net:*' exits 0 ($ERR)" [ "$RC" = 0 ]
got=$(grep -c . <<<"$OUT")
check "list events 'net:*' lists the $want events of tracefs/events/net ($got)" [ "$got" = "$want" ]
all=$(find "$T/events" -mindepth 2 -maxdepth 2 -type d | wc -l)
run "$VNETPROF" list events --json
check "list events --json exits 0 ($ERR)" [ "$RC" = 0 ]
got=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT")
check "list events --json lists all $all events ($got)" [ "$got" = "$all" ]
run "$VNETPROF" list events 'net:net_dev_xmit'
check "list events net:net_dev_xmit exits 0 ($ERR)" [ "$RC" = 0 ]
check "net:net_dev_xmit's device field is 'name'" grep -q '^net:net_dev_xmit  \[device: name\]' <<<"$OUT"
expect_fail 1 "no event matches 'nosuch:\*'" "$VNETPROF" list events 'nosuch:*'
expect_fail 2 "what to list" "$VNETPROF" list
t_done
