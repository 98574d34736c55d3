// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The run-level analysis: re-binning rules, the choice of target, the
 * ranking, the segments, the per-run summary, and every way it can refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ref.h"

#include "vnetprof.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct vnp_run *mkrun(const char *name, double bin, int64_t nbins)
{
	struct vnp_run_info ri = { .name = (char *)name,
				   .bin_s = bin,
				   .origin_clock = "relative",
				   .status = VNP_RUN_COMPLETE };
	struct vnp_run *run = vnp_run_new(&ri);

	assert_non_null(run);
	for (int64_t k = 0; k < nbins; k++)
		assert_int_equal(vnp_run_set_bin(run, k, (double)(k + 1) * bin, 0), 0);
	return run;
}

/* a series with kind, unit and role from its metric name; @v may hold NaN (no value) */
static size_t add(struct vnp_run *run, const char *name, const double *v, int64_t n)
{
	struct vnp_series_info si = { .name = (char *)name, .backend = "test" };
	const char *unit;
	int s;

	vnp_series_guess(name, &si.kind, &unit, &si.role);
	si.unit = (char *)unit;
	s = vnp_run_add_series(run, &si);
	assert_true(s >= 0);
	for (int64_t k = 0; v && k < n; k++)
		if (!isnan(v[k]))
			assert_int_equal(vnp_run_set(run, (size_t)s, k, v[k]), 0);
	return (size_t)s;
}

static void explain_is(const struct vnp_stat *st, const char *msg)
{
	char buf[512];

	vnp_stat_explain(buf, sizeof(buf), st, "the indicator", "the target");
	assert_string_equal(buf, msg);
}

/* counters are summed and need every stored bin; gauges and shares are averaged */
static void test_rebin(void **state)
{
	struct vnp_run *run = mkrun("r", 0.1, 20);
	double c[20], g[20], out[20];
	size_t sc, sg, ss;

	(void)state;
	for (int k = 0; k < 20; k++) {
		c[k] = k;
		g[k] = 2 * k;
	}
	c[7] = NAN; /* a counter bin without a value */
	g[7] = NAN;
	sc = add(run, "function_calls{function=\"handle_tx\"}", c, 20);
	sg = add(run, "queue_len{dev=\"x\"}", g, 20); /* not a known metric: a gauge */
	ss = add(run, "cpu_share{function=\"vcpu_enter_guest\"}", g, 20);
	vnp_run_set_bin(run, 12, 1.3, VNP_BIN_LATE);
	vnp_run_set_bin(run, 19, 1.95, VNP_BIN_PARTIAL);
	assert_int_equal(vnp_rebin(run, sc, 5, out), 4);
	assert_true(out[0] == 0 + 1 + 2 + 3 + 4);
	assert_true(isnan(out[1])); /* bin 7 is missing */
	assert_true(isnan(out[2])); /* bin 12 is late */
	assert_true(isnan(out[3])); /* bin 19 is partial */
	assert_int_equal(vnp_rebin(run, sg, 5, out), 4);
	assert_true(out[0] == (0 + 2 + 4 + 6 + 8) / 5.0);
	assert_true(out[1] == (10 + 12 + 16 + 18) / 4.0);
	assert_true(out[2] == (20 + 22 + 26 + 28) / 4.0);
	assert_true(out[3] == (30 + 32 + 34 + 36) / 4.0);
	assert_int_equal(vnp_rebin(run, ss, 5, out), 4);
	assert_true(out[1] == (10 + 12 + 16 + 18) / 4.0);
	/* the trailing group that is not whole is left out */
	assert_int_equal(vnp_rebin(run, sc, 3, out), 6);
	vnp_run_free(run);
}

static void test_bin_check(void **state)
{
	long f;

	(void)state;
	assert_int_equal(vnp_analysis_bin(0.5, 1.5, &f), 0);
	assert_int_equal(f, 3);
	assert_int_equal(vnp_analysis_bin(0.1, 0.3, &f),
			 0); /* 0.3 / 0.1 is not 3 in floating point */
	assert_int_equal(f, 3);
	assert_int_equal(vnp_analysis_bin(0.5, 0.75, &f), -EDOM);
	assert_string_equal(
		vnp_errmsg(),
		"an analysis bin of 0.75 s is not a whole multiple of the "
		"run's bin (0.5 s); possible: 0.5 s, 1 s, 1.5 s, ... (nearest: 0.5 s or "
		"1 s)");
	assert_int_equal(vnp_analysis_bin(0.5, 0.25, &f), -EDOM);
	assert_string_equal(vnp_errmsg(),
			    "an analysis bin of 0.25 s is shorter than the run's bin "
			    "(0.5 s); possible: 0.5 s, 1 s, 1.5 s, ... (whole multiples of 0.5 s)");
	assert_int_equal(vnp_analysis_bin(0, 0.5, &f), -EDOM);
	assert_string_equal(vnp_errmsg(), "the run has no bin width; it cannot be re-binned");
}

static void test_target(void **state)
{
	struct vnp_run *run = mkrun("t", 0.5, 4);
	const double rx[] = { 100, 100, 100, 100 }, tx[] = { 10, 10, 10, 10 };
	const double bits[] = { 700, 700, 700, 700 }; /* 2800 bits < 3200 bits of rx */
	size_t idx, ncand;

	(void)state;
	add(run, "netdev_bytes{dev=\"nic0\",dir=\"tx\"}", tx, 4);
	add(run, "iperf3_bits{stream=\"1\",side=\"receiver\"}", bits, 4);
	add(run, "netdev_bytes{dev=\"nic0\",dir=\"rx\"}", rx, 4);
	add(run, "tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"nic0\"}", tx, 4);
	assert_int_equal(vnp_find_target(run, NULL, &idx, &ncand), 0);
	assert_string_equal(vnp_run_series(run, idx)->name,
			    "netdev_bytes{dev=\"nic0\",dir=\"rx\"}");
	assert_int_equal(ncand, 3);
	/* by full name, or by a part of exactly one name */
	assert_int_equal(
		vnp_find_target(run, "iperf3_bits{stream=\"1\",side=\"receiver\"}", &idx, NULL), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(vnp_find_target(run, "dir=\"tx\"", &idx, NULL), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(vnp_find_target(run, "nic0", &idx, NULL), -EINVAL);
	assert_string_equal(vnp_errmsg(),
			    "'nic0' matches 3 series of run 't' "
			    "(netdev_bytes{dev=\"nic0\",dir=\"tx\"}, ...); give the full name");
	assert_int_equal(vnp_find_target(run, "nope", &idx, NULL), -ENOENT);
	assert_string_equal(vnp_errmsg(),
			    "run 't' has no series 'nope'; its targets: "
			    "netdev_bytes{dev=\"nic0\",dir=\"tx\"}, iperf3_bits{stream=\"1\","
			    "side=\"receiver\"}, netdev_bytes{dev=\"nic0\",dir=\"rx\"}; 'vnetprof "
			    "show' lists them");
	vnp_run_free(run);

	run = mkrun("none", 0.5, 4);
	add(run, "function_calls{function=\"handle_tx\"}", tx, 4);
	assert_int_equal(vnp_find_target(run, NULL, &idx, &ncand), -ENOENT);
	assert_string_equal(vnp_errmsg(), "run 'none' has no series with role target (throughput); "
					  "choose one with --target SERIES");
	assert_int_equal(ncand, 0);
	vnp_run_free(run);
}

/* a fixed pseudo-random sequence in [0, 1) */
static double noise(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (double)((*s >> 8) & 0xffff) / 65536.0;
}

#define N 400

/* the known run's series (known_run()) */
static double k_t[N], k_lead[N], k_mirror[N], k_rnd[N], k_flat[N], k_nothing[N];

/*
 * A run with a known answer: the target falls at bin 200; "lead" is the
 * target two bins early (r = 1 at lag +2), "mirror" its negative (r = -1 at
 * lag 0), "noise" unrelated, "flat" constant, "void" without values.
 */
static struct vnp_run *known_run(void)
{
	struct vnp_run *run = mkrun("known", 0.5, N);
	unsigned s = 1;

	for (int k = 0; k < N; k++) {
		k_t[k] = (k < 200 ? 5.6875e8 : 3.5625e8) + 2e7 * noise(&s); /* bytes per 0.5 s */
		k_rnd[k] = noise(&s);
		k_flat[k] = 7;
		k_nothing[k] = NAN;
	}
	for (int k = 0; k < N; k++) {
		k_lead[k] = k + 2 < N ? 3 * k_t[k + 2] / 1000 + 10 : 0;
		k_mirror[k] = 1e9 - k_t[k];
	}
	add(run, "netdev_bytes{dev=\"nic0\",dir=\"rx\"}", k_t, N);
	add(run, "function_calls{function=\"lead\"}", k_lead, N);
	add(run, "function_calls{function=\"mirror\"}", k_mirror, N);
	add(run, "function_calls{function=\"noise\"}", k_rnd, N);
	add(run, "function_calls{function=\"flat\"}", k_flat, N);
	add(run, "function_calls{function=\"void\"}", k_nothing, N);
	add(run, "cpu_seconds{mode=\"user\"}", k_rnd, N); /* context: not ranked */
	return run;
}

/*
 * References, computed here from the known series with the textbook
 * formulas (docs/analysis.md), to compare with the library's to 1e-9
 */

/* the best lag in +-max: largest |r|, the lag nearest 0 among equals, then the negative */
static long best_lag_ref(const double *x, const double *y, int64_t n, long max, double *r)
{
	long best = 0;

	*r = pearson_ref(x, y, n, 0, NULL);
	for (long d = 1; d <= max; d++)
		for (int sgn = -1; sgn <= 1; sgn += 2) {
			int64_t used;
			double rl = pearson_ref(x, y, n, sgn * d, &used);

			if (used >= 3 && fabs(rl) > fabs(*r) + 1e-12) {
				*r = rl;
				best = sgn * d;
			}
		}
	return best;
}

/* Spearman's rho: r of the ranks among the pairs used, ties given their mean rank */
static double spearman_ref(const double *x, const double *y, int64_t n)
{
	static double px[N], py[N], rx[N], ry[N];
	int64_t m = 0;

	for (int64_t k = 0; k < n; k++)
		if (!isnan(x[k]) && !isnan(y[k])) {
			px[m] = x[k];
			py[m++] = y[k];
		}
	for (int64_t i = 0; i < m; i++) {
		double lx = 0, ex = 0, ly = 0, ey = 0;

		for (int64_t j = 0; j < m; j++) {
			lx += px[j] < px[i];
			ex += px[j] == px[i];
			ly += py[j] < py[i];
			ey += py[j] == py[i];
		}
		rx[i] = lx + (ex + 1) / 2; /* ranks from 1 */
		ry[i] = ly + (ey + 1) / 2;
	}
	return pearson_ref(rx, ry, m, 0, NULL);
}

/* the trailing moving average over w bins; NaN where the window is short or holds a NaN */
static void sma_ref(const double *x, int64_t n, long w, double *out)
{
	for (int64_t k = 0; k < n; k++) {
		double sum = 0;

		out[k] = NAN;
		if (k + 1 < w)
			continue;
		for (int64_t i = k + 1 - w; i <= k; i++)
			sum += x[i];
		out[k] = sum / (double)w; /* NaN if any is */
	}
}

/* the mean and sample standard deviation of the values in [k0, k1) that are present */
static void mean_sd_ref(const double *x, int64_t k0, int64_t k1, double *mean, double *sd)
{
	double sum = 0, ss = 0;
	int64_t m = 0;

	for (int64_t k = k0; k < k1; k++)
		if (!isnan(x[k])) {
			sum += x[k];
			m++;
		}
	*mean = sum / (double)m;
	for (int64_t k = k0; k < k1; k++)
		if (!isnan(x[k]))
			ss += (x[k] - *mean) * (x[k] - *mean);
	*sd = sqrt(ss / (double)(m - 1));
}

/* |got - want| <= 1e-9 relative to |want| (absolute below 1) */
static void near(const char *what, double got, double want)
{
	if (!(fabs(got - want) <= 1e-9 * fmax(1, fabs(want))))
		fail_msg("%s: %.17g, computed here %.17g", what, got, want);
}

static void test_analyze(void **state)
{
	struct vnp_run *run = known_run();
	struct vnp_analysis_opts o;
	struct vnp_analysis *a;
	const struct vnp_indicator *ind;
	static double ty[N], xs[5][N];

	(void)state;
	vnp_analysis_opts_init(&o);
	vnp_run_set_bin(run, N - 1, 0.5 * N - 0.2, VNP_BIN_PARTIAL);
	assert_int_equal(vnp_analyze(run, &o, &a), 0);
	assert_string_equal(a->target_name, "netdev_bytes{dev=\"nic0\",dir=\"rx\"}");
	assert_true(a->target_default);
	assert_string_equal(a->target_unit, "bit/s");
	assert_true(a->bin_s == 0.5 && a->factor == 1 && a->n_bins == N);
	assert_true(a->sma_bins == 20 && a->sma_s == 10);
	assert_true(a->max_lag_bins == 20 && a->max_lag_s == 10 && !a->lag_limited);
	assert_int_equal(a->excluded_partial, 1);
	assert_true(isnan(a->target_values[N - 1]));
	assert_true(a->target_values[0] == vnp_run_get(run, 0, 0) * 8 / 0.5);
	assert_int_equal(a->nind, 5);

	/*
	 * The references: the target in bit/s (bytes * 8 / 0.5 s), every series
	 * without its last bin (partial: left out)
	 */
	for (int k = 0; k < N; k++) {
		ty[k] = k < N - 1 ? k_t[k] * 16 : NAN;
		xs[0][k] = k < N - 1 ? k_mirror[k] : NAN;
		xs[1][k] = k < N - 1 ? k_lead[k] : NAN;
		xs[2][k] = k < N - 1 ? k_rnd[k] : NAN;
		xs[3][k] = k < N - 1 ? k_flat[k] : NAN;
		xs[4][k] = NAN;
	}
	for (int k = 0; k < N; k++)
		if (isnan(ty[k]) ? !isnan(a->target_values[k]) : a->target_values[k] != ty[k])
			fail_msg("target bin %d: %.17g, wanted %.17g", k, a->target_values[k], ty[k]);
	/* r, Spearman's rho, the best lag and its r, against the references */
	for (int i = 0; i < 3; i++) {
		char what[160];
		double rb;
		long lag = best_lag_ref(xs[i], ty, N, 20, &rb);
		int64_t used;
		double r = pearson_ref(xs[i], ty, N, 0, &used);

		ind = &a->ind[i];
		snprintf(what, sizeof(what), "%s pearson", ind->name);
		near(what, ind->pearson.v, r);
		assert_int_equal(ind->pearson.n, used);
		assert_int_equal(used, N - 1);
		snprintf(what, sizeof(what), "%s spearman", ind->name);
		near(what, ind->spearman.v, spearman_ref(xs[i], ty, N));
		snprintf(what, sizeof(what), "%s best", ind->name);
		assert_int_equal(ind->best_lag, lag);
		near(what, ind->best.v, rb);
		/* Fisher's interval, n - 3 = 396 */
		snprintf(what, sizeof(what), "%s ci_lo", ind->name);
		if (fabs(r) < 1) {
			near(what, ind->ci_lo.v, tanh(atanh(r) - 1.959963984540054 / sqrt(N - 4.0)));
			near(what, ind->ci_hi.v, tanh(atanh(r) + 1.959963984540054 / sqrt(N - 4.0)));
		}
		/* both smoothed over 10 s = 20 bins */
		{
			static double sx[N], sy[N];

			sma_ref(xs[i], N, 20, sx);
			sma_ref(ty, N, 20, sy);
			snprintf(what, sizeof(what), "%s pearson_sma", ind->name);
			near(what, ind->pearson_sma.v, pearson_ref(sx, sy, N, 0, NULL));
		}
	}

	ind = &a->ind[0];
	assert_string_equal(ind->name, "function_calls{function=\"mirror\"}");
	assert_true(fabs(ind->pearson.v + 1) < 1e-12 && ind->best.v == ind->pearson.v);
	assert_int_equal(ind->best_lag, 0);
	ind = &a->ind[1];
	assert_string_equal(ind->name, "function_calls{function=\"lead\"}");
	assert_int_equal(ind->best_lag, 2);
	assert_true(ind->best_lag_s == 1.0);
	assert_true(fabs(ind->best.v - 1) < 1e-12);
	assert_true(ind->pearson.v < ind->best.v);
	assert_true(ind->spearman.why == VNP_DEFINED && ind->pearson_sma.why == VNP_DEFINED);
	assert_true(ind->ci_lo.v < ind->pearson.v && ind->pearson.v < ind->ci_hi.v);
	/* smoothing both with the same window keeps the lead's tracking */
	assert_true(ind->pearson_sma.v > 0.9);
	assert_string_equal(a->ind[2].name, "function_calls{function=\"noise\"}");
	assert_true(fabs(a->ind[2].best.v) < 0.25);
	/* undefined last, by name, each with its reason */
	assert_string_equal(a->ind[3].name, "function_calls{function=\"flat\"}");
	explain_is(&a->ind[3].pearson, "undefined, because the indicator is constant (7 in every "
				       "bin used)");
	explain_is(&a->ind[3].best, "undefined, because the indicator is constant (7 in every bin "
				    "used)");
	explain_is(&a->ind[3].ci_lo, "undefined, because the indicator is constant (7 in every bin "
				     "used)");
	assert_string_equal(a->ind[4].name, "function_calls{function=\"void\"}");
	explain_is(&a->ind[4].spearman, "undefined, because the indicator has no values");
	explain_is(&a->ind[4].pearson_sma, "undefined, because the indicator has no values");

	/*
	 * One cut, at bin 200 (t = 100 s) exactly: the step (2.1e8 bytes) is ten
	 * times the noise's whole range (2e7), so any other cut costs more
	 */
	assert_int_equal(a->nseg, 2);
	assert_int_equal(a->seg[0].k0, 0);
	assert_int_equal(a->seg[0].k1, 200);
	assert_int_equal(a->seg[1].k0, 200);
	assert_int_equal(a->seg[1].k1, N);
	assert_true(a->seg[0].t_start == 0 && a->seg[0].t_end == 100);
	assert_true(a->seg[1].t_start == 100 && a->seg[1].t_end == 0.5 * N);
	/* each segment's levels, computed here from the series */
	for (size_t g = 0; g < 2; g++) {
		const struct vnp_segment_info *sg = &a->seg[g];
		double m, sd, m0, sd0;

		mean_sd_ref(ty, sg->k0, sg->k1, &m, &sd);
		near("segment target mean", sg->target_mean.v, m);
		near("segment target sd", sg->target_sd.v, sd);
		for (int i = 0; i < 4; i++) {
			mean_sd_ref(xs[i], sg->k0, sg->k1, &m, &sd);
			mean_sd_ref(xs[i], a->seg[0].k0, a->seg[0].k1, &m0, &sd0);
			near("segment indicator mean", sg->mean[i].v, m);
			near("segment indicator change", sg->change[i].v, (m - m0) / fabs(m0));
		}
	}
	/* levels: the mirror rises as the target falls; the flat one does not move */
	assert_true(a->seg[0].change[0].v == 0);
	assert_true(a->seg[1].change[0].v > 0);
	assert_true(a->seg[1].change[3].v == 0 && a->seg[1].mean[3].v == 7);
	explain_is(&a->seg[1].mean[4], "undefined, because the indicator has no values");
	vnp_analysis_free(a);

	/* options: no smoothing, no lags, another target by part of its name */
	o.sma_s = 0;
	o.max_lag_s = 0;
	o.target = "function=\"noise\"";
	assert_int_equal(vnp_analyze(run, &o, &a), 0);
	assert_false(a->target_default);
	assert_string_equal(a->target_unit, "calls");
	assert_int_equal(a->nind,
			 4); /* the target left the indicators; the old target is not one */
	explain_is(&a->ind[0].pearson_sma, "undefined, because it was turned off");
	for (size_t i = 0; i < a->nind; i++)
		assert_int_equal(a->ind[i].best_lag, 0);
	vnp_analysis_free(a);
	vnp_run_free(run);
}

static void test_analyze_refusals(void **state)
{
	struct vnp_run *run = known_run(), *empty = mkrun("empty", 0.5, 0);
	struct vnp_analysis_opts o;
	struct vnp_analysis *a = (void *)1;

	(void)state;
	vnp_analysis_opts_init(&o);
	assert_int_equal(vnp_analyze(empty, &o, &a), -ENODATA);
	assert_null(a);
	assert_string_equal(vnp_errmsg(), "run 'empty' has no bins to analyse");
	o.bin_s = 0.75;
	assert_int_equal(vnp_analyze(run, &o, &a), -EDOM);
	assert_non_null(strstr(vnp_errmsg(), "possible: 0.5 s, 1 s, 1.5 s"));
	o.bin_s = 0;
	o.sma_s = 1.25;
	assert_int_equal(vnp_analyze(run, &o, &a), -EDOM);
	assert_string_equal(
		vnp_errmsg(),
		"a moving-average window of 1.25 s is not a whole multiple "
		"of the analysis bin (0.5 s); possible: 0.5 s, 1 s, 1.5 s, ... (nearest: "
		"1 s or 1.5 s)");
	o.sma_s = 10;
	o.max_lag_s = 0.2;
	assert_int_equal(vnp_analyze(run, &o, &a), -EDOM);
	assert_non_null(strstr(vnp_errmsg(), "a maximum lag of 0.2 s is shorter than the analysis "
					     "bin (0.5 s)"));
	o.max_lag_s = 10;
	o.target = "function_calls{function=\"gone\"}";
	assert_int_equal(vnp_analyze(run, &o, &a), -ENOENT);
	assert_non_null(strstr(vnp_errmsg(), "run 'known' has no series "
					     "'function_calls{function=\"gone\"}'"));
	o.target = NULL;
	o.bin_s = 400;
	assert_int_equal(vnp_analyze(run, &o, &a), -ENODATA);
	assert_string_equal(vnp_errmsg(),
			    "run 'known' has 400 bins of 0.5 s, not one whole analysis "
			    "bin of 400 s");
	vnp_run_free(run);
	vnp_run_free(empty);
}

/* one bin, a constant target: every number undefined, and saying why */
static void test_analyze_degenerate(void **state)
{
	const double one[] = { 5 }, flat[] = { 3, 3, 3, 3, 3, 3, 3, 3 };
	const double ramp[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct vnp_run *run = mkrun("one", 0.5, 1);
	struct vnp_analysis *a;

	(void)state;
	add(run, "netdev_bytes{dev=\"nic0\",dir=\"rx\"}", one, 1);
	add(run, "function_calls{function=\"handle_tx\"}", one, 1);
	assert_int_equal(vnp_analyze(run, NULL, &a), 0);
	assert_int_equal(a->n_bins, 1);
	assert_int_equal(a->nseg, 1);
	explain_is(&a->ind[0].pearson, "undefined, because only 1 bin has a value in both the "
				       "indicator and the target (3 needed)");
	/* a 20-bin window over 1 bin leaves no smoothed value */
	explain_is(&a->ind[0].pearson_sma, "undefined, because the indicator has no values");
	explain_is(&a->seg[0].target_sd, "undefined, because the indicator has only 1 value (2 "
					 "needed)");
	assert_true(a->max_lag_bins == 0 && a->lag_limited);
	vnp_analysis_free(a);
	vnp_run_free(run);

	run = mkrun("flat", 0.5, 8);
	add(run, "netdev_bytes{dev=\"nic0\",dir=\"rx\"}", flat, 8);
	add(run, "function_calls{function=\"handle_tx\"}", ramp, 8);
	assert_int_equal(vnp_analyze(run, NULL, &a), 0);
	explain_is(&a->ind[0].pearson, "undefined, because the target is constant (48 in every bin "
				       "used)");
	explain_is(&a->ind[0].spearman,
		   "undefined, because the target is constant (48 in every bin "
		   "used)");
	assert_int_equal(a->nseg, 1);
	assert_true(a->seg[0].target_sd.v == 0);
	vnp_analysis_free(a);
	vnp_run_free(run);

	/* an infinite target value; a target without values */
	run = mkrun("inf", 0.5, 8);
	add(run, "netdev_bytes{dev=\"nic0\",dir=\"rx\"}",
	    (const double[]){ 1, 2, INFINITY, 4, 5, 6, 7, 8 }, 8);
	add(run, "function_calls{function=\"handle_tx\"}", ramp, 8);
	assert_int_equal(vnp_analyze(run, NULL, &a), 0);
	explain_is(&a->ind[0].pearson, "undefined, because the target holds an infinite value");
	explain_is(&a->ind[0].best, "undefined, because the target holds an infinite value");
	explain_is(&a->seg[0].target_mean, "undefined, because the indicator holds an infinite "
					   "value");
	vnp_analysis_free(a);
	vnp_run_free(run);
	run = mkrun("novalues", 0.5, 8);
	add(run, "netdev_bytes{dev=\"nic0\",dir=\"rx\"}", NULL, 8);
	add(run, "function_calls{function=\"handle_tx\"}", ramp, 8);
	assert_int_equal(vnp_analyze(run, NULL, &a), 0);
	explain_is(&a->ind[0].pearson, "undefined, because the target has no values");
	explain_is(&a->ind[0].spearman, "undefined, because the target has no values");
	assert_true(isnan(a->sigma));
	vnp_analysis_free(a);
	vnp_run_free(run);
}

static void test_summary(void **state)
{
	struct vnp_run *run = mkrun("s", 0.25, 8);
	const double t[] = { 1, 2, 3, 4, 5, 6, 7, 8 }, c[] = { 1, 1, 2, 2, 3, 3, 4, 4 };
	const double share[] = { 0.5, 0.1, 0.5, 0.1, 0.5, 0.1, 0.5, 0.1 };
	struct vnp_run_summary *s;

	(void)state;
	add(run, "iperf3_bits{stream=\"1\",side=\"receiver\"}", t, 8);
	add(run, "function_calls{function=\"handle_tx\"}", c, 8);
	add(run, "cpu_share{function=\"vcpu_enter_guest\"}", share, 8);
	add(run, "cpu_seconds{mode=\"user\"}", share, 8);
	assert_int_equal(vnp_run_summarize(run, NULL, &s), 0);
	/* the 0.5 s default fits 0.25 s bins: pairs are summed, then bits per 0.5 s -> bit/s */
	assert_true(s->bin_s == 0.5 && s->n_bins == 4);
	assert_string_equal(s->target_unit, "bit/s");
	assert_true(s->target_dist.n == 4);
	assert_true(s->target_dist.mean.v == (3 + 7 + 11 + 15) / 4.0 / 0.5);
	assert_true(s->target_dist.median.v == 18 && s->target_dist.min.v == 6);
	assert_true(fabs(s->target_dist.p10.v - (6 + 0.3 * 8)) < 1e-12);
	assert_int_equal(s->nseries, 2);
	assert_true(s->mean[0].v == 5 && !s->share[0]);
	assert_true(fabs(s->mean[1].v - 0.3) < 1e-15 && s->share[1]);
	vnp_run_summary_free(s);
	vnp_run_free(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rebin),
		cmocka_unit_test(test_bin_check),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_analyze),
		cmocka_unit_test(test_analyze_refusals),
		cmocka_unit_test(test_analyze_degenerate),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
