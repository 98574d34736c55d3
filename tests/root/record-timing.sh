#!/bin/bash
# -i 100ms -d 60s: 600 bins (+-1), the last ending within 10 ms of 60 s after
# the first began, and no bin drifting from its deadline.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
t0=$(date +%s.%N)
run "$VNETPROF" record -q -o r.db --run timing -e sched:sched_switch -i 100ms -d 60s
t1=$(date +%s.%N)
check "record exits 0 ($ERR)" [ "$RC" = 0 ]
read -r n last worst late < <(sqlite3 -separator ' ' r.db "select count(*), max(t_end), max(abs(t_end - (k + 1) * 0.1)), sum(flags != 0) from bins")
echo "# $n bins, last ends at $last s, worst bin-end deviation from its deadline $worst s, $late flagged"
check "600 bins (+-1): $n" awk -v n="$n" 'BEGIN { exit !(n >= 599 && n <= 601) }'
check "the last bin ends within 10 ms of 60 s ($last)" awk -v t="$last" 'BEGIN { d = t - 60; if (d < 0) d = -d; exit !(d < 0.010) }'
check "no bin ends more than 10 ms from its deadline (no drift): $worst" awk -v w="$worst" 'BEGIN { exit !(w < 0.010) }'
check "the whole command took 60 s plus set-up (< 62 s)" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 60 && b - a < 62) }'
t_done
