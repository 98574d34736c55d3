#!/bin/bash
# Every bad input to record: one line that says what is wrong and what to
# do, exit 1 (2 for usage), nothing left in tracefs, nothing added to the store.
. "$(dirname "$0")/../lib.sh"
need_root
cd "$T_TMP"
before=$(tracefs_state)
V=$VNETPROF
run "$V" record -q -o r.db --run keep -e sched:sched_switch -d 300ms
check "a run to keep records (rc=$RC $ERR)" [ "$RC" = 0 ]
snap() { sqlite3 r.db "select count(*) from runs; select count(*) from bins; select count(*) from samples"; }
s0=$(snap)

expect_fail 1 "unknown event 'net:no_such_event'.*vnetprof list events" "$V" record -o r.db -e net:no_such_event -d 1s
expect_fail 1 "'netdevxmit' is not an event; write SYSTEM:EVENT" "$V" record -o r.db -e netdevxmit -d 1s
expect_fail 1 "filter 'nme == \"lo\"' on net:net_dev_xmit rejected by the kernel: Field not found" \
	"$V" record -o r.db -e net:net_dev_xmit --filter 'nme == "lo"' -d 1s
expect_fail 1 "rejected by the kernel: Invalid value \(did you forget quotes\)" \
	"$V" record -o r.db -e net:net_dev_xmit --filter 'name == lo' -d 1s
expect_fail 1 "rejected by the kernel: Illegal operation for field type" \
	"$V" record -o r.db -e net:net_dev_xmit --filter 'len > "abc"' -d 1s
expect_fail 1 "rejected by the kernel" \
	"$V" record -o r.db -e net:net_dev_xmit --filter '((name == "lo"' -d 1s
expect_fail 1 '"error":"filter .* rejected by the kernel' \
	"$V" record --json -o r.db -e net:net_dev_xmit --filter 'nme == "lo"' -d 1s
expect_fail 1 "unknown device 'nosuchdev0'; 'ip link' lists" "$V" record -o r.db -T nosuchdev0 -d 1s
expect_fail 1 "unknown network namespace 'nosuchns'" "$V" record -o r.db -T lo@nosuchns -d 1s
expect_fail 1 "cannot run 'no-such-command-xyz': command not found" "$V" record -o r.db -- no-such-command-xyz
expect_fail 2 "-d: 'ten' is not a duration" "$V" record -o r.db -d ten
expect_fail 2 "-i: '-5ms': a duration must be greater than zero" "$V" record -o r.db -i -5ms
expect_fail 2 "-i: '3 parsecs'|unknown unit" "$V" record -o r.db -i '3 parsecs'
expect_fail 2 "-d is shorter than one bin" "$V" record -o r.db -i 1s -d 100ms
expect_fail 2 "--filter applies to the -e before it" "$V" record -o r.db --filter 'name == "lo"'
expect_fail 2 "unknown option '--frobnicate'" "$V" record -o r.db --frobnicate
expect_fail 2 "--by cpu: dev or vm" "$V" record -o r.db -e net:net_dev_xmit --by cpu
expect_fail 2 "label 'nokey' is not KEY=VALUE" "$V" record -o r.db --label nokey
expect_fail 1 "a run named 'keep' already exists" "$V" record -o r.db --run keep -d 200ms
echo "this is not a database, just some text long enough to have a header" > corrupt.db
expect_fail 1 "corrupt.db: the store is damaged or not an SQLite file" "$V" record -o corrupt.db -d 200ms
expect_fail 1 "cannot write the store" "$V" record -o /proc/no/such/dir.db -d 200ms

# not root: as nobody, with no capabilities
expect_fail 1 "needs root|refuses system-wide|cannot read" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$V" record -o /tmp/vnp-nobody-$$.db -e net:net_dev_xmit -d 200ms
rm -f /tmp/vnp-nobody-$$.db*

# no tracefs: inside a private mount namespace where it is unmounted
expect_fail 1 "tracefs is not mounted; mount it with 'mount -t tracefs nodev /sys/kernel/tracing'" \
	unshare -m --propagation private sh -c "umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug/tracing 2>/dev/null; exec $V record -o $T_TMP/r.db -e net:net_dev_xmit -d 200ms"

check "the store gained nothing from the refused runs" [ "$(snap)" = "$s0" ]
check "sqlite integrity_check is ok" [ "$(sqlite3 r.db 'pragma integrity_check')" = ok ]
check "tracefs as it was" [ "$(tracefs_state)" = "$before" ]
check "no instance left" [ -z "$(ls /sys/kernel/tracing/instances)" ]
t_done
