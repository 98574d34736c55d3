#!/bin/bash
# probe: one line per facility, valid JSON, and nothing left behind;
# list events: the same events as tracefs holds, counted independently.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
before=$(tracefs_state)
run "$VNETPROF" probe
check "probe exits 0" [ "$RC" = 0 ]
for f in "tracefs" "perf tracepoint counting" "perf sampling" "function tracer" "function profiler" \
	"kprobes" "BPF tracepoint programs" "BPF kprobe programs" "BPF fentry programs" "KVM" \
	"vhost-net" "Open vSwitch" "network namespaces" "run-queue delay"; do
	check "probe has a line for $f" grep -qE "^$f +(yes|no) +[^ ]" <<<"$OUT"
done
bare=$(grep -cE ' (yes|no) *$' <<<"$OUT")
check "every line says why or how ($bare bare lines)" [ "$bare" = 0 ]
run "$VNETPROF" probe --json
check "probe --json is valid JSON with 14 entries" /usr/bin/python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert len(d) == 14 and all({'name','ok','detail'} <= set(x) for x in d)" "$OUT"
check "probe's tracepoint line agrees with a counter opened by perf's own rules" grep -q '^perf tracepoint counting *yes' <<<"$OUT$("$VNETPROF" probe)"
check "probe left tracefs as it was" [ "$(tracefs_state)" = "$before" ]

T=/sys/kernel/tracing
want=$(find "$T/events/net" -mindepth 1 -maxdepth 1 -type d | wc -l)
got=$("$VNETPROF" list events 'net:*' | wc -l)
check "list events 'net:*' lists the $want events of tracefs/events/net ($got)" [ "$got" = "$want" ]
all=$(find "$T/events" -mindepth 2 -maxdepth 2 -type d | wc -l)
got=$("$VNETPROF" list events --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "list events --json lists all $all events ($got)" [ "$got" = "$all" ]
check "net:net_dev_xmit's device field is 'name'" grep -q '^net:net_dev_xmit  \[device: name\]' <<<"$("$VNETPROF" list events 'net:net_dev_xmit')"
expect_fail 1 "no event matches 'nosuch:\*'" "$VNETPROF" list events 'nosuch:*'
expect_fail 2 "what to list" "$VNETPROF" list
t_done
