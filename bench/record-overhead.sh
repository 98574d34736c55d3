#!/bin/bash
# Benchmark: what recording costs (root; results and method in BENCHMARKS.md).
#
# 1. The recorder's own CPU time: `vnetprof record` at 100 ms bins with 24
#    series (8 tracepoints, -T with 6 interface series, 9 CPU modes, run-queue
#    delay) for DURATION, once on an idle host and once while an iperf3 stream
#    makes the tracepoints fire ~10^5 times per second. CPU = user + system
#    time of the recorder process (getrusage of the child), over wall time.
# 2. Throughput kept: one iperf3 TCP stream across a veth between two
#    namespaces, PAIRS pairs of runs of SECS seconds, without and with
#    recording, in alternating order (ABBA...) so that drift hits both sides.
#    Reports each pair's ratio, their median and range, and the noise: the
#    coefficient of variation of the runs without recording.
set -euo pipefail
cd "$(dirname "$0")/.."
V=${VNETPROF:-$PWD/build/tools/vnetprof}
PAIRS=${PAIRS:-6}
SECS=${SECS:-5}
DURATION=${DURATION:-60}
tmp=$(mktemp -d /tmp/vnp-bench-XXXXXX)
NS_A=vnp-bench-$$-a
NS_B=vnp-bench-$$-b
DEV_A=vnpb$$a
DEV_B=vnpb$$b
cleanup() {
	pkill -f "iperf3 -s -B 198.18.0.2" 2>/dev/null || true
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "$DEV_A" netns "$NS_A" type veth peer name "$DEV_B" netns "$NS_B"
ip -n "$NS_A" addr add 198.18.0.1/30 dev "$DEV_A"
ip -n "$NS_B" addr add 198.18.0.2/30 dev "$DEV_B"
ip -n "$NS_A" link set "$DEV_A" up
ip -n "$NS_B" link set "$DEV_B" up
ip -n "$NS_B" link set lo up
ip netns exec "$NS_B" iperf3 -s -B 198.18.0.2 -D
sleep 0.5

EVENTS=(-e net:net_dev_xmit -e net:netif_receive_skb -e net:net_dev_queue -e irq:softirq_entry
	-e irq:softirq_exit -e sched:sched_switch -e sched:sched_wakeup -e napi:napi_poll)

# user+sys seconds of one command (its whole process tree), then its wall time
cpu_of() {
	/usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
w = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{r.ru_utime + r.ru_stime:.3f} {w:.3f}")
PY
}

echo "== 1. recorder CPU, 100 ms bins, ${DURATION}s"
read -r idle_cpu idle_wall < <(cpu_of "$V" record -q -o "$tmp/b.db" --run idle -i 100ms -d "${DURATION}s" "${EVENTS[@]}" -T "$DEV_A@$NS_A")
nseries=$(sqlite3 "$tmp/b.db" "select count(*) from series s join runs r on r.id = s.run_id where r.name = 'idle'")
ip netns exec "$NS_A" iperf3 -c 198.18.0.2 -t $((DURATION + 2)) > /dev/null &
load=$!
sleep 1
read -r busy_cpu busy_wall < <(cpu_of "$V" record -q -o "$tmp/b.db" --run busy -i 100ms -d "${DURATION}s" "${EVENTS[@]}" -T "$DEV_A@$NS_A")
wait $load
hits=$("$V" export "$tmp/b.db" --run busy --format csv | awk -F, 'index($0, "tracepoint_hits") { t += $NF } END { printf "%.0f", t }')
awk -v n="$nseries" -v ic="$idle_cpu" -v iw="$idle_wall" -v bc="$busy_cpu" -v bw="$busy_wall" -v h="$hits" -v d="$DURATION" 'BEGIN {
	printf "series: %d\n", n
	printf "idle host: %.3f s CPU in %.1f s = %.3f %% of one core\n", ic, iw, 100 * ic / iw
	printf "under load (%.0f tracepoint hits/s): %.3f s CPU in %.1f s = %.3f %% of one core\n", h / d, bc, bw, 100 * bc / bw
}'

echo "== 2. throughput with and without recording: $PAIRS pairs of ${SECS}s, alternated"
gbps() { ip netns exec "$NS_A" iperf3 -c 198.18.0.2 -t "$SECS" -J | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9)'; }
with() {
	"$V" record -q -o "$tmp/t.db" -i 100ms "${EVENTS[@]}" -T "$DEV_A@$NS_A" > /dev/null &
	local rec=$!
	sleep 0.3
	gbps
	kill -INT $rec
	wait $rec
}
: > "$tmp/pairs"
for i in $(seq 1 "$PAIRS"); do
	if [ $((i % 2)) = 1 ]; then a=$(gbps); b=$(with); else b=$(with); a=$(gbps); fi
	echo "$a $b" >> "$tmp/pairs"
	awk -v i="$i" -v a="$a" -v b="$b" 'BEGIN { printf "pair %d: without %.2f Gbit/s, with %.2f Gbit/s, ratio %.3f\n", i, a, b, b / a }'
done
/usr/bin/python3 - "$tmp/pairs" <<'PY'
import statistics, sys
pairs = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
ratios = [b / a for a, b in pairs]
base = [a for a, _ in pairs]
cv = statistics.stdev(base) / statistics.mean(base)
print(f"ratio with/without: median {statistics.median(ratios):.3f}, range {min(ratios):.3f}..{max(ratios):.3f}")
print(f"noise: runs without recording vary by {100 * cv:.1f} % (coefficient of variation), "
      f"mean {statistics.mean(base):.2f} Gbit/s")
PY
