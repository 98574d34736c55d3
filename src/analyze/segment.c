// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Change points: where a series' mean changes. PELT (Killick, Fearnhead and
 * Eckley, JASA 2012) on the Gaussian change-in-mean cost, with the noise
 * level estimated robustly from first differences, so that one penalty works
 * at any scale. Method and defaults: docs/analysis.md.
 */
#include "analyze/analyze-local.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static double median_of(double *v, size_t n, uint64_t *tmp)
{
	sort_doubles(v, n, tmp);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The noise level sigma of one value, from the first differences (a level
 * shift touches only one of them): first the median absolute deviation
 * (times 1.4826, over sqrt 2), robust but noisy; then the standard deviation
 * of the differences within 4 of those sigmas of their median, which leaves
 * the shifts out and is nearly as precise as the plain standard deviation
 * (a noisy sigma makes false cuts: at n = 100 the MAD alone gave five times
 * more). When more than half the differences are equal (counts that rarely
 * move) the MAD is 0 and all differences are used.
 */
static double noise_sigma(const double *v, size_t m, int *err)
{
	double *d = malloc((m + 1) * sizeof(*d)), *a = malloc((m + 1) * sizeof(*a));
	uint64_t *tmp = malloc((2 * m + 1) * sizeof(*tmp));
	struct ksum s = { 0, 0 }, ss = { 0, 0 };
	double med, mad, lim, mean;
	size_t k = 0;

	*err = 0;
	if (!d || !a || !tmp) {
		*err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i + 1 < m; i++)
		d[i] = a[i] = v[i + 1] - v[i];
	med = median_of(a, m - 1, tmp);
	for (size_t i = 0; i + 1 < m; i++)
		a[i] = fabs(d[i] - med);
	mad = median_of(a, m - 1, tmp);
	lim = mad > 0 ? 4 * 1.482602218505602 * mad : INFINITY;
	for (size_t i = 0; i + 1 < m; i++)
		if (fabs(d[i] - med) <= lim) {
			ksum_add(&s, d[i]);
			a[k++] = d[i];
		}
	mean = ksum_get(&s) / (double)k;
	for (size_t i = 0; i < k; i++)
		ksum_add(&ss, (a[i] - mean) * (a[i] - mean));
out:
	free(d);
	free(a);
	free(tmp);
	return *err || k < 2 ? 0 : sqrt(ksum_get(&ss) / (double)(k - 1)) / sqrt(2.0);
}

int vnp_segment(const double *x, size_t n, const struct vnp_seg_opts *opts, size_t **cutsp,
		size_t *ncutsp, double *sigmap)
{
	double penalty = opts && opts->penalty > 0 ? opts->penalty : VNP_ANALYSIS_PENALTY;
	size_t minlen = opts && opts->min_len ? opts->min_len : 2;
	size_t m = 0, nr = 0, ncuts = 0, *at = NULL, *last = NULL, *cuts = NULL;
	size_t *death = NULL, *cs = NULL;
	double *v = NULL, *s1 = NULL, *s2 = NULL, *f = NULL, *cval = NULL, sigma = NAN, beta, mean;
	double *cf = NULL, *c1 = NULL, *c2 = NULL, *inv = NULL;
	struct ksum ms = { 0, 0 };
	int err = 0;

	*cutsp = NULL;
	*ncutsp = 0;
	v = malloc((n + 1) * sizeof(*v));
	at = malloc((n + 1) * sizeof(*at));
	if (!v || !at) {
		err = -ENOMEM;
		goto out;
	}
	/* missing values are left out: segments are cut on the values there are */
	for (size_t i = 0; i < n; i++)
		if (isfinite(x[i])) {
			at[m] = i;
			v[m++] = x[i];
		}
	if (m >= 2) {
		sigma = noise_sigma(v, m, &err);
		if (err)
			goto out;
	}
	if (m < 2 * minlen || !(sigma > 0))
		goto out; /* too short for two segments, or constant */

	/* standardise: the cost is then in units of sigma^2 and well scaled */
	for (size_t i = 0; i < m; i++)
		ksum_add(&ms, v[i]);
	mean = ksum_get(&ms) / (double)m;
	s1 = malloc((m + 1) * sizeof(*s1));
	s2 = malloc((m + 1) * sizeof(*s2));
	f = malloc((m + 1) * sizeof(*f));
	last = malloc((m + 1) * sizeof(*last));
	death = malloc((m + 1) * sizeof(*death));
	cval = malloc((m + 1) * sizeof(*cval));
	cs = malloc((m + 1) * sizeof(*cs));
	cf = malloc((m + 1) * sizeof(*cf));
	c1 = malloc((m + 1) * sizeof(*c1));
	c2 = malloc((m + 1) * sizeof(*c2));
	inv = malloc((m + 1) * sizeof(*inv));
	if (!s1 || !s2 || !f || !last || !death || !cval || !cs || !cf || !c1 || !c2 || !inv) {
		err = -ENOMEM;
		goto out;
	}
	s1[0] = s2[0] = 0;
	for (size_t i = 0; i < m; i++) {
		double z = (v[i] - mean) / sigma;

		s1[i + 1] = s1[i] + z;
		s2[i + 1] = s2[i] + z * z;
	}
	beta = penalty * log((double)m);

	/*
	 * f[t]: the least cost of z[0..t) cut into segments of at least minlen,
	 * plus beta per segment; r: the candidates for the start of the last
	 * segment. A candidate s whose f[s] + cost(s, tau) exceeds f[tau] - beta
	 * is beaten by a cut at tau for every end t >= tau + minlen (cost only
	 * grows when a segment is extended over a cut), so it is dropped then:
	 * the value is the one computed for f[tau] anyway, and the delay keeps
	 * the pruning exact with a minimum segment length.
	 */
	/* the candidates' data side by side, so that the inner loop reads in order */
	for (size_t k = 1; k <= m; k++)
		inv[k] = 1.0 / (double)k;
	cs[0] = 0;
	cf[0] = f[0] = -beta;
	c1[0] = c2[0] = 0;
	death[0] = SIZE_MAX;
	nr = 1;
	for (size_t t = minlen; t <= m; t++) {
		double best = INFINITY, a1 = s1[t], a2 = s2[t];
		size_t arg = 0, keep = 0;

		if (t >= 2 * minlen) {
			size_t s = t - minlen;

			cs[nr] = s;
			cf[nr] = f[s];
			c1[nr] = s1[s];
			c2[nr] = s2[s];
			death[nr++] = SIZE_MAX;
		}
		for (size_t i = 0; i < nr; i++) {
			double a = a1 - c1[i];

			cval[i] = cf[i] + (a2 - c2[i]) - a * a * inv[t - cs[i]];
		}
		for (size_t i = 0; i < nr; i++)
			if (cval[i] < best) {
				best = cval[i];
				arg = cs[i];
			}
		f[t] = best + beta;
		last[t] = arg;
		/* doomed now, dropped minlen later; gone before the next step: dropped now */
		for (size_t i = 0; i < nr; i++) {
			size_t d = death[i];

			if (d == SIZE_MAX && cval[i] > f[t])
				d = t + minlen;
			if (d <= t + 1)
				continue;
			cs[keep] = cs[i];
			cf[keep] = cf[i];
			c1[keep] = c1[i];
			c2[keep] = c2[i];
			death[keep++] = d;
		}
		nr = keep;
	}
	for (size_t t = m; t > 0; t = last[t])
		if (last[t] > 0)
			ncuts++;
	cuts = malloc((ncuts + 1) * sizeof(*cuts));
	if (!cuts) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t t = m, i = ncuts; t > 0; t = last[t])
		if (last[t] > 0)
			cuts[--i] = at[last[t]];
	*cutsp = cuts;
	*ncutsp = ncuts;
out:
	if (sigmap)
		*sigmap = sigma;
	free(v);
	free(at);
	free(s1);
	free(s2);
	free(f);
	free(last);
	free(death);
	free(cval);
	free(cs);
	free(cf);
	free(c1);
	free(c2);
	free(inv);
	return err ? vnp_fail(err, "out of memory segmenting %zu values", n) : 0;
}
