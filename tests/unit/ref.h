/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * References for the unit tests, written from the textbook formulas
 * (docs/analysis.md) and sharing nothing with src/analyze.
 */
#ifndef VNP_TEST_REF_H
#define VNP_TEST_REF_H

#include <math.h>
#include <stdint.h>

/*
 * Pearson's r of x[k] against y[k + lag] over the pairs where both have a
 * value, with the pairs' own means: the two-pass formula. *@used (if not
 * NULL) gets the number of pairs.
 */
static double pearson_ref(const double *x, const double *y, int64_t n, long lag, int64_t *used)
	__attribute__((unused));
static double pearson_ref(const double *x, const double *y, int64_t n, long lag, int64_t *used)
{
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
	int64_t m = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (int64_t k = 0; k < n; k++) {
			double a, b;

			if (k + lag < 0 || k + lag >= n || isnan(x[k]) || isnan(y[k + lag]))
				continue;
			a = x[k];
			b = y[k + lag];
			if (!pass) {
				mx += a;
				my += b;
				m++;
			} else {
				sxy += (a - mx) * (b - my);
				sxx += (a - mx) * (a - mx);
				syy += (b - my) * (b - my);
			}
		}
		if (!pass) {
			mx /= (double)m;
			my /= (double)m;
		}
	}
	if (used)
		*used = m;
	return sxy / sqrt(sxx * syy);
}

#endif
