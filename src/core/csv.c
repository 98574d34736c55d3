// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The long CSV form: run,series,t_start,t_end,value — one row per series per
 * bin, times in seconds from the run's origin, an empty value where a series
 * has none in a bin. Writing then reading then writing gives the same bytes.
 */
#include "vnetprof-local.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char header[] = "run,series,t_start,t_end,value";
/* values a run may hold: the importers' bound (src/import/accum.c), 512 MiB */
#ifndef CSV_MAX_CELLS
#define CSV_MAX_CELLS (1ll << 26)
#endif

static void put_field(FILE *fp, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

int vnp_csv_write_run(void *out, const struct vnp_run *run, bool hdr)
{
	const struct vnp_run_info *ri = vnp_run_info(run);
	FILE *fp = out;
	char ts[64], te[64], val[64];

	if (hdr)
		fprintf(fp, "%s\n", header);
	for (size_t s = 0; s < vnp_run_nseries(run); s++) {
		const char *name = vnp_run_series(run, s)->name;

		for (int64_t k = 0; k < vnp_run_nbins(run); k++) {
			double t0 = (double)k * ri->bin_s, t1 = t0 + ri->bin_s;

			if (!vnp_run_bin_present(run, k))
				continue;
			if (vnp_run_bin_flags(run, k) & VNP_BIN_PARTIAL)
				t1 = vnp_run_bin_end(run, k);
			vnp_fmt_seconds(ts, sizeof(ts), t0);
			vnp_fmt_seconds(te, sizeof(te), t1);
			vnp_fmt_double(val, sizeof(val), vnp_run_get(run, s, k));
			put_field(fp, ri->name);
			fputc(',', fp);
			put_field(fp, name);
			fprintf(fp, ",%s,%s,%s\n", ts, te, val);
		}
	}
	return ferror(fp) ? -EIO : 0;
}

/* Split one CSV line into at most @max fields, in place. Returns the count or -1. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line, *w;

	for (;;) {
		if (n == max)
			return -1;
		if (*p == '"') {
			f[n++] = w = ++p;
			for (;;) {
				if (!*p)
					return -1; /* unterminated quote */
				if (*p == '"') {
					if (p[1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*w++ = *p++;
			}
			if (*p && *p != ',')
				return -1;
			*w = '\0';
		} else {
			f[n++] = p;
			p += strcspn(p, ",");
		}
		if (!*p)
			return n;
		*p++ = '\0';
	}
}

struct row {
	int run;
	int series; /* index into the run */
	double t0, t1, v;
};

static int parse_num(const char *s, double *v, bool empty_ok)
{
	char *end;

	if (!*s) {
		if (!empty_ok)
			return -1;
		*v = NAN;
		return 0;
	}
	*v = strtod(s, &end);
	return *end || isnan(*v) ? -1 : 0;
}

/* the rows of @fp, named @path in messages */
static int read_fp(FILE *fp, const char *path, struct vnp_run ***runsp, size_t *nrunsp)
{
	struct vnp_run **runs = NULL;
	struct row *rows = NULL;
	size_t nruns = 0, nrows = 0, cap = 0, linecap = 0;
	char *line = NULL;
	long lineno = 0;
	ssize_t len;
	int err = 0;

	while ((len = getline(&line, &linecap, fp)) >= 0) {
		char *f[6];
		struct row r;
		int n, i;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((size_t)len != strlen(line)) {
			err = vnp_fail(-EINVAL, "%s:%ld: a NUL byte inside a line; not a CSV file",
				       path, lineno);
			break;
		}
		if (lineno == 1 && !strcmp(line, header))
			continue;
		if (!len)
			continue;
		n = split(line, f, 6);
		if (n != 5) {
			err = vnp_fail(-EINVAL, "%s:%ld: expected 5 fields (%s), found %s", path,
				       lineno, header, n < 0 ? "a malformed line" : "another count");
			break;
		}
		if (!*f[0]) {
			err = vnp_fail(-EINVAL, "%s:%ld: empty run name", path, lineno);
			break;
		}
		if (vnp_series_check(f[1])) {
			err = vnp_fail(-EINVAL, "%s:%ld: '%s' is not a series name "
				       "(metric{key=\"value\",...})", path, lineno, f[1]);
			break;
		}
		if (parse_num(f[2], &r.t0, false) || parse_num(f[3], &r.t1, false) ||
		    parse_num(f[4], &r.v, true) || !(r.t1 > r.t0) || r.t0 < 0 || !isfinite(r.t1)) {
			err = vnp_fail(-EINVAL, "%s:%ld: bad times or value (t_start < t_end, "
				       "numbers, value may be empty)", path, lineno);
			break;
		}
		for (i = 0; i < (int)nruns; i++)
			if (!strcmp(vnp_run_info(runs[i])->name, f[0]))
				break;
		if (i == (int)nruns) {
			struct vnp_run_info ri = { .name = f[0], .origin_clock = "relative",
						   .status = VNP_RUN_COMPLETE };
			struct vnp_run **nr = realloc(runs, (nruns + 1) * sizeof(*nr));

			if (!nr || !(nr[nruns] = vnp_run_new(&ri))) {
				runs = nr ? nr : runs;
				err = -ENOMEM;
				break;
			}
			runs = nr;
			nruns++;
		}
		r.run = i;
		{
			struct vnp_series_info si = { .name = f[1], .backend = "import:csv" };
			const char *unit;

			vnp_series_guess(f[1], &si.kind, &unit, &si.role);
			si.unit = (char *)unit;
			r.series = vnp_run_add_series(runs[i], &si);
			if (r.series < 0) {
				err = r.series;
				break;
			}
		}
		if (nrows == cap) {
			struct row *nr;

			cap = cap ? cap * 2 : 1024;
			nr = realloc(rows, cap * sizeof(*nr));
			if (!nr) {
				err = -ENOMEM;
				break;
			}
			rows = nr;
		}
		rows[nrows++] = r;
	}
	if (!err && ferror(fp))
		err = vnp_fail(-EIO, "%s: read error", path);
	if (!err && !nrows)
		err = vnp_fail(-EINVAL, "%s: no rows; expected the header '%s' and rows", path,
			       header);

	/* each run's bin width is its longest row; shorter rows are partial bins */
	for (size_t i = 0; !err && i < nruns; i++) {
		double bin = 0;

		for (size_t j = 0; j < nrows; j++)
			if (rows[j].run == (int)i && rows[j].t1 - rows[j].t0 > bin)
				bin = rows[j].t1 - rows[j].t0;
		/* round away the float noise of t_end - t_start */
		{
			char b[64];

			vnp_fmt_seconds(b, sizeof(b), bin);
			bin = strtod(b, NULL);
		}
		vnp_run_info_mut(runs[i])->bin_s = bin;
		/* the run's values must fit as every importer's do: a t_start far from 0 is many bins */
		{
			double last = 0;
			size_t ns = vnp_run_nseries(runs[i]);

			for (size_t j = 0; j < nrows; j++)
				if (rows[j].run == (int)i && rows[j].t0 / bin > last)
					last = rows[j].t0 / bin;
			if (last + 1 > (double)CSV_MAX_CELLS ||
			    (last + 1) * (double)ns > (double)CSV_MAX_CELLS) {
				err = vnp_fail(-E2BIG, "%s: run '%s': %zu series x %.0f bins of %g s would "
					       "need %.0f MiB, more than an import allows (%lld MiB); "
					       "t_start must be seconds from the run's origin",
					       path, vnp_run_info(runs[i])->name, ns, last + 1, bin,
					       (last + 1) * (double)ns * 8 / (1 << 20),
					       (long long)(CSV_MAX_CELLS * 8 >> 20));
				break;
			}
		}
		for (size_t j = 0; !err && j < nrows; j++) {
			struct row *r = &rows[j];
			double kd;
			int64_t k;
			unsigned flags = 0;

			if (r->run != (int)i)
				continue;
			kd = r->t0 / bin;
			k = llround(kd);
			if (fabs(kd - (double)k) > 1e-6) {
				err = vnp_fail(-EINVAL, "%s: run '%s': t_start %g is not on the grid "
					       "of its %g s bins", path, vnp_run_info(runs[i])->name,
					       r->t0, bin);
				break;
			}
			if (r->t1 - r->t0 < bin * (1 - 1e-6))
				flags = VNP_BIN_PARTIAL;
			err = vnp_run_set_bin(runs[i], k, flags ? r->t1 : (double)(k + 1) * bin,
					      flags);
			if (!err && !isnan(r->v))
				err = vnp_run_set(runs[i], r->series, k, r->v);
		}
	}
	free(line);
	free(rows);
	if (err) {
		for (size_t i = 0; i < nruns; i++)
			vnp_run_free(runs[i]);
		free(runs);
		return err;
	}
	*runsp = runs;
	*nrunsp = nruns;
	return 0;
}

int vnp_csv_read(const char *path, struct vnp_run ***runs, size_t *nruns)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int err;

	if (!fp)
		return vnp_fail(-errno, "%s: %s", path, strerror(errno));
	err = read_fp(fp, path, runs, nruns);
	if (fp != stdin)
		fclose(fp);
	return err;
}

int vnp_csv_read_mem(const char *name, const char *data, size_t len, struct vnp_run ***runs,
		     size_t *nruns)
{
	FILE *fp;
	int err;

	if (!len)
		return vnp_fail(-EINVAL, "%s: no rows; expected the header '%s' and rows", name,
				header);
	fp = fmemopen((void *)data, len, "r");
	if (!fp)
		return vnp_fail(-errno, "%s: %s", name, strerror(errno));
	err = read_fp(fp, name, runs, nruns);
	fclose(fp);
	return err;
}
