# Shared by the shell tests (sourced). Each test script runs checks with
# these helpers and exits non-zero if any failed; meson counts the scripts.
# VNETPROF is the binary under test; TEST_FIXTURES the shared fixtures.
# pipefail: a pipeline fails when any of its commands does (mind `cmd | grep -q`:
# grep stops early and cmd may die of SIGPIPE; read into a variable first).
set -u -o pipefail
VNETPROF=${VNETPROF:?VNETPROF not set}
TEST_FIXTURES=${TEST_FIXTURES:-$(dirname "$0")/../fixtures}
T_FAILED=0
T_PASSED=0
T_SKIPPED=0
T_TMP=$(mktemp -d /tmp/vnp-test-XXXXXX)
# Every sanitizer report of every instrumented program this test starts goes
# to a file of its own, whatever the test does with that program's stderr or
# exit status; a test that leaves one fails (t_exit).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T_TMP/sanitizer"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T_TMP/sanitizer"
# (LeakSanitizer would also write there the statistics of suppressions that
# matched, which are no report: tests that suppress a library's leak add
# suppressions=FILE to LSAN_OPTIONS)
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}print_suppressions=0"
t_cleanup_hooks=()
t_on_exit() { t_cleanup_hooks+=("$1"); }
t_exit() {
	local rc=$? h f
	for h in "${t_cleanup_hooks[@]}"; do eval "$h" || true; done
	for f in "$T_TMP"/sanitizer.*; do
		[ -e "$f" ] || continue
		echo "not ok - sanitizer report ($f):"
		sed 's/^/#   /' "$f"
		rc=1
	done
	rm -rf "$T_TMP"
	exit "$rc"
}
trap t_exit EXIT
trap 'exit 130' INT TERM

pass() { T_PASSED=$((T_PASSED + 1)); echo "ok - $*"; }
fail() { T_FAILED=$((T_FAILED + 1)); echo "not ok - $*"; }
# skip REASON: a check this host cannot run (a kernel without the feature, a
# CPU that cannot go offline). Counted as a skip, never as a pass, and listed
# with its reason in tests/run.sh's closing lines. A tool that scripts/deps.sh
# installs is never a reason: use need_tool.
skip() {
	T_SKIPPED=$((T_SKIPPED + 1))
	echo "skip - $*"
	[ -n "${VNP_SKIP_LOG:-}" ] && printf '%s: %s\n' "$(basename "$0")" "$*" >> "$VNP_SKIP_LOG"
	return 0
}
# need_tool CMD PACKAGE: CMD must be installed (scripts/deps.sh installs
# PACKAGE); its absence fails the test rather than skipping it
need_tool() {
	command -v "$1" > /dev/null && return 0
	fail "$1 is not installed: scripts/deps.sh installs it (apt-get install $2)"
	return 1
}

# run CMD...: captures $OUT, $ERR and $RC
run() {
	OUT=$("$@" 2>"$T_TMP/stderr")
	RC=$?
	ERR=$(cat "$T_TMP/stderr")
}

# expect_fail RC PATTERN CMD...: exit status RC and PATTERN (grep -E) in stderr+stdout, one line
expect_fail() {
	local want=$1 pat=$2
	shift 2
	run "$@"
	local all="$ERR$OUT"
	if [ "$RC" != "$want" ]; then
		fail "$* exited $RC, wanted $want (stderr: $ERR)"
	elif ! grep -qE -- "$pat" <<<"$all"; then
		fail "$*: message '$all' lacks /$pat/"
	elif [ "$(printf '%s\n' "$ERR" | grep -c .)" -gt 1 ]; then
		fail "$*: error is more than one line: $ERR"
	else
		pass "$* -> $RC: $(head -c 160 <<<"$all")"
	fi
}

# check DESCRIPTION TEST-EXPR...
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

t_done() {
	echo "# $T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
	[ "$T_FAILED" -eq 0 ] || exit 1
	# nothing checked and something skipped: the whole test is a skip (meson: 77)
	[ "$T_PASSED" -gt 0 ] || [ "$T_SKIPPED" -eq 0 ] || exit 77
	exit 0
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "# SKIP: needs root"
		[ -n "${VNP_SKIP_LOG:-}" ] && echo "$(basename "$0"): needs root" >> "$VNP_SKIP_LOG"
		exit 77
	fi
}

# wait_for SECONDS CMD...: poll CMD every 20 ms until it succeeds (0) or
# SECONDS (may be fractional) have passed (1). For a state to be reached, never a fixed sleep.
wait_for() {
	local end
	end=$(($(date +%s%N) + $(awk -v s="$1" 'BEGIN { printf "%.0f", s * 1e9 }')))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.02
	done
}

# netns_pair: two namespaces joined by a veth pair, IPv6 off and a static
# neighbour entry on each side, so that the only frames on the link are the
# ones a test sends. Sets NS_A NS_B DEV_A DEV_B IP_A IP_B; removed on exit.
netns_pair() {
	local tag=vt$$
	NS_A=vnpt-$$-a
	NS_B=vnpt-$$-b
	DEV_A=${tag}a
	DEV_B=${tag}b
	IP_A=198.18.0.1
	IP_B=198.18.0.2
	t_on_exit "ip netns del $NS_A 2>/dev/null; ip netns del $NS_B 2>/dev/null"
	ip netns add "$NS_A" && ip netns add "$NS_B" || return 1
	local ns
	for ns in "$NS_A" "$NS_B"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	ip link add "$DEV_A" netns "$NS_A" type veth peer name "$DEV_B" netns "$NS_B" || return 1
	ip -n "$NS_A" addr add "$IP_A/30" dev "$DEV_A" && ip -n "$NS_B" addr add "$IP_B/30" dev "$DEV_B" || return 1
	ip -n "$NS_A" link set "$DEV_A" up && ip -n "$NS_B" link set "$DEV_B" up || return 1
	ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up
	local mac_a mac_b
	mac_a=$(ip netns exec "$NS_A" cat "/sys/class/net/$DEV_A/address")
	mac_b=$(ip netns exec "$NS_B" cat "/sys/class/net/$DEV_B/address")
	ip -n "$NS_A" neigh replace "$IP_B" lladdr "$mac_b" dev "$DEV_A" nud permanent &&
		ip -n "$NS_B" neigh replace "$IP_A" lladdr "$mac_a" dev "$DEV_B" nud permanent
}

# garbage BYTES [SEED]: that many pseudo-random bytes on stdout, the same on
# every run (seeded), so that a test fed garbage cannot pass or fail by chance
garbage() {
	/usr/bin/python3 -c 'import random, sys
r = random.Random(int(sys.argv[2]))
sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(int(sys.argv[1]))))' "$1" "${2:-1}"
}

# stat_of NS DEV FILE: a value of the device's statistics, read inside its namespace
stat_of() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# tracefs_state: what must be the same before and after a run
tracefs_state() {
	local T=/sys/kernel/tracing
	ls "$T/instances" 2>/dev/null
	cat "$T/set_event" "$T/tracing_on" "$T/current_tracer" 2>/dev/null
}
