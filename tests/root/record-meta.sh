#!/bin/bash
# What a recorded run stores about itself: the whole command line,
# subcommand and all, quoted so that a shell takes back exactly the words
# that were given; its origin on CLOCK_MONOTONIC and the wall time of it,
# both inside the span the recording ran in.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
# words a shell would split or expand, and one single quote
args=(-q -o r.db --run cmdl -T lo -d 0.2s --label 'note=a b' -- sh -c "echo \"it's\" \$HOME; exit 0")
mono() { python3 -c 'import time; print("%.6f" % time.clock_gettime(time.CLOCK_MONOTONIC))'; }
m0=$(mono) w0=$(date +%s.%N)
run "$VNETPROF" record "${args[@]}"
m1=$(mono) w1=$(date +%s.%N)
check "record exits 0 ($RC: $ERR)" [ "$RC" = 0 ]
read -r origin wall clock < <(sqlite3 -separator ' ' r.db "select origin, start_wall, origin_clock from runs where name = 'cmdl'")
check "the origin is on CLOCK_MONOTONIC, inside the recording's span ($m0 <= $origin <= $m1, $clock)" \
	awk -v a="$m0" -v t="$origin" -v b="$m1" -v c="$clock" 'BEGIN { exit !(c == "CLOCK_MONOTONIC" && a <= t && t <= b) }'
check "its wall time too ($w0 <= $wall <= $w1)" awk -v a="$w0" -v t="$wall" -v b="$w1" 'BEGIN { exit !(a <= t && t <= b) }'

run "$VNETPROF" runs r.db --json
check "runs exits 0 ($RC: $ERR)" [ "$RC" = 0 ]
stored=$(jq -r '.[] | select(.name == "cmdl") | .cmdline' <<<"$OUT")
echo "# stored: $stored"
# the shell's words of the stored line, one per line, against the words given
words=()
[ -n "$stored" ] && eval "words=($stored)"
printf '%s\n' vnetprof record "${args[@]}" > want.txt
printf '%s\n' "${words[@]}" > got.txt
check "the stored line is the whole command, word for word (diff: $(diff want.txt got.txt | head -3))" \
	cmp -s want.txt got.txt
run "$VNETPROF" show r.db --run cmdl
check "show exits 0 ($RC: $ERR)" [ "$RC" = 0 ]
check "show prints it, subcommand included" grep -qxF "  command: $stored" <<<"$OUT"
# -j after COMMAND belongs to the command: record prints text, the command gets -j
run "$VNETPROF" record -o r.db --run jcmd -d 0.5s sh -c 'echo "args: $*"' sh -j
check "record ... sh -c CMD sh -j: exit 0 ($RC: $ERR)" [ "$RC" = 0 ]
check "  ... the command got its -j" grep -qx 'args: -j' <<<"$OUT"
check "  ... and record's own output is text" grep -q '^recorded run jcmd' <<<"$OUT"
t_done
