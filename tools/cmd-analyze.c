// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnetprof analyze: rank a run's indicators against its throughput, cut the
 * run where throughput changes, and say it in a paragraph.
 */
#include "vnetprof-tool.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"Usage: vnetprof analyze [DB] [--run R] [--target SERIES] [--bin D] [--sma D]\n"
	"                        [--max-lag D] [--penalty K] [--min-segment D] [--top N]\n"
	"                        [--exclude GLOB]... [--json]\n"
	"\n"
	"Put a run's indicators and its target (throughput) on one time axis, and rank\n"
	"the indicators by how well they track it: Pearson's r (the paper's equation 1)\n"
	"at the best lag, beside r at lag 0 with its 95 % interval, r of the smoothed\n"
	"series and Spearman's rank correlation. Then cut the run where the target's\n"
	"mean changes (PELT) and give each indicator's level in every segment, and a\n"
	"one-paragraph summary. Method: docs/analysis.md.\n"
	"\n"
	"  -r, --run R            run name or id (default: the latest)\n"
	"  -t, --target SERIES    the target: a full series name or a part of exactly one\n"
	"                         (default: the role-target series with the largest total;\n"
	"                         bytes and bits become bit/s)\n"
	"  -b, --bin D            analysis bin, a whole multiple of the run's bin\n"
	"                         (default 0.5s, the paper's, or the run's bin if coarser)\n"
	"  -s, --sma D            trailing moving-average window for the smoothed r\n"
	"                         (default 10s, the paper's; 0 or off: none)\n"
	"  -l, --max-lag D        try lags up to +-D (default 10s; 0: lag 0 only); a lag\n"
	"                         > 0 means the indicator moves first\n"
	"  -p, --penalty K        change-point penalty: K * sigma^2 * ln(bins) per cut\n"
	"                         (default 4); higher cuts less\n"
	"  -m, --min-segment D    shortest segment (default 5s)\n"
	"  -x, --exclude GLOB     leave out the indicators whose name matches GLOB\n"
	"                         (repeatable; quote it), e.g. '*_bytes*' for the\n"
	"                         series that measure the traffic itself\n"
	"  -n, --top N            indicators to show (default 20 in text, all in JSON;\n"
	"                         0: all)\n"
	"  -j, --json             JSON output (the contract is in docs/analysis.md)\n"
	"  -h, --help             this text\n"
	"\n"
	"Durations: 500ms, 0.5s, 10s, 2m, or a number of seconds.\n"
	"\n"
	"Examples:\n"
	"  vnetprof analyze runs.db --run staged\n"
	"  vnetprof analyze --target 'iperf3_bits{stream=\"1\",side=\"receiver\"}' --sma 5s "
	"--json\n";

/* text columns for the shown indicators' levels in the segment table */
#define SEG_COLS 3

/* a duration that may also be 0 / off */
static int parse_dur0(const char *s, double *v)
{
	if (!strcmp(s, "0") || !strcmp(s, "off") || !strcmp(s, "none")) {
		*v = 0;
		return 0;
	}
	return vnp_parse_duration(s, v);
}

/* ---- units ------------------------------------------------------------ */

struct scale {
	double div;
	char unit[64];
};

/* bit/s in G/M/k by the size of @big; other units as they are, per bin for counters */
static void pick_scale(const struct vnp_analysis *a, double big, struct scale *sc)
{
	const struct vnp_series_info *si = vnp_run_series(a->run, a->target);
	const char *prefix;
	char b[32];

	sc->div = 1;
	if (!strcmp(a->target_unit, "bit/s")) {
		sc->div = vnp_out_si(big, &prefix);
		snprintf(sc->unit, sizeof(sc->unit), "%sbit/s", prefix);
		return;
	}
	vnp_fmt_seconds(b, sizeof(b), a->bin_s);
	if (si->kind == VNP_COUNTER)
		snprintf(sc->unit, sizeof(sc->unit), "%s per %s s",
			 *a->target_unit ? a->target_unit : "units", b);
	else
		snprintf(sc->unit, sizeof(sc->unit), "%s", *a->target_unit ? a->target_unit : "");
}

/* ---- one statistic: a value, or null in JSON and a marker in text ------ */

static void put_stat(struct vnp_out *o, const char *key, const char *fmt, const char *ufmt,
		     const struct vnp_stat *st)
{
	if (!st->why) {
		vnp_out_double(o, key, fmt, st->v);
		return;
	}
	vnp_out_double(o, key, NULL, NAN); /* null */
	if (ufmt)
		vnp_out_text(o, ufmt, "undef");
}

/* the reasons of an object's undefined fields: {"field": "undefined, because ..."} */
struct why {
	const char *key;
	const struct vnp_stat *st;
	const char *x, *y; /* how the series are named in the reason */
};

static void put_reasons(struct vnp_out *o, const struct why *w, size_t n, const char *indent)
{
	char buf[512];
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any |= w[i].st->why != VNP_DEFINED;
	if (!any)
		return;
	vnp_out_open_object(o, "undefined");
	for (size_t i = 0; i < n; i++) {
		if (!w[i].st->why)
			continue;
		vnp_stat_explain(buf, sizeof(buf), w[i].st, w[i].x, w[i].y);
		vnp_out_text(o, "%s%s: ", indent, w[i].key);
		vnp_out_str(o, w[i].key, "%s\n", buf);
	}
	vnp_out_close_object(o);
}

/* ---- the ranking ------------------------------------------------------ */

static void print_indicator(struct vnp_out *o, const struct vnp_analysis *a, size_t i)
{
	const struct vnp_indicator *ind = &a->ind[i];
	const char *si = "the indicator", *st = "the target";
	const struct why w[] = {
		{ "pearson_best_lag", &ind->best, si, st },
		{ "pearson", &ind->pearson, si, st },
		{ "pearson_sma", &ind->pearson_sma, "the smoothed indicator",
		  "the smoothed target" },
		{ "spearman", &ind->spearman, si, st },
		{ "ci95", &ind->ci_lo, si, st },
	};

	vnp_out_open_object(o, NULL);
	vnp_out_int(o, "rank", "%4lld ", (long long)i + 1);
	if (ind->best.why) {
		/* nothing to show but the name and why */
		char buf[512];

		vnp_out_str(o, "series", "%s\n", ind->name);
		vnp_out_double(o, "pearson", NULL, NAN);
		vnp_out_double(o, "pearson_sma", NULL, NAN);
		vnp_out_double(o, "spearman", NULL, NAN);
		vnp_out_double(o, "best_lag_s", NULL, NAN);
		vnp_out_double(o, "pearson_best_lag", NULL, NAN);
		vnp_out_double(o, "ci95", NULL, NAN);
		vnp_out_int(o, "n", NULL, (long long)ind->pearson.n);
		vnp_stat_explain(buf, sizeof(buf), &ind->best, si, st);
		vnp_out_text(o, "       %s\n", buf);
		vnp_out_open_object(o, "undefined");
		for (size_t k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
			vnp_stat_explain(buf, sizeof(buf), w[k].st, w[k].x, w[k].y);
			vnp_out_str(o, w[k].key, NULL, buf);
		}
		vnp_out_close_object(o);
		vnp_out_close_object(o);
		return;
	}
	put_stat(o, "pearson_best_lag", "%7.3f ", "%7s ", &ind->best);
	vnp_out_double(o, "best_lag_s", "%+7.2f ", ind->best_lag_s);
	put_stat(o, "pearson", "%7.3f ", "%7s ", &ind->pearson);
	put_stat(o, "pearson_sma", "%7.3f ", "%7s ", &ind->pearson_sma);
	put_stat(o, "spearman", "%8.3f ", "%8s ", &ind->spearman);
	if (ind->ci_lo.why) {
		vnp_out_double(o, "ci95", NULL, NAN);
		vnp_out_text(o, " %-16s ", "undef");
	} else {
		vnp_out_open_array(o, "ci95");
		vnp_out_double(o, NULL, " [%6.3f,", ind->ci_lo.v);
		vnp_out_double(o, NULL, " %6.3f] ", ind->ci_hi.v);
		vnp_out_close_array(o);
	}
	vnp_out_int(o, "n", "%6lld  ", (long long)ind->pearson.n);
	vnp_out_str(o, "series", "%s\n", ind->name);
	put_reasons(o, w, sizeof(w) / sizeof(w[0]), "       ");
	vnp_out_close_object(o);
}

/* ---- the segments ----------------------------------------------------- */

static void print_segments(struct vnp_out *o, const struct vnp_analysis *a, size_t shown,
			   const struct scale *sc)
{
	char sig[128] = "undefined", b[32];

	if (isfinite(a->sigma))
		snprintf(sig, sizeof(sig), "%.3g %s", a->sigma / sc->div, sc->unit);
	vnp_fmt_seconds(b, sizeof(b), a->min_segment_s);
	vnp_out_text(o,
		     "\nSegments of the target (PELT, penalty %g x sigma^2 x ln(bins), sigma = %s, "
		     "at least %s s each):\n",
		     a->penalty, sig, b);
	vnp_out_open_object(o, "segmentation");
	vnp_out_str(o, "method", NULL, "pelt");
	vnp_out_double(o, "penalty", NULL, a->penalty);
	vnp_out_double(o, "sigma", NULL, a->sigma);
	vnp_out_double(o, "min_segment_s", NULL, a->min_segment_s);
	vnp_out_close_object(o);
	vnp_out_text(o, "%9s %9s %14s %14s", "T_START", "T_END", "TARGET_MEAN", "TARGET_SD");
	for (size_t i = 0; i < shown && i < SEG_COLS; i++)
		vnp_out_text(o, "  #%zu %-19s", i + 1, "MEAN (CHANGE)");
	vnp_out_text(o, "  (target in %s)\n", sc->unit);
	vnp_out_open_array(o, "segments");
	for (size_t j = 0; j < a->nseg; j++) {
		const struct vnp_segment_info *sg = &a->seg[j];
		const struct why w[] = {
			{ "target_mean", &sg->target_mean, "the target in this segment", NULL },
			{ "target_sd", &sg->target_sd, "the target in this segment", NULL },
		};
		struct vnp_stat m = sg->target_mean, s = sg->target_sd;

		m.v /= sc->div;
		s.v /= sc->div;
		vnp_out_open_object(o, NULL);
		vnp_out_double(o, "t_start", "%9g ", sg->t_start);
		vnp_out_double(o, "t_end", "%9g ", sg->t_end);
		vnp_out_int(o, "n_bins", NULL, (long long)(sg->k1 - sg->k0));
		/* JSON keeps the unit of target_unit; the text the scaled one */
		if (vnp_out_is_json(o)) {
			put_stat(o, "target_mean", NULL, NULL, &sg->target_mean);
			put_stat(o, "target_sd", NULL, NULL, &sg->target_sd);
		} else {
			put_stat(o, "target_mean", "%14.4g ", "%14s ", &m);
			put_stat(o, "target_sd", "%14.4g", "%14s", &s);
		}
		vnp_out_open_object(o, "indicators");
		for (size_t i = 0; i < shown; i++) {
			const struct why iw[] = {
				{ "mean", &sg->mean[i], "the indicator in this segment", NULL },
				{ "change", &sg->change[i], "the indicator in this segment",
				  "the indicator in the first segment" },
			};
			bool col = i < SEG_COLS;

			vnp_out_open_object(o, a->ind[i].name);
			put_stat(o, "mean", col ? "  %11.4g" : NULL, col ? "  %11s" : NULL,
				 &sg->mean[i]);
			/* a fraction in JSON, per cent in the text */
			if (vnp_out_is_json(o) || !j || !col)
				put_stat(o, "change", NULL, NULL, &sg->change[i]);
			else
				put_stat(o, "change", " (%+6.1f%%) ", " (%7s) ",
					 &(struct vnp_stat){ .v = sg->change[i].v * 100,
							     .why = sg->change[i].why });
			if (!j && col)
				vnp_out_text(o, "%11s", "");
			if (vnp_out_is_json(o))
				put_reasons(o, iw, 2, "");
			vnp_out_close_object(o);
		}
		vnp_out_close_object(o);
		vnp_out_nl(o);
		put_reasons(o, w, 2, "      ");
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
	for (size_t i = 0; i < shown && i < SEG_COLS; i++)
		vnp_out_text(o, "  #%zu %s\n", i + 1, a->ind[i].name);
	/* undefined levels of the text columns, once each */
	for (size_t j = 0; j < a->nseg; j++)
		for (size_t i = 0; i < shown && i < SEG_COLS; i++) {
			char buf[512];

			if (!a->seg[j].mean[i].why && (!j || !a->seg[j].change[i].why))
				continue;
			vnp_stat_explain(buf, sizeof(buf),
					 a->seg[j].mean[i].why ? &a->seg[j].mean[i]
							       : &a->seg[j].change[i],
					 "the indicator in this segment",
					 "the indicator in the first segment");
			vnp_out_text(o, "  #%zu in the segment at %g s: %s\n", i + 1,
				     a->seg[j].t_start, buf);
		}
}

/* ---- the paragraph ---------------------------------------------------- */

static size_t add(char *buf, size_t size, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t add(char *buf, size_t size, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (len >= size)
		return len;
	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	return n < 0 ? len : len + (size_t)n;
}

static void summary(const struct vnp_analysis *a, const struct scale *sc, char *buf, size_t size)
{
	const char *what = strcmp(a->target_unit, "bit/s") ? "the target" : "throughput";
	const struct vnp_segment_info *s0 = &a->seg[0];
	const struct vnp_indicator *best = a->nind ? &a->ind[0] : NULL;
	size_t len = 0, listed = 0;
	char b[32], b2[256], extra[4][96];
	int ne = 0;

	if (s0->target_mean.why && a->nseg == 1) {
		vnp_stat_explain(b2, sizeof(b2), &s0->target_mean, "the target", NULL);
		len = add(buf, size, len, "The level of %s is %s", what, b2);
	} else if (a->nseg == 1) {
		len = add(buf, size, len,
			  "%c%s held at about %.3g %s (sd %.2g) over the run, with no "
			  "change point at penalty %g",
			  toupper(what[0]), what + 1, s0->target_mean.v / sc->div, sc->unit,
			  s0->target_sd.why ? 0 : s0->target_sd.v / sc->div, a->penalty);
	} else {
		len = add(buf, size, len, "%c%s", toupper(what[0]), what + 1);
		if (a->nseg > 2)
			len = add(buf, size, len, " changed %zu times:", a->nseg - 1);
		for (size_t j = 1; j < a->nseg && listed < 3; j++, listed++) {
			const struct vnp_stat *p = &a->seg[j - 1].target_mean,
					      *c = &a->seg[j].target_mean;

			if (p->why || c->why)
				continue;
			len = add(buf, size, len, "%s %s from %.3g to %.3g %s at t = %g s",
				  listed ? "," : "", c->v < p->v ? "fell" : "rose", p->v / sc->div,
				  c->v / sc->div, sc->unit, a->seg[j].t_start);
		}
		if (a->nseg - 1 > listed)
			len = add(buf, size, len, ", and %zu more", a->nseg - 1 - listed);
	}
	if (!best) {
		add(buf, size, len, "; the run has no indicator series to compare with it.");
		return;
	}
	if (best->best.why) {
		add(buf, size, len,
		    "; no indicator's correlation with it is defined (%zu "
		    "indicator%s).",
		    a->nind, a->nind == 1 ? "" : "s");
		return;
	}
	/* what else is known about it, in parentheses */
	if (best->best_lag && !best->pearson.why)
		snprintf(extra[ne++], sizeof(extra[0]), "at lag 0: r = %.3f", best->pearson.v);
	if (!best->ci_lo.why)
		snprintf(extra[ne++], sizeof(extra[0]), "95 %% CI %.3f to %.3f", best->ci_lo.v,
			 best->ci_hi.v);
	if (!best->pearson_sma.why) {
		vnp_fmt_seconds(b, sizeof(b), a->sma_s);
		snprintf(extra[ne++], sizeof(extra[0]), "smoothed over %s s: %.3f", b,
			 best->pearson_sma.v);
	}
	if (!best->spearman.why)
		snprintf(extra[ne++], sizeof(extra[0]), "Spearman %.3f", best->spearman.v);
	len = add(buf, size, len, "; the indicator that tracks it best is %s, r = %.3f%s",
		  best->name, best->best.v, best->best.v < 0 ? " (it moves against it)" : "");
	if (best->best_lag) {
		vnp_fmt_seconds(b, sizeof(b), fabs(best->best_lag_s));
		len = add(buf, size, len, " with the indicator %s s %s", b,
			  best->best_lag > 0 ? "ahead" : "behind");
	}
	for (int i = 0; i < ne; i++)
		len = add(buf, size, len, "%s%s", i ? ", " : " (", extra[i]);
	add(buf, size, len, "%s.", ne ? ")" : "");
}

/* ---- the command ------------------------------------------------------ */

static void print_analysis(struct vnp_out *o, const struct vnp_analysis *a, size_t shown)
{
	const struct vnp_run_info *ri = vnp_run_info(a->run);
	char para[2048], b1[32], b2[32], b3[32];
	struct scale sc;
	double big = 0;

	for (size_t j = 0; j < a->nseg; j++)
		if (!a->seg[j].target_mean.why)
			big = fmax(big, fabs(a->seg[j].target_mean.v));
	pick_scale(a, big, &sc);

	vnp_out_open_object(o, NULL);
	vnp_out_str(o, "run", "run %s", ri->name);
	vnp_out_int(o, "run_id", " (id %lld)", (long long)ri->id);
	vnp_out_str(o, "target", ": target %s", a->target_name);
	vnp_out_str(o, "target_unit", " in %s\n", a->target_unit);
	vnp_out_str(o, "target_choice", NULL, a->target_default ? "default" : "option");
	vnp_out_int(o, "target_candidates", NULL, (long long)a->target_candidates);
	if (a->target_default && a->target_candidates > 1)
		vnp_out_text(o,
			     "  (of the %zu series with role target, the one with the largest "
			     "total; --target chooses another)\n",
			     a->target_candidates);
	vnp_fmt_seconds(b1, sizeof(b1), a->bin_s);
	vnp_fmt_seconds(b2, sizeof(b2), ri->bin_s);
	vnp_out_int(o, "n_bins", "  %lld bins", (long long)a->n_bins);
	vnp_out_double(o, "bin_s", NULL, a->bin_s);
	vnp_out_text(o, " of %s s (stored: %s s, %ld per bin)", b1, b2, a->factor);
	vnp_out_double(o, "sma_s", NULL, a->sma_s);
	vnp_fmt_seconds(b3, sizeof(b3), a->sma_s);
	if (a->sma_bins)
		vnp_out_text(o, "; moving average %s s (trailing)", b3);
	else
		vnp_out_text(o, "; no moving average");
	vnp_out_double(o, "max_lag_s", NULL, a->max_lag_s);
	vnp_out_bool(o, "max_lag_limited", NULL, a->lag_limited);
	vnp_fmt_seconds(b3, sizeof(b3), a->max_lag_s);
	vnp_out_text(o, "; lags up to +-%s s%s\n", b3,
		     a->lag_limited ? " (a quarter of the run at most)" : "");
	vnp_out_open_object(o, "bins_excluded");
	vnp_out_int(o, "partial", "  left out: %lld partial", (long long)a->excluded_partial);
	vnp_out_int(o, "late", " and %lld late stored bins\n", (long long)a->excluded_late);
	vnp_out_close_object(o);

	vnp_out_int(o, "indicators_total",
		    "\nIndicators against the target, by |r| at the best lag "
		    "(%lld in all",
		    (long long)a->nind);
	if (a->n_excluded)
		vnp_out_int(o, "indicators_excluded", ", %lld more left out by --exclude",
			    (long long)a->n_excluded);
	vnp_out_text(o, ", %zu shown):\n", shown);
	vnp_out_text(o, "%4s %7s %7s %7s %7s %8s %-18s %6s  %s\n", "RANK", "R_BEST", "LAG_S",
		     "R_LAG0", "R_SMA", "SPEARMAN", " CI95 (R_LAG0)", "N", "SERIES");
	vnp_out_open_array(o, "indicators");
	for (size_t i = 0; i < shown; i++)
		print_indicator(o, a, i);
	vnp_out_close_array(o);
	if (!a->nind)
		vnp_out_text(o, "  (none: the run has no series with role indicator)\n");

	print_segments(o, a, shown, &sc);
	summary(a, &sc, para, sizeof(para));
	vnp_out_str(o, "summary", "\n%s\n", para);
	vnp_out_close_object(o);
}

int cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "target", required_argument, NULL, 't' },
		{ "bin", required_argument, NULL, 'b' },
		{ "sma", required_argument, NULL, 's' },
		{ "max-lag", required_argument, NULL, 'l' },
		{ "penalty", required_argument, NULL, 'p' },
		{ "min-segment", required_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 'n' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":r:t:b:s:l:p:m:n:x:jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	const char *db = DEFAULT_DB, *sel = NULL;
	struct vnp_analysis_opts ao;
	struct vnp_analysis *a = NULL;
	struct vnp_store *st = NULL;
	struct vnp_run *run = NULL;
	const char **excl;
	long top = -1;
	char *end;
	int c, err, ret = EXIT_OK;

	vnp_analysis_opts_init(&ao);
	excl = calloc(argc, sizeof(*excl)); /* room for every argument */
	if (!excl) {
		vnp_out_free(o);
		return EXIT_FAIL;
	}
	ao.exclude = excl;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			sel = optarg;
			break;
		case 't':
			ao.target = optarg;
			break;
		case 'b':
			if (vnp_parse_duration(optarg, &ao.bin_s)) {
				ret = usage_error(o, "analyze",
						  "--bin '%s' is not a duration (e.g. 0.5s)",
						  optarg);
				goto out;
			}
			break;
		case 's':
			if (parse_dur0(optarg, &ao.sma_s)) {
				ret = usage_error(o, "analyze",
						  "--sma '%s' is not a duration (e.g. 10s, "
						  "or 0 for none)",
						  optarg);
				goto out;
			}
			break;
		case 'l':
			if (parse_dur0(optarg, &ao.max_lag_s)) {
				ret = usage_error(o, "analyze",
						  "--max-lag '%s' is not a duration (e.g. "
						  "10s, or 0 for none)",
						  optarg);
				goto out;
			}
			break;
		case 'p':
			errno = 0;
			ao.penalty = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(ao.penalty > 0) ||
			    !isfinite(ao.penalty)) {
				ret = usage_error(o, "analyze",
						  "--penalty '%s' is not a positive number",
						  optarg);
				goto out;
			}
			break;
		case 'm':
			if (vnp_parse_duration(optarg, &ao.min_segment_s)) {
				ret = usage_error(o, "analyze",
						  "--min-segment '%s' is not a duration", optarg);
				goto out;
			}
			break;
		case 'n':
			errno = 0;
			top = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || top < 0) {
				ret = usage_error(o, "analyze",
						  "--top '%s' is not a count (0: all)", optarg);
				goto out;
			}
			break;
		case 'x':
			excl[ao.nexclude++] = optarg;
			break;
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			free(excl);
			return print_help(help);
		default: /* ':' or an unknown option */
			ret = option_error(o, "analyze", c, argv);
			goto out;
		}
	}
	ret = take_db(o, "analyze", argc, argv, &db);
	if (ret)
		goto out;
	st = vnp_store_open(db, VNP_STORE_RDONLY);
	run = st ? vnp_store_load(st, sel) : NULL;
	if (!run) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
		goto out;
	}
	err = vnp_analyze(run, &ao, &a);
	if (err == -EDOM) {
		ret = usage_error(o, "analyze", "%s", lib_err(err));
		goto out;
	}
	if (err) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
		goto out;
	}
	if (top < 0)
		top = vnp_out_is_json(o) ? 0 : 20;
	print_analysis(o, a, top == 0 || (size_t)top > a->nind ? a->nind : (size_t)top);
out:
	vnp_analysis_free(a);
	vnp_run_free(run);
	vnp_store_close(st);
	vnp_out_free(o);
	free(excl);
	return ret;
}
