#!/bin/bash
# The whole test suite: warning-free builds with gcc and clang, then every
# suite on an AddressSanitizer + UndefinedBehaviorSanitizer build (unit and
# cli always; root when run as root). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

setup() { # DIR ARGS...
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" > "$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" > "$dir.build.log" 2>&1 || { cat "$dir.build.log"; return 1; }
}

failed_builds=0
# warnings are errors in these two builds: a warning fails the suite
setup build-gcc -Dwerror=true --buildtype=debugoptimized || failed_builds=$((failed_builds + 1))
CC=clang setup build-clang -Dwerror=true --buildtype=debugoptimized || failed_builds=$((failed_builds + 1))
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug || failed_builds=$((failed_builds + 1))
rm -f build-*.setup.log

suites=(--suite unit --suite cli)
if [ "$(id -u)" = 0 ]; then
	suites+=(--suite root)
else
	echo "tests: not root: skipping the root suite (real kernel, namespaces)"
fi
for s in "${EXTRA_SUITES[@]:-}"; do [ -n "$s" ] && suites+=(--suite "$s"); done

meson test -C build-asan --print-errorlogs --num-processes 1 "${suites[@]}"
rc=$?

# the importers' libFuzzer harnesses, for a bounded time each (tests/fuzz/run.sh)
fuzz_failed=0
if [ "${FUZZ_SECONDS:-20}" != 0 ]; then
	echo "tests: fuzzing each text importer for ${FUZZ_SECONDS:-20} s"
	fuzz_dir=$(mktemp -d /tmp/vnp-fuzz-XXXXXX)
	if tests/fuzz/run.sh "${FUZZ_SECONDS:-20}" "$fuzz_dir" > build-asan/fuzz.log 2>&1; then
		echo "fuzz: ok ($(grep -c 'number_of_executed_units' build-asan/fuzz.log) harnesses)"
		rm -rf "$fuzz_dir"
	else
		fuzz_failed=1
		tail -30 build-asan/fuzz.log
		echo "fuzz: corpora and crashes kept in $fuzz_dir"
	fi
fi

# count from meson's own log: one line per test with its result
log=build-asan/meson-logs/testlog.json
passed=0
failed=$failed_builds
skipped=0
if [ -f "$log" ]; then
	passed=$(grep -c '"result": "OK"' "$log")
	skipped=$(grep -c '"result": "SKIP"' "$log")
	failed=$((failed + $(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log")))
fi
[ "$rc" != 0 ] && [ "$failed" = 0 ] && failed=1
if [ "${FUZZ_SECONDS:-20}" != 0 ]; then
	if [ "$fuzz_failed" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi
echo
echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
