/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One interface for every live source (DESIGN.md, "one interface"): a
 * collector is an ops table and the series it owns. Its constructor opens
 * it (checking the capability, and on failure returning NULL with a one-line
 * vnp_errmsg() that says what is missing); read() fills one bin; close()
 * undoes everything the constructor did. The recorder knows only this
 * header: a new source is one file with a constructor and one line in the
 * table of sources (sources.c).
 */
#ifndef VNP_COLLECTOR_H
#define VNP_COLLECTOR_H

#include "collect/collect.h"

/* a series a collector owns */
struct vnp_cseries {
	char *name; /* its own allocation: stays put when the series table grows */
	enum vnp_kind kind;
	const char *unit;    /* static, or owned by the collector's source */
	enum vnp_role role;
	const char *backend; /* one of vnp_backend_label(), or owned by the source */
	bool cumulative;     /* read() gives a running total; the bin gets its increase */
	double prev;	     /* the total at the previous read */
};

/* what a read is for */
struct vnp_bin_ctx {
	double origin; /* CLOCK_MONOTONIC seconds */
	double bin_s;
	int64_t bin;   /* the bin being closed; -1 for the read at the origin */
	bool baseline; /* the read at the origin: only totals count, the values are dropped */
};

struct vnp_collector;

struct vnp_collector_ops {
	const char *name; /* what it is, for messages: "perf", "netdev", ... */
	/*
	 * fill c->v[0..c->ns) for one bin (c->v holds 0, or the last total of a
	 * cumulative series); it may add series (vnp_collector_add_series()),
	 * which start with this bin.
	 * Returns 0 or a negative errno with vnp_errmsg() set.
	 */
	int (*read)(struct vnp_collector *c, const struct vnp_bin_ctx *ctx, unsigned *flags);
	/* optional: the bytes of the bin through a throughput target, NAN if none */
	double (*target_bytes)(const struct vnp_collector *c);
	/* undo the constructor's work and free the source's state (c->priv) */
	void (*close)(struct vnp_collector *c);
};

struct vnp_collector {
	const struct vnp_collector_ops *ops;
	void *priv;
	struct vnp_cseries *s;
	size_t ns, cap;
	double *v; /* one value per series: the last read, deltas for cumulative ones */
};

/* a collector with no series yet; NULL on ENOMEM */
struct vnp_collector *vnp_collector_new(const struct vnp_collector_ops *ops, void *priv);
/* add a series (the name is copied): its index, or -ENOMEM */
int vnp_collector_add_series(struct vnp_collector *c, const char *name, enum vnp_kind kind,
			     const char *unit, enum vnp_role role, const char *backend,
			     bool cumulative);
/* add @n series given as infos (names, units and backends as they are) */
int vnp_collector_add_infos(struct vnp_collector *c, const struct vnp_series_info *si, size_t n,
			    bool cumulative);
/* the series' index in @c, or -1 */
int vnp_collector_find(const struct vnp_collector *c, const char *name, size_t from);
/* series @i as the store takes it; valid until the series is next added to */
struct vnp_series_info vnp_collector_info(const struct vnp_collector *c, size_t i);
/*
 * vnp_collector_read() - one bin into c->v: zeroes, reads, turns running
 * totals into increases; on the baseline read, only the totals are kept
 */
int vnp_collector_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx, unsigned *flags);
/* close and free; NULL is accepted */
void vnp_collector_close(struct vnp_collector *c);

/* ---- the collectors of one run ---- */

struct vnp_collectors {
	struct vnp_collector **c;
	size_t n, cap;
};

/* take over @c (closed again if it cannot be added); 0 or -ENOMEM */
int vnp_collectors_add(struct vnp_collectors *l, struct vnp_collector *c);
/*
 * vnp_collectors_new() - a collector of @ops over @priv, already in @l (its
 * series are added after); NULL with errno ENOMEM, @priv closed through @ops
 */
struct vnp_collector *vnp_collectors_new(struct vnp_collectors *l,
					 const struct vnp_collector_ops *ops, void *priv);
/* vnp_collectors_new() with the series @si[0..n): 0 or a negative errno */
int vnp_collectors_new_of(struct vnp_collectors *l, const struct vnp_collector_ops *ops,
			  void *priv, const struct vnp_series_info *si, size_t n, bool cumulative);
/* whether any collector of @l has a series of this name */
bool vnp_collectors_have(const struct vnp_collectors *l, const char *name);
/* close every collector, the first first; @l can be used again */
void vnp_collectors_close(struct vnp_collectors *l);

/*
 * vnp_collectors_open() - every source of the table in sources.c that the
 * options ask for, in the table's order. On failure, what was opened is
 * closed again. Return: 0 or a negative errno with vnp_errmsg() set.
 */
int vnp_collectors_open(const struct vnp_record_opts *o, struct vnp_collectors *l);

/* ---- backends (backends.c): the one table of their names ---- */

enum vnp_backend_class {
	VNP_BACKEND_PERF,   /* perf tracepoint counters */
	VNP_BACKEND_BPF,    /* a BPF program: "bpf" (the best that loads) or an attach type */
	VNP_BACKEND_FTRACE, /* tracepoint events through a private tracefs instance */
	VNP_BACKEND_FUNC_FTRACE, /* kernel functions: the function profiler or tracer */
};

struct vnp_backend {
	const char *name; /* as --backend takes it */
	enum vnp_backend_class cls;
	bool functions;	  /* counts func:NAME */
	int ftrace_which; /* VNP_BACKEND_FUNC_FTRACE: enum vnp_ftrace_backend */
};

/*
 * vnp_backend_find() - the backend of this --backend name ("bpf:NAME" is
 * NAME), NULL with a message that lists the names if there is none
 */
const struct vnp_backend *vnp_backend_find(const char *name);
/* the name bpfcount takes: NULL for "bpf" (the best there is), else the attach type */
const char *vnp_backend_bpf_type(const struct vnp_backend *b);
/* "a, b, c or d": the backends that count functions (@functions) or tracepoints */
const char *vnp_backend_names(bool functions);

/* labels of the series' backend column for sources with no backend choice */
#define VNP_BACKEND_PROCFS "procfs"
#define VNP_BACKEND_PERF_COUNTER "perf"
#define VNP_BACKEND_CPU_CLOCK "perf:cpu-clock"

/* ---- constructors that the event planner (events.c) uses ---- */

struct vnp_tp_counter;
struct vnp_bpf_spec;

/* the perf counters: series added before vnp_perf_collector_start() opens them */
struct vnp_collector *vnp_perf_collector_new(void);
int vnp_perf_collector_add(struct vnp_collector *c, const struct vnp_tp_counter *tc,
			   const char *series);
/* open every counter added; 0 or a negative errno with vnp_errmsg() set */
int vnp_perf_collector_start(struct vnp_collector *c);

/* BPF programs for @n specs; NULL with errno and vnp_errmsg() */
struct vnp_collector *vnp_bpf_collector(const struct vnp_bpf_spec *specs, size_t n);

/* the ftrace backends: @n events (with filters or NULL) or kernel functions */
struct vnp_collector *vnp_ftrace_collector(const char *const *what, const char *const *filters,
					   size_t n, bool events, int which);

/* ---- constructors from the record options, one line each in sources.c ---- */

/* events and functions (-e, presets): perf, BPF and ftrace collectors */
int vnp_events_collect(const struct vnp_record_opts *o, struct vnp_collectors *l);
/* -T devices: /proc/net/dev of each */
int vnp_netdev_collect(const struct vnp_record_opts *o, struct vnp_collectors *l);
/* the kernel's own counters (kcounters.c) */
int vnp_kcounters_collect(const struct vnp_record_opts *o, struct vnp_collectors *l);
/* CPU time per VM (vmcpu.c) */
int vnp_vmcpu_collect(const struct vnp_record_opts *o, struct vnp_collectors *l);
/* CPU time per mode (/proc/stat) */
int vnp_cpustat_collect(const struct vnp_record_opts *o, struct vnp_collectors *l);
/* run-queue delay (/proc/schedstat or PSI): none, with a warning, if the kernel has neither */
int vnp_runq_collect(const struct vnp_record_opts *o, struct vnp_collectors *l);
/* the CPU-share profiler (sampler.c) */
int vnp_sampler_collect(const struct vnp_record_opts *o, struct vnp_collectors *l);

#endif
