/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vnetprof: diagnose software virtual networks by profiling the host kernel.
 *
 * The one public header of libvnetprof. Conventions (see docs/STYLE.md):
 *  - functions are vnp_<object>_<verb>; objects are opaque;
 *  - errors are negative errno values (or NULL with errno set); a readable
 *    reason for the last failure of this thread is in vnp_errmsg();
 *  - the library never prints to stdout and never exits; diagnostics go to
 *    the print callback set with vnp_set_print();
 *  - everything that changes kernel state has its own undo verb, and the
 *    free/close verbs accept NULL.
 */
#ifndef VNETPROF_H
#define VNETPROF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- diagnostics ------------------------------------------------------ */

enum vnp_print_level {
	VNP_WARN,
	VNP_INFO,
	VNP_DEBUG,
};

typedef int (*vnp_print_fn_t)(enum vnp_print_level level, const char *fmt, va_list ap);

/**
 * vnp_set_print() - route the library's diagnostics
 * @fn: callback, or NULL to silence the library
 *
 * Return: the previous callback. The default prints warnings to stderr.
 */
vnp_print_fn_t vnp_set_print(vnp_print_fn_t fn);

/**
 * vnp_errmsg() - why the last failing call of this thread failed
 *
 * Return: a one-line message that says what is wrong and, where the library
 * knows, what to do; "" when no failure was recorded.
 */
const char *vnp_errmsg(void);

/* ---- small parsers ---------------------------------------------------- */

/**
 * vnp_parse_duration() - parse "100ms", "1.5s", "2m", "250us", "1h" or a
 * bare number of seconds
 * @s: the text
 * @out: seconds
 *
 * Return: 0, or -EINVAL for anything that is not a finite positive duration.
 */
int vnp_parse_duration(const char *s, double *out);

/* ---- series names ----------------------------------------------------- */

#define VNP_MAX_LABELS 8

struct vnp_label {
	const char *key;
	const char *value;
};

/**
 * vnp_series_name() - build a Prometheus-style series name
 * @buf: output
 * @size: size of @buf
 * @metric: metric name, e.g. "tracepoint_hits"
 * @labels: label pairs, in the order to print them
 * @nlabels: number of pairs
 *
 * Label values are escaped as in the Prometheus text format (\\, \", \n).
 * Return: length written, or -ENAMETOOLONG / -EINVAL.
 */
int vnp_series_name(char *buf, size_t size, const char *metric, const struct vnp_label *labels,
		    size_t nlabels);

/**
 * vnp_series_label() - read one label's value out of a series name
 * @name: full series name
 * @key: label key
 * @buf: unescaped value
 * @size: size of @buf
 *
 * Return: length of the value, -ENOENT if the label is absent, -EINVAL if
 * @name is malformed.
 */
int vnp_series_label(const char *name, const char *key, char *buf, size_t size);

/**
 * vnp_series_check() - validate a full series name
 * Return: 0 if @name is metric{k="v",...} or a bare metric; -EINVAL otherwise.
 */
int vnp_series_check(const char *name);

/* ---- runs and series (the in-memory model) ---------------------------- */

enum vnp_kind {
	VNP_COUNTER, /* events (or bytes, seconds) per bin */
	VNP_GAUGE,   /* a level sampled each bin */
	VNP_SHARE,   /* a fraction of CPU samples in the bin */
};

enum vnp_role {
	VNP_INDICATOR,
	VNP_TARGET,
	VNP_CONTEXT,
};

/* Bin flags: why a bin's values may not be what they seem. */
#define VNP_BIN_INCOMPLETE 0x1u /* a CPU went away or came back: counts may miss events */
#define VNP_BIN_LATE 0x2u	/* read late: this bin also holds earlier intervals */
#define VNP_BIN_PARTIAL 0x4u	/* shorter than the bin width (the run stopped inside it) */

struct vnp_series_info {
	char *name;    /* full name with labels */
	enum vnp_kind kind;
	char *unit;    /* "events", "bytes", "packets", "seconds", ... */
	enum vnp_role role;
	char *backend; /* "perf", "procfs", "import:csv", ... */
};

enum vnp_run_status {
	VNP_RUN_RECORDING,
	VNP_RUN_COMPLETE,
	VNP_RUN_INTERRUPTED,
};

struct vnp_run_info {
	int64_t id; /* assigned by the store; 0 before */
	char *name;
	char *host;
	char *kernel;
	int ncpus;
	double start_wall; /* Unix time of the origin */
	double origin;	   /* the origin in the source clock (seconds) */
	double bin_s;
	enum vnp_run_status status;
	char *cmdline;
	char *origin_clock; /* "CLOCK_MONOTONIC", "trace", "relative", ... */
	size_t nlabels;
	struct vnp_label *labels; /* owned strings */
	int64_t nbins;		  /* filled in by the store when listing */
	int64_t nseries;	  /* likewise */
};

void vnp_run_info_clear(struct vnp_run_info *info);
int vnp_run_info_add_label(struct vnp_run_info *info, const char *key, const char *value);
const char *vnp_run_status_str(enum vnp_run_status s);
const char *vnp_kind_str(enum vnp_kind k);
const char *vnp_role_str(enum vnp_role r);
int vnp_kind_parse(const char *s, enum vnp_kind *k);
int vnp_role_parse(const char *s, enum vnp_role *r);

/**
 * vnp_series_guess() - kind, unit and role of a series from its metric name
 * @name: full series name
 * @info: filled in (strings are static, do not free)
 *
 * Used where a file carries only names (CSV import).
 */
void vnp_series_guess(const char *name, enum vnp_kind *kind, const char **unit,
		      enum vnp_role *role);

/* A run held in memory: metadata, bins, and one value per series per bin. */
struct vnp_run;

struct vnp_run *vnp_run_new(const struct vnp_run_info *info);
void vnp_run_free(struct vnp_run *run);
const struct vnp_run_info *vnp_run_info(const struct vnp_run *run);
struct vnp_run_info *vnp_run_info_mut(struct vnp_run *run);
/**
 * vnp_run_add_series() - add a series (or find it by name)
 * Return: its index, or a negative errno.
 */
int vnp_run_add_series(struct vnp_run *run, const struct vnp_series_info *si);
int vnp_run_find_series(const struct vnp_run *run, const char *name);
size_t vnp_run_nseries(const struct vnp_run *run);
const struct vnp_series_info *vnp_run_series(const struct vnp_run *run, size_t i);
/** number of bins (highest bin index + 1) */
int64_t vnp_run_nbins(const struct vnp_run *run);
/**
 * vnp_run_set() - set series @s at bin @k (bins grow as needed)
 */
int vnp_run_set(struct vnp_run *run, size_t s, int64_t k, double v);
/** add @v to series @s at bin @k (a missing value counts as 0) */
int vnp_run_add(struct vnp_run *run, size_t s, int64_t k, double v);
/** the value, or NaN where there is none */
double vnp_run_get(const struct vnp_run *run, size_t s, int64_t k);
/** the values of series @s, nbins long, NaN where missing */
const double *vnp_run_values(const struct vnp_run *run, size_t s);
/**
 * vnp_run_set_bin() - bin metadata: end time (seconds from the origin) and flags
 */
int vnp_run_set_bin(struct vnp_run *run, int64_t k, double t_end, unsigned flags);
/** whether bin @k exists (was set) */
bool vnp_run_bin_present(const struct vnp_run *run, int64_t k);
double vnp_run_bin_end(const struct vnp_run *run, int64_t k);
unsigned vnp_run_bin_flags(const struct vnp_run *run, int64_t k);

/* ---- store ------------------------------------------------------------ */

struct vnp_store;

#define VNP_STORE_CREATE 0x1 /* create the file if it does not exist */
#define VNP_STORE_RDONLY 0x2

/**
 * vnp_store_open() - open (or create) a run store
 * @path: an SQLite file
 * @flags: VNP_STORE_*
 *
 * Runs left in "recording" by a process that no longer exists are read
 * back as interrupted.
 * Return: the store, or NULL with errno set and vnp_errmsg() explaining.
 */
struct vnp_store *vnp_store_open(const char *path, int flags);
void vnp_store_close(struct vnp_store *st);

/**
 * vnp_store_runs() - list the runs, oldest first
 * Return: 0 and an array the caller frees with vnp_run_infos_free().
 */
int vnp_store_runs(struct vnp_store *st, struct vnp_run_info **out, size_t *n);
void vnp_run_infos_free(struct vnp_run_info *v, size_t n);

/**
 * vnp_store_find() - select a run by name or id; NULL or "" selects the
 * latest run
 * Return: 0, -ENOENT (vnp_errmsg() names what exists), or a negative errno.
 */
int vnp_store_find(struct vnp_store *st, const char *sel, struct vnp_run_info *out);

/** vnp_store_load() - read a whole run into memory; NULL with errno on failure */
struct vnp_run *vnp_store_load(struct vnp_store *st, const char *sel);

/**
 * vnp_store_save() - write a whole in-memory run in one transaction
 * Return: 0 (the run's id is set in its info), -EEXIST if the name is taken.
 */
int vnp_store_save(struct vnp_store *st, struct vnp_run *run);

/* Streaming writer, for live recording: bins are flushed as they come. */
struct vnp_writer;

/**
 * vnp_writer_begin() - create a run with status "recording"
 * @info: its metadata (status is ignored)
 */
struct vnp_writer *vnp_writer_begin(struct vnp_store *st, const struct vnp_run_info *info);
/** Return: the series' index in this writer, or a negative errno */
int vnp_writer_add_series(struct vnp_writer *w, const struct vnp_series_info *si);
/**
 * vnp_writer_add_series_fill() - add a series while bins are being written
 * @fill: its value in every bin already written (NaN: none)
 *
 * Flushes the queued bins first. Return: the series' index, or a negative errno.
 */
int vnp_writer_add_series_fill(struct vnp_writer *w, const struct vnp_series_info *si,
			       double fill);
/**
 * vnp_writer_put_bin() - queue one bin: one value per series (NaN: none)
 */
int vnp_writer_put_bin(struct vnp_writer *w, int64_t k, double t_end, unsigned flags,
		       const double *values, size_t nvalues);
/** write the queued bins in one transaction */
int vnp_writer_flush(struct vnp_writer *w);
/** flush, set the final status and free the writer (accepts NULL) */
int vnp_writer_end(struct vnp_writer *w, enum vnp_run_status status);
int64_t vnp_writer_run_id(const struct vnp_writer *w);
/**
 * vnp_writer_set_origin() - the run's origin, once known: @origin in the
 * run's origin_clock (seconds) and @start_wall, the Unix time of that instant
 */
int vnp_writer_set_origin(struct vnp_writer *w, double origin, double start_wall);

/* ---- CSV (long form) -------------------------------------------------- */

/**
 * vnp_csv_write_run() - write run,series,t_start,t_end,value rows
 * @fp: output
 * @run: the run
 * @header: print the header line first
 */
int vnp_csv_write_run(void *fp, const struct vnp_run *run, bool header);

/**
 * vnp_csv_read() - read the long CSV form into runs
 * @path: file ("-" for stdin)
 * @runs: array of runs, one per distinct run name, in order of appearance
 * @nruns: count
 *
 * Return: 0, or -EINVAL with vnp_errmsg() naming the line and the fault.
 */
int vnp_csv_read(const char *path, struct vnp_run ***runs, size_t *nruns);

/* ---- number and time formatting shared by every writer ---------------- */

/** shortest text that reads back to the same double ("nan" never appears) */
int vnp_fmt_double(char *buf, size_t size, double v);
/** seconds with up to 9 decimals, trailing zeros removed */
int vnp_fmt_seconds(char *buf, size_t size, double s);

/* ==== analysis (issue 3) ===============================================
 * Re-binning, smoothing, correlation (Pearson, Spearman, lagged), the
 * ranking of indicators against a target, change points, per-run summaries.
 * Method and JSON contract: docs/analysis.md. Everything below is
 * implemented in src/analyze/.
 */

/* Why a statistic has no value. A result that has none is not an error. */
enum vnp_undef {
	VNP_DEFINED = 0,
	VNP_UNDEF_EMPTY,     /* a series has no values at all */
	VNP_UNDEF_SHORT,     /* fewer values (or pairs) than the statistic needs */
	VNP_UNDEF_CONSTANT,  /* a series does not vary over the values used */
	VNP_UNDEF_INFINITE,  /* a series holds an infinite value */
	VNP_UNDEF_ZERO_MEAN, /* a ratio to a mean of zero */
	VNP_UNDEF_OFF,	     /* not computed: turned off by an option */
};

/* Which series a reason is about (struct vnp_stat.which). */
#define VNP_STAT_X 0	 /* the first series */
#define VNP_STAT_Y 1	 /* the second series */
#define VNP_STAT_PAIRS 2 /* both: the values they have in common */

/* A statistic, or the reason it has none. */
struct vnp_stat {
	double v;	    /* the value; NaN exactly when @why != VNP_DEFINED */
	int64_t n;	    /* values (pairs) it was computed from */
	enum vnp_undef why; /* VNP_DEFINED, or the reason */
	int which;	    /* VNP_STAT_X/Y/PAIRS: the series @why is about */
	double arg;	    /* CONSTANT: the constant; SHORT: the number needed */
};

/**
 * vnp_stat_explain() - say why a statistic is undefined, in one line
 * @buf: output, e.g. "undefined, because the target is constant (5 in every bin used)"
 * @size: size of @buf
 * @st: the statistic
 * @x: how to name the first series ("the indicator")
 * @y: how to name the second series ("the target"); may be NULL for one-series statistics
 *
 * Return: the length written; an empty string if @st is defined.
 */
int vnp_stat_explain(char *buf, size_t size, const struct vnp_stat *st, const char *x,
		     const char *y);

/**
 * vnp_stat_sma() - trailing simple moving average
 * @x: input, NaN where a value is missing
 * @n: its length
 * @w: window in samples (>= 1)
 * @out: @n values: out[i] is the mean of x[i-w+1..i]; NaN for i < w-1 and
 *       for every window that holds a missing or infinite value
 *
 * The window sum is kept with compensated (Neumaier) summation relative to
 * the first value, so large offsets lose no precision.
 * Return: 0, or -EINVAL if @w is 0.
 */
int vnp_stat_sma(const double *x, size_t n, size_t w, double *out);

/**
 * vnp_stat_pearson() - Pearson's r over the bins where both series have a value
 * @x: first series, NaN where missing
 * @nx: its length
 * @y: second series
 * @ny: its length (must equal @nx)
 * @r: the result, or why there is none (fewer than 3 pairs, a constant
 *     series, an empty series, an infinite value)
 *
 * Two passes with compensated sums over deviations from the means, so values
 * near 1e9 that vary by little keep their precision.
 * Return: 0 (look at @r->why), or -EINVAL if the lengths differ.
 */
int vnp_stat_pearson(const double *x, size_t nx, const double *y, size_t ny,
		     struct vnp_stat *r);

/**
 * vnp_stat_spearman() - Spearman's rank correlation (average ranks for ties)
 *
 * Pearson's r of the ranks of the pairs where both series have a value.
 * Arguments and return as vnp_stat_pearson().
 */
int vnp_stat_spearman(const double *x, size_t nx, const double *y, size_t ny,
		      struct vnp_stat *r);

/**
 * vnp_stat_pearson_lag() - Pearson's r of x[t] against y[t + @lag]
 * @lag: in samples; > 0 pairs x with later y (x leads), < 0 with earlier y
 *
 * Only the overlapping part is used, with its own means. Other arguments and
 * return as vnp_stat_pearson().
 */
int vnp_stat_pearson_lag(const double *x, size_t nx, const double *y, size_t ny, long lag,
			 struct vnp_stat *r);

/**
 * vnp_stat_best_lag() - the lag in [-@max_lag, @max_lag] where |r| is largest
 * @r: r at that lag (as vnp_stat_pearson_lag() computes it)
 * @lag: the lag; among equal |r| the one nearest 0, then the negative one
 *
 * Lags that leave fewer than 3 pairs are not tried.
 * Return: 0, or -EINVAL if the lengths differ or @max_lag < 0.
 */
int vnp_stat_best_lag(const double *x, size_t nx, const double *y, size_t ny, long max_lag,
		      struct vnp_stat *r, long *lag);

/**
 * vnp_stat_ci95() - 95 % interval of a Pearson r by Fisher's z
 * @r: the coefficient and its n
 * @lo: tanh(atanh(r) - 1.959963984540054 / sqrt(n - 3))
 * @hi: tanh(atanh(r) + 1.959963984540054 / sqrt(n - 3))
 *
 * Assumes independent pairs; with autocorrelated series (any time series,
 * and every smoothed one) the true interval is wider (docs/analysis.md).
 * Undefined when @r is, or when n < 4. |r| = 1 gives [r, r].
 * Return: 0.
 */
int vnp_stat_ci95(const struct vnp_stat *r, struct vnp_stat *lo, struct vnp_stat *hi);

#define VNP_CDF_POINTS 21 /* quantiles at p = 0, 0.05, ..., 1 */

/* The distribution of one series (missing values skipped). */
struct vnp_dist {
	int64_t n;		     /* values used */
	struct vnp_stat mean;
	struct vnp_stat sd;	     /* sample standard deviation (n - 1) */
	struct vnp_stat cv;	     /* sd / mean */
	struct vnp_stat min, p10, median, p90, max;
	double cdf_v[VNP_CDF_POINTS]; /* value at each p; NaN when n = 0 */
	double cdf_p[VNP_CDF_POINTS];
};

/**
 * vnp_stat_quantile() - the @p-quantile, interpolated linearly between order
 * statistics (Hyndman-Fan type 7, numpy's default)
 * @x: values (NaN skipped), not modified
 * @n: count
 * @p: in [0, 1]
 * @q: the result
 *
 * Return: 0, -EINVAL if @p is outside [0, 1], -ENOMEM.
 */
int vnp_stat_quantile(const double *x, size_t n, double p, struct vnp_stat *q);

/**
 * vnp_stat_dist() - mean, spread, quantiles and CDF points of one series
 * Return: 0 or -ENOMEM.
 */
int vnp_stat_dist(const double *x, size_t n, struct vnp_dist *d);

/**
 * vnp_stat_mean() - mean of the values that are present (compensated sum)
 * Return: 0.
 */
int vnp_stat_mean(const double *x, size_t n, struct vnp_stat *m);

/* Change-point segmentation: PELT on a change in mean (docs/analysis.md). */
struct vnp_seg_opts {
	double penalty;	 /* per change point, in units of sigma^2 ln(n); <= 0: 4 */
	size_t min_len;	 /* shortest segment in samples; 0: 2 */
};

/**
 * vnp_segment() - cut a series where its mean changes
 * @x: the series; missing values are skipped (a cut never falls on one)
 * @n: its length
 * @opts: penalty and minimum length, or NULL for the defaults
 * @cuts: malloc'ed array: the index where each new segment starts, ascending
 * @ncuts: its length (0: one segment)
 * @sigma: if not NULL, the noise level the penalty was scaled by: the
 *         median absolute deviation of first differences times 1.4826 / sqrt(2)
 *
 * Minimises the sum of squared deviations from each segment's mean plus
 * penalty * sigma^2 * ln(n) per cut, exactly (pruned exact linear time, PELT).
 * Return: 0 or -ENOMEM.
 */
int vnp_segment(const double *x, size_t n, const struct vnp_seg_opts *opts, size_t **cuts,
		size_t *ncuts, double *sigma);

/* The defaults of the analysis. */
#define VNP_ANALYSIS_BIN_S 0.5	   /* the paper's bin */
#define VNP_ANALYSIS_SMA_S 10.0	   /* the paper's moving average (fig. 8) */
#define VNP_ANALYSIS_MAX_LAG_S 10.0
#define VNP_ANALYSIS_PENALTY 4.0
#define VNP_ANALYSIS_MIN_SEGMENT_S 5.0

struct vnp_analysis_opts {
	double bin_s;	      /* analysis bin; 0: 0.5 s if it is a multiple of the run's bin,
			       * else the run's bin */
	double sma_s;	      /* moving-average window; 0: no smoothing */
	double max_lag_s;     /* lags tried: +-max_lag_s; 0: lag 0 only */
	const char *target;   /* a series name (or a unique part of one); NULL: the default */
	double penalty;	      /* change-point penalty (see struct vnp_seg_opts) */
	double min_segment_s; /* shortest segment */
	const char *const *exclude; /* indicators whose name matches one of these
				     * fnmatch(3) patterns are left out */
	size_t nexclude;
};

/** vnp_analysis_opts_init() - fill @o with the defaults above */
void vnp_analysis_opts_init(struct vnp_analysis_opts *o);

/* One indicator against the target. */
struct vnp_indicator {
	size_t series;		      /* index in the run */
	const char *name;	      /* the run's string */
	struct vnp_stat pearson;      /* lag 0, raw bins (the paper's equation 1) */
	struct vnp_stat pearson_sma;  /* lag 0, both series smoothed */
	struct vnp_stat spearman;     /* lag 0, raw bins */
	struct vnp_stat best;	      /* r at the best lag (raw bins) */
	long best_lag;		      /* in bins; > 0: the indicator leads the target */
	double best_lag_s;
	struct vnp_stat ci_lo, ci_hi; /* 95 % interval of @pearson */
};

/* A stretch of the run where the target's mean holds. */
struct vnp_segment_info {
	int64_t k0, k1;		 /* analysis bins [k0, k1) */
	double t_start, t_end;	 /* seconds from the run's origin */
	struct vnp_stat target_mean, target_sd;
	struct vnp_stat *mean;	 /* per indicator, in the order of vnp_analysis.ind */
	struct vnp_stat *change; /* (mean - first segment's mean) / |first segment's mean| */
};

struct vnp_analysis {
	const struct vnp_run *run;
	size_t target;		  /* series index */
	const char *target_name;
	const char *target_unit;  /* "bit/s" for a throughput series, else the series' unit */
	bool target_default;	  /* chosen by the default rule, not by name */
	size_t target_candidates; /* series with role target */
	double bin_s, sma_s, max_lag_s;
	long factor;		  /* stored bins per analysis bin */
	long sma_bins, max_lag_bins;
	bool lag_limited;	  /* max_lag was cut to a quarter of the run */
	int64_t n_bins;		  /* analysis bins */
	int64_t excluded_partial; /* stored bins left out: shorter than the bin */
	int64_t excluded_late;	  /* stored bins left out: read late */
	double *target_values;	  /* n_bins values, converted; NaN where missing */
	size_t nind;
	size_t n_excluded;	   /* indicators left out by opts->exclude */
	struct vnp_indicator *ind; /* ranked: |best| descending; undefined ones last */
	double penalty, sigma, min_segment_s;
	size_t nseg;
	struct vnp_segment_info *seg;
};

/**
 * vnp_analysis_bin() - check that @bin_s fits a run's stored bins
 * @run_bin_s: the run's bin width
 * @bin_s: the wanted analysis bin
 * @factor: stored bins per analysis bin
 *
 * Return: 0, or -EDOM with vnp_errmsg() listing the bins that are possible.
 */
int vnp_analysis_bin(double run_bin_s, double bin_s, long *factor);

/**
 * vnp_rebin() - one series on the analysis bin
 * @run: the run
 * @s: series index
 * @factor: stored bins per analysis bin (vnp_analysis_bin())
 * @out: floor(nbins / @factor) values. Counters are summed and need every
 *       stored bin of the group; gauges and shares are averaged over the
 *       stored bins that have a value. Stored bins flagged PARTIAL or LATE
 *       count as missing.
 *
 * Return: the number of values written.
 */
int64_t vnp_rebin(const struct vnp_run *run, size_t s, long factor, double *out);

/**
 * vnp_find_target() - the target series of a run
 * @run: the run
 * @sel: a full series name, or a part of exactly one series' name; NULL or
 *       "": the series with role target whose total (in bits, for bytes and
 *       bits) is largest
 * @idx: its index
 * @ncand: if not NULL, how many series have role target
 *
 * Return: 0, or -ENOENT with vnp_errmsg() naming what exists, or -EINVAL if
 * @sel matches several series.
 */
int vnp_find_target(const struct vnp_run *run, const char *sel, size_t *idx, size_t *ncand);

/**
 * vnp_analyze() - rank a run's indicators against its target and cut the run
 * where the target changes
 * @run: the run
 * @opts: options (vnp_analysis_opts_init()), or NULL for the defaults
 * @out: the result, freed with vnp_analysis_free()
 *
 * Return: 0; -EDOM if a duration does not fit the bins (a usage error: the
 * message says what would); -ENOENT if the target is missing; -ENODATA if
 * the run has no bins; -ENOMEM.
 */
int vnp_analyze(const struct vnp_run *run, const struct vnp_analysis_opts *opts,
		struct vnp_analysis **out);
void vnp_analysis_free(struct vnp_analysis *a);

/* One run summarised for comparison with others (the paper's figs. 5-7). */
struct vnp_run_summary {
	const struct vnp_run *run;
	size_t target;
	const char *target_name;
	const char *target_unit;
	double bin_s;
	int64_t n_bins;
	struct vnp_dist target_dist; /* of the target on the analysis bin */
	size_t nseries;
	size_t *series;		     /* indicators: index in the run */
	struct vnp_stat *mean;	     /* their mean per analysis bin */
	bool *share;		     /* true for a CPU-share series (kind share) */
};

/**
 * vnp_run_summarize() - the target's distribution and the indicators' means
 * @run: the run
 * @opts: bin_s and target are used; NULL for the defaults
 * @out: freed with vnp_run_summary_free()
 *
 * Return: 0, or as vnp_analyze().
 */
int vnp_run_summarize(const struct vnp_run *run, const struct vnp_analysis_opts *opts,
		      struct vnp_run_summary **out);
void vnp_run_summary_free(struct vnp_run_summary *s);

/* ==== end of analysis ================================================== */

/* ==== importers (docs/import.md) ======================================== */

enum vnp_import_format {
	VNP_IMPORT_AUTO,
	VNP_IMPORT_FTRACE,	   /* ftrace text: function tracer and events, any layout */
	VNP_IMPORT_FUNCTION_GRAPH, /* function_graph text with funcgraph-abstime */
	VNP_IMPORT_TRACE_DAT,	   /* trace-cmd's trace.dat, through libtracecmd */
	VNP_IMPORT_PERF_SCRIPT,	   /* perf script: tracepoints and samples */
	VNP_IMPORT_PERF_STAT,	   /* perf stat -x, -I (also -A) */
	VNP_IMPORT_IPERF3,	   /* iperf3 -J, server or client */
	VNP_IMPORT_CSV,		   /* the long form of vnetprof export: whole runs */
};

/** vnp_import_format_parse() - "auto", "ftrace", "function-graph", ... Return: 0 or -EINVAL */
int vnp_import_format_parse(const char *s, enum vnp_import_format *f);
const char *vnp_import_format_str(enum vnp_import_format f);

/**
 * vnp_import_detect() - recognise a file's format from its content
 * @path: file ("-": standard input is not looked at, -EINVAL); gzip is opened
 * @f: the format
 *
 * Return: 0, or -EPROTONOSUPPORT with vnp_errmsg() naming the file and the
 * formats tried, or the errno of opening or reading it.
 */
int vnp_import_detect(const char *path, enum vnp_import_format *f);
/** vnp_import_detect_mem() - as vnp_import_detect(), on bytes in memory */
int vnp_import_detect_mem(const void *data, size_t len, enum vnp_import_format *f);

#define VNP_IMPORT_BIN_S 0.1

struct vnp_import_opts {
	double bin_s;		 /* bin width; <= 0: VNP_IMPORT_BIN_S */
	double offset_s;	 /* added to every timestamp of every file */
	const char *const *by;	 /* split series by: task, comm, pid, cpu, parent, module,
				  * or an event field (dev, ...) */
	size_t nby;
	bool into;		 /* bins on an existing run's grid: */
	double into_origin;	 /* its origin, in its clock (seconds) */
	const char *into_clock;	 /* its origin_clock */
};

/* Reads one or more files into the series of one run. */
struct vnp_importer;

/**
 * vnp_importer_new() - start an import
 * @opts: options (copied), or NULL for the defaults
 *
 * Return: the importer, or NULL with errno set (EINVAL: vnp_errmsg() says why).
 */
struct vnp_importer *vnp_importer_new(const struct vnp_import_opts *opts);
void vnp_importer_free(struct vnp_importer *im);

/**
 * vnp_importer_add_file() - read one file into the importer's bins
 * @im: importer
 * @path: file, plain or gzip ("-": standard input)
 * @fmt: its format; VNP_IMPORT_AUTO detects it. A vnetprof CSV file holds
 *       whole runs: they are kept as they are (vnp_importer_take_runs()), and
 *       such files and traces do not go into one importer (-EINVAL).
 *
 * Streams the file: memory grows with series x bins, not with its length.
 * Lines that cannot be read are counted as warnings (file:line), see
 * vnp_importer_warning(). A file whose clock differs from the files before
 * (or, with opts.into, from the run's) without an offset is refused.
 * Return: 0, or a negative errno with vnp_errmsg() naming file:line.
 * After an error the importer holds a partial file: free it.
 */
int vnp_importer_add_file(struct vnp_importer *im, const char *path,
			  enum vnp_import_format fmt);
/** vnp_importer_add_mem() - as vnp_importer_add_file(), from memory (@name for messages) */
int vnp_importer_add_mem(struct vnp_importer *im, const char *name, const void *data,
			 size_t len, enum vnp_import_format fmt);

/** the clock of the files read so far ("trace", "iperf3-relative", ...), NULL before */
const char *vnp_importer_clock(const struct vnp_importer *im);

/**
 * vnp_importer_warning() - the @i-th warning kept (file:line: what)
 * Return: the message, or NULL past the last one kept. At most 20 are kept;
 * vnp_importer_nwarnings() counts them all.
 */
const char *vnp_importer_warning(const struct vnp_importer *im, size_t i);
uint64_t vnp_importer_nwarnings(const struct vnp_importer *im);
/** events (and intervals, samples) counted so far */
uint64_t vnp_importer_nevents(const struct vnp_importer *im);

/**
 * vnp_importer_take_runs() - the whole runs that vnetprof CSV files held
 * @im: importer
 * @runs: the runs, in the order of the files and of their rows; the caller
 *        frees each with vnp_run_free() and the array with free()
 *
 * Return: their number (0 and NULL when no such file was read).
 */
size_t vnp_importer_take_runs(struct vnp_importer *im, struct vnp_run ***runs);

/**
 * vnp_importer_finish() - the run built from the files read
 * @im: importer (still to be freed)
 * @info: name, labels, cmdline... of the run; origin, origin_clock, bin_s,
 *        start_wall (when a file gives it) and ncpus are filled in
 * @out: the run: bins [origin + k·bin, origin + (k+1)·bin), every one present
 *
 * Return: 0, or -ENODATA (vnp_errmsg(): nothing was counted), -ENOMEM.
 */
int vnp_importer_finish(struct vnp_importer *im, const struct vnp_run_info *info,
			struct vnp_run **out);

/**
 * vnp_store_merge_run() - add the series of an in-memory run to a stored run
 * @st: store
 * @sel: the stored run (name or id)
 * @add: series and bins: same bin width as the stored run, its origin on
 *       the stored run's grid (a whole number of bins away). When it starts
 *       earlier, the stored run's bins are renumbered and its origin (and
 *       start_wall) move back; bins that @add brings are created, present
 *       ones keep their end and gain @add's flags.
 *
 * One transaction: on any error the stored run is as it was.
 * Return: 0; -ENOENT (no such run); -EEXIST (a series of @add is already in
 * the run); -EINVAL (bin width or grid differ); -EBUSY (the run is still
 * being recorded); or a store error.
 */
int vnp_store_merge_run(struct vnp_store *st, const char *sel, const struct vnp_run *add);

/* ==== end of importers ================================================== */

#ifdef __cplusplus
}
#endif
#endif /* VNETPROF_H */
