// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Statistics on binned series: moving average, Pearson's r (plain and
 * lagged), Spearman's rank correlation, Fisher's interval, quantiles.
 *
 * NaN marks a missing value everywhere: correlations use the bins where both
 * series have one. Every statistic either has a value or says why it has
 * none (struct vnp_stat); NaN never leaves this file as an answer.
 */
#include "analyze/analyze-local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- explaining an undefined result ----------------------------------- */

int vnp_stat_explain(char *buf, size_t size, const struct vnp_stat *st, const char *x,
		     const char *y)
{
	const char *who = st->which == VNP_STAT_Y && y ? y : x;
	char val[64];

	if (!size)
		return 0;
	switch (st->why) {
	case VNP_DEFINED:
		buf[0] = '\0';
		return 0;
	case VNP_UNDEF_EMPTY:
		return snprintf(buf, size, "undefined, because %s has no values", who);
	case VNP_UNDEF_SHORT:
		if (st->which == VNP_STAT_PAIRS && y) {
			if (!st->n)
				return snprintf(buf, size,
						"undefined, because %s and %s have no bin "
						"with a value in both (%g needed)",
						x, y, st->arg);
			return snprintf(buf, size,
					"undefined, because only %lld bin%s a value in "
					"both %s and %s (%g needed)",
					(long long)st->n, st->n == 1 ? " has" : "s have", x, y,
					st->arg);
		}
		return snprintf(buf, size,
				"undefined, because %s has only %lld value%s (%g needed)", who,
				(long long)st->n, st->n == 1 ? "" : "s", st->arg);
	case VNP_UNDEF_CONSTANT:
		vnp_fmt_double(val, sizeof(val), st->arg);
		return snprintf(buf, size,
				"undefined, because %s is constant (%s in every bin used)", who,
				val);
	case VNP_UNDEF_INFINITE:
		return snprintf(buf, size, "undefined, because %s holds an infinite value", who);
	case VNP_UNDEF_ZERO_MEAN:
		return snprintf(buf, size, "undefined, because the mean of %s is 0", who);
	case VNP_UNDEF_OFF:
		return snprintf(buf, size, "undefined, because it was turned off");
	}
	return snprintf(buf, size, "undefined");
}

/* ---- moving average --------------------------------------------------- */

int vnp_stat_sma(const double *x, size_t n, size_t w, double *out)
{
	struct ksum s = { 0, 0 };
	double shift = 0;
	size_t bad = 0;

	if (!w)
		return vnp_fail(-EINVAL, "a moving average needs a window of at least one value");
	/*
	 * Sum deviations from the first value so that the running sum stays
	 * small when the values are large; the same rounded deviation is added
	 * and later subtracted, so nothing drifts.
	 */
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i])) {
			shift = x[i];
			break;
		}
	for (size_t i = 0; i < n; i++) {
		if (isfinite(x[i]))
			ksum_add(&s, x[i] - shift);
		else
			bad++;
		if (i >= w) {
			if (isfinite(x[i - w]))
				ksum_add(&s, -(x[i - w] - shift));
			else
				bad--;
		}
		out[i] = i + 1 >= w && !bad ? shift + ksum_get(&s) / (double)w : NAN;
	}
	return 0;
}

/* ---- Pearson ---------------------------------------------------------- */

/*
 * The checks every correlation makes first. Returns the number of pairs, or
 * -1 after filling @r with the reason there is no answer.
 */
static int64_t check_pairs(const double *x, const double *y, size_t n, struct vnp_stat *r)
{
	int64_t m = 0, nx = 0, ny = 0;
	bool xinf = false, yinf = false, xvar = false, yvar = false;
	double x0 = NAN, y0 = NAN;

	for (size_t i = 0; i < n; i++) {
		double a = x[i], b = y[i];

		if (!isnan(a)) {
			nx++;
			xinf |= isinf(a);
		}
		if (!isnan(b)) {
			ny++;
			yinf |= isinf(b);
		}
		if (isnan(a) || isnan(b))
			continue;
		if (!m) {
			x0 = a;
			y0 = b;
		} else {
			xvar |= a != x0;
			yvar |= b != y0;
		}
		m++;
	}
	if (!nx)
		stat_undef(r, VNP_UNDEF_EMPTY, VNP_STAT_X, 0, 0);
	else if (!ny)
		stat_undef(r, VNP_UNDEF_EMPTY, VNP_STAT_Y, 0, 0);
	else if (xinf)
		stat_undef(r, VNP_UNDEF_INFINITE, VNP_STAT_X, 0, m);
	else if (yinf)
		stat_undef(r, VNP_UNDEF_INFINITE, VNP_STAT_Y, 0, m);
	else if (m < MIN_PAIRS)
		stat_undef(r, VNP_UNDEF_SHORT, VNP_STAT_PAIRS, MIN_PAIRS, m);
	else if (!xvar)
		stat_undef(r, VNP_UNDEF_CONSTANT, VNP_STAT_X, x0 == 0 ? 0 : x0, m);
	else if (!yvar)
		stat_undef(r, VNP_UNDEF_CONSTANT, VNP_STAT_Y, y0 == 0 ? 0 : y0, m);
	else
		return m;
	return -1;
}

/* r from the deviations' sums: the corrected two-pass formula */
static void pearson_finish(double cxy, double cxx, double cyy, double ddx, double ddy, double mx,
			   double my, int64_t m, struct vnp_stat *r)
{
	double v;

	cxy -= ddx * ddy / (double)m;
	cxx -= ddx * ddx / (double)m;
	cyy -= ddy * ddy / (double)m;
	if (!(cxx > 0)) {
		stat_undef(r, VNP_UNDEF_CONSTANT, VNP_STAT_X, mx, m);
		return;
	}
	if (!(cyy > 0)) {
		stat_undef(r, VNP_UNDEF_CONSTANT, VNP_STAT_Y, my, m);
		return;
	}
	v = cxy / (sqrt(cxx) * sqrt(cyy));
	stat_set(r, fmax(-1.0, fmin(1.0, v)), m);
}

/*
 * Sums over blocks: plain (and so vectorisable) within a block of BLOCK
 * values, compensated across blocks. The error is that of BLOCK-term plain
 * sums, about BLOCK * 1.1e-16 relative to the sum of magnitudes at worst,
 * whatever the length.
 */
#define BLOCK 128

/*
 * pearson_dense() - the common case, every value present and finite, in two
 * fast passes. Returns false, having done nothing, if a value is not finite.
 */
static bool pearson_dense(const double *x, const double *y, size_t n, struct vnp_stat *r)
{
	struct ksum sx = { 0, 0 }, sy = { 0, 0 }, sxy = { 0, 0 }, sxx = { 0, 0 }, syy = { 0, 0 };
	struct ksum ex = { 0, 0 }, ey = { 0, 0 };
	double xlo = x[0], xhi = x[0], ylo = y[0], yhi = y[0], mx, my;

	for (size_t b = 0; b < n; b += BLOCK) {
		size_t e = b + BLOCK < n ? b + BLOCK : n;
		double a0 = 0, a1 = 0, c0 = 0, c1 = 0;
		size_t i = b;

		for (; i + 2 <= e; i += 2) {
			a0 += x[i];
			a1 += x[i + 1];
			c0 += y[i];
			c1 += y[i + 1];
		}
		for (; i < e; i++) {
			a0 += x[i];
			c0 += y[i];
		}
		ksum_add(&sx, a0 + a1);
		ksum_add(&sy, c0 + c1);
	}
	/* NaN and infinities show in the sums: leave them to the careful path */
	if (!isfinite(ksum_get(&sx)) || !isfinite(ksum_get(&sy)))
		return false;
	for (size_t i = 1; i < n; i++) {
		xlo = x[i] < xlo ? x[i] : xlo;
		xhi = x[i] > xhi ? x[i] : xhi;
		ylo = y[i] < ylo ? y[i] : ylo;
		yhi = y[i] > yhi ? y[i] : yhi;
	}
	if (xlo == xhi) {
		stat_undef(r, VNP_UNDEF_CONSTANT, VNP_STAT_X, xlo == 0 ? 0 : xlo, (int64_t)n);
		return true;
	}
	if (ylo == yhi) {
		stat_undef(r, VNP_UNDEF_CONSTANT, VNP_STAT_Y, ylo == 0 ? 0 : ylo, (int64_t)n);
		return true;
	}
	mx = ksum_get(&sx) / (double)n;
	my = ksum_get(&sy) / (double)n;
	for (size_t b = 0; b < n; b += BLOCK) {
		size_t e = b + BLOCK < n ? b + BLOCK : n;
		double p0 = 0, p1 = 0, q0 = 0, q1 = 0, u0 = 0, u1 = 0, d0 = 0, d1 = 0, f0 = 0,
		       f1 = 0;
		size_t i = b;

		for (; i + 2 <= e; i += 2) {
			double dx0 = x[i] - mx, dx1 = x[i + 1] - mx;
			double dy0 = y[i] - my, dy1 = y[i + 1] - my;

			d0 += dx0;
			d1 += dx1;
			f0 += dy0;
			f1 += dy1;
			p0 += dx0 * dy0;
			p1 += dx1 * dy1;
			q0 += dx0 * dx0;
			q1 += dx1 * dx1;
			u0 += dy0 * dy0;
			u1 += dy1 * dy1;
		}
		for (; i < e; i++) {
			double dx = x[i] - mx, dy = y[i] - my;

			d0 += dx;
			f0 += dy;
			p0 += dx * dy;
			q0 += dx * dx;
			u0 += dy * dy;
		}
		ksum_add(&ex, d0 + d1);
		ksum_add(&ey, f0 + f1);
		ksum_add(&sxy, p0 + p1);
		ksum_add(&sxx, q0 + q1);
		ksum_add(&syy, u0 + u1);
	}
	pearson_finish(ksum_get(&sxy), ksum_get(&sxx), ksum_get(&syy), ksum_get(&ex), ksum_get(&ey),
		       mx, my, (int64_t)n, r);
	return true;
}

void pearson_pairs(const double *x, const double *y, size_t n, struct vnp_stat *r)
{
	struct ksum sx = { 0, 0 }, sy = { 0, 0 }, sxy = { 0, 0 }, sxx = { 0, 0 }, syy = { 0, 0 };
	struct ksum ex = { 0, 0 }, ey = { 0, 0 };
	double mx, my;
	int64_t m;

	if (n >= MIN_PAIRS && pearson_dense(x, y, n, r))
		return;
	m = check_pairs(x, y, n, r);
	if (m < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]) || isnan(y[i]))
			continue;
		ksum_add(&sx, x[i]);
		ksum_add(&sy, y[i]);
	}
	mx = ksum_get(&sx) / (double)m;
	my = ksum_get(&sy) / (double)m;
	/*
	 * Second pass over deviations from the means (no cancellation between
	 * large sums), corrected by the deviations' own sums for the rounding
	 * of the means (the "corrected two-pass" algorithm).
	 */
	for (size_t i = 0; i < n; i++) {
		double dx, dy;

		if (isnan(x[i]) || isnan(y[i]))
			continue;
		dx = x[i] - mx;
		dy = y[i] - my;
		ksum_add(&ex, dx);
		ksum_add(&ey, dy);
		ksum_add(&sxy, dx * dy);
		ksum_add(&sxx, dx * dx);
		ksum_add(&syy, dy * dy);
	}
	pearson_finish(ksum_get(&sxy), ksum_get(&sxx), ksum_get(&syy), ksum_get(&ex), ksum_get(&ey),
		       mx, my, m, r);
}

static int same_length(size_t nx, size_t ny)
{
	if (nx != ny)
		return vnp_fail(-EINVAL,
				"cannot correlate series of different lengths (%zu and %zu "
				"bins); put them on one time axis first",
				nx, ny);
	return 0;
}

int vnp_stat_pearson(const double *x, size_t nx, const double *y, size_t ny, struct vnp_stat *r)
{
	int err = same_length(nx, ny);

	if (err)
		return err;
	pearson_pairs(x, y, nx, r);
	return 0;
}

/* the overlap of x[t] and y[t + lag] */
static void lag_slices(size_t n, long lag, size_t *ax, size_t *ay, size_t *m)
{
	size_t l = lag < 0 ? (size_t)0 - (size_t)lag : (size_t)lag;

	*ax = lag < 0 && l < n ? l : 0;
	*ay = lag > 0 && l < n ? l : 0;
	*m = l < n ? n - l : 0;
}

int vnp_stat_pearson_lag(const double *x, size_t nx, const double *y, size_t ny, long lag,
			 struct vnp_stat *r)
{
	size_t ax, ay, m;
	int err = same_length(nx, ny);

	if (err)
		return err;
	lag_slices(nx, lag, &ax, &ay, &m);
	if (!m && nx)
		stat_undef(r, VNP_UNDEF_SHORT, VNP_STAT_PAIRS, MIN_PAIRS, 0); /* no overlap */
	else
		pearson_pairs(x + ax, y + ay, m, r);
	return 0;
}

/* ---- sorting and ranks ------------------------------------------------ */

/* a key whose unsigned order is the order of the doubles (no NaN; -0 == 0) */
static inline uint64_t dkey(double v)
{
	uint64_t u;

	if (v == 0)
		v = 0;
	memcpy(&u, &v, sizeof(u));
	return u >> 63 ? ~u : u | (1ull << 63);
}

static inline double dval(uint64_t u)
{
	double v;

	u = u >> 63 ? u & ~(1ull << 63) : ~u;
	memcpy(&v, &u, sizeof(v));
	return v;
}

/*
 * LSD radix sort of @k (with @idx alongside, if not NULL), a byte at a time;
 * bytes that every key shares are skipped, which for counts is most of them.
 * @k2 and @idx2 are scratch of the same size.
 */
static void radix_sort(uint64_t *k, uint32_t *idx, size_t n, uint64_t *k2, uint32_t *idx2)
{
	uint64_t *src = k, *dst = k2;
	uint32_t *isrc = idx, *idst = idx2;
	size_t count[8][256];
	uint64_t vary = 0;
	int pass[8], npass = 0;

	for (size_t i = 1; i < n; i++)
		vary |= k[i] ^ k[0];
	for (int b = 0; b < 8; b++)
		if ((vary >> (8 * b)) & 0xff)
			pass[npass++] = b;
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (int p = 0; p < npass; p++)
			count[p][(k[i] >> (8 * pass[p])) & 0xff]++;
	for (int p = 0; p < npass; p++) {
		size_t pos = 0, *c = count[p];
		int b = pass[p];
		uint64_t *tk;
		uint32_t *ti;

		for (int d = 0; d < 256; d++) {
			size_t t = c[d];

			c[d] = pos;
			pos += t;
		}
		for (size_t i = 0; i < n; i++) {
			size_t at = c[(src[i] >> (8 * b)) & 0xff]++;

			dst[at] = src[i];
			if (isrc)
				idst[at] = isrc[i];
		}
		tk = src, src = dst, dst = tk;
		ti = isrc, isrc = idst, idst = ti;
	}
	if (src != k) {
		memcpy(k, src, n * sizeof(*k));
		if (idx)
			memcpy(idx, isrc, n * sizeof(*idx));
	}
}

void sort_doubles(double *x, size_t n, uint64_t *tmp)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = dkey(x[i]);
	radix_sort(tmp, NULL, n, tmp + n, NULL);
	for (size_t i = 0; i < n; i++)
		x[i] = dval(tmp[i]);
}

int rank_avg(const double *x, size_t n, double *rank)
{
	uint64_t *k = malloc(2 * n * sizeof(*k) + 1);
	uint32_t *idx = malloc(2 * n * sizeof(*idx) + 1);

	if (!k || !idx || n > UINT32_MAX) {
		free(k);
		free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		k[i] = dkey(x[i]);
		idx[i] = (uint32_t)i;
	}
	radix_sort(k, idx, n, k + n, idx + n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		double r;

		while (j < n && k[j] == k[i])
			j++;
		/* positions i..j-1 hold ranks i+1..j: each gets their mean */
		r = (double)(i + 1 + j) / 2;
		for (size_t t = i; t < j; t++)
			rank[idx[t]] = r;
		i = j;
	}
	free(k);
	free(idx);
	return 0;
}

int vnp_stat_spearman(const double *x, size_t nx, const double *y, size_t ny, struct vnp_stat *r)
{
	double *buf;
	int64_t m;
	size_t j = 0;
	int err = same_length(nx, ny);

	if (err)
		return err;
	m = check_pairs(x, y, nx, r);
	if (m < 0)
		return 0;
	buf = malloc(4 * (size_t)m * sizeof(*buf));
	if (!buf)
		return vnp_fail(-ENOMEM, "out of memory ranking %lld values", (long long)m);
	for (size_t i = 0; i < nx; i++)
		if (!isnan(x[i]) && !isnan(y[i])) {
			buf[j] = x[i];
			buf[m + j] = y[i];
			j++;
		}
	err = rank_avg(buf, m, buf + 2 * m);
	if (!err)
		err = rank_avg(buf + m, m, buf + 3 * m);
	if (!err)
		pearson_pairs(buf + 2 * m, buf + 3 * m, m, r);
	free(buf);
	return err ? vnp_fail(err, "out of memory ranking %lld values", (long long)m) : 0;
}

/* ---- lagged correlation ----------------------------------------------- */

int lagprep_init(struct lagprep *lp, const double *x, size_t n)
{
	struct ksum s = { 0, 0 };
	size_t cnt = 0;
	double mean;

	memset(lp, 0, sizeof(*lp));
	for (size_t i = 0; i < n; i++)
		if (isinf(x[i]))
			return -EDOM;
	lp->n = n;
	lp->d = malloc((n + 1) * sizeof(double));
	lp->p = malloc((n + 1) * sizeof(double));
	lp->pp = malloc((n + 1) * sizeof(double));
	lp->ok = malloc(n + 1);
	lp->miss = malloc((n + 1) * sizeof(size_t));
	if (!lp->d || !lp->p || !lp->pp || !lp->ok || !lp->miss) {
		lagprep_free(lp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i])) {
			ksum_add(&s, x[i]);
			cnt++;
		}
	mean = cnt ? ksum_get(&s) / (double)cnt : 0;
	lp->p[0] = lp->pp[0] = 0;
	for (size_t i = 0; i < n; i++) {
		lp->ok[i] = !isnan(x[i]);
		lp->d[i] = lp->ok[i] ? x[i] - mean : 0;
		if (!lp->ok[i])
			lp->miss[lp->nmiss++] = i;
		lp->p[i + 1] = lp->p[i] + lp->d[i];
		lp->pp[i + 1] = lp->pp[i] + lp->d[i] * lp->d[i];
	}
	return 0;
}

void lagprep_free(struct lagprep *lp)
{
	free(lp->d);
	free(lp->p);
	free(lp->pp);
	free(lp->ok);
	free(lp->miss);
	memset(lp, 0, sizeof(*lp));
}

/* four independent sums: faster, and each sums a quarter of the terms */
static double dot(const double *a, const double *b, size_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

/*
 * r at one lag from the prepared series: the raw moments of the pairs, taken
 * about the whole series' means (so they stay small), then centred on the
 * pairs' own means. The running sums cover the overlap; each missing value
 * takes its partner out again. Good enough to choose a lag; the chosen lag's
 * r is computed again exactly by pearson_pairs().
 */
static bool lag_r(const struct lagprep *x, const struct lagprep *y, long lag, double *r)
{
	size_t ax, ay, m, cnt;
	double sx, sy, sxx, syy, sxy, cxx, cyy;

	lag_slices(x->n, lag, &ax, &ay, &m);
	if (m < MIN_PAIRS)
		return false;
	cnt = m;
	sx = x->p[ax + m] - x->p[ax];
	sy = y->p[ay + m] - y->p[ay];
	sxx = x->pp[ax + m] - x->pp[ax];
	syy = y->pp[ay + m] - y->pp[ay];
	/* x missing: its pair is gone, and with it y's value (if y has one) */
	for (size_t k = 0; k < x->nmiss; k++) {
		size_t i = x->miss[k], j;

		if (i < ax || i >= ax + m)
			continue;
		j = i - ax + ay;
		cnt--;
		sy -= y->d[j];
		syy -= y->d[j] * y->d[j];
	}
	/* y missing where x is present: likewise (both missing was counted above) */
	for (size_t k = 0; k < y->nmiss; k++) {
		size_t j = y->miss[k], i;

		if (j < ay || j >= ay + m)
			continue;
		i = j - ay + ax;
		if (!x->ok[i])
			continue;
		cnt--;
		sx -= x->d[i];
		sxx -= x->d[i] * x->d[i];
	}
	if (cnt < MIN_PAIRS)
		return false;
	sxy = dot(x->d + ax, y->d + ay, m); /* a missing value's 0 drops its pair */
	cxx = sxx - sx * sx / (double)cnt;
	cyy = syy - sy * sy / (double)cnt;
	/* a variance that is only rounding noise means a constant overlap */
	if (!(cxx > 1e-12 * sxx) || !(cyy > 1e-12 * syy))
		return false;
	*r = (sxy - sx * sy / (double)cnt) / (sqrt(cxx) * sqrt(cyy));
	return true;
}

/* lags in the order 0, -1, 1, -2, 2, ...: the first of equal |r| wins */
static long lag_at(long i)
{
	return i & 1 ? -(i + 1) / 2 : i / 2;
}

bool lag_scan(const struct lagprep *x, const struct lagprep *y, long max_lag, long *best)
{
	double br = -1, r;
	bool any = false;

	for (long i = 0; i <= 2 * max_lag; i++) {
		long lag = lag_at(i);

		if (lag_r(x, y, lag, &r) && fabs(r) > br) {
			br = fabs(r);
			*best = lag;
			any = true;
		}
	}
	return any;
}

bool all_finite(const double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return false;
	return true;
}

int vnp_stat_best_lag(const double *x, size_t nx, const double *y, size_t ny, long max_lag,
		      struct vnp_stat *r, long *lag)
{
	struct lagprep px, py;
	long best = 0;
	int err = same_length(nx, ny);

	if (err)
		return err;
	if (max_lag < 0)
		return vnp_fail(-EINVAL, "a lag scan needs a maximum lag of 0 or more, not %ld",
				max_lag);
	if ((size_t)max_lag >= nx)
		max_lag = nx ? (long)nx - 1 : 0;
	*lag = 0;
	pearson_pairs(x, y, nx, r);
	if (r->why || !max_lag)
		return 0; /* what is wrong at lag 0 (a constant, an infinity) is wrong at all */
	err = lagprep_init(&px, x, nx);
	if (!err)
		err = lagprep_init(&py, y, ny);
	if (err) {
		lagprep_free(&px);
		return vnp_fail(err, "out of memory for a lag scan of %zu bins", nx);
	}
	if (lag_scan(&px, &py, max_lag, &best) && best) {
		*lag = best;
		vnp_stat_pearson_lag(x, nx, y, ny, best, r);
	}
	lagprep_free(&px);
	lagprep_free(&py);
	return 0;
}

/* ---- Fisher's interval ------------------------------------------------ */

int vnp_stat_ci95(const struct vnp_stat *r, struct vnp_stat *lo, struct vnp_stat *hi)
{
	/* the 0.975 quantile of the standard normal distribution */
	const double z975 = 1.959963984540054;
	double z, h;

	if (r->why) {
		*lo = *r;
		*hi = *r;
		return 0;
	}
	if (r->n < 4) {
		stat_undef(lo, VNP_UNDEF_SHORT, VNP_STAT_PAIRS, 4, r->n);
		*hi = *lo;
		return 0;
	}
	if (fabs(r->v) >= 1) {
		stat_set(lo, r->v, r->n);
		stat_set(hi, r->v, r->n);
		return 0;
	}
	z = atanh(r->v);
	h = z975 / sqrt((double)(r->n - 3));
	stat_set(lo, tanh(z - h), r->n);
	stat_set(hi, tanh(z + h), r->n);
	return 0;
}

/* ---- one series: mean, spread, quantiles ------------------------------ */

int vnp_stat_mean(const double *x, size_t n, struct vnp_stat *m)
{
	struct ksum s = { 0, 0 };
	int64_t cnt = 0;
	bool inf = false;

	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]))
			continue;
		inf |= isinf(x[i]);
		ksum_add(&s, x[i]);
		cnt++;
	}
	if (!cnt)
		stat_undef(m, VNP_UNDEF_EMPTY, VNP_STAT_X, 0, 0);
	else if (inf)
		stat_undef(m, VNP_UNDEF_INFINITE, VNP_STAT_X, 0, cnt);
	else
		stat_set(m, ksum_get(&s) / (double)cnt, cnt);
	return 0;
}

/* type 7: linear between the order statistics around (n - 1) p */
static double quantile_sorted(const double *v, size_t n, double p)
{
	double h = (double)(n - 1) * p, f = floor(h);
	size_t lo = (size_t)f;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (h - f) * (v[lo + 1] - v[lo]);
}

/* the present values of @x, sorted; NULL with *m = 0 when there are none */
static double *sorted_values(const double *x, size_t n, size_t *m, int *err)
{
	double *v = malloc((n + 1) * sizeof(*v));
	uint64_t *tmp = malloc((2 * n + 1) * sizeof(*tmp));

	*m = 0;
	*err = 0;
	if (!v || !tmp) {
		free(v);
		free(tmp);
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			v[(*m)++] = x[i];
	sort_doubles(v, *m, tmp);
	free(tmp);
	return v;
}

int vnp_stat_quantile(const double *x, size_t n, double p, struct vnp_stat *q)
{
	size_t m;
	int err;
	double *v;

	if (!(p >= 0 && p <= 1))
		return vnp_fail(-EINVAL, "a quantile needs p in [0, 1], not %g", p);
	v = sorted_values(x, n, &m, &err);
	if (err)
		return vnp_fail(err, "out of memory sorting %zu values", n);
	if (!m)
		stat_undef(q, VNP_UNDEF_EMPTY, VNP_STAT_X, 0, 0);
	else
		stat_set(q, quantile_sorted(v, m, p), (int64_t)m);
	free(v);
	return 0;
}

int vnp_stat_dist(const double *x, size_t n, struct vnp_dist *d)
{
	struct vnp_stat *qs[] = { &d->min, &d->p10, &d->median, &d->p90, &d->max };
	static const double qp[] = { 0, 0.1, 0.5, 0.9, 1 };
	struct ksum ss = { 0, 0 }, se = { 0, 0 };
	size_t m;
	int err;
	double *v = sorted_values(x, n, &m, &err);

	if (err)
		return vnp_fail(err, "out of memory sorting %zu values", n);
	memset(d, 0, sizeof(*d));
	d->n = (int64_t)m;
	vnp_stat_mean(x, n, &d->mean);
	/* an infinite value leaves no quantile meaningful: say so for all */
	for (int i = 0; i < VNP_CDF_POINTS; i++) {
		d->cdf_p[i] = (double)i / (VNP_CDF_POINTS - 1);
		d->cdf_v[i] = d->mean.why ? NAN : quantile_sorted(v, m, d->cdf_p[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(qs); i++) {
		if (d->mean.why)
			*qs[i] = d->mean;
		else
			stat_set(qs[i], quantile_sorted(v, m, qp[i]), (int64_t)m);
	}
	if (d->mean.why) {
		d->sd = d->cv = d->mean;
	} else if (m < 2) {
		stat_undef(&d->sd, VNP_UNDEF_SHORT, VNP_STAT_X, 2, (int64_t)m);
		d->cv = d->sd;
	} else {
		double e, var;

		for (size_t i = 0; i < m; i++) {
			double dv = v[i] - d->mean.v;

			ksum_add(&se, dv);
			ksum_add(&ss, dv * dv);
		}
		e = ksum_get(&se);
		var = (ksum_get(&ss) - e * e / (double)m) / (double)(m - 1);
		stat_set(&d->sd, sqrt(fmax(var, 0)), (int64_t)m);
		if (d->mean.v == 0)
			stat_undef(&d->cv, VNP_UNDEF_ZERO_MEAN, VNP_STAT_X, 0, (int64_t)m);
		else
			stat_set(&d->cv, d->sd.v / d->mean.v, (int64_t)m);
	}
	free(v);
	return 0;
}
