// SPDX-License-Identifier: GPL-2.0-or-later
/* Durations, number formatting, series names and the in-memory run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vnetprof.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_duration(void **state)
{
	static const struct {
		const char *s;
		double v;
	} ok[] = {
		{ "100ms", 0.1 }, { "1.5s", 1.5 }, { "2m", 120 },     { "250us", 250e-6 },
		{ "1h", 3600 },	  { "3", 3 },	   { "10ns", 10e-9 }, { "0.5", 0.5 },
	};
	static const char *const bad[] = { "", "abc", "-1s", "0", "0ms", "1x", "nan", "inf", "1e999",
					   "5 s", "s" };
	double v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(vnp_parse_duration(ok[i].s, &v), 0);
		assert_true(fabs(v - ok[i].v) <= 1e-12 * ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vnp_parse_duration(bad[i], &v), -EINVAL);
		assert_true(strlen(vnp_errmsg()) > 0);
	}
}

static void test_fmt(void **state)
{
	static const double vals[] = { 0.1, 0.30000000000000004, 1e20, 123456789.123456789, 1.0 / 3,
				       -2.5, 5e-324, 1.7976931348623157e308 };
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		vnp_fmt_double(buf, sizeof(buf), vals[i]);
		assert_true(strtod(buf, NULL) == vals[i]);
	}
	vnp_fmt_double(buf, sizeof(buf), 0.1);
	assert_string_equal(buf, "0.1");
	vnp_fmt_double(buf, sizeof(buf), NAN);
	assert_string_equal(buf, "");
	vnp_fmt_seconds(buf, sizeof(buf), 3 * 0.1);
	assert_string_equal(buf, "0.3");
	vnp_fmt_seconds(buf, sizeof(buf), 60);
	assert_string_equal(buf, "60");
	vnp_fmt_seconds(buf, sizeof(buf), 1.0000000004);
	assert_string_equal(buf, "1");
	vnp_fmt_seconds(buf, sizeof(buf), 0.000000001);
	assert_string_equal(buf, "0.000000001");
}

static void test_series_name(void **state)
{
	struct vnp_label l[] = { { "event", "net:net_dev_xmit" }, { "dev", "we\"ird\\dev\n" } };
	char buf[256], val[64];

	(void)state;
	assert_true(vnp_series_name(buf, sizeof(buf), "tracepoint_hits", l, 2) > 0);
	assert_string_equal(buf, "tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"we\\\"ird\\\\dev\\n\"}");
	assert_int_equal(vnp_series_check(buf), 0);
	assert_int_equal(vnp_series_label(buf, "dev", val, sizeof(val)), (int)strlen("we\"ird\\dev\n"));
	assert_string_equal(val, "we\"ird\\dev\n");
	assert_int_equal(vnp_series_label(buf, "event", val, sizeof(val)), 16);
	assert_string_equal(val, "net:net_dev_xmit");
	assert_int_equal(vnp_series_label(buf, "cpu", val, sizeof(val)), -ENOENT);
	assert_int_equal(vnp_series_name(buf, 10, "tracepoint_hits", l, 2), -ENAMETOOLONG);
	assert_int_equal(vnp_series_name(buf, sizeof(buf), "9bad", NULL, 0), -EINVAL);
	assert_int_equal(vnp_series_check("cpu_seconds"), 0);
	assert_int_equal(vnp_series_check("cpu_seconds{}"), 0);
	assert_int_equal(vnp_series_check("cpu seconds"), -EINVAL);
	assert_int_equal(vnp_series_check("m{a=\"1\""), -EINVAL);
	assert_int_equal(vnp_series_check("m{a=\"1\"}x"), -EINVAL);
	assert_int_equal(vnp_series_check("m{a=1}"), -EINVAL);
	assert_int_equal(vnp_series_check("m{a=\"1\",}"), -EINVAL);
	assert_int_equal(vnp_series_check("m{a=\"\\\"}"), -EINVAL);
}

static void test_run_model(void **state)
{
	struct vnp_run_info ri = { .name = "r", .bin_s = 0.5 };
	struct vnp_series_info si = { .name = "a", .unit = "events" };
	struct vnp_run *run = vnp_run_new(&ri);
	int a, b;

	(void)state;
	assert_non_null(run);
	a = vnp_run_add_series(run, &si);
	assert_int_equal(a, 0);
	assert_int_equal(vnp_run_add_series(run, &si), 0); /* found, not added twice */
	si.name = "b{x=\"1\"}";
	b = vnp_run_add_series(run, &si);
	assert_int_equal(b, 1);
	si.name = "not valid";
	assert_int_equal(vnp_run_add_series(run, &si), -EINVAL);
	/* growth past the first allocation keeps earlier values */
	for (int64_t k = 0; k < 1000; k++) {
		assert_int_equal(vnp_run_set(run, a, k, (double)k), 0);
		assert_int_equal(vnp_run_set_bin(run, k, (k + 1) * 0.5, 0), 0);
	}
	assert_int_equal(vnp_run_nbins(run), 1000);
	assert_true(vnp_run_get(run, a, 999) == 999);
	assert_true(vnp_run_get(run, a, 3) == 3);
	assert_true(isnan(vnp_run_get(run, b, 3)));
	assert_int_equal(vnp_run_add(run, b, 3, 2), 0);
	assert_int_equal(vnp_run_add(run, b, 3, 2), 0);
	assert_true(vnp_run_get(run, b, 3) == 4);
	assert_true(isnan(vnp_run_get(run, a, 5000)));
	assert_int_equal(vnp_run_set(run, 7, 0, 1), -EINVAL);
	assert_int_equal(vnp_run_set(run, a, -1, 1), -EINVAL);
	vnp_run_free(run);
	vnp_run_free(NULL);
}

static void test_guess(void **state)
{
	enum vnp_kind k;
	enum vnp_role r;
	const char *unit;

	(void)state;
	vnp_series_guess("netdev_bytes{dev=\"x\",dir=\"rx\"}", &k, &unit, &r);
	assert_int_equal(k, VNP_COUNTER);
	assert_int_equal(r, VNP_TARGET);
	assert_string_equal(unit, "bytes");
	vnp_series_guess("cpu_share{function=\"f\"}", &k, &unit, &r);
	assert_int_equal(k, VNP_SHARE);
	vnp_series_guess("something_else", &k, &unit, &r);
	assert_int_equal(k, VNP_GAUGE);
	assert_int_equal(r, VNP_INDICATOR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),   cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_series_name), cmocka_unit_test(test_run_model),
		cmocka_unit_test(test_guess),
	};

	vnp_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
