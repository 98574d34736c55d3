/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Importers, private: the line reader, the bin accumulator shared by every
 * format, and one entry point per format. See docs/import.md.
 */
#ifndef VNP_IMPORT_LOCAL_H
#define VNP_IMPORT_LOCAL_H

#include "vnetprof-local.h"

#include <stdint.h>
#include <zlib.h>

/* ---- line reader: plain or gzip, file, stdin or memory ------------------ */

#define LR_BUF_SIZE (1u << 20)	  /* decompressed window */
#define LR_MAX_LINE (64u << 10)	  /* longer lines are skipped with a warning */
#define LR_PEEK_SIZE (64u << 10)  /* what format detection looks at */

struct lreader {
	const char *name; /* for messages */
	int fd;
	bool own_fd;
	const unsigned char *mem; /* memory source (fuzzers, tests) */
	size_t memlen, mempos;
	bool gz, zs_live, zs_end, raw_eof, truncated;
	z_stream zs;
	unsigned char *in; /* raw input for inflate */
	size_t inlen, inpos;
	size_t insize;
	char *buf; /* window of decoded text: [start, end) not yet consumed */
	size_t cap, start, end;
	bool eof;	  /* no more decoded bytes will come */
	long lineno;	  /* of the line last returned */
	bool too_long;	  /* the line last returned was cut: it was longer than LR_MAX_LINE */
	uint64_t raw_bytes; /* bytes read from the source (compressed size for gzip) */
};

int lr_open(struct lreader *lr, const char *path);
int lr_open_mem(struct lreader *lr, const char *name, const void *data, size_t len);
void lr_close(struct lreader *lr);
/*
 * lr_next() - the next line, without its newline, NUL-terminated in place
 * Return: 1 and the line, 0 at the end, or a negative errno (vnp_errmsg set).
 * A line longer than LR_MAX_LINE is returned cut to its start with
 * lr->too_long set.
 */
int lr_next(struct lreader *lr, char **line, size_t *len);
/* the whole decoded text (at most @max bytes), NUL-terminated; the caller frees it */
int lr_read_all(struct lreader *lr, char **out, size_t *len, size_t max);
/* the first bytes of the decoded text, without consuming them */
int lr_peek(struct lreader *lr, const char **data, size_t *len);

/* ---- the accumulator ----------------------------------------------------- */

/* one series being built; values indexed by absolute bin - acc->base */
struct aseries {
	char *name;
	char *key; /* hash key: compact form of name + labels */
	size_t keylen;
	uint64_t hash;
	enum vnp_kind kind;
	const char *unit;
	enum vnp_role role;
	const char *backend;
	int total; /* share series: index of the series holding the per-bin total, else -1 */
	bool hidden; /* a total used for shares, stored only if asked */
	double *v;   /* acc->cap values */
};

#define IMP_MAX_WARN_KEPT 20
#define IMP_MAX_BY 6

struct vnp_importer {
	struct vnp_import_opts opts;
	const char *by[IMP_MAX_BY];
	size_t nby;
	int64_t bin_ns, offset_ns, anchor_ns;
	/* bins: absolute index = floor((t + offset - anchor) / bin) */
	int64_t base, nbins, cap; /* values of bin base + i are at v[i], i < nbins */
	bool have_base;
	unsigned *flags;
	int64_t last_ns; /* end of the data, for a partial last bin */
	bool have_last, last_partial;
	struct aseries *series;
	size_t nseries, series_cap;
	size_t *htab; /* open addressing: series index + 1, 0 empty */
	size_t hcap;
	/* lookup cache: the series of the last keys (lines alternate between a few) */
	int cache[8];
	unsigned cnext;
	/* what the files said */
	char *clock;	   /* "trace", "iperf3-relative", ... */
	double start_wall; /* Unix time of t = 0 in the file's clock, NaN if unknown */
	int ncpus;
	bool clock_fixed;  /* --into: the run's clock, set by the caller */
	uint64_t events, lines, bytes;
	char *files; /* the files read, for messages: "a.txt, b.json" */
	/* warnings */
	char *warn[IMP_MAX_WARN_KEPT];
	size_t nwarn_kept;
	uint64_t nwarn;
};

/* diagnostics */
void imp_warn(struct vnp_importer *im, const char *fmt, ...) __printf(2, 3);

/* A series key is built with key_*() then looked up (created on a miss). */
struct skey {
	char *buf;
	size_t len, cap;
	int nlabels;
	struct vnp_label labels[VNP_MAX_LABELS];
	const char *metric;
	size_t voff[VNP_MAX_LABELS], vlen[VNP_MAX_LABELS]; /* label values inside buf */
	size_t koff[VNP_MAX_LABELS];
	bool overflow;
};

void key_reset(struct skey *k, const char *metric);
void key_add(struct skey *k, const char *label, const char *v, size_t vlen);
void key_free(struct skey *k);

struct series_def {
	enum vnp_kind kind;
	const char *unit;
	enum vnp_role role;
	const char *backend;
	int total; /* -1 */
	bool hidden;
};

/* Return: series index, or a negative errno (vnp_errmsg set) */
int imp_series(struct vnp_importer *im, struct skey *k, const struct series_def *def);
/* add @v to series @s at time @t_ns (the file's clock); grows the bins */
int imp_add(struct vnp_importer *im, int s, int64_t t_ns, double v);
/* spread @v over [@t0_ns, @t1_ns) by overlap with the bins */
int imp_add_interval(struct vnp_importer *im, int s, int64_t t0_ns, int64_t t1_ns, double v);
/* flag the bins that hold times in [@t0_ns, @t1_ns] */
int imp_flag_range(struct vnp_importer *im, int64_t t0_ns, int64_t t1_ns, unsigned flags);
/* the data ends at @t_ns (exclusive); @partial: the last bin is shorter than a bin */
void imp_note_end(struct vnp_importer *im, int64_t t_ns, bool partial);
/* the file's clock: fails if it differs from what earlier files used */
int imp_set_clock(struct vnp_importer *im, const char *file, const char *clock);

/* ---- text helpers ---------------------------------------------------------- */

/* "123.456789" → ns; digits beyond 9 decimals are cut. Return: chars used or 0. */
size_t parse_ts(const char *s, size_t n, int64_t *ns);
/* like parse_ts() but for a JSON double */
int64_t secs_to_ns(double s);
/* value of "key=value" in an ftrace or perf payload */
bool payload_field(const char *p, size_t n, const char *key, const char **v, size_t *vlen);
/* "net_dev_xmit" → "net"; NULL if unknown */
const char *event_system(const char *name, size_t len);

/* ---- formats ---------------------------------------------------------------- */

int imp_ftrace_text(struct vnp_importer *im, struct lreader *lr, bool graph);
int imp_perf_script(struct vnp_importer *im, struct lreader *lr);
int imp_perf_stat(struct vnp_importer *im, struct lreader *lr);
int imp_iperf3(struct vnp_importer *im, struct lreader *lr);
int imp_trace_dat(struct vnp_importer *im, const char *path);

/* format sniffers: how many of the lines in @data look like the format */
int sniff_ftrace(const char *data, size_t len, bool *graph, bool *graph_abstime);
int sniff_perf_script(const char *data, size_t len);
int sniff_perf_stat(const char *data, size_t len);

#endif
