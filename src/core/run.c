// SPDX-License-Identifier: LGPL-2.1-or-later
/* The in-memory run: metadata, bins, and one value per series per bin. */
#include "vnetprof-local.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct series {
	struct vnp_series_info info;
	double *v; /* cap entries, NaN where missing */
};

struct vnp_run {
	struct vnp_run_info info;
	struct series *series;
	size_t nseries, series_cap;
	int64_t nbins, cap;
	double *t_end;	    /* NaN: bin not present */
	unsigned *flags;
};

static const char *const status_names[] = { "recording", "complete", "interrupted" };
static const char *const kind_names[] = { "counter", "gauge", "share" };
static const char *const role_names[] = { "indicator", "target", "context" };

const char *vnp_run_status_str(enum vnp_run_status s)
{
	return (unsigned)s < ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

const char *vnp_kind_str(enum vnp_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "unknown";
}

const char *vnp_role_str(enum vnp_role r)
{
	return (unsigned)r < ARRAY_SIZE(role_names) ? role_names[r] : "unknown";
}

static int lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (s && !strcmp(names[i], s))
			return (int)i;
	return -EINVAL;
}

int vnp_kind_parse(const char *s, enum vnp_kind *k)
{
	int i = lookup(kind_names, ARRAY_SIZE(kind_names), s);

	if (i >= 0)
		*k = i;
	return i < 0 ? i : 0;
}

int vnp_role_parse(const char *s, enum vnp_role *r)
{
	int i = lookup(role_names, ARRAY_SIZE(role_names), s);

	if (i >= 0)
		*r = i;
	return i < 0 ? i : 0;
}

void vnp_run_info_clear(struct vnp_run_info *info)
{
	if (!info)
		return;
	free(info->name);
	free(info->host);
	free(info->kernel);
	free(info->cmdline);
	free(info->origin_clock);
	for (size_t i = 0; i < info->nlabels; i++) {
		free((char *)info->labels[i].key);
		free((char *)info->labels[i].value);
	}
	free(info->labels);
	memset(info, 0, sizeof(*info));
}

int vnp_run_info_add_label(struct vnp_run_info *info, const char *key, const char *value)
{
	struct vnp_label *l;

	for (size_t i = 0; i < info->nlabels; i++)
		if (!strcmp(info->labels[i].key, key)) {
			char *v = strdup(value);

			if (!v)
				return -ENOMEM;
			free((char *)info->labels[i].value);
			info->labels[i].value = v;
			return 0;
		}
	l = realloc(info->labels, (info->nlabels + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	info->labels = l;
	l[info->nlabels].key = strdup(key);
	l[info->nlabels].value = strdup(value);
	if (!l[info->nlabels].key || !l[info->nlabels].value) {
		free((char *)l[info->nlabels].key);
		free((char *)l[info->nlabels].value);
		return -ENOMEM;
	}
	info->nlabels++;
	return 0;
}

static int info_copy(struct vnp_run_info *dst, const struct vnp_run_info *src)
{
	*dst = *src;
	dst->name = vnp_strdup(src->name);
	dst->host = vnp_strdup(src->host);
	dst->kernel = vnp_strdup(src->kernel);
	dst->cmdline = vnp_strdup(src->cmdline);
	dst->origin_clock = vnp_strdup(src->origin_clock);
	dst->labels = NULL;
	dst->nlabels = 0;
	for (size_t i = 0; i < src->nlabels; i++)
		if (vnp_run_info_add_label(dst, src->labels[i].key, src->labels[i].value))
			return -ENOMEM;
	return 0;
}

struct vnp_run *vnp_run_new(const struct vnp_run_info *info)
{
	struct vnp_run *run = calloc(1, sizeof(*run));

	if (!run)
		return NULL;
	if (info && info_copy(&run->info, info)) {
		vnp_run_free(run);
		errno = ENOMEM;
		return NULL;
	}
	return run;
}

void vnp_run_free(struct vnp_run *run)
{
	if (!run)
		return;
	vnp_run_info_clear(&run->info);
	for (size_t i = 0; i < run->nseries; i++) {
		free(run->series[i].info.name);
		free(run->series[i].info.unit);
		free(run->series[i].info.backend);
		free(run->series[i].v);
	}
	free(run->series);
	free(run->t_end);
	free(run->flags);
	free(run);
}

const struct vnp_run_info *vnp_run_info(const struct vnp_run *run)
{
	return &run->info;
}

struct vnp_run_info *vnp_run_info_mut(struct vnp_run *run)
{
	return &run->info;
}

static void fill_nan(double *v, int64_t from, int64_t to)
{
	for (int64_t i = from; i < to; i++)
		v[i] = NAN;
}

static int grow(struct vnp_run *run, int64_t k)
{
	int64_t cap = run->cap ? run->cap : 64;

	if (k < 0)
		return -EINVAL;
	if (k >= run->nbins) {
		if (k >= run->cap) {
			while (cap <= k)
				cap *= 2;
			double *t = realloc(run->t_end, cap * sizeof(*t));

			if (!t)
				return -ENOMEM;
			run->t_end = t;
			unsigned *f = realloc(run->flags, cap * sizeof(*f));

			if (!f)
				return -ENOMEM;
			run->flags = f;
			for (size_t s = 0; s < run->nseries; s++) {
				double *v = realloc(run->series[s].v, cap * sizeof(*v));

				if (!v)
					return -ENOMEM;
				run->series[s].v = v;
				fill_nan(v, run->cap, cap);
			}
			fill_nan(run->t_end, run->cap, cap);
			memset(run->flags + run->cap, 0, (cap - run->cap) * sizeof(*f));
			run->cap = cap;
		}
		run->nbins = k + 1;
	}
	return 0;
}

int vnp_run_add_series(struct vnp_run *run, const struct vnp_series_info *si)
{
	struct series *s;
	int i = vnp_run_find_series(run, si->name);

	if (i >= 0)
		return i;
	if (vnp_series_check(si->name))
		return vnp_fail(-EINVAL, "'%s' is not a valid series name", si->name);
	if (run->nseries == run->series_cap) {
		size_t cap = run->series_cap ? run->series_cap * 2 : 16;

		s = realloc(run->series, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		run->series = s;
		run->series_cap = cap;
	}
	s = &run->series[run->nseries];
	memset(s, 0, sizeof(*s));
	s->info.name = strdup(si->name);
	s->info.unit = strdup(si->unit ? si->unit : "");
	s->info.backend = strdup(si->backend ? si->backend : "");
	s->info.kind = si->kind;
	s->info.role = si->role;
	s->v = malloc((run->cap ? run->cap : 1) * sizeof(double));
	if (!s->info.name || !s->info.unit || !s->info.backend || !s->v) {
		free(s->info.name);
		free(s->info.unit);
		free(s->info.backend);
		free(s->v);
		return -ENOMEM;
	}
	fill_nan(s->v, 0, run->cap ? run->cap : 1);
	return (int)run->nseries++;
}

int vnp_run_find_series(const struct vnp_run *run, const char *name)
{
	for (size_t i = 0; i < run->nseries; i++)
		if (!strcmp(run->series[i].info.name, name))
			return (int)i;
	return -ENOENT;
}

size_t vnp_run_nseries(const struct vnp_run *run)
{
	return run->nseries;
}

const struct vnp_series_info *vnp_run_series(const struct vnp_run *run, size_t i)
{
	return i < run->nseries ? &run->series[i].info : NULL;
}

int64_t vnp_run_nbins(const struct vnp_run *run)
{
	return run->nbins;
}

int vnp_run_set(struct vnp_run *run, size_t s, int64_t k, double v)
{
	int err;

	if (s >= run->nseries)
		return -EINVAL;
	err = grow(run, k);
	if (err)
		return err;
	run->series[s].v[k] = v;
	return 0;
}

int vnp_run_add(struct vnp_run *run, size_t s, int64_t k, double v)
{
	int err;

	if (s >= run->nseries)
		return -EINVAL;
	err = grow(run, k);
	if (err)
		return err;
	if (isnan(run->series[s].v[k]))
		run->series[s].v[k] = 0;
	run->series[s].v[k] += v;
	return 0;
}

double vnp_run_get(const struct vnp_run *run, size_t s, int64_t k)
{
	if (s >= run->nseries || k < 0 || k >= run->nbins)
		return NAN;
	return run->series[s].v[k];
}

const double *vnp_run_values(const struct vnp_run *run, size_t s)
{
	return s < run->nseries ? run->series[s].v : NULL;
}

int vnp_run_set_bin(struct vnp_run *run, int64_t k, double t_end, unsigned flags)
{
	int err = grow(run, k);

	if (err)
		return err;
	run->t_end[k] = t_end;
	run->flags[k] = flags;
	return 0;
}

bool vnp_run_bin_present(const struct vnp_run *run, int64_t k)
{
	return k >= 0 && k < run->nbins && !isnan(run->t_end[k]);
}

double vnp_run_bin_end(const struct vnp_run *run, int64_t k)
{
	return k >= 0 && k < run->nbins ? run->t_end[k] : NAN;
}

unsigned vnp_run_bin_flags(const struct vnp_run *run, int64_t k)
{
	return k >= 0 && k < run->nbins ? run->flags[k] : 0;
}
