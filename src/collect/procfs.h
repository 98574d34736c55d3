/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Readers of cumulative kernel counters in /proc and /sys: interface
 * statistics, CPU time per mode, run-queue delay. Each read returns the
 * running totals; the recorder turns them into per-bin deltas.
 */
#ifndef VNP_PROCFS_H
#define VNP_PROCFS_H

#include "collect/collect.h"

enum { NETDEV_RX_BYTES, NETDEV_TX_BYTES, NETDEV_RX_PACKETS, NETDEV_TX_PACKETS,
       NETDEV_RX_DROPPED, NETDEV_TX_DROPPED, NETDEV_NSTATS };

struct vnp_netdev;
struct vnp_netdev *vnp_netdev_open(const char *dev);
/* totals in @out; -ENODEV once the device is gone */
int vnp_netdev_read(struct vnp_netdev *nd, double out[NETDEV_NSTATS]);
void vnp_netdev_close(struct vnp_netdev *nd);

#define CPUSTAT_NMODES 9
extern const char *const vnp_cpustat_modes[CPUSTAT_NMODES];
struct vnp_cpustat;
struct vnp_cpustat *vnp_cpustat_open(void);
/* seconds per mode since boot, summed over CPUs */
int vnp_cpustat_read(struct vnp_cpustat *cs, double out[CPUSTAT_NMODES]);
void vnp_cpustat_close(struct vnp_cpustat *cs);

/*
 * Run-queue delay: the sum of the time tasks waited on run queues, from
 * /proc/schedstat (CONFIG_SCHEDSTATS), or else the time some task waited
 * for a CPU from /proc/pressure/cpu (PSI). NULL if the kernel has neither.
 */
struct vnp_runq;
struct vnp_runq *vnp_runq_open(void);
/* the series name this reader fills */
const char *vnp_runq_series(const struct vnp_runq *rq);
int vnp_runq_read(struct vnp_runq *rq, double *seconds);
void vnp_runq_close(struct vnp_runq *rq);

/* read a whole small file through @fd from its start, NUL-terminated: its length, or -errno */
int vnp_pread_all(int fd, char *buf, size_t size);
/*
 * /proc/net/dev into @buf: through @fd if >= 0 (our namespace's, kept open),
 * else opened inside the namespace at @nspath (of inode @ino) and closed
 * again, so that no file holds that namespace alive. Its length, or -errno.
 */
int vnp_netdev_file(int fd, const char *nspath, ino_t ino, char *buf, size_t size);
/* the name of statistic @stat (NETDEV_*) of device @dev into @buf; returns its
 * unit, or NULL (with the error message set) when the name does not fit */
const char *vnp_netdev_series(char *buf, size_t size, int stat, const char *dev);
/* the numbers after a device's "name:" in /proc/net/dev, in NETDEV_* order; -EIO if short */
int vnp_netdev_parse(const char *p, double out[NETDEV_NSTATS]);

/* ---- the kernel's own counters (kcounters.c) ---- */

struct vnp_kcounters;

/*
 * vnp_kcounters_open() - every network device of every namespace (but
 * loopbacks and the devices named in @skip, -T's), softirqs per vector,
 * context switches, interrupts and the softnet counters: running totals,
 * one series each (VNP_INDICATOR, procfs). NULL with vnp_errmsg() set.
 */
struct vnp_kcounters *vnp_kcounters_open(const char *const *skip, size_t nskip);
/* its series, *@n of them, in the order of the totals vnp_kcounters_read() gives */
const struct vnp_series_info *vnp_kcounters_series(const struct vnp_kcounters *kc, size_t *n);
/* the running totals into @tot[0..nseries), NAN where a device or file is gone */
int vnp_kcounters_read(struct vnp_kcounters *kc, double *tot);
void vnp_kcounters_close(struct vnp_kcounters *kc);

/* ---- CPU time per VM (vmcpu.c) ---- */

struct vnp_vmcpu;

/*
 * vnp_vmcpu_open() - the VMs of this host (QEMU processes, testbed VMs and
 * the testbed's remote host), one running total of CPU seconds each as
 * vm_cpu_seconds{vm=NAME} (VNP_INDICATOR, procfs). No VM: no series.
 */
struct vnp_vmcpu *vnp_vmcpu_open(void);
/* its series, *@n of them, in the order of the totals vnp_vmcpu_read() gives */
const struct vnp_series_info *vnp_vmcpu_series(const struct vnp_vmcpu *vc, size_t *n);
/* the running totals into @tot[0..nseries), NAN for a VM that is gone */
int vnp_vmcpu_read(struct vnp_vmcpu *vc, double *tot);
void vnp_vmcpu_close(struct vnp_vmcpu *vc);

#endif
