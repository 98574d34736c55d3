#!/bin/bash
# --json is an option, parsed as the command parses its options: before the
# command (vnetprof --json runs) or among its options, but not inside the
# COMMAND that record runs or as the value of another option.
. "$(dirname "$0")/../lib.sh"
cd "$T_TMP"
run "$VNETPROF" import --format iperf3 -o r.db --run one "$TEST_FIXTURES/netns-staged/iperf3-client.json"
check "a store to list (import exits $RC: $ERR)" [ "$RC" = 0 -a -s r.db ]
# ok_text: the last run exited 0 and printed something that is not JSON
ok_text() { [ "$RC" = 0 ] && [ -n "$OUT" ] && ! jq -e . > /dev/null 2>&1 <<<"$OUT"; }

run "$VNETPROF" --json runs r.db
check "vnetprof --json runs: exit 0 ($RC: $ERR)" [ "$RC" = 0 ]
check "  ... and its output is JSON naming the run" [ "$(jq -r '.[0].name' <<<"$OUT" 2>/dev/null)" = one ]
run "$VNETPROF" runs r.db -j
check "runs DB -j: JSON too ($RC)" [ "$RC" = 0 -a "$(jq -r '.[0].name' <<<"$OUT" 2>/dev/null)" = one ]
run "$VNETPROF" runs r.db
check "runs without --json: text ($RC)" ok_text
check "  (text names the run too)" grep -qw one <<<"$OUT"
# a usage error under a leading --json is one JSON object with the message
run "$VNETPROF" --json runs --bogus
check "vnetprof --json runs --bogus: exit 2, the error as JSON ($OUT)" \
	[ "$RC" = 2 -a "$(jq -r '.error' <<<"$OUT" 2>/dev/null | grep -c 'unknown option')" = 1 -a -z "$ERR" ]
# the value of an option is not an option: a run named -j
run "$VNETPROF" import --format iperf3 -o r.db --run -j "$TEST_FIXTURES/netns-staged/iperf3-client.json"
check "--run -j names a run '-j', in text ($RC: $ERR)" ok_text
run "$VNETPROF" runs r.db --json
check "  ... listed as '-j'" [ "$(jq -r '.[].name' <<<"$OUT" | grep -cx -- -j)" = 1 ]
t_done
