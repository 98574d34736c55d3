#!/bin/bash
# import of broken input: a clear one-line error or a counted warning with
# file:line, never a crash, and the runs already in the store stay intact.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/import-lib.sh"
cd "$T_TMP"
FF=$TEST_FIXTURES/ftrace-formats
NS=$TEST_FIXTURES/netns-staged

count_awk='!/^#/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { emit("tracepoint_hits{event=\"net:net_dev_xmit\"}", tbin(substr($i, 1, length($i) - 1), 1)); break } }
END { out() }'

run "$VNETPROF" import "$FF/default.txt" -o a.db --run keep
check "the first run: imported" [ "$RC" = 0 ]
vnp_to keep.csv export a.db --format csv
rows a.db keep 0.1 > keep.rows
awk "$AWK_BIN$count_awk" "$FF/default.txt" | LC_ALL=C sort > want
same_rows "the first run: its per-bin counts" want keep.rows
# same_as RUN DESC: run RUN of a.db has the first run's per-bin counts
same_as() { rows a.db "$1" 0.1 > "$1.rows"; same_lines "$2" keep.rows "$1.rows"; }

# a line cut short (the file ends in the middle of it)
head -c 20000 "$FF/default.txt" > cut.txt
n=$(wc -l < cut.txt)
run "$VNETPROF" import cut.txt -o a.db --run cut
check "cut line: imported the whole lines" [ "$RC" = 0 ]
check "cut line: a warning names cut.txt:$((n + 1))" grep -q "cut.txt:$((n + 1)): not an ftrace line" <<<"$ERR"
head -n "$n" cut.txt | awk "$AWK_BIN$count_awk" | LC_ALL=C sort > want
rows a.db cut 0.1 > got
same_rows "cut line: the whole lines are counted" want got

# binary garbage
{ printf '\0'; garbage 200000; } > garbage.bin
expect_fail 1 "garbage.bin: unknown format" "$VNETPROF" import garbage.bin -o a.db
for f in ftrace function-graph perf-script perf-stat iperf3 trace-dat; do
	expect_fail 1 "garbage.bin" "$VNETPROF" import garbage.bin --format $f -o a.db
done
# a garbage line (not starting with "#", a comment) between good ones: a counted
# warning, the good lines counted
{ head -100 "$FF/default.txt"; printf '\001'; garbage 3000 2 | tr -d '\n'; echo; tail -n +101 "$FF/default.txt"; } > mixed.txt
run "$VNETPROF" import mixed.txt -o a.db --run mixed
check "garbage line among good ones: imported" [ "$RC" = 0 ]
check "garbage line: a warning names mixed.txt:101" grep -q "mixed.txt:101:" <<<"$ERR"
same_as mixed "garbage line: the good lines counted"
# NUL bytes inside a line
{ head -50 "$FF/default.txt"; printf 'abc\0def [000] 1.0: x\n'; tail -n +51 "$FF/default.txt"; } > nul.txt
run "$VNETPROF" import nul.txt -o a.db --run nul
check "NUL bytes: imported" [ "$RC" = 0 ]
check "NUL bytes: a warning names nul.txt:51" grep -q "nul.txt:51:" <<<"$ERR"
same_as nul "NUL bytes: the other lines counted"

# a line of 1 MB
{ head -100 "$FF/default.txt"; head -c 1048576 /dev/zero | tr '\0' x; echo; tail -n +101 "$FF/default.txt"; } > long.txt
run "$VNETPROF" import long.txt -o a.db --run long
check "1 MB line: imported" [ "$RC" = 0 ]
check "1 MB line: a warning names long.txt:101" grep -q "long.txt:101: line longer than 64 KiB" <<<"$ERR"
same_as long "1 MB line: the other lines counted"
# ... also in perf script, perf stat and at the end of a file without a newline
for f in perf-script perf-stat; do
	src=$NS/perf-script-cpu-clock.txt; [ $f = perf-stat ] && src=$NS/perf-stat-interval.csv
	{ head -5 "$src"; head -c 1048576 /dev/zero | tr '\0' 1; echo; tail -n +6 "$src"; } > long-$f.txt
	run "$VNETPROF" import long-$f.txt --format $f -o a.db --run long-$f
	check "1 MB line in $f: imported" [ "$RC" = 0 ]
	check "1 MB line in $f: a warning names long-$f.txt:6" grep -q "long-$f.txt:6: line longer" <<<"$ERR"
done
{ cat "$FF/default.txt"; head -c 1048576 /dev/zero | tr '\0' x; } > longend.txt
run "$VNETPROF" import longend.txt -o a.db --run longend
check "1 MB last line without newline: imported" [ "$RC" = 0 ]
check "1 MB last line without newline: a warning" grep -q "longend.txt:$(($(wc -l < "$FF/default.txt") + 1)): line longer" <<<"$ERR"

# timestamps going backwards: counted warnings; every event still in its own bin
{ head -12 "$FF/default.txt"; tail -n +13 "$FF/default.txt" | tac; } > back.txt
run "$VNETPROF" import back.txt -o a.db --run back
check "time going back: imported" [ "$RC" = 0 ]
check "time going back: a warning with its line" grep -qE "back.txt:[0-9]+: time goes back" <<<"$ERR"
same_as back "time going back: same bins as in order"
# ... and backwards across bins: the origin is the earliest time
awk 'NR <= 12 { print; next } { l[NR] = $0 } END { for (i = NR; i > 12; i--) print l[i] }' \
	"$TEST_FIXTURES/vhost/function-tracer.txt" > vback.txt
run "$VNETPROF" import vback.txt -o a.db --run vback
check "reversed trace: imported" [ "$RC" = 0 ]
run "$VNETPROF" import "$TEST_FIXTURES/vhost/function-tracer.txt" -o a.db --run vfwd
check "the trace in order: imported" [ "$RC" = 0 ]
rows a.db vfwd 0.1 > vfwd.rows
rows a.db vback 0.1 > vback.rows
same_lines "reversed trace: same bins as in order" vfwd.rows vback.rows
vnp_to vfwd.json export a.db --run vfwd --format json
vnp_to vback.json export a.db --run vback --format json
check "reversed trace: same origin as in order ($(jq .runs[0].origin vfwd.json))" \
	[ "$(jq .runs[0].origin vfwd.json)" = "$(jq .runs[0].origin vback.json)" -a -n "$(jq '.runs[0].origin // empty' vfwd.json)" ]

# an iperf3 report cut short, and other JSON
head -c 5000 "$NS/iperf3-server.json" > cutjs.json
expect_fail 1 "cutjs.json:[0-9]+:[0-9]+: not valid JSON \(the file is cut short\)" "$VNETPROF" import cutjs.json -o a.db
echo '{"start": {}, "error": "unable to connect to server: Connection refused"}' > err.json
expect_fail 1 "err.json: iperf3 reported an error.*Connection refused" "$VNETPROF" import err.json -o a.db
echo '{"a": 1}' > other.json
expect_fail 1 "other.json: JSON but not an iperf3 report" "$VNETPROF" import other.json -o a.db
echo '{"intervals": [{"streams": [{"start": 0, "end": "x"}], "sum": {}}]}' > badiv.json
expect_fail 1 "badiv.json: interval 1" "$VNETPROF" import badiv.json -o a.db
# gzip cut short: what it held is read, with a warning
head -c 300000 "$NS/ftrace-events.txt.gz" > cut.txt.gz
run "$VNETPROF" import cut.txt.gz -o a.db --run cutgz
check "gzip cut short: imported what it held" [ "$RC" = 0 ]
check "gzip cut short: a warning" grep -q "cut.txt.gz: the gzip data ends early" <<<"$ERR"
printf '\x1f\x8b\x08\x00garbage-after-a-gzip-magic' > badgz.gz
expect_fail 1 "badgz.gz: damaged gzip data" "$VNETPROF" import badgz.gz --format ftrace -o a.db

# an unknown format, an empty file, a missing file
printf 'hello world\nthis is not a trace\n' > hello.txt
expect_fail 1 "hello.txt: unknown format" "$VNETPROF" import hello.txt -o a.db
expect_fail 1 "hello.txt:1: not ftrace text" "$VNETPROF" import hello.txt --format ftrace -o a.db
expect_fail 1 "hello.txt:1: not perf stat" "$VNETPROF" import hello.txt --format perf-stat -o a.db
expect_fail 1 "hello.txt:1: not perf script" "$VNETPROF" import hello.txt --format perf-script -o a.db
: > empty.txt
expect_fail 1 "empty.txt: empty file" "$VNETPROF" import empty.txt -o a.db
expect_fail 1 "empty.txt: nothing to import" "$VNETPROF" import empty.txt --format ftrace -o a.db
expect_fail 1 "nothere.txt: No such file" "$VNETPROF" import nothere.txt -o a.db
expect_fail 2 "unknown format 'xml'" "$VNETPROF" import --format xml hello.txt -o a.db
expect_fail 2 "standard input needs --format" "$VNETPROF" import - -o a.db < hello.txt
expect_fail 2 "--by 'a-b'" "$VNETPROF" import --by a-b "$FF/default.txt" -o a.db
expect_fail 2 "--bin" "$VNETPROF" import --bin 0 "$FF/default.txt" -o a.db
expect_fail 2 "whole number of microseconds" "$VNETPROF" import --bin 1ns "$FF/default.txt" -o a.db
expect_fail 1 "already exists" "$VNETPROF" import "$FF/default.txt" -o a.db --run keep

# a time far away from the others: the bins would not fit in memory
{ head -13 "$FF/default.txt"; echo '         python3-9253    [000] b....  9000000.000000: net_dev_xmit: dev=lo'; } > far.txt
expect_fail 1 "far.txt:14: .*would need .* MiB.*--bin" "$VNETPROF" import far.txt --bin 1us -o a.db
# trace clock counting cycles
sed -E 's/ ([0-9]+)\.([0-9]+): / \1\2: /' "$FF/default.txt" > tsc.txt
expect_fail 1 "tsc.txt:13: the timestamps are not seconds" "$VNETPROF" import tsc.txt -o a.db

# perf stat: not counted intervals flag their bins
{ head -3 "$NS/perf-stat-interval.csv"; echo '     0.500961610,<not counted>,,net:net_dev_queue,0,100.00,,'; tail -n +4 "$NS/perf-stat-interval.csv"; } > nc.csv
run "$VNETPROF" import nc.csv -o a.db --run nc
check "<not counted>: imported" [ "$RC" = 0 ]
check "<not counted>: a warning names nc.csv:4" grep -q "nc.csv:4: net:net_dev_queue <not counted>" <<<"$ERR"
vnp_to nc.json export a.db --run nc --format json
check "<not counted>: its bins are flagged incomplete" \
	[ "$(jq '[.runs[0].bins[] | select(.flags == 1)] | length' nc.json)" = 6 ]

# CRLF line ends read like LF
sed 's/$/\r/' "$FF/default.txt" > crlf.txt
run "$VNETPROF" import crlf.txt -o a.db --run crlf
check "CRLF: imported" [ "$RC" = 0 ]
same_as crlf "CRLF: same bins"

# nothing that was in the store is lost
vnp_to keep2.csv export a.db --run keep --format csv
same_lines "the first run is intact after every refusal" keep.csv keep2.csv
t_done
