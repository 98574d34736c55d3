// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ftrace backends' pure parts: binning timestamps on the recorder's
 * grid (checked on the real vhost function-tracer fixture against an awk
 * count of the same file) and parsing the function profiler's trace_stat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collect/ftracefunc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_bin_basic(void **state)
{
	/* grid: origin 1000 ns, 100 ns bins */
	uint64_t ts[] = { 999, 1000, 1099, 1100, 1350, 5000, 1199, 1200 };
	double c[3] = { 0, 0, 0 };
	uint64_t early = 0;
	size_t kept;

	(void)state;
	kept = vnp_bin_times(ts, 8, 1000, 100, 0, 3, c, &early);
	assert_int_equal(early, 1);
	assert_true(c[0] == 2 && c[1] == 2 && c[2] == 1);
	/* after the last bin: kept, in order */
	assert_int_equal(kept, 2);
	assert_int_equal(ts[0], 1350);
	assert_int_equal(ts[1], 5000);
	/* the next read, bin 3 alone: 1350 counts, 5000 still waits */
	c[0] = 0;
	kept = vnp_bin_times(ts, kept, 1000, 100, 3, 1, c, NULL);
	assert_true(c[0] == 1);
	assert_int_equal(kept, 1);
	assert_int_equal(ts[0], 5000);
	/* a late arrival (bin 1 read already) goes to the first bin asked for */
	{
		uint64_t late[] = { 1150, 1720 };
		double d[1] = { 0 };

		assert_int_equal(vnp_bin_times(late, 2, 1000, 100, 7, 1, d, NULL), 0);
		assert_true(d[0] == 2);
	}
	/* nothing to bin */
	assert_int_equal(vnp_bin_times(ts, 0, 1000, 100, 0, 3, c, NULL), 0);
}

struct fixture_fn {
	const char *name;
	uint64_t *ts;
	size_t n, cap;
};

/* seconds "7369423.409946" as ns, by integer arithmetic */
static int parse_ts(const char *s, uint64_t *ns)
{
	char *end;
	unsigned long long sec = strtoull(s, &end, 10), frac = 0;
	int digits = 0;

	if (*end != '.')
		return -1;
	for (s = end + 1; *s >= '0' && *s <= '9'; s++, digits++)
		frac = frac * 10 + (unsigned long long)(*s - '0');
	if (*s != ':' || !digits || digits > 9)
		return -1;
	while (digits++ < 9)
		frac *= 10;
	*ns = sec * 1000000000ull + frac;
	return 0;
}

static void test_bin_vhost_fixture(void **state)
{
	static const char *const names[] = { "vhost_get_vq_desc", "vhost_signal",
					     "vhost_work_queue", "vhost_poll_wakeup",
					     "vhost_zerocopy_signal_used", NULL /* every call */ };
	const char *fx = getenv("TEST_FIXTURES");
	struct fixture_fn fn[6] = { { 0 } };
	char path[1024], cmd[4096], line[512];
	const uint64_t origin_s = 7369423, width_ns = 100000000; /* 100 ms bins */
	size_t nbins = 0, lines = 0;
	FILE *fp;

	(void)state;
	assert_non_null(fx);
	snprintf(path, sizeof(path), "%s/vhost/function-tracer.txt", fx);
	fp = fopen(path, "r");
	assert_non_null(fp);
	for (int i = 0; i < 6; i++)
		fn[i].name = names[i];
	/* "  TASK-PID  [CPU] FLAGS  TIMESTAMP: FUNCTION <-PARENT" */
	while (fgets(line, sizeof(line), fp)) {
		char *tok[8], *save = NULL;
		int nt = 0;
		uint64_t t = 0;

		if (line[0] == '#')
			continue;
		for (char *p = strtok_r(line, " \t\n", &save); p && nt < 8;
		     p = strtok_r(NULL, " \t\n", &save))
			tok[nt++] = p;
		assert_int_equal(nt, 6);
		assert_int_equal(parse_ts(tok[3], &t), 0);
		lines++;
		for (int i = 0; i < 6; i++) {
			if (names[i] && strcmp(names[i], tok[4]))
				continue;
			if (fn[i].n == fn[i].cap) {
				fn[i].cap = fn[i].cap ? 2 * fn[i].cap : 256;
				fn[i].ts = realloc(fn[i].ts, fn[i].cap * sizeof(uint64_t));
				assert_non_null(fn[i].ts);
			}
			fn[i].ts[fn[i].n++] = t;
			if ((t - origin_s * 1000000000ull) / width_ns + 1 > nbins)
				nbins = (t - origin_s * 1000000000ull) / width_ns + 1;
		}
	}
	fclose(fp);
	assert_int_equal(fn[5].n, lines);
	assert_true(lines > 4000 && nbins > 800);

	/*
	 * The independent count: awk on the same file, integer microseconds
	 * (exact in a double), one "FUNCTION BIN COUNT" line per non-empty bin.
	 */
	snprintf(cmd, sizeof(cmd),
		 "awk -v o=%llu '!/^#/ { split($4, a, \".\"); sub(\":\", \"\", a[2]); "
		 "us = (a[1] - o) * 1000000 + a[2]; b = int(us / 100000); "
		 "c[$5 \" \" b]++; c[\"ALL \" b]++ } "
		 "END { for (k in c) printf \"%%s %%d\\n\", k, c[k] }' '%s'",
		 (unsigned long long)origin_s, path);
	for (int i = 0; i < 6; i++) {
		double *mine = calloc(nbins, sizeof(double));
		double *theirs = calloc(nbins, sizeof(double));
		const char *want = names[i] ? names[i] : "ALL";
		uint64_t early = 0;
		size_t kept;
		double sum = 0;
		char fname[128];
		long bin, count;

		assert_non_null(mine);
		assert_non_null(theirs);
		/* everything in one call, then again one bin per call as the recorder reads */
		kept = vnp_bin_times(fn[i].ts, fn[i].n, origin_s * 1000000000ull, width_ns, 0,
				     nbins, mine, &early);
		assert_int_equal(kept, 0);
		assert_int_equal(early, 0);
		fp = popen(cmd, "r");
		assert_non_null(fp);
		while (fscanf(fp, "%127s %ld %ld", fname, &bin, &count) == 3) {
			if (strcmp(fname, want))
				continue;
			assert_true(bin >= 0 && (size_t)bin < nbins);
			theirs[bin] = (double)count;
		}
		assert_int_equal(pclose(fp), 0);
		for (size_t b = 0; b < nbins; b++) {
			if (mine[b] != theirs[b])
				fail_msg("%s bin %zu: %g binned, awk %g", want, b, mine[b],
					 theirs[b]);
			sum += mine[b];
		}
		assert_true(sum == (double)fn[i].n);
		free(mine);
		free(theirs);
	}
	for (int i = 0; i < 6; i++)
		free(fn[i].ts);
}

/*
 * Timestamps binned all at once and bin by bin, as the live path reads,
 * each against the count worked out here: ts = 5 s + j * 4999999 ns for
 * every j in 0..999 once (i * 7919 mod 1000 is a permutation), in bin
 * j * 4999999 / 1e8 (integer division)
 */
static void test_bin_incremental(void **state)
{
	uint64_t ts[1000], copy[1000];
	double all[50] = { 0 }, want[50] = { 0 }, one;
	size_t n = 1000;

	(void)state;
	for (size_t i = 0; i < 1000; i++)
		ts[i] = 5000000000ull + (i * 7919ull % 1000) * 4999999ull; /* 5 s .. 10 s */
	for (uint64_t j = 0; j < 1000; j++)
		want[j * 4999999ull / 100000000ull]++;
	memcpy(copy, ts, sizeof(ts));
	assert_int_equal(vnp_bin_times(copy, 1000, 5000000000ull, 100000000ull, 0, 50, all, NULL),
			 0);
	for (int64_t b = 0; b < 50; b++) {
		one = 0;
		n = vnp_bin_times(ts, n, 5000000000ull, 100000000ull, b, 1, &one, NULL);
		if (all[b] != want[b] || one != want[b])
			fail_msg("bin %lld: %g at once, %g bin by bin, %g wanted", (long long)b,
				 all[b], one, want[b]);
	}
	assert_int_equal(n, 0);
}

static void test_profile_parse(void **state)
{
	/* the kernel's format: "  %-30.30s  %10lu" then, with the graph tracer, times */
	static const char graph[] =
		"  Function                               Hit    Time            Avg"
		"             s^2\n"
		"  --------                               ---    ----            ---"
		"             ---\n"
		"  handle_tx                              1234    5678.123 us     4.601 us"
		"        1.2 us\n"
		"  handle_rx                                 7    12.000 us       1.714 us"
		"        0.1 us\n"
		"  a_function_with_a_very_long_na        42    1.000 us        0.023 us"
		"        0.0 us\n";
	static const char plain[] =
		"  Function                               Hit\n"
		"  --------                               ---\n"
		"  handle_rx                              99\n";
	const char *funcs[] = { "handle_tx", "handle_rx", "kvm_vcpu_block",
				"a_function_with_a_very_long_name_indeed" };
	uint64_t hits[4];

	(void)state;
	assert_int_equal(vnp_ftrace_profile_parse(graph, funcs, 4, hits), 3);
	assert_int_equal(hits[0], 1234);
	assert_int_equal(hits[1], 7);
	assert_int_equal(hits[2], 0);
	assert_int_equal(hits[3], 42);
	assert_int_equal(vnp_ftrace_profile_parse(plain, funcs, 4, hits), 1);
	assert_int_equal(hits[0], 0);
	assert_int_equal(hits[1], 99);
	/* "handle_t" must not match "handle_tx" */
	funcs[0] = "handle_t";
	assert_int_equal(vnp_ftrace_profile_parse(graph, funcs, 1, hits), 0);
	assert_int_equal(vnp_ftrace_profile_parse("no such thing\n", funcs, 1, hits), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bin_basic),
		cmocka_unit_test(test_bin_vhost_fixture),
		cmocka_unit_test(test_bin_incremental),
		cmocka_unit_test(test_profile_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
