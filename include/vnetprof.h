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
 * vnp_writer_put_bin() - queue one bin: one value per series (NaN: none)
 */
int vnp_writer_put_bin(struct vnp_writer *w, int64_t k, double t_end, unsigned flags,
		       const double *values, size_t nvalues);
/** write the queued bins in one transaction */
int vnp_writer_flush(struct vnp_writer *w);
/** flush, set the final status and free the writer (accepts NULL) */
int vnp_writer_end(struct vnp_writer *w, enum vnp_run_status status);
int64_t vnp_writer_run_id(const struct vnp_writer *w);

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

#ifdef __cplusplus
}
#endif
#endif /* VNETPROF_H */
