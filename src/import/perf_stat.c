// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * perf stat -x SEP -I MS: one row per event per interval,
 *
 *     time,count,unit,event,run_time,percent[,metric,metric_unit]
 *     time,CPU0,count,unit,event,...             (-A, per CPU)
 *     time,S0,ncpus,count,unit,event,...         (--per-socket/-die/-core)
 *
 * time is the end of the interval in seconds since perf stat started; the
 * interval began where the same event's previous row ended (0 for the
 * first). Its count is spread over the bins it overlaps, as a constant rate.
 * Tracepoints (sys:name) become tracepoint_hits{event=...}, other events
 * perf_stat_count{event=...}; -A adds cpu="N", aggregation modes aggr="S0".
 */
#include "import-local.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 16

struct pstat {
	struct vnp_importer *im;
	struct lreader *lr;
	const char *file;
	char sep;
	struct skey key;
	int64_t *prev; /* end of the previous interval, per series; INT64_MIN: none */
	size_t nprev;
	uint64_t good, not_counted;
	bool scaled_warned;
	struct imp_bad bad;
	int64_t last_t;
};

static int split(char *s, char sep, char **f, int max)
{
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		f[n++] = s;
		s = strchr(s, sep);
		if (!s)
			return n;
		*s++ = '\0';
	}
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static bool is_number(const char *s)
{
	char *end;

	if (!*s)
		return false;
	strtod(s, &end);
	return !*end;
}

static void bad(struct pstat *x, const char *why)
{
	imp_bad_line(x->im, &x->bad, x->lr, NULL, 0, why);
}

static int row(struct pstat *x, char *line)
{
	struct vnp_importer *im = x->im;
	char *f[MAX_FIELDS], *count, *unit, *event, *pct = NULL, *cpu = NULL, *aggr = NULL;
	struct series_def def = { VNP_COUNTER, "events", VNP_INDICATOR, "import:perf-stat", -1,
				  false };
	int n, i, s, err;
	int64_t t, t0;
	double v;
	size_t tl;

	n = split(line, x->sep, f, MAX_FIELDS);
	if (n < 4) {
		bad(x, "not a perf stat -x row (too few fields)");
		return 0;
	}
	f[0] = trim(f[0]);
	tl = parse_ts(f[0], strlen(f[0]), &t);
	if (!tl || f[0][tl]) {
		bad(x, "no interval time: record with perf stat -I");
		return 0;
	}
	i = 1;
	if (!is_number(f[1]) && f[1][0] != '<') {
		/* an aggregation column: CPU3, S0, S0-D0-C1 (then the number of CPUs) */
		if (!strncmp(f[1], "CPU", 3) && isdigit((unsigned char)f[1][3])) {
			cpu = f[1] + 3;
			i = 2;
		} else if (f[1][0] == 'S' && isdigit((unsigned char)f[1][1]) && n > 5 &&
			   is_number(f[2])) {
			aggr = f[1];
			i = 3;
		} else {
			aggr = f[1]; /* --per-thread: comm-pid */
			i = 2;
		}
	}
	if (n < i + 3) {
		bad(x, "not a perf stat -x row (too few fields)");
		return 0;
	}
	count = trim(f[i]);
	unit = trim(f[i + 1]);
	event = trim(f[i + 2]);
	if (n > i + 4)
		pct = trim(f[i + 4]);
	if (!*event) {
		bad(x, "no event name");
		return 0;
	}
	if (is_tracepoint(event, strlen(event))) {
		key_reset(&x->key, "tracepoint_hits");
		def.backend = "import:perf-stat";
	} else {
		key_reset(&x->key, "perf_stat_count");
		def.role = VNP_CONTEXT;
	}
	if (*unit)
		def.unit = unit[0] == 'm' && !strcmp(unit, "msec") ? "milliseconds" : "units";
	key_add(&x->key, "event", event, strlen(event));
	if (cpu)
		key_add(&x->key, "cpu", cpu, strlen(cpu));
	if (aggr)
		key_add(&x->key, "aggr", aggr, strlen(aggr));
	s = imp_series(im, &x->key, &def);
	if (s < 0)
		return vnp_fail(s, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg());
	if ((size_t)s >= x->nprev) {
		size_t cap = (size_t)s + 16;
		int64_t *p = realloc(x->prev, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		for (size_t j = x->nprev; j < cap; j++)
			p[j] = INT64_MIN;
		x->prev = p;
		x->nprev = cap;
	}
	t0 = x->prev[s] == INT64_MIN ? 0 : x->prev[s];
	if (t <= t0 && x->prev[s] != INT64_MIN) {
		imp_warn(im, "%s:%ld: time goes back (or stands) from %.9f to %.9f for %s; row "
			 "skipped", x->file, x->lr->lineno, t0 / 1e9, t / 1e9, event);
		return 0;
	}
	x->prev[s] = t;
	if (count[0] == '<') {
		/* <not counted>, <not supported>: the bins of this interval are unknown */
		x->not_counted++;
		imp_warn(im, "%s:%ld: %s %s in this interval; its bins are flagged incomplete",
			 x->file, x->lr->lineno, event, count);
		err = imp_flag_range(im, t0, t - 1, VNP_BIN_INCOMPLETE);
		if (!err)
			err = imp_add_interval(im, s, t0, t, 0);
		return err;
	}
	{
		char *end;

		v = strtod(count, &end);
		if (*end || !isfinite(v) || v < 0) {
			bad(x, "the count is not a number");
			return 0;
		}
	}
	if (pct && *pct && is_number(pct) && strtod(pct, NULL) < 100 && !x->scaled_warned) {
		x->scaled_warned = true;
		imp_warn(im, "%s:%ld: %s ran %s%% of the time (multiplexed): perf scaled its "
			 "counts", x->file, x->lr->lineno, event, pct);
	}
	err = imp_add_interval(im, s, t0, t, v);
	if (err)
		return vnp_fail(err, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg());
	if (t > x->last_t)
		x->last_t = t;
	im->events++;
	x->good++;
	return 0;
}

int imp_perf_stat(struct vnp_importer *im, struct lreader *lr, const char *path)
{
	struct pstat x = { .im = im, .lr = lr, .file = lr->name };
	char *line;
	size_t len;
	int r, err;

	(void)path;
	err = imp_set_clock(im, x.file, "perf-stat-relative");
	while (!err && (r = lr_next(lr, &line, &len)) > 0) {
		char *p = line;

		im->lines++;
		if (lr->too_long) {
			bad(&x, "line longer than 64 KiB");
			continue;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (memchr(line, '\0', len)) {
			bad(&x, "binary data");
			continue;
		}
		if (!x.sep) {
			/* the separator follows the first number */
			char *q = p;

			while (isdigit((unsigned char)*q) || *q == '.')
				q++;
			if (q == p || !*q || isalnum((unsigned char)*q) || *q == ' ') {
				bad(&x, "not a perf stat -x -I row");
				continue;
			}
			x.sep = *q;
		}
		err = row(&x, line);
	}
	if (!err && r < 0)
		err = r;
	if (!err && !x.good && x.bad.n)
		err = vnp_fail(-EINVAL, "%s:%ld: not perf stat -x -I output (no interval rows)",
			       x.file, x.bad.first_line);
	if (!err && !x.good && !x.not_counted)
		imp_warn(im, "%s: no interval rows", x.file);
	if (!err && x.good)
		imp_note_end(im, x.last_t, true);
	key_free(&x.key);
	free(x.prev);
	return err;
}

int sniff_perf_stat(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	int score = 0, bonus = 0, lines = 0;

	while (p < end && lines < 200) {
		const char *nl = memchr(p, '\n', end - p), *q;
		int seps = 0;

		if (!nl) {
			if (len >= LR_PEEK_SIZE)
				break;
			nl = end;
		}
		q = p;
		while (q < nl && *q == ' ')
			q++;
		if (nl - q > 14 && !memcmp(q, "# started on ", 13)) {
			bonus += 3;
		} else if (q == nl || *q == '#') {
			/* blank, comment */
		} else {
			const char *r = q;

			lines++;
			while (r < nl && (isdigit((unsigned char)*r) || *r == '.'))
				r++;
			if (r > q && r < nl && (*r == ',' || *r == ';' || *r == '\t' || *r == '|')) {
				for (const char *c = r; c < nl; c++)
					seps += *c == *r;
				if (seps >= 3 && memchr(q, '.', r - q))
					score++;
			}
		}
		p = nl + 1;
	}
	if (score * 2 < lines || score + bonus == 0)
		return 0;
	return score + bonus;
}
