/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CPU-share profiler: cpu-clock sampling on every online CPU, read once
 * per bin, each sample attributed to a kernel function (kallsyms) or, for
 * user-space samples, to the thread's command.
 */
#ifndef VNP_SAMPLER_H
#define VNP_SAMPLER_H

#include "collect/collect.h"

/* names given to samples that no kernel function holds */
#define VNP_SAMPLE_USER_PREFIX "[user] " /* "[user] COMM" */
#define VNP_SAMPLE_UNKNOWN_KERNEL "[kernel unknown]"
#define VNP_SAMPLE_GUEST "[guest]"
#define VNP_SAMPLE_HYPERVISOR "[hypervisor]"

struct vnp_sampler;

/* called once per function seen in a bin; a non-zero return stops the read */
typedef int (*vnp_sampler_emit_fn)(void *arg, const char *function, double share);

/*
 * vnp_sampler_open() - start sampling every online CPU at @hz
 * @hz: samples per second per CPU (a fixed cpu-clock period of 1/@hz s),
 *      1 .. kernel.perf_event_max_sample_rate
 *
 * Loads /proc/kallsyms, opens one cpu-clock sampling event per online CPU
 * with a ring buffer that holds about 4 s of samples, and enables them.
 * Return: the sampler, or NULL with errno set and vnp_errmsg() saying why.
 */
struct vnp_sampler *vnp_sampler_open(int hz);

/*
 * vnp_sampler_open_ring() - vnp_sampler_open() with a ring of @pages data
 * pages per CPU (a power of two; 0 chooses as vnp_sampler_open() does)
 */
struct vnp_sampler *vnp_sampler_open_ring(int hz, unsigned pages);

/*
 * vnp_sampler_read() - one bin: drain every ring and emit each function's share
 * @s: the sampler
 * @emit: called for each function with its share of the bin's samples
 *        (0 < share <= 1; the shares of a bin sum to 1), largest first,
 *        ties by name; not called when the bin has no samples
 * @arg: passed to @emit
 * @samples: set to the number of samples read in this bin
 * @lost: set to the samples the kernel dropped since the last read (true
 *        totals from PERF_FORMAT_LOST; PERF_RECORD_LOST counts, which
 *        under-report, only on kernels before 6.0)
 * @flags: VNP_BIN_INCOMPLETE is or-ed in when a CPU came or went
 *
 * *@samples and *@lost are set before @emit is first called, so that @emit
 * may turn shares into sample counts. A user-space sample is named
 * "[user] COMM" after its thread's name at the time of the sample (from
 * exec, fork and rename records in time order across CPUs, else /proc).
 *
 * Return: 0, the non-zero value @emit returned, or a negative errno with
 * vnp_errmsg() set.
 */
int vnp_sampler_read(struct vnp_sampler *s, vnp_sampler_emit_fn emit, void *arg,
		     uint64_t *samples, uint64_t *lost, unsigned *flags);

/* vnp_sampler_open_cpus() - how many CPUs are being sampled */
int vnp_sampler_open_cpus(const struct vnp_sampler *s);

/* vnp_sampler_close() - stop sampling, unmap and close everything; NULL is accepted */
void vnp_sampler_close(struct vnp_sampler *s);

#endif
