#!/bin/bash
# SIGINT, SIGTERM and SIGKILL in the middle of a run: interrupted runs keep
# their bins, nothing stays in the kernel, other runs are untouched.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
before=$(tracefs_state)

perf_fds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'perf_event'; }
ncpu=$(grep -c '^processor' /proc/cpuinfo)

# a complete run to protect
"$VNETPROF" record -q -o r.db --run keep -e sched:sched_switch -i 100ms -d 1s >/dev/null
"$VNETPROF" export r.db --run keep --format csv > keep.before

for sig in INT TERM; do
	"$VNETPROF" record -q -o r.db --run "sig$sig" -B perf -e net:net_dev_xmit -e sched:sched_switch -T lo -i 100ms > out.$sig 2>&1 &
	pid=$!
	sleep 1.55
	n=$(perf_fds $pid)
	check "SIG$sig: while recording, one perf fd per event per CPU ($n = 2 x $ncpu)" [ "$n" = $((2 * ncpu)) ]
	kill -$sig $pid
	wait $pid
	rc=$?
	check "SIG$sig: exit status 0 (a signal is how a run without -d ends) (rc=$rc)" [ "$rc" = 0 ]
	check "SIG$sig: the process is gone, and with it every perf fd" [ ! -e /proc/$pid ]
	read -r status bins last flags < <(sqlite3 -separator ' ' r.db "select r.status, count(b.k), max(b.t_end), (select flags from bins where run_id = r.id order by k desc limit 1) from runs r join bins b on b.run_id = r.id where r.name = 'sig$sig'")
	check "SIG$sig: run is interrupted ($status)" [ "$status" = interrupted ]
	check "SIG$sig: every bin so far was kept ($bins bins, last ends at $last s)" awk -v b="$bins" -v t="$last" 'BEGIN { exit !(b >= 15 && b <= 17 && t > 1.5 && t < 1.8) }'
	check "SIG$sig: the last bin is flagged partial (flags $flags)" [ $((flags & 4)) = 4 ]
	check "SIG$sig: tracefs as it was" [ "$(tracefs_state)" = "$before" ]
done

# SIGTERM with a COMMAND: the command is stopped too, its status returned
"$VNETPROF" record -q -o r.db --run cmdterm -e sched:sched_switch -- sleep 37.25 > /dev/null 2>&1 &
pid=$!
sleep 0.8
running() { pgrep -f 'sleep 37.25' > /dev/null; }
check "the command runs under the recorder" running
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM with a COMMAND: exit status 143, the command's (rc=$rc)" [ "$rc" = 143 ]
stopped() { ! running; }
check "the command was stopped" stopped

# SIGKILL: no cleanup code runs; the kernel closes the fds, the store stays sound
"$VNETPROF" record -q -o r.db --run killed -e sched:sched_switch -i 100ms > /dev/null 2>&1 &
pid=$!
sleep 2.6
kill -KILL $pid
wait $pid 2>/dev/null
run "$VNETPROF" runs r.db --json
check "after SIGKILL the store opens (rc=$RC $ERR)" [ "$RC" = 0 ]
check "after SIGKILL the run reads back as interrupted" grep -q '"name":"killed","status":"interrupted"' <<<"$OUT"
kb=$(sqlite3 r.db "select count(*) from bins b join runs r on r.id = b.run_id where r.name = 'killed'")
check "after SIGKILL every flushed bin is there ($kb bins, flushed each second)" [ "$kb" -ge 20 ]
"$VNETPROF" export r.db --run keep --format csv > keep.after
check "the other run is untouched" cmp -s keep.before keep.after
check "sqlite integrity_check is ok" [ "$(sqlite3 r.db 'pragma integrity_check')" = ok ]
check "tracefs as it was" [ "$(tracefs_state)" = "$before" ]
t_done
