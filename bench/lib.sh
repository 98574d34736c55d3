# Shared by the benchmarks that watch the same events with several tools
# (sourced; needs $tmp). The caller starts the tool it measures in the
# background and keeps its pid in $tool.

# the six tracepoints every counting tool watches: two per packet, per device
# where the tool can split them; softirqs, scheduling, drops
EV=(net:net_dev_xmit net:netif_receive_skb irq:softirq_entry sched:sched_switch sched:sched_wakeup skb:kfree_skb)

ev_args() { for e in "${EV[@]}"; do printf -- '-e %s ' "$e"; done; }

# bpftrace counting the same events in one map, printed and cleared every
# 100 ms; with "dev", the two net events keyed by device name as well
bt_script() {
	local s="" e
	for e in "${EV[@]}"; do
		if [ "${1:-}" = dev ] && [ "${e%%:*}" = net ]; then
			s+="tracepoint:$e { @[\"$e\", str(args->name)] = count(); } "
		elif [ "${1:-}" = dev ]; then
			s+="tracepoint:$e { @[\"$e\", \"\"] = count(); } "
		else
			s+="tracepoint:$e { @[\"$e\"] = count(); } "
		fi
	done
	echo "$s interval:ms:100 { print(@); clear(@); }"
}

# CPU seconds the tool and its reaped children used so far (/proc/PID/stat
# fields 14-17, in clock ticks; the command name may hold spaces: cut at ')')
tool_cpu() {
	local f
	[ -n "${tool:-}" ] && [ -r "/proc/$tool/stat" ] || { echo 0; return; }
	read -r -a f <<<"$(sed 's/.*) //' "/proc/$tool/stat")"
	awk -v t=$((f[11] + f[12] + f[13] + f[14])) -v hz="$(getconf CLK_TCK)" 'BEGIN { print t / hz }'
}

# stop the tool as a user would (SIGINT), and drop what it wrote
stop_tool() {
	if [ -n "${tool:-}" ]; then
		kill -INT "$tool" 2>/dev/null || true
		wait "$tool" 2>/dev/null || true
		tool=
	fi
	rm -f "$tmp/cap.pcap" "$tmp/o.db"*
}
