# Shared by the shell tests (sourced). Each test script runs checks with
# these helpers and exits non-zero if any failed; meson counts the scripts.
# VNETPROF is the binary under test; TEST_FIXTURES the shared fixtures.
set -u
VNETPROF=${VNETPROF:?VNETPROF not set}
TEST_FIXTURES=${TEST_FIXTURES:-$(dirname "$0")/../fixtures}
T_FAILED=0
T_PASSED=0
T_TMP=$(mktemp -d /tmp/vnp-test-XXXXXX)
t_cleanup_hooks=()
t_on_exit() { t_cleanup_hooks+=("$1"); }
t_exit() {
	local h
	for h in "${t_cleanup_hooks[@]}"; do eval "$h" || true; done
	rm -rf "$T_TMP"
}
trap t_exit EXIT
trap 'exit 130' INT TERM

pass() { T_PASSED=$((T_PASSED + 1)); echo "ok - $*"; }
fail() { T_FAILED=$((T_FAILED + 1)); echo "not ok - $*"; }

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
	echo "# $T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "# SKIP: needs root"
		exit 77
	fi
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

# stat_of NS DEV FILE: a value of the device's statistics, read inside its namespace
stat_of() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# tracefs_state: what must be the same before and after a run
tracefs_state() {
	local T=/sys/kernel/tracing
	ls "$T/instances" 2>/dev/null
	cat "$T/set_event" "$T/tracing_on" "$T/current_tracer" 2>/dev/null
}
