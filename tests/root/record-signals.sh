#!/bin/bash
# SIGINT, SIGTERM and SIGKILL in the middle of a run: interrupted runs keep
# their bins, nothing stays in the kernel, other runs are untouched. The
# signals are sent once the store holds flushed bins (the recorder flushes
# once a second: every 10 bins of 100 ms), whatever the recorder's start-up
# took, and the checks are against the bins seen in the store before it.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
before=$(tracefs_state)

perf_fds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'perf_event'; }
ncpu=$(getconf _NPROCESSORS_ONLN)
# the store while a recorder writes it (WAL: reading never holds the writer up)
q() { sqlite3 -cmd '.timeout 5000' -separator ' ' r.db "$1" 2>/dev/null; }
B() { echo "bins b join runs r on r.id = b.run_id where r.name = '$1'"; }
nbins() { q "select count(*) from $(B "$1")"; }
# flushed: at least N bins of run NAME are in the store, or the recorder PID is gone
flushed() { local n; n=$(nbins "$1"); [ "${n:-0}" -ge "$2" ] || ! kill -0 "$3" 2>/dev/null; }
# recording: N bins flushed, and the recorder still runs
recording() { local n; n=$(nbins "$1"); [ "${n:-0}" -ge "$2" ] && kill -0 "$3" 2>/dev/null; }
# tracefs as it was before; what differs, if not
tracefs_same() { local now; now=$(tracefs_state); [ "$now" = "$before" ] && return 0
	diff <(echo "$before") <(echo "$now") | sed 's/^/#   /'; return 1; }
rows() { q "select b.k, b.t_end, b.flags from $(B "$1") order by b.k"; }
# every gap in k (from bin 0 on) is before a bin flagged late (the recorder
# was held up: the late bin holds the skipped ones), and every late bin
# follows a gap
contiguous() {
	[ "$(q "select count(*) > 0 and coalesce(sum((b.flags & 2 != 0) != (b.k > 0 and not exists
		(select 1 from bins p where p.run_id = b.run_id and p.k = b.k - 1))), 0) = 0 from $(B "$1")")" = 1 ]
}
# the rows seen before the signal, unchanged, at the head of the final rows
kept() { [ -n "$2" ] && [ "$(head -n "$(grep -c . <<<"$2")" <<<"$(rows "$1")")" = "$2" ]; }

# the only frames on DEV_A are the test's: the kernel counters every run
# reads count them in the run (netdev_packets), a known number
netns_pair || { fail "namespace pair"; t_done; }
ip netns exec "$NS_B" "$UDPSEND" -l 9000 100 > sink.out &
t_on_exit "kill $! 2>/dev/null"
sent() { q "select cast(coalesce(sum(m.value), 0) as integer) from samples m join series s on s.id = m.series_id join runs r on r.id = s.run_id
	where r.name = '$1' and s.name = 'netdev_packets{dev=\"$DEV_A\",dir=\"tx\"}'"; }

# a complete run to protect
run "$VNETPROF" record -q -o r.db --run keep -e sched:sched_switch -i 100ms -d 1s
check "the run to protect records (rc=$RC $ERR)" [ "$RC" = 0 ]
"$VNETPROF" export r.db --run keep --format csv > keep.before
rc=$?
check "the run to protect exports (rc=$rc)" [ "$rc" = 0 ]

for sig in INT TERM; do
	"$VNETPROF" record -q -o r.db --run "sig$sig" -B perf -e net:net_dev_xmit -e sched:sched_switch -T lo -i 100ms > out.$sig 2>&1 &
	pid=$!
	wait_for 60 flushed "sig$sig" 10 $pid
	check "SIG$sig: the recorder flushed its first second of bins ($(nbins "sig$sig") bins)" recording "sig$sig" 10 $pid
	n=$(perf_fds $pid)
	check "SIG$sig: while recording, one perf fd per event per CPU ($n = 2 x $ncpu)" [ "$n" = $((2 * ncpu)) ]
	seen=$(rows "sig$sig")
	t_seen=$(date +%s%N)
	read -r nseen tseen < <(tail -1 <<<"$seen" | awk '{ print $1 + 1, $2 }')
	# 10 datagrams right before the signal: counted in the bin it ends
	ip netns exec "$NS_A" "$UDPSEND" "$IP_B" 9000 10 > /dev/null
	t_kill=$(date +%s%N)
	kill -$sig $pid
	wait $pid
	rc=$?
	check "SIG$sig: exit status 0 (a signal is how a run without -d ends) (rc=$rc: $(cat out.$sig))" [ "$rc" = 0 ]
	check "SIG$sig: the process is gone, and with it every perf fd" [ ! -e /proc/$pid ]
	read -r status bins k last flags < <(q "select r.status, count(b.k), max(b.k),
		(select t_end from bins where run_id = r.id order by k desc limit 1),
		(select flags from bins where run_id = r.id order by k desc limit 1) from $(B "sig$sig")")
	check "SIG$sig: run is interrupted ($status)" [ "$status" = interrupted ]
	check "SIG$sig: the $(grep -c . <<<"$seen") bins flushed before the signal are kept as they were ($bins bins now)" kept "sig$sig" "$seen"
	check "SIG$sig: and so is the bin the signal came in (bins 0..$k)" [ "$k" -ge "$nseen" ]
	n=$(sent "sig$sig")
	check "SIG$sig: the 10 datagrams sent just before the signal are in the run ($n): its last bin was read and kept" [ "$n" = 10 ]
	check "SIG$sig: the bins are contiguous (a gap only before a bin flagged late)" contiguous "sig$sig"
	# it was recording at least until the signal: the last bin seen ended at
	# $tseen s (by the recorder's clock) before t_seen, the signal came later
	check "SIG$sig: the last bin ends at $last s, after the signal (>= $tseen + $(((t_kill - t_seen) / 1000000)) ms)" \
		awk -v t="$last" -v s="$tseen" -v d="$((t_kill - t_seen))" 'BEGIN { exit !(t >= s + d / 1e9) }'
	# it is bin k: it ends inside [k, k+1) x 100 ms, and is flagged partial;
	# or, if the signal came with bin k's deadline, it ends at that deadline,
	# whole, and is not
	check "SIG$sig: the last bin, $k, ends inside its interval and is flagged partial, or whole at its deadline ($last s, flags $flags)" \
		awk -v k="$k" -v t="$last" -v f="$flags" 'BEGIN { p = int(f / 4) % 2
			exit !(t >= k * 0.1 - 1e-6 && t < (k + 2) * 0.1 && (p == (t < (k + 1) * 0.1 - 1e-6))) }'
	check "SIG$sig: tracefs as it was" tracefs_same
done

# SIGTERM with a COMMAND: the command is stopped too, its status returned
"$VNETPROF" record -q -o r.db --run cmdterm -e sched:sched_switch -- sleep 37.25 > cmd.out 2>&1 &
pid=$!
# the recorder's own child, once it has exec'd (the recorder's command line holds the same words)
child() { pgrep -P "$pid" -x sleep; }
wait_for 60 child
cpid=$(child)
check "the command runs under the recorder (pid ${cpid:-none})" [ -n "$cpid" ]
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM with a COMMAND: exit status 143, the command's (rc=$rc $(cat cmd.out))" [ "$rc" = 143 ]
stopped() { [ -n "$cpid" ] && ! grep -qs '^sleep' "/proc/$cpid/cmdline"; }
check "the command was stopped" stopped

# SIGKILL: no cleanup code runs; the kernel closes the fds, the store stays sound
"$VNETPROF" record -q -o r.db --run killed -e sched:sched_switch -i 100ms > /dev/null 2>&1 &
pid=$!
wait_for 60 flushed killed 20 $pid
seen=$(rows killed)
check "SIGKILL: the recorder flushed two seconds of bins ($(grep -c . <<<"$seen") bins)" recording killed 20 $pid
kill -KILL $pid
wait $pid 2>/dev/null
run "$VNETPROF" runs r.db --json
check "after SIGKILL the store opens (rc=$RC $ERR)" [ "$RC" = 0 ]
check "after SIGKILL the run reads back as interrupted" grep -q '"name":"killed","status":"interrupted"' <<<"$OUT"
kb=$(nbins killed)
check "after SIGKILL the $(grep -c . <<<"$seen") bins flushed before it are there, as they were ($kb bins)" kept killed "$seen"
check "after SIGKILL whole flushes only: 10 bins each ($kb bins)" [ $((kb % 10)) = 0 ]
check "after SIGKILL the bins are contiguous" contiguous killed
"$VNETPROF" export r.db --run keep --format csv > keep.after
rc=$?
check "the other run exports (rc=$rc)" [ "$rc" = 0 ]
check "the other run is untouched" cmp -s keep.before keep.after
check "sqlite integrity_check is ok" [ "$(sqlite3 r.db 'pragma integrity_check')" = ok ]
check "tracefs as it was" tracefs_same
t_done
