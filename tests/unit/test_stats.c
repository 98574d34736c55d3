// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Statistics against references computed elsewhere (tests/gen_stats_ref.py:
 * exact rational arithmetic, cross-checked with numpy/scipy), to 1e-12
 * relative; and every degenerate input with its message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skiplog.h"

#include "vnetprof.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REL 1e-12

/* ---- the reference file ----------------------------------------------- */

struct vec {
	size_t n;
	double *v;
};

struct refcase {
	char name[64], op[16];
	long param;
	struct vec x, y;
	size_t nref;
	char key[24][16];
	struct vec ref[24];
};

static void vec_free(struct vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static void case_free(struct refcase *c)
{
	vec_free(&c->x);
	vec_free(&c->y);
	for (size_t i = 0; i < c->nref; i++)
		vec_free(&c->ref[i]);
	c->nref = 0;
}

/* "N v1 v2 ..." after the tag */
static int parse_vec(char *s, struct vec *v)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (end == s || n < 0)
		return -1;
	v->n = (size_t)n;
	v->v = calloc((size_t)n + 1, sizeof(double));
	for (long i = 0; i < n; i++) {
		s = end;
		v->v[i] = strtod(s, &end);
		if (end == s)
			return -1;
	}
	return 0;
}

static const struct vec *ref(const struct refcase *c, const char *key)
{
	for (size_t i = 0; i < c->nref; i++)
		if (!strcmp(c->key[i], key))
			return &c->ref[i];
	fail_msg("case %s: no reference '%s'", c->name, key);
	return NULL;
}

static double ref1(const struct refcase *c, const char *key)
{
	return ref(c, key)->v[0];
}

static int failures, checks;

static void close_to(const struct refcase *c, const char *what, double got, double want)
{
	checks++;
	if (isnan(want) && isnan(got))
		return;
	if (!(fabs(got - want) <= REL * fabs(want))) {
		failures++;
		print_error("case %s: %s = %.17g, reference %.17g (relative error %.3g)\n", c->name,
			    what, got, want, fabs(got - want) / fabs(want));
	}
}

static void same_int(const struct refcase *c, const char *what, long long got, double want)
{
	checks++;
	if ((double)got != want) {
		failures++;
		print_error("case %s: %s = %lld, reference %.0f\n", c->name, what, got, want);
	}
}

static void defined(const struct refcase *c, const char *what, const struct vnp_stat *st)
{
	char why[256];

	if (st->why) {
		vnp_stat_explain(why, sizeof(why), st, "x", "y");
		fail_msg("case %s: %s %s", c->name, what, why);
	}
}

static void run_case(const struct refcase *c)
{
	struct vnp_stat r, lo, hi;

	if (!strcmp(c->op, "pearson")) {
		assert_int_equal(vnp_stat_pearson(c->x.v, c->x.n, c->y.v, c->y.n, &r), 0);
		defined(c, "pearson", &r);
		close_to(c, "pearson", r.v, ref1(c, "r"));
		same_int(c, "n", r.n, ref1(c, "n"));
		vnp_stat_ci95(&r, &lo, &hi);
		close_to(c, "ci_lo", lo.v, ref1(c, "ci_lo"));
		close_to(c, "ci_hi", hi.v, ref1(c, "ci_hi"));
		/* lag 0 is the same thing */
		assert_int_equal(vnp_stat_pearson_lag(c->x.v, c->x.n, c->y.v, c->y.n, 0, &r), 0);
		close_to(c, "pearson_lag(0)", r.v, ref1(c, "r"));
	} else if (!strcmp(c->op, "spearman")) {
		assert_int_equal(vnp_stat_spearman(c->x.v, c->x.n, c->y.v, c->y.n, &r), 0);
		defined(c, "spearman", &r);
		close_to(c, "spearman", r.v, ref1(c, "r"));
		same_int(c, "n", r.n, ref1(c, "n"));
	} else if (!strcmp(c->op, "sma")) {
		const struct vec *want = ref(c, "out");
		double *out = calloc(c->x.n + 1, sizeof(double));
		char what[32];

		assert_int_equal(vnp_stat_sma(c->x.v, c->x.n, (size_t)c->param, out), 0);
		assert_int_equal(want->n, c->x.n);
		for (size_t i = 0; i < c->x.n; i++) {
			snprintf(what, sizeof(what), "sma[%zu]", i);
			if (isnan(want->v[i]) != isnan(out[i])) {
				failures++;
				print_error("case %s: %s = %g, reference %g\n", c->name, what,
					    out[i], want->v[i]);
				continue;
			}
			close_to(c, what, out[i], want->v[i]);
		}
		free(out);
	} else if (!strcmp(c->op, "lag")) {
		assert_int_equal(vnp_stat_pearson_lag(c->x.v, c->x.n, c->y.v, c->y.n, c->param, &r),
				 0);
		defined(c, "lagged pearson", &r);
		close_to(c, "lagged pearson", r.v, ref1(c, "r"));
		same_int(c, "n", r.n, ref1(c, "n"));
	} else if (!strcmp(c->op, "bestlag")) {
		long lag = 99;

		assert_int_equal(
			vnp_stat_best_lag(c->x.v, c->x.n, c->y.v, c->y.n, c->param, &r, &lag), 0);
		defined(c, "best lag", &r);
		same_int(c, "lag", lag, ref1(c, "lag"));
		close_to(c, "r at the best lag", r.v, ref1(c, "r"));
		same_int(c, "n", r.n, ref1(c, "n"));
	} else if (!strcmp(c->op, "dist")) {
		const struct vec *cdf = ref(c, "cdf");
		struct vnp_dist d;
		struct vnp_stat q;

		assert_int_equal(vnp_stat_dist(c->x.v, c->x.n, &d), 0);
		same_int(c, "n", d.n, ref1(c, "n"));
		close_to(c, "mean", d.mean.v, ref1(c, "mean"));
		close_to(c, "sd", d.sd.v, ref1(c, "sd"));
		close_to(c, "cv", d.cv.v, ref1(c, "cv"));
		close_to(c, "min", d.min.v, ref1(c, "min"));
		close_to(c, "p10", d.p10.v, ref1(c, "p10"));
		close_to(c, "median", d.median.v, ref1(c, "median"));
		close_to(c, "p90", d.p90.v, ref1(c, "p90"));
		close_to(c, "max", d.max.v, ref1(c, "max"));
		assert_int_equal(cdf->n, VNP_CDF_POINTS);
		for (int i = 0; i < VNP_CDF_POINTS; i++)
			close_to(c, "cdf", d.cdf_v[i], cdf->v[i]);
		assert_int_equal(vnp_stat_quantile(c->x.v, c->x.n, 0.9, &q), 0);
		close_to(c, "quantile(0.9)", q.v, ref1(c, "p90"));
	} else {
		fail_msg("case %s: unknown operation '%s'", c->name, c->op);
	}
}

static void test_reference(void **state)
{
	const char *path = getenv("STATS_REF");
	struct refcase c = { 0 };
	int ncases[6] = { 0 };
	static const char *const ops[] = { "pearson", "spearman", "sma", "lag", "bestlag", "dist" };
	char *line = NULL;
	size_t cap = 0;
	FILE *fp;

	(void)state;
	if (!path || !*path) {
		/* scripts/deps.sh installs both: CI always has the references */
		vnp_test_skiplog("test_stats", "the reference cases: /usr/bin/python3 lacks numpy or "
				 "scipy (apt-get install python3-numpy python3-scipy; scripts/deps.sh does)");
		skip();
	}
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("%s: %s (tests/gen_stats_ref.py writes it; it needs python3-numpy and "
			 "python3-scipy)",
			 path, strerror(errno));
	while (getline(&line, &cap, fp) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "case ", 5)) {
			assert_int_equal(sscanf(line + 5, "%63s %15s %ld", c.name, c.op, &c.param),
					 3);
		} else if (!strncmp(line, "x ", 2)) {
			assert_int_equal(parse_vec(line + 2, &c.x), 0);
		} else if (!strncmp(line, "y ", 2)) {
			assert_int_equal(parse_vec(line + 2, &c.y), 0);
		} else if (!strncmp(line, "ref ", 4)) {
			char *sp = strchr(line + 4, ' ');

			assert_non_null(sp);
			assert_true(c.nref < 24);
			*sp = '\0';
			snprintf(c.key[c.nref], sizeof(c.key[0]), "%s", line + 4);
			if (!strcmp(c.key[c.nref], "out") || !strcmp(c.key[c.nref], "cdf")) {
				assert_int_equal(parse_vec(sp + 1, &c.ref[c.nref]), 0);
			} else {
				c.ref[c.nref].n = 1;
				c.ref[c.nref].v = malloc(sizeof(double));
				c.ref[c.nref].v[0] = strtod(sp + 1, NULL);
			}
			c.nref++;
		} else if (!strcmp(line, "end")) {
			run_case(&c);
			for (size_t i = 0; i < 6; i++)
				ncases[i] += !strcmp(c.op, ops[i]);
			case_free(&c);
		}
	}
	free(line);
	fclose(fp);
	print_message("%d checks against the references, %d failed\n", checks, failures);
	/* a short or empty file must not pass */
	for (size_t i = 0; i < 6; i++)
		if (ncases[i] < 3)
			fail_msg("only %d '%s' cases in %s", ncases[i], ops[i], path);
	assert_int_equal(failures, 0);
}

/* ---- degenerate inputs and their messages ----------------------------- */

static void expect_why(const struct vnp_stat *st, const char *msg)
{
	char buf[512];

	assert_true(isnan(st->v));
	vnp_stat_explain(buf, sizeof(buf), st, "the indicator", "the target");
	assert_string_equal(buf, msg);
}

static void test_degenerate_correlation(void **state)
{
	const double ramp[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	const double five[] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	const double nan10[] = { NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
	const double inf10[] = { 1, 2, INFINITY, 4, 5, 6, 7, 8, 9, 10 };
	const double two[] = { NAN, 1, NAN, NAN, 3, NAN, NAN, NAN, NAN, NAN };
	const double zero[] = { -0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	int (*fn[])(const double *, size_t, const double *, size_t, struct vnp_stat *) = {
		vnp_stat_pearson,
		vnp_stat_spearman,
	};
	struct vnp_stat r, lo, hi;
	long lag;

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		/* constant, either side */
		assert_int_equal(fn[f](five, 10, ramp, 10, &r), 0);
		expect_why(&r,
			   "undefined, because the indicator is constant (5 in every bin used)");
		assert_int_equal(fn[f](ramp, 10, five, 10, &r), 0);
		expect_why(&r, "undefined, because the target is constant (5 in every bin used)");
		assert_int_equal(fn[f](zero, 10, ramp, 10, &r), 0);
		expect_why(&r,
			   "undefined, because the indicator is constant (0 in every bin used)");
		/* empty */
		assert_int_equal(fn[f](NULL, 0, NULL, 0, &r), 0);
		expect_why(&r, "undefined, because the indicator has no values");
		/* one bin */
		assert_int_equal(fn[f](ramp, 1, ramp, 1, &r), 0);
		expect_why(&r, "undefined, because only 1 bin has a value in both the indicator "
			       "and the target (3 needed)");
		/* all NaN */
		assert_int_equal(fn[f](ramp, 10, nan10, 10, &r), 0);
		expect_why(&r, "undefined, because the target has no values");
		/* two pairs left after the missing values */
		assert_int_equal(fn[f](two, 10, ramp, 10, &r), 0);
		expect_why(&r, "undefined, because only 2 bins have a value in both the indicator "
			       "and the target (3 needed)");
		assert_int_equal(r.n, 2);
		/* no pair at all */
		assert_int_equal(fn[f](two, 10,
				       (const double[]){ 1, NAN, 2, 3, NAN, 4, 5, 6, 7, 8 }, 10,
				       &r),
				 0);
		expect_why(&r, "undefined, because the indicator and the target have no bin with a "
			       "value in both (3 needed)");
		/* infinite */
		assert_int_equal(fn[f](inf10, 10, ramp, 10, &r), 0);
		expect_why(&r, "undefined, because the indicator holds an infinite value");
		/* mismatched lengths: an error, not a result */
		assert_int_equal(fn[f](ramp, 10, ramp, 9, &r), -EINVAL);
		assert_string_equal(vnp_errmsg(),
				    "cannot correlate series of different lengths "
				    "(10 and 9 bins); put them on one time axis first");
	}
	/* the lag functions say the same */
	assert_int_equal(vnp_stat_best_lag(five, 10, ramp, 10, 3, &r, &lag), 0);
	expect_why(&r, "undefined, because the indicator is constant (5 in every bin used)");
	assert_int_equal(lag, 0);
	assert_int_equal(vnp_stat_best_lag(ramp, 10, ramp, 9, 3, &r, &lag), -EINVAL);
	assert_int_equal(vnp_stat_best_lag(ramp, 10, ramp, 10, -1, &r, &lag), -EINVAL);
	assert_int_equal(vnp_stat_pearson_lag(ramp, 10, ramp, 10, 8, &r), 0);
	expect_why(&r, "undefined, because only 2 bins have a value in both the indicator and the "
		       "target (3 needed)");
	assert_int_equal(vnp_stat_pearson_lag(ramp, 10, ramp, 10, -20, &r), 0);
	expect_why(&r, "undefined, because the indicator and the target have no bin with a value "
		       "in both (3 needed)");
	/* the interval: inherits the reason, needs 4 pairs, collapses at |r| = 1 */
	assert_int_equal(vnp_stat_pearson(five, 10, ramp, 10, &r), 0);
	vnp_stat_ci95(&r, &lo, &hi);
	expect_why(&lo, "undefined, because the indicator is constant (5 in every bin used)");
	expect_why(&hi, "undefined, because the indicator is constant (5 in every bin used)");
	assert_int_equal(vnp_stat_pearson(ramp, 3, (const double[]){ 1, 3, 2 }, 3, &r), 0);
	assert_true(fabs(r.v - 0.5) < 1e-15);
	vnp_stat_ci95(&r, &lo, &hi);
	expect_why(&lo, "undefined, because only 3 bins have a value in both the indicator and "
			"the target (4 needed)");
	assert_int_equal(vnp_stat_pearson(ramp, 10, ramp, 10, &r), 0);
	assert_true(r.v == 1.0);
	vnp_stat_ci95(&r, &lo, &hi);
	assert_true(lo.v == 1.0 && hi.v == 1.0);
	/* a defined statistic explains nothing */
	{
		char buf[8] = "x";

		assert_int_equal(vnp_stat_explain(buf, sizeof(buf), &r, "a", "b"), 0);
		assert_string_equal(buf, "");
	}
}

static void test_degenerate_one_series(void **state)
{
	const double one[] = { 7 };
	const double zeromean[] = { -1, 1, -2, 2 };
	const double holes[] = { NAN, 4, NAN, 8 };
	double out[4];
	struct vnp_dist d;
	struct vnp_stat q;

	(void)state;
	assert_int_equal(vnp_stat_dist(NULL, 0, &d), 0);
	expect_why(&d.mean, "undefined, because the indicator has no values");
	expect_why(&d.median, "undefined, because the indicator has no values");
	expect_why(&d.cv, "undefined, because the indicator has no values");
	assert_true(isnan(d.cdf_v[0]));
	assert_int_equal(vnp_stat_dist(one, 1, &d), 0);
	assert_true(d.mean.v == 7 && d.median.v == 7 && d.p10.v == 7 && d.max.v == 7);
	expect_why(&d.sd, "undefined, because the indicator has only 1 value (2 needed)");
	assert_int_equal(vnp_stat_dist(zeromean, 4, &d), 0);
	expect_why(&d.cv, "undefined, because the mean of the indicator is 0");
	assert_int_equal(vnp_stat_dist((const double[]){ 1, INFINITY, 3 }, 3, &d), 0);
	expect_why(&d.mean, "undefined, because the indicator holds an infinite value");
	expect_why(&d.p90, "undefined, because the indicator holds an infinite value");
	assert_int_equal(vnp_stat_dist(holes, 4, &d), 0);
	assert_int_equal(d.n, 2);
	assert_true(d.mean.v == 6 && d.median.v == 6);
	assert_int_equal(vnp_stat_quantile(holes, 4, 1.5, &q), -EINVAL);
	assert_string_equal(vnp_errmsg(), "a quantile needs p in [0, 1], not 1.5");
	assert_int_equal(vnp_stat_quantile(holes, 4, 0.5, &q), 0);
	assert_true(q.v == 6);
	assert_int_equal(vnp_stat_quantile(NULL, 0, 0.5, &q), 0);
	expect_why(&q, "undefined, because the indicator has no values");
	/* moving average: a zero window is refused; a window longer than the data gives nothing */
	assert_int_equal(vnp_stat_sma(holes, 4, 0, out), -EINVAL);
	assert_string_equal(vnp_errmsg(), "a moving average needs a window of at least one value");
	assert_int_equal(vnp_stat_sma(zeromean, 4, 5, out), 0);
	for (int i = 0; i < 4; i++)
		assert_true(isnan(out[i]));
	assert_int_equal(vnp_stat_sma(zeromean, 4, 2, out), 0);
	assert_true(isnan(out[0]) && out[1] == 0 && out[2] == -0.5 && out[3] == 0);
	assert_int_equal(vnp_stat_sma(NULL, 0, 3, out), 0);
}

/* ties get their average rank: hand-checked */
static void test_ties(void **state)
{
	const double x[] = { 10, 20, 20, 30, 20, 5 };
	const double y[] = { 1, 2, 3, 4, 5, 6 };
	struct vnp_stat r;

	(void)state;
	/* ranks of x: 2, 4, 4, 6, 4, 1; against 1..6: sxy = -1.5, sxx = 15.5, syy = 17.5 */
	assert_int_equal(vnp_stat_spearman(x, 6, y, 6, &r), 0);
	assert_true(fabs(r.v - -1.5 / sqrt(15.5 * 17.5)) < 1e-15);
	/* -0 and 0 tie */
	assert_int_equal(vnp_stat_spearman((const double[]){ -0.0, 0, 1, 2 }, 4,
					   (const double[]){ 1, 1, 2, 3 }, 4, &r),
			 0);
	assert_true(fabs(r.v - 1.0) < 1e-15);
}

/* the precision that the corrected two-pass algorithm keeps and a one-pass formula loses */
static void test_large_offset(void **state)
{
	double x[1000], y[1000];
	struct vnp_stat r;

	(void)state;
	/* y = 2x exactly in the variation: r = 1 whatever the offset */
	for (int i = 0; i < 1000; i++) {
		x[i] = 1e12 + (double)(i % 7);
		y[i] = 5e11 + 2 * (double)(i % 7);
	}
	assert_int_equal(vnp_stat_pearson(x, 1000, y, 1000, &r), 0);
	assert_true(fabs(r.v - 1.0) < 1e-14);
	assert_int_equal(vnp_stat_spearman(x, 1000, y, 1000, &r), 0);
	assert_true(fabs(r.v - 1.0) < 1e-14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference),
		cmocka_unit_test(test_degenerate_correlation),
		cmocka_unit_test(test_degenerate_one_series),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_large_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
