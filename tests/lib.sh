# Shared by the shell tests (sourced). Each test script runs checks with
# these helpers and exits non-zero if any failed; meson counts the scripts.
# VNETPROF is the binary under test; TEST_FIXTURES the shared fixtures.
set -u
VNETPROF=${VNETPROF:?VNETPROF not set}
TEST_FIXTURES=${TEST_FIXTURES:-$(dirname "$0")/../../../shared/fixtures}
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
