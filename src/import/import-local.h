/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Importers, private. The files and who calls whom (no circle):
 *
 *   import.c   the table of formats, detection, one file by its format
 *                -> the formats (through the table), accum.c, reader.c
 *   <format>.c one format: its sniffer and its parser
 *                -> accum.c, text.c, reader.c (event_systems.c)
 *   accum.c    the bin accumulator, warnings, the run at the end -> none
 *   text.c     text helpers of the formats -> none
 *   reader.c   the line reader -> none
 *
 * See docs/import.md ("Adding a format").
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

/* ---- the accumulator (accum.c) ------------------------------------------- */

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
	/* whole runs that a file held (vnetprof CSV), not binned */
	struct vnp_run **runs;
	size_t nruns;
	/* warnings */
	char *warn[IMP_MAX_WARN_KEPT];
	size_t nwarn_kept;
	uint64_t nwarn;
};

/* diagnostics */
void imp_warn(struct vnp_importer *im, const char *fmt, ...) __printf(2, 3);

/* the lines of one file that its format could not read */
struct imp_bad {
	uint64_t n;
	long first_line;     /* for the error when no line could be read */
	char first_text[48]; /* the start of that line, control bytes as '?' */
};

/*
 * imp_bad_line() - count a line that cannot be read, with a warning
 * "file:line: @why, skipped: 'start of the line'" (without the quote when
 * @line is NULL).
 */
void imp_bad_line(struct vnp_importer *im, struct imp_bad *b, const struct lreader *lr,
		  const char *line, size_t len, const char *why);
/*
 * imp_add_runs() - keep whole runs that a file held (@runs and each run are
 * the importer's now, also on failure). A file of whole runs and a file of
 * events do not go into one import: -EINVAL.
 */
int imp_add_runs(struct vnp_importer *im, const char *file, struct vnp_run **runs, size_t n);
/* a file read, for the message of an import that found nothing */
void imp_note_file(struct vnp_importer *im, const char *name);
/* "123.5" seconds as a JSON double -> ns; INT64_MIN when out of range */
int64_t secs_to_ns(double s);

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

/* ---- text helpers (text.c) ------------------------------------------------ */

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "123.456789" → ns; digits beyond 9 decimals are cut. Return: chars used or 0. */
size_t parse_ts(const char *s, size_t n, int64_t *ns);
/* value of "key=value" in an ftrace or perf payload */
bool payload_field(const char *p, size_t n, const char *key, const char **v, size_t *vlen);
/*
 * split_task() - "comm-pid": the pid is the digits after the last '-', so
 * that comm may hold spaces and dashes ("CPU 0/KVM-26296", "vhost-30340-30352").
 * Return: true and the length of comm, or false if @s does not end in "-<digits>".
 */
bool split_task(const char *s, size_t n, size_t *comm_len);
/* "003" -> "3": a CPU number without its leading zeros */
void trim_cpu(const char **c, size_t *n);
/* "sys:name" of identifier characters: a tracepoint */
bool is_tracepoint(const char *e, size_t n);
/* @n bytes of @s into @dst, cut to @size - 1, NUL-terminated */
void copy_str(char *dst, size_t size, const char *s, size_t n);
/* "net_dev_xmit" → "net"; NULL if unknown (event_systems.c) */
const char *event_system(const char *name, size_t len);

/* ---- formats: the table (import.c) and one file each ------------------------ */

/* a sniffer's score for a magic number or a header that no other format has */
#define IMP_SNIFF_SURE (1 << 20)

struct imp_format {
	enum vnp_import_format id;
	const char *name; /* --format NAME */
	const char *what; /* in messages: "perf script" */
	/*
	 * How much of @data (the start of the decoded file, at most LR_PEEK_SIZE
	 * bytes) looks like this format: 0 not at all, else a score (the lines
	 * that read, IMP_SNIFF_SURE for a magic number). The highest wins.
	 */
	int (*sniff)(const char *data, size_t len);
	/* read the whole file into @im; @path is NULL for standard input or memory */
	int (*parse)(struct vnp_importer *im, struct lreader *lr, const char *path);
	const char *suffix; /* a file that no sniffer knows is this format if named so */
};

/* the table, for its tests */
const struct imp_format *imp_formats(size_t *n);

int sniff_ftrace(const char *data, size_t len);
int imp_ftrace(struct vnp_importer *im, struct lreader *lr, const char *path);
int sniff_function_graph(const char *data, size_t len);
int imp_function_graph(struct vnp_importer *im, struct lreader *lr, const char *path);
int sniff_trace_dat(const char *data, size_t len);
int imp_trace_dat(struct vnp_importer *im, struct lreader *lr, const char *path);
int sniff_perf_script(const char *data, size_t len);
int imp_perf_script(struct vnp_importer *im, struct lreader *lr, const char *path);
int sniff_perf_stat(const char *data, size_t len);
int imp_perf_stat(struct vnp_importer *im, struct lreader *lr, const char *path);
int sniff_iperf3(const char *data, size_t len);
int imp_iperf3(struct vnp_importer *im, struct lreader *lr, const char *path);
int sniff_csv(const char *data, size_t len);
int imp_csv(struct vnp_importer *im, struct lreader *lr, const char *path);

#endif
