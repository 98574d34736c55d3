// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The bin accumulator that every format feeds: series found by a hashed
 * key, one value per series per bin, bins on the grid of the file's own
 * clock, the warnings, and the run built at the end. It calls no format
 * (the formats call it; import.c dispatches to them).
 *
 * Times are integer nanoseconds so that a bin boundary is exact: bin b holds
 * [anchor + b·bin, anchor + (b+1)·bin) where anchor is 0 for a new run (the
 * origin is then the first timestamp rounded down to a multiple of the bin)
 * and the stored run's origin with --into.
 */
#include "import-local.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Memory bound: values held (series x bins, 8 bytes each: 512 MiB); the run
 * built from them is as big again. The fuzzers build with smaller ones.
 */
#ifndef IMP_MAX_CELLS
#define IMP_MAX_CELLS (1ll << 26)
#endif
#ifndef IMP_MAX_BINS
#define IMP_MAX_BINS (1ll << 26)
#endif

int64_t secs_to_ns(double s)
{
	if (!(fabs(s) < 9e9))
		return INT64_MIN;
	return llround(s * 1e9);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- warnings -------------------------------------------------------------- */

void imp_warn(struct vnp_importer *im, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	im->nwarn++;
	if (im->nwarn_kept >= IMP_MAX_WARN_KEPT)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || (unsigned char)*p < 0x20)
			*p = ' ';
	im->warn[im->nwarn_kept] = strdup(msg);
	if (im->warn[im->nwarn_kept])
		im->nwarn_kept++;
}

void imp_bad_line(struct vnp_importer *im, struct imp_bad *b, const struct lreader *lr,
		  const char *line, size_t len, const char *why)
{
	char snip[sizeof(b->first_text)];
	size_t n = 0;

	if (line) {
		n = len < sizeof(snip) - 1 ? len : sizeof(snip) - 1;
		for (size_t i = 0; i < n; i++)
			snip[i] = (unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f
					  ? '?'
					  : line[i];
	}
	snip[n] = '\0';
	if (!b->n) {
		b->first_line = lr->lineno;
		memcpy(b->first_text, snip, n + 1);
	}
	b->n++;
	if (line)
		imp_warn(im, "%s:%ld: %s, skipped: '%s%s'", lr->name, lr->lineno, why, snip,
			 len > n ? "..." : "");
	else
		imp_warn(im, "%s:%ld: %s, skipped", lr->name, lr->lineno, why);
}

const char *vnp_importer_warning(const struct vnp_importer *im, size_t i)
{
	return i < im->nwarn_kept ? im->warn[i] : NULL;
}

uint64_t vnp_importer_nwarnings(const struct vnp_importer *im)
{
	return im->nwarn;
}

uint64_t vnp_importer_nevents(const struct vnp_importer *im)
{
	return im->events;
}

const char *vnp_importer_clock(const struct vnp_importer *im)
{
	return im->clock;
}

/* ---- series keys -------------------------------------------------------- */

static void key_put(struct skey *k, const char *s, size_t n)
{
	if (k->len + n + 1 > k->cap) {
		size_t cap = k->cap ? k->cap : 256;
		char *b;

		while (cap < k->len + n + 1)
			cap *= 2;
		b = realloc(k->buf, cap);
		if (!b) {
			k->overflow = true;
			return;
		}
		k->buf = b;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, s, n);
	k->buf[k->len + n] = '\0';
	k->len += n + 1;
}

void key_reset(struct skey *k, const char *metric)
{
	k->len = 0;
	k->nlabels = 0;
	k->overflow = false;
	k->metric = metric;
	key_put(k, metric, strlen(metric));
}

void key_add(struct skey *k, const char *label, const char *v, size_t vlen)
{
	if (k->nlabels == VNP_MAX_LABELS) {
		k->overflow = true;
		return;
	}
	k->koff[k->nlabels] = k->len;
	key_put(k, label, strlen(label));
	k->voff[k->nlabels] = k->len;
	k->vlen[k->nlabels] = vlen;
	key_put(k, v, vlen);
	k->nlabels++;
}

void key_free(struct skey *k)
{
	free(k->buf);
	memset(k, 0, sizeof(*k));
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static int htab_grow(struct vnp_importer *im)
{
	size_t cap = im->hcap ? im->hcap * 2 : 256;
	size_t *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < im->nseries; i++) {
		size_t j = im->series[i].hash & (cap - 1);

		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = i + 1;
	}
	free(im->htab);
	im->htab = t;
	im->hcap = cap;
	return 0;
}

static int check_cells(struct vnp_importer *im, int64_t nbins, size_t nseries)
{
	if (nbins > IMP_MAX_BINS || (int64_t)nseries * nbins > IMP_MAX_CELLS)
		return vnp_fail(-E2BIG, "%zu series x %lld bins of %g s would need %lld MiB, more "
				"than this import allows (%lld MiB); give a wider --bin or fewer "
				"--by labels", nseries, (long long)nbins, im->bin_ns / 1e9,
				(long long)((int64_t)nseries * nbins * 8 >> 20),
				(long long)(IMP_MAX_CELLS * 8 >> 20));
	return 0;
}

int imp_series(struct vnp_importer *im, struct skey *k, const struct series_def *def)
{
	struct aseries *s;
	uint64_t h;
	size_t j;
	int err;

	if (k->overflow)
		return vnp_fail(-ENOMEM, "out of memory building a series name");
	for (size_t i = 0; i < ARRAY_SIZE(im->cache); i++) {
		int c = im->cache[i];

		if (c >= 0 && im->series[c].keylen == k->len &&
		    !memcmp(im->series[c].key, k->buf, k->len))
			return c;
	}
	h = hash_bytes(k->buf, k->len);
	if (im->hcap) {
		for (j = h & (im->hcap - 1); im->htab[j]; j = (j + 1) & (im->hcap - 1)) {
			s = &im->series[im->htab[j] - 1];
			if (s->hash == h && s->keylen == k->len && !memcmp(s->key, k->buf, k->len))
				goto found;
		}
	}
	/* a new series */
	err = check_cells(im, im->cap ? im->cap : 1, im->nseries + 1);
	if (err)
		return err;
	if ((im->nseries + 1) * 2 > im->hcap && htab_grow(im))
		return -ENOMEM;
	if (im->nseries == im->series_cap) {
		size_t cap = im->series_cap ? im->series_cap * 2 : 32;

		s = realloc(im->series, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		im->series = s;
		im->series_cap = cap;
	}
	s = &im->series[im->nseries];
	memset(s, 0, sizeof(*s));
	{
		struct vnp_label labels[VNP_MAX_LABELS];
		char name[1024];
		int n;

		for (int i = 0; i < k->nlabels; i++) {
			labels[i].key = k->buf + k->koff[i];
			labels[i].value = k->buf + k->voff[i];
		}
		n = vnp_series_name(name, sizeof(name), k->metric, labels, k->nlabels);
		if (n < 0)
			return vnp_fail(n, "cannot name a series of '%s' (label too long or "
					"invalid)", k->metric);
		s->name = strdup(name);
	}
	s->key = malloc(k->len);
	s->v = calloc(im->cap ? im->cap : 1, sizeof(double));
	if (!s->name || !s->key || !s->v) {
		free(s->name);
		free(s->key);
		free(s->v);
		return -ENOMEM;
	}
	memcpy(s->key, k->buf, k->len);
	s->keylen = k->len;
	s->hash = h;
	s->kind = def->kind;
	s->unit = def->unit;
	s->role = def->role;
	s->backend = def->backend;
	s->total = def->total;
	s->hidden = def->hidden;
	for (j = h & (im->hcap - 1); im->htab[j]; j = (j + 1) & (im->hcap - 1))
		;
	im->htab[j] = im->nseries + 1;
	im->nseries++;
found:
	im->cache[im->cnext++ % ARRAY_SIZE(im->cache)] = (int)(s - im->series);
	return (int)(s - im->series);
}

/* ---- bins -------------------------------------------------------------------- */

static int grow_cap(struct vnp_importer *im, int64_t need)
{
	int64_t cap = im->cap ? im->cap : 64;
	unsigned *f;

	if (need <= im->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > IMP_MAX_BINS)
		cap = need;
	for (size_t i = 0; i < im->nseries; i++) {
		double *v = realloc(im->series[i].v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + im->cap, 0, (cap - im->cap) * sizeof(*v));
		im->series[i].v = v;
	}
	f = realloc(im->flags, cap * sizeof(*f));
	if (!f)
		return -ENOMEM;
	memset(f + im->cap, 0, (cap - im->cap) * sizeof(*f));
	im->flags = f;
	im->cap = cap;
	return 0;
}

/* make absolute bin @b exist; returns its index in the arrays, or a negative errno */
static int64_t bin_slot(struct vnp_importer *im, int64_t b)
{
	int err;

	if (!im->have_base) {
		err = grow_cap(im, 1);
		if (err)
			return err;
		im->base = b;
		im->nbins = 1;
		im->have_base = true;
		return 0;
	}
	if (b >= im->base && b - im->base < im->nbins)
		return b - im->base;
	if (b > im->base) {
		int64_t n = b - im->base + 1;

		err = check_cells(im, n, im->nseries);
		if (!err)
			err = grow_cap(im, n);
		if (err)
			return err;
		im->nbins = n;
		return b - im->base;
	}
	/* earlier than every bin so far: move everything up */
	{
		int64_t shift = im->base - b, n = im->nbins + shift;

		err = check_cells(im, n, im->nseries);
		if (!err)
			err = grow_cap(im, n);
		if (err)
			return err;
		for (size_t i = 0; i < im->nseries; i++) {
			double *v = im->series[i].v;

			memmove(v + shift, v, im->nbins * sizeof(*v));
			memset(v, 0, shift * sizeof(*v));
		}
		memmove(im->flags + shift, im->flags, im->nbins * sizeof(*im->flags));
		memset(im->flags, 0, shift * sizeof(*im->flags));
		im->base = b;
		im->nbins = n;
		return 0;
	}
}

static int64_t abs_bin(const struct vnp_importer *im, int64_t t_ns)
{
	return floor_div(t_ns + im->offset_ns - im->anchor_ns, im->bin_ns);
}

int imp_add(struct vnp_importer *im, int s, int64_t t_ns, double v)
{
	int64_t i = bin_slot(im, abs_bin(im, t_ns));

	if (i < 0)
		return (int)i;
	im->series[s].v[i] += v;
	return 0;
}

int imp_add_interval(struct vnp_importer *im, int s, int64_t t0, int64_t t1, double v)
{
	int64_t b0, b1, i0, i1;
	double done = 0;

	if (t1 <= t0)
		return imp_add(im, s, t0, v);
	b0 = abs_bin(im, t0);
	b1 = abs_bin(im, t1 - 1);
	/* make both ends exist first: the slots do not move in the loop below */
	i0 = bin_slot(im, b0);
	if (i0 < 0)
		return (int)i0;
	i1 = bin_slot(im, b1);
	if (i1 < 0)
		return (int)i1;
	i0 = b0 - im->base;
	if (b0 == b1) {
		im->series[s].v[i0] += v;
		return 0;
	}
	for (int64_t b = b0; b <= b1; b++) {
		int64_t lo = im->anchor_ns - im->offset_ns + b * im->bin_ns, hi = lo + im->bin_ns;
		double piece;

		if (lo < t0)
			lo = t0;
		if (hi > t1)
			hi = t1;
		/* the pieces add up to @v exactly: the last one takes the rest */
		piece = b == b1 ? v - done : v * (double)(hi - lo) / (double)(t1 - t0);
		done += piece;
		im->series[s].v[b - im->base] += piece;
	}
	return 0;
}

int imp_flag_range(struct vnp_importer *im, int64_t t0, int64_t t1, unsigned flags)
{
	int64_t b0 = abs_bin(im, t0), b1 = abs_bin(im, t1), i = bin_slot(im, b1);

	if (i < 0)
		return (int)i;
	if (b0 < im->base)
		b0 = im->base;
	for (int64_t b = b0; b <= b1; b++)
		im->flags[b - im->base] |= flags;
	return 0;
}

void imp_note_end(struct vnp_importer *im, int64_t t_ns, bool partial)
{
	if (im->have_last && t_ns == im->last_ns) {
		im->last_partial |= partial;
	} else if (!im->have_last || t_ns > im->last_ns) {
		im->last_partial = partial;
		im->last_ns = t_ns;
		im->have_last = true;
	}
}

int imp_set_clock(struct vnp_importer *im, const char *file, const char *clock)
{
	if (im->nruns)
		return vnp_fail(-EINVAL, "%s: a trace after vnetprof CSV, which holds whole runs: "
				"import it apart", file);
	if (im->opts.into && im->opts.into_clock && strcmp(clock, im->opts.into_clock) &&
	    im->opts.offset_s == 0)
		return vnp_fail(-EINVAL, "%s: its times are on the %s clock, the run's on the %s "
				"clock; give --offset SECONDS (the run's time at the file's 0)",
				file, clock, im->opts.into_clock);
	if (!im->clock) {
		im->clock = strdup(clock);
		return im->clock ? 0 : -ENOMEM;
	}
	if (strcmp(im->clock, clock))
		return vnp_fail(-EINVAL, "%s: its times are on the %s clock, the files before it "
				"on the %s clock; import it on its own with --into RUN --offset "
				"SECONDS", file, clock, im->clock);
	return 0;
}

/* ---- the importer ------------------------------------------------------------ */

static bool by_ok(const char *s)
{
	if (!s || !*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

struct vnp_importer *vnp_importer_new(const struct vnp_import_opts *opts)
{
	struct vnp_importer *im = calloc(1, sizeof(*im));
	double bin;

	if (!im)
		return NULL;
	if (opts)
		im->opts = *opts;
	im->opts.by = NULL;
	im->opts.into_clock = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(im->cache); i++)
		im->cache[i] = -1;
	im->start_wall = NAN;
	bin = im->opts.bin_s > 0 ? im->opts.bin_s : VNP_IMPORT_BIN_S;
	im->opts.bin_s = bin;
	im->bin_ns = llround(bin * 1e9);
	if (!isfinite(bin) || im->bin_ns < 1000 || bin > 86400 ||
	    fabs(bin * 1e9 - (double)im->bin_ns) > 1e-3) {
		vnp_importer_free(im);
		return vnp_fail_null(-EINVAL, "bin width %g s: give a whole number of "
				     "microseconds between 1 us and 1 day", bin);
	}
	if (!(fabs(im->opts.offset_s) < 1e9)) {
		vnp_importer_free(im);
		return vnp_fail_null(-EINVAL, "offset %g s is out of range", im->opts.offset_s);
	}
	im->offset_ns = secs_to_ns(im->opts.offset_s);
	if (opts && opts->into) {
		im->anchor_ns = secs_to_ns(opts->into_origin);
		if (im->anchor_ns == INT64_MIN) {
			vnp_importer_free(im);
			return vnp_fail_null(-EINVAL, "the run's origin %g is out of range",
					     opts->into_origin);
		}
		im->opts.into_clock = opts->into_clock ? strdup(opts->into_clock) : NULL;
	}
	if (opts && opts->nby > IMP_MAX_BY) {
		vnp_importer_free(im);
		return vnp_fail_null(-EINVAL, "at most %d --by labels", IMP_MAX_BY);
	}
	for (size_t i = 0; opts && i < opts->nby; i++) {
		if (!by_ok(opts->by[i])) {
			vnp_importer_free(im);
			return vnp_fail_null(-EINVAL, "--by '%s': give a label name (task, comm, "
					     "pid, cpu, parent, module, or an event field such "
					     "as dev)", opts->by[i] ? opts->by[i] : "");
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(opts->by[i], opts->by[j])) {
				vnp_importer_free(im);
				return vnp_fail_null(-EINVAL, "--by '%s' is given twice",
						     opts->by[i]);
			}
		im->by[i] = strdup(opts->by[i]);
		if (!im->by[i]) {
			vnp_importer_free(im);
			errno = ENOMEM;
			return NULL;
		}
		im->nby++;
	}
	return im;
}

void vnp_importer_free(struct vnp_importer *im)
{
	if (!im)
		return;
	for (size_t i = 0; i < im->nseries; i++) {
		free(im->series[i].name);
		free(im->series[i].key);
		free(im->series[i].v);
	}
	for (size_t i = 0; i < im->nby; i++)
		free((char *)im->by[i]);
	for (size_t i = 0; i < im->nwarn_kept; i++)
		free(im->warn[i]);
	free((char *)im->opts.into_clock);
	free(im->series);
	free(im->htab);
	free(im->flags);
	free(im->clock);
	free(im->files);
	for (size_t i = 0; i < im->nruns; i++)
		vnp_run_free(im->runs[i]);
	free(im->runs);
	free(im);
}

void imp_note_file(struct vnp_importer *im, const char *name)
{
	size_t have = im->files ? strlen(im->files) : 0, n = strlen(name);
	char *f;

	if (have > 200)
		return;
	f = realloc(im->files, have + n + 3);
	if (!f)
		return;
	if (have) {
		memcpy(f + have, ", ", 2);
		have += 2;
	}
	memcpy(f + have, name, n + 1);
	im->files = f;
}

int imp_add_runs(struct vnp_importer *im, const char *file, struct vnp_run **runs, size_t n)
{
	struct vnp_run **all = NULL;
	int err = 0;

	if (im->have_base || im->nseries)
		err = vnp_fail(-EINVAL, "%s: vnetprof CSV holds whole runs: import it apart from "
			       "traces", file);
	else if (!(all = realloc(im->runs, (im->nruns + n) * sizeof(*all))))
		err = -ENOMEM;
	if (err) {
		for (size_t i = 0; i < n; i++)
			vnp_run_free(runs[i]);
		free(runs);
		return err;
	}
	memcpy(all + im->nruns, runs, n * sizeof(*runs));
	im->runs = all;
	im->nruns += n;
	free(runs);
	return 0;
}

size_t vnp_importer_take_runs(struct vnp_importer *im, struct vnp_run ***runs)
{
	size_t n = im->nruns;

	*runs = im->runs;
	im->runs = NULL;
	im->nruns = 0;
	return n;
}

int vnp_importer_finish(struct vnp_importer *im, const struct vnp_run_info *info,
			struct vnp_run **out)
{
	struct vnp_run_info ri = { 0 };
	struct vnp_run *run;
	int64_t origin_ns, nb;
	double bin_s = im->bin_ns / 1e9;
	int err = 0;

	if (!im->have_base || !im->nseries)
		return vnp_fail(-ENODATA, "%s: nothing to import: no events, samples or "
				"intervals were found", im->files ? im->files : "no file");
	if (info)
		ri = *info;
	origin_ns = im->anchor_ns + im->base * im->bin_ns;
	ri.origin = origin_ns / 1e9;
	ri.bin_s = bin_s;
	ri.origin_clock = im->opts.into && im->opts.into_clock ? (char *)im->opts.into_clock
		: im->clock ? im->clock : "unknown";
	if (!isnan(im->start_wall))
		ri.start_wall = im->start_wall + ri.origin;
	if (im->ncpus > 0 && !ri.ncpus)
		ri.ncpus = im->ncpus;
	ri.status = VNP_RUN_COMPLETE;
	run = vnp_run_new(&ri);
	if (!run)
		return -ENOMEM;
	nb = im->nbins;
	for (size_t s = 0; !err && s < im->nseries; s++) {
		const struct aseries *as = &im->series[s];
		struct vnp_series_info si = {
			.name = as->name, .kind = as->kind, .unit = (char *)as->unit,
			.role = as->role, .backend = (char *)as->backend,
		};
		const double *tot = as->total >= 0 ? im->series[as->total].v : NULL;
		int idx;

		if (as->hidden)
			continue;
		idx = vnp_run_add_series(run, &si);
		if (idx < 0) {
			err = idx;
			break;
		}
		for (int64_t k = 0; !err && k < nb; k++) {
			double v = as->v[k];

			if (tot) {
				if (!(tot[k] > 0))
					continue;
				v /= tot[k];
			}
			err = vnp_run_set(run, (size_t)idx, k, v);
		}
	}
	for (int64_t k = 0; !err && k < nb; k++) {
		double t_end = (double)(k + 1) * bin_s;
		unsigned flags = im->flags[k];

		if (k == nb - 1 && im->have_last && im->last_partial) {
			int64_t end = im->last_ns + im->offset_ns - origin_ns;

			if (end > k * im->bin_ns && end < (k + 1) * im->bin_ns) {
				t_end = end / 1e9;
				flags |= VNP_BIN_PARTIAL;
			}
		}
		err = vnp_run_set_bin(run, k, t_end, flags);
	}
	if (err) {
		vnp_run_free(run);
		return err;
	}
	*out = run;
	return 0;
}
