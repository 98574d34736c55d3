// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One run summarised for comparison with other runs (the paper's figures
 * 5-7): the target's distribution, each indicator's mean per bin, each
 * CPU-share series' mean.
 */
#include "analyze/analyze-local.h"

#include <stdlib.h>
#include <string.h>

int vnp_run_summarize(const struct vnp_run *run, const struct vnp_analysis_opts *opts,
		      struct vnp_run_summary **out)
{
	struct vnp_analysis_opts def;
	struct vnp_run_summary *s;
	double *t = NULL, *x = NULL;
	size_t nser = vnp_run_nseries(run);
	long factor;
	int err;

	*out = NULL;
	if (!opts) {
		vnp_analysis_opts_init(&def);
		opts = &def;
	}
	vnp_errmsg_clear();
	s = calloc(1, sizeof(*s));
	if (!s)
		return vnp_fail(-ENOMEM, "out of memory");
	s->run = run;
	err = analysis_axis(run, opts, &s->bin_s, &factor, &s->n_bins);
	if (!err)
		err = vnp_find_target(run, opts->target, &s->target, NULL);
	if (err)
		goto fail;
	s->target_name = vnp_run_series(run, s->target)->name;
	err = target_values(run, s->target, factor, s->bin_s, s->n_bins, &t, &s->target_unit);
	if (!err)
		err = vnp_stat_dist(t, (size_t)s->n_bins, &s->target_dist);
	if (err)
		goto fail;
	s->series = calloc(nser + 1, sizeof(*s->series));
	s->mean = calloc(nser + 1, sizeof(*s->mean));
	s->share = calloc(nser + 1, sizeof(*s->share));
	x = malloc((size_t)(s->n_bins + 1) * sizeof(*x));
	if (!s->series || !s->mean || !s->share || !x) {
		err = vnp_fail(-ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nser; i++) {
		const struct vnp_series_info *si = vnp_run_series(run, i);

		if (i == s->target || si->role != VNP_INDICATOR)
			continue;
		vnp_rebin(run, i, factor, x);
		vnp_stat_mean(x, (size_t)s->n_bins, &s->mean[s->nseries]);
		s->share[s->nseries] = si->kind == VNP_SHARE;
		s->series[s->nseries++] = i;
	}
	free(t);
	free(x);
	*out = s;
	return 0;
fail:
	free(t);
	free(x);
	vnp_run_summary_free(s);
	return err;
}

void vnp_run_summary_free(struct vnp_run_summary *s)
{
	if (!s)
		return;
	free(s->series);
	free(s->mean);
	free(s->share);
	free(s);
}
