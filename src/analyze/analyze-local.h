/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to src/analyze/: compensated sums, ranking, the pieces of a lag scan. */
#ifndef VNP_ANALYZE_LOCAL_H
#define VNP_ANALYZE_LOCAL_H

#include "vnetprof-local.h"

#include <math.h>
#include <stdint.h>

/*
 * Neumaier's compensated sum: the running error of each addition is kept in
 * @c, so that a sum of many terms is as good as a correctly rounded one for
 * any practical length.
 */
struct ksum {
	double s, c;
};

static inline void ksum_add(struct ksum *k, double x)
{
	double t = k->s + x;

	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static inline double ksum_get(const struct ksum *k)
{
	return k->s + k->c;
}

static inline void stat_undef(struct vnp_stat *st, enum vnp_undef why, int which, double arg,
			      int64_t n)
{
	st->v = NAN;
	st->n = n;
	st->why = why;
	st->which = which;
	st->arg = arg;
}

static inline void stat_set(struct vnp_stat *st, double v, int64_t n)
{
	st->v = v;
	st->n = n;
	st->why = VNP_DEFINED;
	st->which = 0;
	st->arg = 0;
}

/* the smallest number of pairs for which r is reported */
#define MIN_PAIRS 3

/*
 * pearson_pairs() - r of x[i] against y[i], i < n, over the pairs where both
 * have a value; the core of every correlation here.
 */
void pearson_pairs(const double *x, const double *y, size_t n, struct vnp_stat *r);

/*
 * rank_avg() - ranks 1..n of x (no NaN inside), ties given their average
 * rank. Returns 0 or -ENOMEM.
 */
int rank_avg(const double *x, size_t n, double *rank);

/* sort ascending (no NaN inside); @tmp has room for 2 * n keys */
void sort_doubles(double *x, size_t n, uint64_t *tmp);

/*
 * A series prepared for many lagged correlations against others: its
 * deviations from its mean (0 where a value is missing) with their running
 * sums, and the list of missing values, so that a lag costs one dot product
 * plus a correction per missing value.
 */
struct lagprep {
	size_t n;
	double *d;	   /* x - mean, 0 where missing */
	double *p;	   /* p[i] = d[0] + ... + d[i-1] */
	double *pp;	   /* likewise for d^2 */
	unsigned char *ok; /* the value is present */
	size_t *miss;	   /* indices of the missing values, ascending */
	size_t nmiss;
};

/* Returns 0, -ENOMEM, or -EDOM if @x holds an infinite value (no scan then). */
int lagprep_init(struct lagprep *lp, const double *x, size_t n);
void lagprep_free(struct lagprep *lp);

/*
 * lag_scan() - the lag in [-max_lag, max_lag] where |r(x[t], y[t+lag])| is
 * largest, from the prepared series, over the pairs where both have a value.
 * Returns false if no lag has a defined r.
 */
bool lag_scan(const struct lagprep *x, const struct lagprep *y, long max_lag, long *best);

/* every value present and finite */
bool all_finite(const double *x, size_t n);

/* ---- frame.c: the analysis axis and the target ---- */

/* the analysis bin, stored bins per analysis bin, and the number of analysis bins */
int analysis_axis(const struct vnp_run *run, const struct vnp_analysis_opts *o, double *bin_s,
		  long *factor, int64_t *n_bins);

/*
 * fit_multiple() - @want as a whole number (>= 1) of @unit, or -EDOM with a
 * message that names @what and @unit_what and the nearest possible values
 */
int fit_multiple(const char *what, double want, double unit, const char *unit_what, long *k);

/* per stored bin: present, and neither partial nor late (malloc'ed; NULL: no memory) */
unsigned char *usable_bins(const struct vnp_run *run);

/* vnp_rebin() with the usable bins known */
int64_t rebin_ok(const struct vnp_run *run, size_t s, long factor, const unsigned char *ok,
		 double *out);

/*
 * target_values() - the target on the analysis axis, in bit/s if it counts
 * bytes or bits; @out is malloc'ed, @unit static or the series' own string
 */
int target_values(const struct vnp_run *run, size_t s, long factor, double bin_s, int64_t n_bins,
		  double **out, const char **unit);

#endif
