#!/bin/bash
# Benchmark: what each way of watching the virtual network costs the traffic
# it watches (root; results and method in BENCHMARKS.md).
#
# The emulated host (vnetprof testbed, 2 VMs, Linux bridge, NIC unshaped so
# the stream runs at full speed) carries one iperf3 TCP stream from VM1 to the
# remote host. Each repetition runs every configuration once, in an order
# rotated per repetition, for SECS seconds; the receiver-side throughput of
# each run is divided by the mean of the two "none" runs of the same
# repetition. Reported per configuration: the median ratio and its range.
#
# Configurations:
#   none         nothing
#   default      vnetprof record -T NIC, nothing else named: the kernel's own
#                counters of every device, softirqs, context switches (read
#                per bin, no hook), CPU time, run-queue delay
#   bpf-dev      vnetprof record --by dev of the six tracepoints below: BPF
#                programs (tp_btf) with per-device keys where the kernel allows
#   perf-count   vnetprof record -B perf --by dev: perf tracepoint counters,
#                one filtered counter per device
#   perf-total   vnetprof record -B perf: perf counters, no device split
#                (not in the default set; CONFIGS="none bpf-dev perf-count
#                perf-total" REPS=6 is the A/B in BENCHMARKS.md)
#   profile-99   vnetprof record --profile=99 (the default, plus the profiler)
#   profile-999  vnetprof record --profile=999
#   ftrace-ts    vnetprof record -B ftrace: every hit with its timestamp in a
#                private tracefs instance, read and binned (the paper's way)
#   perf-stat    perf stat -a -e ... -I 100 (totals only, no per-device split)
#   bpftrace     bpftrace counting the same events in a map (per device for
#                the two net events), printed every 100 ms
#   tcpdump      tcpdump -w on VM1's tap (packet capture, what the paper avoids)
# The six tracepoints: net_dev_xmit and netif_receive_skb (per packet, per
# device), softirq_entry, sched_switch, sched_wakeup, kfree_skb.
#
# Besides throughput, the CPU time the tool's own process used (utime +
# stime of it and its children, from /proc/PID/stat just before it is
# stopped) as a share of the host's CPUs over the run: for a tool that
# attaches no hook (the default) that is all it costs; for the others the
# work done per hit inside the kernel comes on top, charged to whatever task
# the event interrupts.
set -euo pipefail
cd "$(dirname "$0")/.."
V=${VNETPROF:-$PWD/build/tools/vnetprof}
REPS=${REPS:-5}
SECS=${SECS:-5}
CONFIGS=${CONFIGS:-"none default bpf-dev perf-count profile-99 profile-999 ftrace-ts perf-stat bpftrace tcpdump none"}
tmp=$(mktemp -d /tmp/vnp-overhead-XXXXXX)
. bench/lib.sh

cleanup() {
	[ -n "${tool:-}" ] && kill -INT "$tool" 2>/dev/null && wait "$tool" 2>/dev/null
	"$V" testbed down > /dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for c in bpftrace tcpdump perf iperf3; do
	command -v $c > /dev/null || { echo "overhead: $c is missing (apt-get install ${c/perf/linux-perf})" >&2; exit 1; }
done
"$V" testbed down > /dev/null
"$V" testbed up --vms 2 --link-rate 100gbit > /dev/null

start_tool() { # CONFIG
	tool=
	case $1 in
	none) ;;
	default) "$V" record -q -o "$tmp/o.db" -i 100ms -T vnptb-nic0 > /dev/null 2>&1 & tool=$! ;;
	bpf-dev) "$V" record -q -o "$tmp/o.db" -i 100ms $(ev_args) --by dev -T vnptb-nic0 > /dev/null 2>&1 & tool=$! ;;
	perf-count) "$V" record -q -o "$tmp/o.db" -i 100ms -B perf $(ev_args) --by dev -T vnptb-nic0 > /dev/null 2>&1 & tool=$! ;;
	perf-total) "$V" record -q -o "$tmp/o.db" -i 100ms -B perf $(ev_args) -T vnptb-nic0 > /dev/null 2>&1 & tool=$! ;;
	profile-99) "$V" record -q -o "$tmp/o.db" -i 100ms --profile=99 -T vnptb-nic0 > /dev/null 2>&1 & tool=$! ;;
	profile-999) "$V" record -q -o "$tmp/o.db" -i 100ms --profile=999 -T vnptb-nic0 > /dev/null 2>&1 & tool=$! ;;
	ftrace-ts) "$V" record -q -o "$tmp/o.db" -i 100ms -B ftrace $(ev_args) > /dev/null 2>&1 & tool=$! ;;
	perf-stat) perf stat -a $(ev_args) -I 100 -x, -o "$tmp/perf.csv" > /dev/null 2>&1 & tool=$! ;;
	bpftrace) bpftrace -e "$(bt_script dev)" > "$tmp/bt.out" 2>&1 & tool=$! ;;
	tcpdump) tcpdump -i vnptb-tap1 -w "$tmp/cap.pcap" -s 0 > /dev/null 2>&1 & tool=$! ;;
	*) echo "overhead: unknown configuration $1" >&2; exit 2 ;;
	esac
	[ -n "$tool" ] && sleep 1.5 # attach before the traffic starts
	t_start=$(date +%s.%N)
	return 0
}
stop_measured() { # the tool's CPU and the time, then stop it
	cpu_used=$(tool_cpu)
	t_end=$(date +%s.%N)
	stop_tool
}
gbps() {
	ip netns exec vnptb-remote iperf3 -s -1 -p 5299 -J > "$tmp/srv.json" 2>/dev/null &
	local srv=$!
	sleep 0.3
	ip netns exec vnptb-vm1 timeout $((SECS + 10)) iperf3 -c 198.18.0.2 -p 5299 -t "$SECS" > /dev/null 2>&1 || true
	wait $srv || true
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9)' "$tmp/srv.json"
}

read -r -a cfgs <<<"$CONFIGS"
: > "$tmp/results"
for rep in $(seq 1 "$REPS"); do
	# rotate the order so that no configuration always runs first or last
	n=${#cfgs[@]}
	for i in $(seq 0 $((n - 1))); do
		c=${cfgs[$(( (i + rep - 1) % n ))]}
		start_tool "$c"
		g=$(gbps)
		stop_measured
		# the tool's CPU over its whole life (it started 1.5 s before the
		# traffic), as a share of all the host's CPUs
		share=$(awk -v c="$cpu_used" -v a="$t_start" -v b="$t_end" -v n="$(nproc)" \
			'BEGIN { printf "%.6f", c / ((b - a + 1.5) * n) }')
		echo "$rep $c $g $share" >> "$tmp/results"
		echo "rep $rep $c: $g Gbit/s, tool CPU $share of the host"
	done
done
/usr/bin/python3 - "$tmp/results" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(dict)
cpu = collections.defaultdict(list)
for line in open(sys.argv[1]):
    rep, cfg, g, share = line.split()
    runs[int(rep)].setdefault(cfg, []).append(float(g))
    cpu[cfg].append(float(share))
ratios = collections.defaultdict(list)
base = []
for rep, r in runs.items():
    b = statistics.mean(r["none"])
    base += r["none"]
    for cfg, gs in r.items():
        if cfg != "none":
            ratios[cfg] += [g / b for g in gs]
    if len(r["none"]) > 1:
        ratios["none (2nd vs mean)"] += [r["none"][1] / b]
print(f"\nbaseline: {statistics.mean(base):.2f} Gbit/s, runs without a tool vary by "
      f"{100 * statistics.stdev(base) / statistics.mean(base):.1f} % (CV)")
print(f"{'configuration':<22} {'median':>7} {'min':>7} {'max':>7}  n  {'tool CPU (of host)':>18}")
for cfg in sorted(ratios, key=lambda c: -statistics.median(ratios[c])):
    v = ratios[cfg]
    c = cpu.get(cfg.split()[0], [0])
    print(f"{cfg:<22} {statistics.median(v):7.3f} {min(v):7.3f} {max(v):7.3f}  {len(v)}"
          f"  {100 * statistics.median(c):8.2f} % (max {100 * max(c):.2f})")
PY
