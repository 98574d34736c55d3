/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Counting kernel functions with ftrace (backends 3 and 4 of func:NAME):
 *
 * - the function profiler: function_profile_enabled and
 *   trace_stat/function<cpu> (counts only, up to each read);
 * - the function tracer in a private tracefs instance with set_ftrace_filter:
 *   every call's timestamp (trace_clock "mono", i.e. CLOCK_MONOTONIC) is read
 *   from the per-CPU raw buffers and binned on the recorder's grid; events
 *   the kernel dropped are counted.
 *
 * The tracer's reading and binning also serve tracepoint events
 * (vnp_ftracefunc_open_events()): timestamped event counts, the paper's way.
 */
#ifndef VNP_FTRACEFUNC_H
#define VNP_FTRACEFUNC_H

#include "collect/collect.h"

enum vnp_ftrace_backend {
	VNP_FTRACE_AUTO = 0, /* the profiler where the kernel has it, else the tracer */
	VNP_FTRACE_PROFILER = 3,
	VNP_FTRACE_TRACER = 4,
	VNP_FTRACE_EVENTS = 5, /* tracepoints through the tracer's machinery */
};

struct vnp_ftracefunc;

/*
 * vnp_ftracefunc_open() - start counting calls of @n kernel functions
 * @funcs: function names as in available_filter_functions (no globs)
 * @n: how many (counts[i] of vnp_ftracefunc_read() is funcs[i])
 * @which: enum vnp_ftrace_backend: AUTO, PROFILER or TRACER
 *
 * Everything is set up before anything is enabled; on failure nothing is
 * left behind (no instance, filters cleared).
 * Return: the counter, or NULL with errno set and a one-line vnp_errmsg()
 * that names the kernel option or policy that refuses it.
 */
struct vnp_ftracefunc *vnp_ftracefunc_open(const char *const *funcs, size_t n, int which);

/*
 * vnp_ftracefunc_open_events() - timestamped counts of tracepoint events
 * @events: "sys:event" names
 * @filters: a filter per event (ftrace grammar) or NULL entries; or NULL
 * @n: how many (counts[i] is events[i])
 * @buffer_kb: per-CPU buffer size in KiB, or 0 for the default (4 MiB)
 *
 * The same private instance, raw-buffer reading and binning as the
 * function tracer, with events enabled instead of the tracer.
 * Return: the counter, or NULL with errno set and vnp_errmsg() saying why.
 */
struct vnp_ftracefunc *vnp_ftracefunc_open_events(const char *const *events,
						  const char *const *filters, size_t n,
						  unsigned buffer_kb);

/* vnp_ftracefunc_backend() - the backend in use: PROFILER, TRACER or EVENTS */
int vnp_ftracefunc_backend(const struct vnp_ftracefunc *f);

/*
 * vnp_ftracefunc_read() - add the calls of bin @bin to @counts
 * @origin_mono: the recorder's origin, CLOCK_MONOTONIC seconds
 * @bin_s: the bin width in seconds
 * @bin: the bin being closed: [origin + bin * bin_s, origin + (bin + 1) * bin_s)
 * @counts: counts[i] += calls of function i
 * @dropped: set to the events the kernel dropped since the last read
 *
 * Tracer and events: every buffered call with a timestamp before the end of
 * @bin is counted (calls of earlier bins that were not read yet too: the
 * recorder flags such a bin late); calls before @origin_mono are discarded;
 * calls after the end of @bin are kept for the next read. The profiler has
 * no timestamps: it adds every call up to the read.
 * Return: 0 or a negative errno with vnp_errmsg() set.
 */
int vnp_ftracefunc_read(struct vnp_ftracefunc *f, double origin_mono, double bin_s, int64_t bin,
			double *counts, uint64_t *dropped);

/*
 * vnp_ftracefunc_close() - undo everything open did: tracer or profiler off,
 * filters cleared, the instance removed. NULL is accepted.
 */
void vnp_ftracefunc_close(struct vnp_ftracefunc *f);

/*
 * vnp_bin_times() - count timestamps on the grid origin + k * width
 * @ts: timestamps in ns, any order; those after the last bin are moved to
 *      the front, in their order
 * @n: how many
 * @origin_ns, @width_ns: the grid (@width_ns > 0)
 * @first: the first bin counted; timestamps at or after @origin_ns but
 *         before bin @first are counted in bin @first (late arrivals)
 * @nbins: bins @first .. @first + @nbins - 1 go to counts[0 .. @nbins - 1]
 * @counts: incremented
 * @early: incremented by the timestamps before @origin_ns (not counted); may be NULL
 *
 * Return: how many timestamps lie at or after the end of the last bin; they
 * are kept in ts[0 .. return - 1].
 */
size_t vnp_bin_times(uint64_t *ts, size_t n, uint64_t origin_ns, uint64_t width_ns, int64_t first,
		     size_t nbins, double *counts, uint64_t *early);

/*
 * vnp_ftrace_profile_parse() - hits per function from a trace_stat/function<cpu> file
 * @text: the file's contents ("  Function   Hit ..." header, then one line per function)
 * @funcs, @n: the functions wanted; the kernel prints at most 30 characters
 *             of a name, so longer names match on their first 30
 * @hits: hits[i] is set to the hits of funcs[i] (0 if absent)
 *
 * Return: how many of @funcs were found, or -EINVAL if @text is not a
 * function profile.
 */
int vnp_ftrace_profile_parse(const char *text, const char *const *funcs, size_t n,
			     uint64_t *hits);

#endif
