#!/bin/bash
# The main job of the quick start (until the emulated testbed lands): build a
# tiny virtual network of two namespaces joined by a veth (a "VM" and a
# "remote host"), push one iperf3 TCP stream across it for 10 s, load the
# CPUs with two `yes` processes in the second half, and record it all with
# vnetprof: tracepoint counts per device, the veth's throughput, CPU time and
# run-queue delay. Then print what was recorded. Everything it creates is
# removed on exit, Ctrl-C included. Traffic stays inside the two namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
V=${VNETPROF:-build/tools/vnetprof}
DB=${DB:-vnetprof.db}
SECS=${SECS:-10}
tag=$$
NS_VM=vnp-demo-$tag-vm
NS_REMOTE=vnp-demo-$tag-remote
DEV=vnpd${tag}v
PEER=vnpd${tag}r
IP_VM=198.18.0.1
IP_REMOTE=198.18.0.2
RUN=quickstart-$(date +%Y%m%d-%H%M%S)
tmp=$(mktemp -d /tmp/vnp-demo-XXXXXX)

cleanup() {
	[ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	ip netns del "$NS_VM" 2>/dev/null || true
	ip netns del "$NS_REMOTE" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building a two-namespace network: $NS_VM ($IP_VM) <-> $NS_REMOTE ($IP_REMOTE)"
ip netns add "$NS_VM"
ip netns add "$NS_REMOTE"
ip link add "$DEV" netns "$NS_VM" type veth peer name "$PEER" netns "$NS_REMOTE"
ip -n "$NS_VM" addr add "$IP_VM/30" dev "$DEV"
ip -n "$NS_REMOTE" addr add "$IP_REMOTE/30" dev "$PEER"
for ns in "$NS_VM" "$NS_REMOTE"; do ip -n "$ns" link set lo up; done
ip -n "$NS_VM" link set "$DEV" up
ip -n "$NS_REMOTE" link set "$PEER" up

timeout $((SECS + 20)) ip netns exec "$NS_REMOTE" iperf3 -s -1 -B "$IP_REMOTE" > "$tmp/server.log" 2>&1 &
server=$!
sleep 0.5

half=$((SECS / 2))
echo "== recording run $RUN into $DB: iperf3 for ${SECS}s, two 'yes' CPU hogs from ${half}s"
"$V" record -o "$DB" --run "$RUN" --label job=quickstart -i 100ms \
	-e net:net_dev_xmit --by dev -e net:netif_receive_skb --by dev \
	-e irq:softirq_entry --filter 'vec == 3' -e sched:sched_switch \
	-T "$DEV@$NS_VM" \
	-- bash -c "ip netns exec $NS_VM iperf3 -c $IP_REMOTE -t $SECS > $tmp/client.log &
		sleep $half; timeout $((SECS - half)) yes > /dev/null & timeout $((SECS - half)) yes > /dev/null &
		wait"

echo
echo "== what was recorded"
"$V" show "$DB" --run "$RUN" | awk -v dev="$DEV" 'NR <= 6 || /netdev_bytes|cpu_seconds.*(user|system|softirq|idle)|cpu_pressure|runqueue|sched_switch|softirq_entry/ || index($0, "dev=\"" dev "\"")'

echo
echo "== per second: throughput of $DEV (tx) and the indicators that implement it"
"$V" export "$DB" --run "$RUN" --format csv | awk -F, -v dev="$DEV" '
	NR == 1 { next }
	{ s = int($(NF - 2) + 1e-9); if (s > last) last = s }
	index($0, "netdev_bytes{dev=\"\"" dev "@") && index($0, "dir=\"\"tx") { tx[s] += $NF }
	index($0, "net_dev_xmit") && index($0, "dev=\"\"" dev "\"\"") { xmit[s] += $NF }
	index($0, "softirq_entry") { sirq[s] += $NF }
	index($0, "cpu_seconds{mode=\"\"user") { user[s] += $NF }
	END {
		printf "%4s %12s %14s %16s %12s\n", "t(s)", "Gbit/s", "net_dev_xmit", "NET_RX softirqs", "user CPU s"
		for (s = 0; s <= last; s++)
			printf "%4d %12.2f %14d %16d %12.2f\n", s, tx[s] * 8 / 1e9, xmit[s], sirq[s], user[s]
	}'
echo
echo "Explore it: $V runs $DB; $V show $DB --run $RUN; $V export $DB --run $RUN --format csv"
