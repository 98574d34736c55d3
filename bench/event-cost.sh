#!/bin/bash
# Benchmark: what each way of counting tracepoints adds to every hit, in
# nanoseconds (root; results and method in BENCHMARKS.md).
#
# A throughput test on this kind of machine varies by 7-23 % between
# identical runs, too much to see a cost of 1 %. This one times a fixed
# amount of kernel work instead (bench/evcost.c), pinned to CPU 1, while the
# tool runs pinned to CPU 0 and counts the same six tracepoints as
# bench/overhead.sh:
#   udp       64-byte datagrams over loopback, sent and read back: per op one
#             net_dev_xmit, one netif_receive_skb, one softirq_entry
#   pingpong  one-byte round trips between two threads over pipes on one
#             CPU: per op two sched_switch and two sched_wakeup
# Each repetition runs every configuration once, in an order rotated per
# repetition. Reported per configuration and workload: the median ns per op,
# the median extra ns per op over "none" of the same repetition, the extra
# per tracepoint hit (hits per op counted by perf stat in the perf-stat
# configuration), and the tool's own CPU time (user + system of its process and
# its reaped children, not what it adds to the hits) as a share of one CPU
# while both workloads ran.
set -euo pipefail
cd "$(dirname "$0")/.."
V=${VNETPROF:-$PWD/build/tools/vnetprof}
REPS=${REPS:-7}
UDP_OPS=${UDP_OPS:-1000000}
PP_OPS=${PP_OPS:-500000}
CONFIGS=${CONFIGS:-"none perf-count bpf-count ftrace-ts perf-stat bpftrace profile-99 tcpdump"}
tmp=$(mktemp -d /tmp/vnp-evcost-XXXXXX)
. bench/lib.sh

cleanup() {
	[ -n "${tool:-}" ] && kill -INT "$tool" 2>/dev/null && wait "$tool" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(nproc)" -ge 2 ] || { echo "event-cost: needs 2 CPUs (the tool on 0, the work on 1)" >&2; exit 1; }
for c in bpftrace tcpdump perf cc; do
	command -v $c > /dev/null || { echo "event-cost: $c is missing" >&2; exit 1; }
done
cc -O2 -Wall -Wextra -pthread -o "$tmp/evcost" bench/evcost.c

start_tool() { # CONFIG
	tool=
	case $1 in
	none) ;;
	perf-count) taskset -c 0 "$V" record -q -o "$tmp/o.db" -i 100ms $(ev_args) > /dev/null 2>&1 & tool=$! ;;
	bpf-count) taskset -c 0 "$V" record -q -o "$tmp/o.db" -i 100ms -B bpf $(ev_args) > /dev/null 2>&1 & tool=$! ;;
	ftrace-ts) taskset -c 0 "$V" record -q -o "$tmp/o.db" -i 100ms -B ftrace $(ev_args) > /dev/null 2>&1 & tool=$! ;;
	profile-99) taskset -c 0 "$V" record -q -o "$tmp/o.db" -i 100ms --profile=99 $(ev_args) > /dev/null 2>&1 & tool=$! ;;
	perf-stat) taskset -c 0 perf stat -a $(ev_args) -I 100 -x, -o "$tmp/perf.csv" > /dev/null 2>&1 & tool=$! ;;
	bpftrace) taskset -c 0 bpftrace -e "$(bt_script)" > "$tmp/bt.out" 2>&1 & tool=$! ;;
	tcpdump) taskset -c 0 tcpdump -i lo -w "$tmp/cap.pcap" -s 0 > /dev/null 2>&1 & tool=$! ;;
	*) echo "event-cost: unknown configuration $1" >&2; exit 2 ;;
	esac
	[ -n "$tool" ] && sleep 2 # attached and settled
	return 0
}

read -r -a cfgs <<<"$CONFIGS"
: > "$tmp/results"
for rep in $(seq 1 "$REPS"); do
	n=${#cfgs[@]}
	for i in $(seq 0 $((n - 1))); do
		c=${cfgs[$(( (i + rep - 1) % n ))]}
		start_tool "$c"
		j0=$(tool_cpu); t0=$(date +%s.%N)
		for w in udp pingpong; do
			ops=$UDP_OPS; [ $w = pingpong ] && ops=$PP_OPS
			read -r ns cpu < <("$tmp/evcost" $w "$ops" 1)
			if [ "$c" = perf-stat ]; then
				# hits per op: the counts of this workload's window only
				sleep 0.2
				awk -F, -v ops="$ops" -v w=$w '$4 != "" { n[$4] += $2 }
					END { for (e in n) printf "%s %s %.3f\n", w, e, n[e] / ops }' "$tmp/perf.csv" >> "$tmp/hits.$rep"
				: > "$tmp/perf.csv"
			fi
			echo "$rep $c $w $ns" >> "$tmp/results"
			echo "rep $rep $c $w: $ns ns/op"
		done
		# the tool's own CPU over both workloads, in seconds
		j1=$(tool_cpu); t1=$(date +%s.%N)
		awk -v a="$j0" -v b="$j1" -v s="$t0" -v e="$t1" -v c="$c" \
			'BEGIN { printf "%s %.5f\n", c, (b - a) / (e - s) }' >> "$tmp/share"
		stop_tool
	done
done
/usr/bin/python3 - "$tmp/results" "$tmp" <<'PY'
import collections, glob, statistics, sys
res = collections.defaultdict(dict)   # (rep, workload) -> cfg -> ns
share = collections.defaultdict(list)
for line in open(sys.argv[1]):
    rep, cfg, w, ns = line.split()
    res[(int(rep), w)][cfg] = float(ns)
for line in open(sys.argv[2] + "/share"):
    cfg, sh = line.split()
    share[cfg].append(float(sh))
# hits per op by perf stat (-a, so the whole machine; the work dominates)
hits = collections.defaultdict(list)
for f in glob.glob(sys.argv[2] + "/hits.*"):
    per = collections.defaultdict(float)
    for line in open(f):
        w, e, h = line.split()
        per[w] += float(h)
    for w, h in per.items():
        hits[w].append(h)
for w in ("udp", "pingpong"):
    h = statistics.median(hits[w]) if hits[w] else float("nan")
    base = [r["none"] for (rep, ww), r in res.items() if ww == w and "none" in r]
    print(f"\n{w}: no tool {statistics.median(base):.0f} ns/op "
          f"(spread {min(base):.0f}..{max(base):.0f}), {h:.2f} hits of the six events per op")
    print(f"{'configuration':<12} {'ns/op':>8} {'extra':>8} {'min':>7} {'max':>7} {'ns/hit':>7} {'tool CPU':>9}")
    cfgs = sorted({c for r in res.values() for c in r if c != "none"})
    rows = []
    for c in cfgs:
        ns = [r[c] for (rep, ww), r in res.items() if ww == w and c in r]
        ex = [r[c] - r["none"] for (rep, ww), r in res.items() if ww == w and c in r and "none" in r]
        rows.append((statistics.median(ex), c, statistics.median(ns), min(ex), max(ex)))
    for ex, c, ns, lo, hi in sorted(rows):
        print(f"{c:<12} {ns:8.0f} {ex:+8.0f} {lo:+7.0f} {hi:+7.0f} {ex / h:7.0f} "
              f"{100 * statistics.median(share[c]):8.2f}%")
PY
