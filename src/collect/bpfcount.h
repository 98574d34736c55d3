/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BPF counting of tracepoints and kernel functions (see docs/bpf.md).
 * Interface alike vnp_perfcount_*: open with a list of what to count, read()
 * adds each series' delta since the previous read, close undoes everything.
 */
#ifndef VNP_BPFCOUNT_H
#define VNP_BPFCOUNT_H

#include "collect/collect.h"

/* one thing to count */
struct vnp_bpf_spec {
	char sys[64];	/* tracepoint system ("net"); unused for functions */
	char name[128]; /* tracepoint ("net_dev_xmit") or kernel function */
	bool func;	/* func:NAME: count calls of a kernel function */
	bool by_dev;	/* one series per network device (tracepoints only) */
	bool by_cpu;	/* one series per possible CPU */
	bool bytes;	/* also sum the event's length as tracepoint_bytes */
	/*
	 * "tp_btf", "tp", "raw_tp" (tracepoints), "fentry", "kprobe" (functions),
	 * with or without a "bpf:" prefix; NULL: the best that works here, in
	 * that order.
	 */
	const char *backend;
};

struct vnp_bpfcount;

/**
 * vnp_bpfcount_open() - load and attach one BPF program per spec
 * @specs: what to count
 * @n: how many
 *
 * The series are fixed here: for each device known at open in every
 * network namespace (by_dev), plus dev="other" for devices that appear
 * later, events without a device and keys the bounded map could not hold.
 * Return: the counter, or NULL with errno set and vnp_errmsg() saying, in
 * one line, which spec failed and why; nothing stays loaded or attached.
 */
struct vnp_bpfcount *vnp_bpfcount_open(const struct vnp_bpf_spec *specs, size_t n);

/** vnp_bpfcount_nseries() - how many series the counter fills */
size_t vnp_bpfcount_nseries(const struct vnp_bpfcount *bc);

/**
 * vnp_bpfcount_series() - series @i: tracepoint_hits{event=..[,dev=..][,cpu=..]},
 * tracepoint_bytes{..} or function_calls{function=..[,cpu=..]}; backend
 * "bpf:tp_btf" and the like. Owned by @bc.
 */
const struct vnp_series_info *vnp_bpfcount_series(const struct vnp_bpfcount *bc, size_t i);

/**
 * vnp_bpfcount_spec_series() - the first series of spec @spec and how many it has
 * Return: the index of its first series; *@count is set to the number.
 */
size_t vnp_bpfcount_spec_series(const struct vnp_bpfcount *bc, size_t spec, size_t *count);

/**
 * vnp_bpfcount_backend() - the backend spec @spec runs on: "bpf:tp_btf", ...
 */
const char *vnp_bpfcount_backend(const struct vnp_bpfcount *bc, size_t spec);

/**
 * vnp_bpfcount_read() - add each series' events since the previous read
 * @bc: the counter
 * @values: vnp_bpfcount_nseries() values; series i's delta is ADDED to values[i]
 * @flags: VNP_BIN_INCOMPLETE is set when the kernel skipped a program run
 *         (a recursion miss) since the previous read
 *
 * The first read returns everything since open. Deltas are exact: the maps
 * are never cleared (see bpfcount.c).
 * Return: 0 or a negative errno.
 */
int vnp_bpfcount_read(struct vnp_bpfcount *bc, double *values, unsigned *flags);

/**
 * vnp_bpfcount_missed() - program runs the kernel skipped since open, and
 * events counted as dev="other" because the device map was full
 */
void vnp_bpfcount_missed(const struct vnp_bpfcount *bc, uint64_t *recursion, uint64_t *map_full);

/** vnp_bpfcount_close() - detach and free everything; accepts NULL */
void vnp_bpfcount_close(struct vnp_bpfcount *bc);

#endif
