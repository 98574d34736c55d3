#!/bin/bash
# The main job of the quick start: the paper's staged-load experiment, scaled
# to a demo (vnetprof experiment staged --quick), on the emulated testbed:
# VM1 sends to the remote host through the software switch for 80 s; every
# 10 s one more VM starts burning its 2 CPUs. vnetprof records the host's
# indicators, the NIC's throughput and the receiver-side iperf3 throughput,
# prints the throughput per step, and then the indicators that tracked it.
# The testbed is built and removed by the experiment itself (Ctrl-C too).
set -euo pipefail
cd "$(dirname "$0")/.."
V=${VNETPROF:-build/tools/vnetprof}
DB=${DB:-vnetprof.db}
PREFIX=quickstart-$(date +%Y%m%d-%H%M%S)

echo "== vnetprof experiment staged --quick (about 90 s): throughput per step"
"$V" experiment staged --quick -o "$DB" --run-prefix "$PREFIX"
RUN=$PREFIX-staged
echo
if "$V" analyze --help > /dev/null 2>&1; then
	# byte sums are the traffic itself (r = 1 by construction): leave them out,
	# so that the events and counters that move with it are what is ranked
	echo "== which kernel events and counters tracked the NIC's throughput (byte sums left out)"
	"$V" analyze "$DB" --run "$RUN" --top 10 --exclude '*_bytes*'
else
	echo "== what was recorded"
	"$V" show "$DB" --run "$RUN" | head -40
fi
echo
echo "Explore it: $V runs $DB; $V show $DB --run $RUN; $V export $DB --run $RUN --format csv"
