// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vnp_analyze(): every indicator of a run against its target (raw, smoothed,
 * rank and lagged correlation), ranked; and the run cut where the target's
 * level changes, with every indicator's level in each piece.
 */
#include "analyze/analyze-local.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* scratch for one indicator, reused for the next */
struct scratch {
	double *x, *xs, *rx;
	double *xc;		  /* x on a view's bins */
	unsigned char *ok;	  /* usable stored bins */
	struct vnp_stat *segmean; /* nind * nseg */
};

/*
 * The target on the bins where it has a value: these are the pairs of every
 * indicator that has a value in every bin (the common case), so the target's
 * part of each correlation, its ranks above all, is done once.
 */
struct view {
	size_t m;     /* bins; 0: not usable (too few, or an infinite target) */
	size_t *idx;  /* the bins; NULL: all of them, in order */
	double *t;    /* the target on them */
	double *rank; /* and its ranks */
	bool own;     /* @t was allocated here */
};

/* what the target needs once, for every indicator */
struct tprep {
	const double *t;
	double *ts; /* smoothed */
	struct view raw, sma;
	bool lagprep; /* @lp is ready */
	struct lagprep lp;
};

static int view_init(struct view *v, const double *t, size_t n)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		if (isinf(t[i])) {
			v->m = 0; /* not usable: the careful path says why */
			return 0;
		}
		v->m += !isnan(t[i]);
	}
	if (v->m < MIN_PAIRS) {
		v->m = 0;
		return 0;
	}
	if (v->m == n) {
		v->t = (double *)t;
	} else {
		size_t j = 0;

		v->idx = malloc(v->m * sizeof(*v->idx));
		v->t = malloc(v->m * sizeof(*v->t));
		v->own = true;
		if (!v->idx || !v->t)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (!isnan(t[i])) {
				v->idx[j] = i;
				v->t[j++] = t[i];
			}
	}
	v->rank = malloc(v->m * sizeof(*v->rank));
	if (!v->rank)
		return -ENOMEM;
	return rank_avg(v->t, v->m, v->rank);
}

static void view_free(struct view *v)
{
	free(v->idx);
	if (v->own)
		free(v->t);
	free(v->rank);
}

/* @x on the view's bins */
static const double *on_view(const struct view *v, const double *x, double *buf)
{
	if (!v->idx)
		return x;
	for (size_t j = 0; j < v->m; j++)
		buf[j] = x[v->idx[j]];
	return buf;
}

static int seg_stats(const double *t, struct vnp_segment_info *sg)
{
	struct vnp_dist d;
	int err = vnp_stat_dist(t + sg->k0, (size_t)(sg->k1 - sg->k0), &d);

	if (err)
		return err;
	sg->target_mean = d.mean;
	sg->target_sd = d.sd;
	return 0;
}

static int segments(struct vnp_analysis *a, const struct vnp_analysis_opts *o)
{
	struct vnp_seg_opts so = { .penalty = o->penalty };
	size_t *cuts = NULL, ncuts = 0;
	double minlen = ceil(o->min_segment_s / a->bin_s - 1e-9);
	int err;

	a->penalty = o->penalty > 0 ? o->penalty : VNP_ANALYSIS_PENALTY;
	so.min_len = minlen >= 1 ? (size_t)minlen : 1;
	a->min_segment_s = (double)so.min_len * a->bin_s;
	err = vnp_segment(a->target_values, (size_t)a->n_bins, &so, &cuts, &ncuts, &a->sigma);
	if (err)
		return err;
	a->seg = calloc(ncuts + 1, sizeof(*a->seg));
	if (!a->seg) {
		free(cuts);
		return -ENOMEM;
	}
	a->nseg = ncuts + 1;
	for (size_t i = 0; i < a->nseg; i++) {
		struct vnp_segment_info *sg = &a->seg[i];

		sg->k0 = i ? (int64_t)cuts[i - 1] : 0;
		sg->k1 = i < ncuts ? (int64_t)cuts[i] : a->n_bins;
		sg->t_start = (double)sg->k0 * a->bin_s;
		sg->t_end = (double)sg->k1 * a->bin_s;
		err = seg_stats(a->target_values, sg);
		if (err)
			break;
	}
	free(cuts);
	return err;
}

static int tprep_init(struct tprep *tp, const struct vnp_analysis *a)
{
	size_t n = (size_t)a->n_bins;
	int err;

	memset(tp, 0, sizeof(*tp));
	tp->t = a->target_values;
	err = view_init(&tp->raw, tp->t, n);
	if (err)
		return err;
	if (a->sma_bins > 0) {
		tp->ts = malloc(n * sizeof(double));
		if (!tp->ts)
			return -ENOMEM;
		vnp_stat_sma(tp->t, n, (size_t)a->sma_bins, tp->ts);
		err = view_init(&tp->sma, tp->ts, n);
		if (err)
			return err;
	}
	if (a->max_lag_bins > 0) {
		err = lagprep_init(&tp->lp, tp->t, n);
		tp->lagprep = !err;
		if (err == -EDOM)
			err = 0; /* an infinite target: r is undefined at every lag anyway */
	}
	return err;
}

static void tprep_free(struct tprep *tp)
{
	view_free(&tp->raw);
	view_free(&tp->sma);
	free(tp->ts);
	if (tp->lagprep)
		lagprep_free(&tp->lp);
}

/* one indicator: its correlations with the target, and its level per segment */
static int one_indicator(const struct vnp_analysis *a, const struct tprep *tp, struct scratch *sc,
			 struct vnp_indicator *ind, struct vnp_stat *segmean)
{
	size_t n = (size_t)a->n_bins;
	bool dense;
	int err = 0;

	rebin_ok(a->run, ind->series, a->factor, sc->ok, sc->x);
	for (size_t j = 0; j < a->nseg; j++)
		vnp_stat_mean(sc->x + a->seg[j].k0, (size_t)(a->seg[j].k1 - a->seg[j].k0),
			      &segmean[j]);
	dense = all_finite(sc->x, n);
	if (a->sma_bins > 0)
		vnp_stat_sma(sc->x, n, (size_t)a->sma_bins, sc->xs);

	/* lag 0, and Spearman: on the target's view when x is complete */
	if (dense && tp->raw.m) {
		const double *xv = on_view(&tp->raw, sc->x, sc->xc);

		pearson_pairs(xv, tp->raw.t, tp->raw.m, &ind->pearson);
		if (!ind->pearson.why) {
			err = rank_avg(xv, tp->raw.m, sc->rx);
			if (err)
				return err;
			pearson_pairs(sc->rx, tp->raw.rank, tp->raw.m, &ind->spearman);
		}
	} else {
		pearson_pairs(sc->x, tp->t, n, &ind->pearson);
		if (!ind->pearson.why) {
			err = vnp_stat_spearman(sc->x, n, tp->t, n, &ind->spearman);
			if (err)
				return err;
		}
	}
	vnp_stat_ci95(&ind->pearson, &ind->ci_lo, &ind->ci_hi);

	if (a->sma_bins <= 0) {
		stat_undef(&ind->pearson_sma, VNP_UNDEF_OFF, VNP_STAT_PAIRS, 0, 0);
	} else if (dense && tp->sma.m) {
		/* a complete x is smoothed wherever the target is */
		pearson_pairs(on_view(&tp->sma, sc->xs, sc->xc), tp->sma.t, tp->sma.m,
			      &ind->pearson_sma);
	} else {
		/* the first sma_bins - 1 smoothed values are never defined: leave them out */
		size_t w = (size_t)a->sma_bins - 1 < n ? (size_t)a->sma_bins - 1 : n;

		pearson_pairs(sc->xs + w, tp->ts + w, n - w, &ind->pearson_sma);
	}

	ind->best = ind->pearson;
	ind->best_lag = 0;
	if (ind->pearson.why) {
		/* what makes r undefined at lag 0 (a constant, an empty series) holds for all */
		ind->spearman = ind->pearson;
		goto out;
	}
	if (a->max_lag_bins <= 0)
		goto out;
	if (tp->lagprep) {
		struct lagprep lp;
		long lag = 0;

		/* r at lag 0 is defined, so x holds no infinity: this cannot be -EDOM */
		err = lagprep_init(&lp, sc->x, n);
		if (err)
			return err;
		if (lag_scan(&lp, &tp->lp, a->max_lag_bins, &lag) && lag) {
			vnp_stat_pearson_lag(sc->x, n, tp->t, n, lag, &ind->best);
			ind->best_lag = lag;
		}
		lagprep_free(&lp);
	}
out:
	ind->best_lag_s = (double)ind->best_lag * a->bin_s;
	return err;
}

/*
 * |r| for ranking, to 12 significant digits: r = 1 computed two ways may
 * differ in the last bit, and such a difference must not outrank a real one
 * in the next key.
 */
static double rank_key(const struct vnp_stat *r)
{
	return r->why ? -1 : round(fabs(r->v) * 1e12) / 1e12;
}

/* the ranking: defined first, by |r| at the best lag, then |r| at lag 0, then name */
struct slotted {
	struct vnp_indicator ind;
	size_t slot; /* where its segment levels are */
};

static int rank_cmp(const void *pa, const void *pb)
{
	const struct vnp_indicator *a = &((const struct slotted *)pa)->ind;
	const struct vnp_indicator *b = &((const struct slotted *)pb)->ind;
	double x, y;

	if (!a->best.why != !b->best.why)
		return a->best.why ? 1 : -1;
	if (!a->best.why) {
		x = rank_key(&a->best);
		y = rank_key(&b->best);
		if (x != y)
			return x > y ? -1 : 1;
		x = rank_key(&a->pearson);
		y = rank_key(&b->pearson);
		if (x != y)
			return x > y ? -1 : 1;
	}
	return strcmp(a->name, b->name);
}

/* the change of each segment's level against the first segment's */
static void changes(struct vnp_analysis *a)
{
	for (size_t j = 0; j < a->nseg; j++)
		for (size_t i = 0; i < a->nind; i++) {
			const struct vnp_stat *m0 = &a->seg[0].mean[i], *m = &a->seg[j].mean[i];
			struct vnp_stat *c = &a->seg[j].change[i];

			if (m->why)
				*c = *m;
			else if (m0->why)
				stat_undef(c, m0->why, VNP_STAT_Y, m0->arg, m0->n);
			else if (m0->v == 0)
				stat_undef(c, VNP_UNDEF_ZERO_MEAN, VNP_STAT_Y, 0, m->n);
			else
				stat_set(c, (m->v - m0->v) / fabs(m0->v), m->n);
		}
}

/* rank the indicators and put their segment levels, in ranked order, into the segments */
static int rank_and_place(struct vnp_analysis *a, const struct vnp_stat *segmean)
{
	struct slotted *v = calloc(a->nind + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < a->nind; i++) {
		v[i].ind = a->ind[i];
		v[i].slot = i;
	}
	qsort(v, a->nind, sizeof(*v), rank_cmp);
	for (size_t j = 0; j < a->nseg; j++) {
		a->seg[j].mean = calloc(a->nind + 1, sizeof(struct vnp_stat));
		a->seg[j].change = calloc(a->nind + 1, sizeof(struct vnp_stat));
		if (!a->seg[j].mean || !a->seg[j].change) {
			free(v);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < a->nind; i++) {
		a->ind[i] = v[i].ind;
		for (size_t j = 0; j < a->nseg; j++)
			a->seg[j].mean[i] = segmean[v[i].slot * a->nseg + j];
	}
	free(v);
	changes(a);
	return 0;
}

/* whether --exclude leaves the indicator @name out */
static bool excluded(const struct vnp_analysis_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nexclude; i++)
		if (!fnmatch(o->exclude[i], name, 0))
			return true;
	return false;
}

static int setup(struct vnp_analysis *a, const struct vnp_analysis_opts *o)
{
	const struct vnp_run *run = a->run;
	size_t nser = vnp_run_nseries(run);
	int err;

	err = analysis_axis(run, o, &a->bin_s, &a->factor, &a->n_bins);
	if (err)
		return err;
	if (o->sma_s > 0) {
		err = fit_multiple("a moving-average window", o->sma_s, a->bin_s,
				   "the analysis bin", &a->sma_bins);
		if (err)
			return err;
		a->sma_s = (double)a->sma_bins * a->bin_s;
	}
	if (o->max_lag_s > 0) {
		err = fit_multiple("a maximum lag", o->max_lag_s, a->bin_s, "the analysis bin",
				   &a->max_lag_bins);
		if (err)
			return err;
		/* far lags pair few bins and find chance peaks: a quarter of the run at most */
		if (a->max_lag_bins > a->n_bins / 4) {
			a->max_lag_bins = (long)(a->n_bins / 4);
			a->lag_limited = true;
		}
		a->max_lag_s = (double)a->max_lag_bins * a->bin_s;
	}
	err = vnp_find_target(run, o->target, &a->target, &a->target_candidates);
	if (err)
		return err;
	a->target_default = !(o->target && *o->target);
	a->target_name = vnp_run_series(run, a->target)->name;
	err = target_values(run, a->target, a->factor, a->bin_s, a->n_bins, &a->target_values,
			    &a->target_unit);
	if (err)
		return err;
	for (int64_t k = 0; k < a->n_bins * a->factor; k++) {
		unsigned f = vnp_run_bin_flags(run, k);

		if (!vnp_run_bin_present(run, k))
			continue;
		a->excluded_partial += !!(f & VNP_BIN_PARTIAL);
		a->excluded_late += !!(f & VNP_BIN_LATE);
	}
	a->ind = calloc(nser + 1, sizeof(*a->ind));
	if (!a->ind)
		return -ENOMEM;
	for (size_t s = 0; s < nser; s++) {
		const struct vnp_series_info *si = vnp_run_series(run, s);

		if (s == a->target || si->role != VNP_INDICATOR)
			continue;
		if (excluded(o, si->name)) {
			a->n_excluded++;
			continue;
		}
		a->ind[a->nind].series = s;
		a->ind[a->nind].name = si->name;
		a->nind++;
	}
	return 0;
}

int vnp_analyze(const struct vnp_run *run, const struct vnp_analysis_opts *opts,
		struct vnp_analysis **out)
{
	struct vnp_analysis_opts def;
	struct vnp_analysis *a;
	struct scratch sc = { 0 };
	struct tprep tp;
	size_t n;
	int err;

	*out = NULL;
	if (!opts) {
		vnp_analysis_opts_init(&def);
		opts = &def;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return vnp_fail(-ENOMEM, "out of memory");
	a->run = run;
	vnp_errmsg_clear();
	err = setup(a, opts);
	if (err)
		goto fail;
	err = segments(a, opts);
	if (err)
		goto fail;
	n = (size_t)a->n_bins;
	err = tprep_init(&tp, a);
	sc.x = malloc(n * sizeof(double));
	sc.xs = malloc(n * sizeof(double));
	sc.rx = malloc(n * sizeof(double));
	sc.xc = malloc(n * sizeof(double));
	sc.segmean = calloc(a->nind * a->nseg + 1, sizeof(struct vnp_stat));
	sc.ok = usable_bins(run);
	if (!err && (!sc.x || !sc.xs || !sc.rx || !sc.xc || !sc.segmean || !sc.ok))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < a->nind; i++)
		err = one_indicator(a, &tp, &sc, &a->ind[i], sc.segmean + i * a->nseg);
	tprep_free(&tp);
	if (!err)
		err = rank_and_place(a, sc.segmean);
	free(sc.x);
	free(sc.xs);
	free(sc.rx);
	free(sc.xc);
	free(sc.segmean);
	free(sc.ok);
	if (err)
		goto fail;
	*out = a;
	return 0;
fail:
	vnp_analysis_free(a);
	if (err == -ENOMEM && !*vnp_errmsg())
		return vnp_fail(err, "out of memory analysing run '%s'", vnp_run_info(run)->name);
	return err;
}

void vnp_analysis_free(struct vnp_analysis *a)
{
	if (!a)
		return;
	for (size_t j = 0; j < a->nseg; j++) {
		free(a->seg[j].mean);
		free(a->seg[j].change);
	}
	free(a->seg);
	free(a->ind);
	free(a->target_values);
	free(a);
}
