// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnetprof compare: several runs side by side (the paper's figures 5-7):
 * the target's distribution, every indicator's mean, every CPU share.
 */
#include "vnetprof-tool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"Usage: vnetprof compare [DB] (--runs R1,R2,... | --label K=V...) [--target SERIES]\n"
	"                        [--bin D] [--json]\n"
	"\n"
	"Summarise several runs side by side: per run the target's (throughput's) mean,\n"
	"median, 10th and 90th percentiles, coefficient of variation and CDF points (the\n"
	"paper's fig. 5), each indicator's mean per analysis bin (fig. 7) and each\n"
	"CPU-share series' mean (fig. 6). Method: docs/analysis.md.\n"
	"\n"
	"  -R, --runs LIST        run names or ids, comma-separated, in the order to show\n"
	"  -l, --label K=V        every run with this label (repeatable: all must match),\n"
	"                         oldest first\n"
	"  -t, --target SERIES    the target in every run (default: per run, the\n"
	"                         role-target series with the largest total)\n"
	"  -b, --bin D            analysis bin (default 0.5s, or a run's bin if coarser)\n"
	"  -j, --json             JSON output\n"
	"  -h, --help             this text\n"
	"\n"
	"Examples:\n"
	"  vnetprof compare runs.db --runs A,B,C,D,E,F\n"
	"  vnetprof compare runs.db --label experiment=patterns --json\n";

struct cmp {
	struct vnp_run *run;
	struct vnp_run_summary *sum;
};

/* the runs to compare: by name or id, or by labels */
static int select_runs(struct vnp_out *o, struct vnp_store *st, const char *list,
		       const struct vnp_run_info *want, char ***names, size_t *n)
{
	struct vnp_run_info *all = NULL;
	size_t nall = 0;
	int err;

	*names = NULL;
	*n = 0;
	if (list) {
		char *dup = strdup(list), *save = NULL;

		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char **nn = realloc(*names, (*n + 1) * sizeof(*nn));

			if (!nn) {
				free(dup);
				return vnp_out_err(o, EXIT_FAIL, "out of memory");
			}
			*names = nn;
			nn[(*n)++] = strdup(t);
		}
		free(dup);
		if (!*n)
			return usage_error(o, "compare", "--runs '%s' names no run", list);
		return EXIT_OK;
	}
	err = vnp_store_runs(st, &all, &nall);
	if (err)
		return vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
	for (size_t i = 0; i < nall; i++) {
		bool match = true;

		for (size_t l = 0; l < want->nlabels && match; l++) {
			bool has = false;

			for (size_t k = 0; k < all[i].nlabels; k++)
				has |= !strcmp(all[i].labels[k].key, want->labels[l].key) &&
				       !strcmp(all[i].labels[k].value, want->labels[l].value);
			match = has;
		}
		if (match) {
			char **nn = realloc(*names, (*n + 1) * sizeof(*nn));
			char id[32];

			if (!nn)
				break;
			*names = nn;
			snprintf(id, sizeof(id), "%lld", (long long)all[i].id);
			nn[(*n)++] = strdup(id);
		}
	}
	vnp_run_infos_free(all, nall);
	if (!*n) {
		char want_s[512];
		size_t len = 0;

		want_s[0] = '\0';
		for (size_t l = 0; l < want->nlabels && len < sizeof(want_s); l++)
			len += snprintf(want_s + len, sizeof(want_s) - len, "%s%s=%s", l ? "," : "",
					want->labels[l].key, want->labels[l].value);
		return vnp_out_err(o, EXIT_FAIL,
				   "no run in the store has label%s %s; 'vnetprof runs' "
				   "lists them",
				   want->nlabels > 1 ? "s" : "", want_s);
	}
	return EXIT_OK;
}

/* the union of the indicator names, in order of first appearance; @share picks the kind */
static size_t union_names(const struct cmp *c, size_t n, bool share, const char ***out)
{
	const char **v = NULL;
	size_t nv = 0;

	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < c[r].sum->nseries; i++) {
			const char *name = vnp_run_series(c[r].run, c[r].sum->series[i])->name;
			size_t k;

			if (c[r].sum->share[i] != share)
				continue;
			for (k = 0; k < nv && strcmp(v[k], name); k++)
				;
			if (k < nv)
				continue;
			v = realloc(v, (nv + 1) * sizeof(*v));
			v[nv++] = name;
		}
	*out = v;
	return nv;
}

/* this run's mean of series @name, or NULL if it has none */
static const struct vnp_stat *mean_of(const struct cmp *c, const char *name)
{
	for (size_t i = 0; i < c->sum->nseries; i++)
		if (!strcmp(vnp_run_series(c->run, c->sum->series[i])->name, name))
			return &c->sum->mean[i];
	return NULL;
}

static void put_stat(struct vnp_out *o, const char *key, const char *fmt, const char *ufmt,
		     const struct vnp_stat *st, double div)
{
	if (!st->why) {
		vnp_out_double(o, key, NULL, st->v);
		vnp_out_text(o, fmt, st->v / div);
	} else {
		vnp_out_double(o, key, NULL, NAN);
		vnp_out_text(o, ufmt, "undef");
	}
}

/* one run: a row of the text table, an object in JSON */
static void print_run(struct vnp_out *o, const struct cmp *c, double div, const char *frun)
{
	const struct vnp_run_info *ri = vnp_run_info(c->run);
	const struct vnp_run_summary *s = c->sum;
	const struct vnp_dist *d = &s->target_dist;
	const struct vnp_stat *qs[] = { &d->mean, &d->sd,  &d->cv,  &d->median,
					&d->p10,  &d->p90, &d->min, &d->max };
	static const char *const keys[] = {
		"mean", "sd", "cv", "median", "p10", "p90", "min", "max"
	};
	char buf[512];
	bool any = false;

	vnp_out_open_object(o, NULL);
	vnp_out_str(o, "run", frun, ri->name);
	vnp_out_int(o, "id", NULL, (long long)ri->id);
	vnp_out_open_object(o, "labels"); /* JSON only: the text row has no room */
	for (size_t l = 0; l < ri->nlabels; l++)
		vnp_out_str(o, ri->labels[l].key, NULL, ri->labels[l].value);
	vnp_out_close_object(o);
	vnp_out_str(o, "target", NULL, s->target_name);
	vnp_out_str(o, "target_unit", NULL, s->target_unit);
	vnp_out_double(o, "bin_s", NULL, s->bin_s);
	vnp_out_int(o, "n_bins", " %6lld", (long long)s->n_bins);
	vnp_out_int(o, "n", " %6lld", (long long)d->n);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		put_stat(o, keys[i], i == 2 ? " %7.3f" : " %9.4g", i == 2 ? " %7s" : " %9s", qs[i],
			 i == 2 ? 1 : div);
	vnp_out_nl(o);
	vnp_out_open_array(o, "cdf");
	for (int i = 0; d->n && i < VNP_CDF_POINTS; i++) {
		vnp_out_open_array(o, NULL);
		vnp_out_double(o, NULL, NULL, d->cdf_v[i]);
		vnp_out_double(o, NULL, NULL, d->cdf_p[i]);
		vnp_out_close_array(o);
	}
	vnp_out_close_array(o);
	for (int share = 0; share < 2; share++) {
		vnp_out_open_object(o, share ? "cpu_share" : "indicators");
		for (size_t i = 0; i < s->nseries; i++)
			if (s->share[i] == share)
				vnp_out_double(o, vnp_run_series(c->run, s->series[i])->name, NULL,
					       s->mean[i].v);
		vnp_out_close_object(o);
	}
	/* reasons, for JSON readers; the text shows them below the table */
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		any |= qs[i]->why != VNP_DEFINED;
	for (size_t i = 0; i < s->nseries; i++)
		any |= s->mean[i].why != VNP_DEFINED;
	if (any && vnp_out_is_json(o)) {
		vnp_out_open_object(o, "undefined");
		for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
			if (qs[i]->why) {
				vnp_stat_explain(buf, sizeof(buf), qs[i], "the target", NULL);
				vnp_out_str(o, keys[i], NULL, buf);
			}
		for (size_t i = 0; i < s->nseries; i++)
			if (s->mean[i].why) {
				vnp_stat_explain(buf, sizeof(buf), &s->mean[i], "the series", NULL);
				vnp_out_str(o, vnp_run_series(c->run, s->series[i])->name, NULL,
					    buf);
			}
		vnp_out_close_object(o);
	}
	vnp_out_close_object(o);
}

/* text only: the indicators (or shares) as rows, the runs as columns */
static void print_matrix(struct vnp_out *o, const struct cmp *c, size_t n, bool share)
{
	const char **names;
	size_t nn = union_names(c, n, share, &names), w = 6, zero = 0;

	if (!nn) {
		free(names);
		return;
	}
	/* rows that are 0 (or absent) in every run say nothing: counted, not shown */
	for (size_t i = 0; i < nn; i++) {
		bool nothing = true;

		for (size_t r = 0; r < n && nothing; r++) {
			const struct vnp_stat *m = mean_of(&c[r], names[i]);

			nothing = !m || (!m->why && m->v == 0);
		}
		if (nothing) {
			zero++;
			names[i] = NULL;
		} else {
			w = strlen(names[i]) > w ? strlen(names[i]) : w;
		}
	}
	if (zero == nn) {
		vnp_out_text(o, "\n%s: %zu series, 0 in every run\n",
			     share ? "CPU share" : "Indicators", zero);
		free(names);
		return;
	}
	vnp_out_text(o, "\n%s", share ? "CPU share, mean" : "Indicators, mean per analysis bin");
	if (zero)
		vnp_out_text(o, " (%zu more were 0 in every run; --json has them)", zero);
	vnp_out_text(o, ":\n%-*s", (int)w, "SERIES");
	for (size_t r = 0; r < n; r++)
		vnp_out_text(o, " %12.12s", vnp_run_info(c[r].run)->name);
	vnp_out_nl(o);
	for (size_t i = 0; i < nn; i++) {
		if (!names[i])
			continue;
		vnp_out_text(o, "%-*s", (int)w, names[i]);
		for (size_t r = 0; r < n; r++) {
			const struct vnp_stat *m = mean_of(&c[r], names[i]);

			if (!m)
				vnp_out_text(o, " %12s", "absent");
			else if (m->why)
				vnp_out_text(o, " %12s", "undef");
			else
				vnp_out_text(o, " %12.5g", m->v);
		}
		vnp_out_nl(o);
	}
	free(names);
}

/* text only: why a number is undefined, once per run and field */
static void print_reasons(struct vnp_out *o, const struct cmp *c, size_t n)
{
	char buf[512];

	for (size_t r = 0; r < n; r++) {
		const struct vnp_dist *d = &c[r].sum->target_dist;

		if (d->sd.why) {
			vnp_stat_explain(buf, sizeof(buf), &d->sd, "the target", NULL);
			vnp_out_text(o, "  %s: sd and cv %s\n", vnp_run_info(c[r].run)->name, buf);
		} else if (d->cv.why) {
			vnp_stat_explain(buf, sizeof(buf), &d->cv, "the target", NULL);
			vnp_out_text(o, "  %s: cv %s\n", vnp_run_info(c[r].run)->name, buf);
		}
		for (size_t i = 0; i < c[r].sum->nseries; i++)
			if (c[r].sum->mean[i].why) {
				vnp_stat_explain(buf, sizeof(buf), &c[r].sum->mean[i], "the series",
						 NULL);
				vnp_out_text(o, "  %s: %s %s\n", vnp_run_info(c[r].run)->name,
					     vnp_run_series(c[r].run, c[r].sum->series[i])->name,
					     buf);
			}
	}
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'R' },
		{ "label", required_argument, NULL, 'l' },
		{ "target", required_argument, NULL, 't' },
		{ "bin", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":R:l:t:b:jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	const char *db = DEFAULT_DB, *list = NULL;
	struct vnp_run_info labels = { 0 };
	struct vnp_analysis_opts ao;
	struct vnp_store *st = NULL;
	struct cmp *c = NULL;
	char **names = NULL;
	size_t n = 0;
	int ch, err, ret = EXIT_OK;
	double big = 0, div = 1;
	const char *prefix = "";
	size_t wrun = strlen("RUN");
	char frun[32];
	const char *unit = NULL;
	bool same_unit = true;

	vnp_analysis_opts_init(&ao);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (ch) {
		case 'R':
			list = optarg;
			break;
		case 'l':
			if (parse_label(&labels, optarg)) {
				ret = usage_error(o, "compare", "label '%s' is not KEY=VALUE",
						  optarg);
				goto out;
			}
			break;
		case 't':
			ao.target = optarg;
			break;
		case 'b':
			if (vnp_parse_duration(optarg, &ao.bin_s)) {
				ret = usage_error(o, "compare",
						  "--bin '%s' is not a duration (e.g. 0.5s)",
						  optarg);
				goto out;
			}
			break;
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			vnp_run_info_clear(&labels);
			return print_help(help);
		default: /* ':' or an unknown option */
			ret = option_error(o, "compare", ch, argv);
			goto out;
		}
	}
	ret = take_db(o, "compare", argc, argv, &db);
	if (ret)
		goto out;
	if (!list == !labels.nlabels) {
		ret = usage_error(o, "compare",
				  list ? "give --runs or --label, not both"
				       : "give the runs: --runs R1,R2,... or --label K=V");
		goto out;
	}
	st = vnp_store_open(db, VNP_STORE_RDONLY);
	if (!st) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
		goto out;
	}
	ret = select_runs(o, st, list, &labels, &names, &n);
	if (ret)
		goto out;
	c = calloc(n, sizeof(*c));
	if (!c) {
		ret = vnp_out_err(o, EXIT_FAIL, "out of memory");
		goto out;
	}
	for (size_t r = 0; r < n; r++) {
		c[r].run = vnp_store_load(st, names[r]);
		if (!c[r].run) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
			goto out;
		}
		err = vnp_run_summarize(c[r].run, &ao, &c[r].sum);
		if (err) {
			ret = err == -EDOM ? usage_error(o, "compare", "run '%s': %s",
							 vnp_run_info(c[r].run)->name, lib_err(err))
					   : vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
			goto out;
		}
		if (unit && strcmp(unit, c[r].sum->target_unit))
			same_unit = false;
		unit = c[r].sum->target_unit;
		if (!c[r].sum->target_dist.median.why)
			big = fmax(big, fabs(c[r].sum->target_dist.median.v));
	}
	/* one scale for the whole table when every target is in bit/s */
	if (same_unit && !strcmp(unit, "bit/s"))
		div = vnp_out_si(big, &prefix);

	vnp_out_open_object(o, NULL);
	vnp_out_int(o, "n_runs", "%lld runs; target", (long long)n);
	if (same_unit)
		vnp_out_text(o, " in %s%s", prefix, unit);
	vnp_out_text(o, " (per run: see --json for each run's target series and CDF points):\n");
	for (size_t r = 0; r < n; r++)
		if (strlen(vnp_run_info(c[r].run)->name) > wrun)
			wrun = strlen(vnp_run_info(c[r].run)->name);
	vnp_out_lcol(frun, sizeof(frun), wrun, "");
	vnp_out_text(o, frun, "RUN");
	vnp_out_text(o, " %6s %6s %9s %9s %7s %9s %9s %9s %9s %9s\n", "BINS", "N", "MEAN", "SD",
		     "CV", "MEDIAN", "P10", "P90", "MIN", "MAX");
	vnp_out_open_array(o, "runs");
	for (size_t r = 0; r < n; r++)
		print_run(o, &c[r], same_unit ? div : 1, frun);
	vnp_out_close_array(o);
	vnp_out_close_object(o);
	if (!vnp_out_is_json(o)) {
		for (size_t r = 0; r < n; r++)
			vnp_out_text(o, "  %s: target %s\n", vnp_run_info(c[r].run)->name,
				     c[r].sum->target_name);
		print_matrix(o, c, n, false);
		print_matrix(o, c, n, true);
		print_reasons(o, c, n);
	}
out:
	for (size_t r = 0; c && r < n; r++) {
		vnp_run_summary_free(c[r].sum);
		vnp_run_free(c[r].run);
	}
	free(c);
	for (size_t r = 0; r < n; r++)
		free(names[r]);
	free(names);
	vnp_store_close(st);
	vnp_run_info_clear(&labels);
	vnp_out_free(o);
	return ret;
}
