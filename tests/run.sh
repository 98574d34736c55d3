#!/bin/bash
# The whole test suite: warning-free builds with gcc and clang, then every
# suite on an AddressSanitizer + UndefinedBehaviorSanitizer build (unit and
# cli always; root when run as root). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

setup() { # DIR -DOPTION=VALUE...: the options hold for a build dir made earlier too
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" > "$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	else
		meson configure "$dir" "$@" > "$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" > "$dir.build.log" 2>&1 || { cat "$dir.build.log"; return 1; }
}

failed_builds=0
# warnings are errors in these two builds: a warning fails the suite
setup build-gcc -Dwerror=true -Dbuildtype=debugoptimized || failed_builds=$((failed_builds + 1))
CC=clang setup build-clang -Dwerror=true -Dbuildtype=debugoptimized || failed_builds=$((failed_builds + 1))
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug || failed_builds=$((failed_builds + 1))
# the build for a machine without kernel BTF (src/collect/bpfcount-none.c)
setup build-nobpf -Dbpf=disabled -Dwerror=true -Dbuildtype=debugoptimized || failed_builds=$((failed_builds + 1))
# a build dir made earlier with another compiler is not the clang build
if ! grep -q '"command": "clang' build-clang/compile_commands.json 2>/dev/null; then
	echo "tests: build-clang was not configured with clang: remove it and run again"
	failed_builds=$((failed_builds + 1))
fi
rm -f build-*.setup.log

suites=(--suite unit --suite cli)
if [ "$(id -u)" = 0 ]; then
	suites+=(--suite root)
else
	echo "tests: not root: skipping the root suite (real kernel, namespaces)"
fi
for s in "${EXTRA_SUITES[@]:-}"; do [ -n "$s" ] && suites+=(--suite "$s"); done

# every check a test skips (tests/lib.sh skip, need_root) is listed here with its reason
export VNP_SKIP_LOG=$PWD/build-asan/skips.log
rm -f "$VNP_SKIP_LOG"
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
# skipped: whole tests meson counted as SKIP, plus the checks skipped inside
# tests that otherwise ran (each with its reason in skips.log)
skipped_checks=0
[ -f "$VNP_SKIP_LOG" ] && skipped_checks=$(grep -c . "$VNP_SKIP_LOG")
echo
if [ -s "$VNP_SKIP_LOG" ]; then
	echo "skipped, and why:"
	sed 's/^/  /' "$VNP_SKIP_LOG"
fi
echo "$skipped tests skipped, $skipped_checks checks skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
