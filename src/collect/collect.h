/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live collectors and the recorder. Private to vnetprof (the program links
 * the static library); the recorder's options are the record command's.
 */
#ifndef VNP_COLLECT_H
#define VNP_COLLECT_H

#include "vnetprof-local.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- tracefs (tracefs.c) ---- */

/* the tracefs mount point, or NULL with vnp_errmsg() saying how to mount it */
const char *vnp_tracefs_dir(void);
/* "sys:name" or "sys/name" -> sys, name; -EINVAL if malformed */
int vnp_event_split(const char *spec, char *sys, size_t ssize, char *name, size_t nsize);
/* the event's id, -ENOENT (unknown event, message names the list command) */
int vnp_event_id(const char *sys, const char *name);
/* whether the event's format has a field of this name */
bool vnp_event_has_field(const char *sys, const char *name, const char *field);
/* the event's string field that holds a device name, or NULL */
const char *vnp_event_dev_field(const char *sys, const char *name);
/*
 * vnp_filter_explain() - why the kernel rejects @filter on sys:name, read
 * back from a private tracefs instance that is removed before returning.
 * Writes a one-line reason into @buf; returns 0 if the kernel accepts it.
 */
int vnp_filter_explain(const char *sys, const char *name, const char *filter, char *buf,
		       size_t size);

/* ---- network namespaces and devices (devices.c) ---- */

struct vnp_netns {
	dev_t dev;
	ino_t ino;
	char path[300]; /* /proc/self/ns/net, /run/netns/NAME or /proc/PID/ns/net */
	char *name;	/* its name under /run/netns, or NULL */
	bool own;	/* the recorder's own */
};

/* every network namespace of the host, ours first; free with vnp_netns_free() */
int vnp_netns_list(struct vnp_netns **v, size_t *n);
void vnp_netns_free(struct vnp_netns *v, size_t n);

/* a network device of one of those namespaces */
struct vnp_ndev {
	uint32_t netns; /* the namespace's inode */
	unsigned ifindex;
	char name[16];
	char label[64]; /* the dev="" label: name, or name@NS / name@net:[INODE] where the
			 * name occurs in several namespaces (not for our own namespace's) */
	bool own;
	size_t nsi; /* index in the namespace list */
};

/* the devices of namespaces @ns, labelled and sorted by label; free() the array */
int vnp_ndev_list(const struct vnp_netns *ns, size_t nns, struct vnp_ndev **v, size_t *n);
/*
 * open @file read-only inside the namespace at @nspath (NULL: ours; with @ino,
 * only if it is still the namespace of that inode); -1 and errno. The calling
 * thread enters the namespace and comes back. A file of /proc/net holds a
 * reference on its namespace: keep it open only where the namespace is meant
 * to outlive it anyway.
 */
int vnp_open_in_netns(const char *nspath, ino_t ino, const char *file);
/* names of the network devices of every namespace this host has (sorted, unique) */
int vnp_netdev_names(char ***names, size_t *n);
void vnp_strv_free(char **v, size_t n);

/* ---- VMs (vms.c) ---- */

/* a network device (or, with dev "", only the process) of a VM */
struct vnp_vm_dev {
	char dev[16];
	char vm[64];
	pid_t pid; /* its QEMU process, 0 on the testbed */
};

/* the VMs this host runs: QEMU processes and their taps, testbed VMs */
int vnp_vm_devices(struct vnp_vm_dev **out, size_t *n);
/* QEMU @qemu's vhost workers on kernels before 6.4, kthreads "vhost-<qemu pid>": at most @max */
int vnp_vhost_kthreads(pid_t qemu, pid_t *out, int max);
/*
 * vnp_vm_threads() - the threads that work for QEMU @qemu as they are now:
 * its own (vCPUs, I/O, and on kernels since 6.4 the vhost workers), then
 * the vhost kthreads of older kernels; free() *@out
 */
int vnp_vm_threads(pid_t qemu, pid_t **out, size_t *n);

/* ---- record (recorder.c) ---- */

struct vnp_event_opt {
	const char *spec;   /* "net:net_dev_xmit" */
	const char *filter; /* or NULL */
	bool by_dev;	    /* one series per device (if the event names one) */
	bool optional;	    /* skip it (with a note) where the host lacks it */
	const char *backend; /* NULL: the record's --backend, else the default */
};

/* ---- presets (presets.c) ---- */

struct vnp_preset {
	const char *name, *what;
	const struct vnp_event_opt *events;
	size_t nevents;
};

const struct vnp_preset *vnp_preset_find(const char *name);
/* the i-th preset, NULL past the last */
const struct vnp_preset *vnp_preset_at(size_t i);

struct vnp_record_opts {
	const struct vnp_event_opt *events;
	size_t nevents;
	bool by_dev; /* for every event: --by dev (warns where an event has no device) */
	bool by_vm;  /* for every event with a device: one series per VM, and vm="host" */
	const char *backend; /* perf (default for tracepoints), bpf, tp_btf, tp, raw_tp, fentry,
			      * kprobe; functions: NULL picks the cheapest that works */
	const char **targets; /* -T devices */
	size_t ntargets;
	bool no_kcounters; /* not the kernel's own counters of every device, softirqs, ... */
	bool vm_cpu;	   /* CPU time per VM (also with by_vm) */
	double interval_s;
	double duration_s; /* 0: until a signal or the command ends */
	const char *db;
	struct vnp_run_info *info; /* name (may be NULL), labels, cmdline */
	char **command;		   /* NULL-terminated, or NULL */
	int profile_hz;		   /* CPU-share profiler: samples per second per CPU, 0: off */
	int rt_prio; /* > 0: the reading thread runs SCHED_FIFO at this priority (not its children) */
	/* after each bin, at most 4 times a second and after the last: the time since
	 * the origin, the bins so far, the targets' bytes per second (NAN: no -T) */
	void (*on_progress)(double t, int64_t bins, double target_bps, bool last, void *arg);
	void *progress_arg;
	bool quiet;
	/* called once, right after the origin is taken (CLOCK_MONOTONIC seconds) */
	void (*on_start)(double origin, void *arg);
	void *arg;
};

struct vnp_record_result {
	int64_t run_id;
	char run_name[256];
	int64_t bins;
	int64_t flagged;
	enum vnp_run_status status;
	int command_status; /* exit status of COMMAND, as a shell reports it; -1 if none */
	size_t nseries;
};

/*
 * vnp_record() - record one run
 *
 * Opens every counter and reader first (nothing is started if one fails),
 * then bins until the duration, the command or SIGINT/SIGTERM ends the run.
 * Every counter is closed and nothing is left in tracefs on every path.
 * Return: 0, or a negative errno with vnp_errmsg() set.
 */
int vnp_record(const struct vnp_record_opts *opts, struct vnp_record_result *res);

/* ---- probe (probe.c) ---- */

struct vnp_capability {
	const char *name;
	bool ok;
	char detail[256];
};

/* fill @caps (at most @max); returns the count */
size_t vnp_probe(struct vnp_capability *caps, size_t max);

#endif
