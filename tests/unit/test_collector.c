// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every collector shares (collector.c): running totals become per-bin
 * increases, a total that is gone stays gone, the baseline read keeps only
 * totals, and series names stay where they are while the table grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collect/collector.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a fake source: series 0 a running total, series 1 a per-bin count */
struct fake {
	double total, count;
	bool skip_total; /* a read that cannot get the total */
	int closed;
};

static int fake_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx, unsigned *flags)
{
	struct fake *f = c->priv;

	if (!f->skip_total)
		c->v[0] = f->total;
	c->v[1] = f->count;
	return 0;
}

static void fake_close(struct vnp_collector *c)
{
	((struct fake *)c->priv)->closed++;
}

static const struct vnp_collector_ops fake_ops = {
	.name = "fake",
	.read = fake_read,
	.close = fake_close,
};

static struct vnp_collector *fake_new(struct fake *f)
{
	struct vnp_collector *c = vnp_collector_new(&fake_ops, f);

	assert_non_null(c);
	assert_int_equal(vnp_collector_add_series(c, "fake_total", VNP_COUNTER, "events",
						  VNP_CONTEXT, "procfs", true), 0);
	assert_int_equal(vnp_collector_add_series(c, "fake_count", VNP_COUNTER, "events",
						  VNP_INDICATOR, "procfs", false), 1);
	return c;
}

static void test_increases(void **state)
{
	struct fake f = { .total = 100, .count = 3 };
	struct vnp_collector *c = fake_new(&f);
	struct vnp_bin_ctx ctx = { .bin_s = 1, .bin = -1, .baseline = true };
	unsigned flags = 0;

	/* the origin: nothing counts yet */
	assert_int_equal(vnp_collector_read(c, &ctx, &flags), 0);
	assert_true(c->v[0] == 0 && c->v[1] == 0);
	ctx.baseline = false;
	ctx.bin = 0;
	f.total = 130;
	f.count = 7;
	assert_int_equal(vnp_collector_read(c, &ctx, &flags), 0);
	assert_true(c->v[0] == 30 && c->v[1] == 7);
	/* a total that a read does not get has not grown */
	f.skip_total = true;
	f.total = 999;
	assert_int_equal(vnp_collector_read(c, &ctx, &flags), 0);
	assert_true(c->v[0] == 0);
	f.skip_total = false;
	f.total = 135;
	assert_int_equal(vnp_collector_read(c, &ctx, &flags), 0);
	assert_true(c->v[0] == 5);
	/* gone: no value from then on */
	f.total = NAN;
	assert_int_equal(vnp_collector_read(c, &ctx, &flags), 0);
	assert_true(isnan(c->v[0]));
	f.total = 200;
	assert_int_equal(vnp_collector_read(c, &ctx, &flags), 0);
	assert_true(isnan(c->v[0]));
	assert_int_equal(flags, 0);
	vnp_collector_close(c);
	assert_int_equal(f.closed, 1);
}

/* an info taken before the table grows still names its series after */
static void test_names_stay(void **state)
{
	struct fake f = { 0 };
	struct vnp_collector *c = fake_new(&f);
	struct vnp_series_info si = vnp_collector_info(c, 0);
	char name[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "grown{n=\"%d\"}", i);
		assert_int_equal(vnp_collector_add_series(c, name, VNP_SHARE, "ratio",
							  VNP_INDICATOR, "perf:cpu-clock", false),
				 i + 2);
	}
	assert_string_equal(si.name, "fake_total");
	assert_int_equal(vnp_collector_find(c, "grown{n=\"999\"}", 0), 1001);
	assert_int_equal(vnp_collector_find(c, "fake_total", 1), -1);
	vnp_collector_close(c);
}

static void test_list(void **state)
{
	struct fake f1 = { 0 }, f2 = { 0 };
	struct vnp_collectors l = { 0 };
	struct vnp_collector *c;

	assert_int_equal(vnp_collectors_add(&l, fake_new(&f1)), 0);
	c = vnp_collectors_new(&l, &fake_ops, &f2);
	assert_non_null(c);
	assert_int_equal(vnp_collector_add_series(c, "other", VNP_GAUGE, "x", VNP_CONTEXT, "procfs",
						  false), 0);
	assert_true(vnp_collectors_have(&l, "fake_count"));
	assert_true(vnp_collectors_have(&l, "other"));
	assert_false(vnp_collectors_have(&l, "none"));
	vnp_collectors_close(&l);
	assert_int_equal(f1.closed, 1);
	assert_int_equal(f2.closed, 1);
	assert_int_equal(l.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_increases),
		cmocka_unit_test(test_names_stay),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
