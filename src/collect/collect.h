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
/* the event's string field that holds a device name, or NULL */
const char *vnp_event_dev_field(const char *sys, const char *name);
/*
 * vnp_filter_explain() - why the kernel rejects @filter on sys:name, read
 * back from a private tracefs instance that is removed before returning.
 * Writes a one-line reason into @buf; returns 0 if the kernel accepts it.
 */
int vnp_filter_explain(const char *sys, const char *name, const char *filter, char *buf,
		       size_t size);

/* ---- network devices (devices.c) ---- */

/* names of the network devices of every namespace this host has (sorted, unique) */
int vnp_netdev_names(char ***names, size_t *n);
void vnp_strv_free(char **v, size_t n);

/* ---- record (recorder.c) ---- */

struct vnp_event_opt {
	const char *spec;   /* "net:net_dev_xmit" */
	const char *filter; /* or NULL */
};

struct vnp_record_opts {
	struct vnp_event_opt *events;
	size_t nevents;
	bool by_dev;
	const char **targets; /* -T devices */
	size_t ntargets;
	double interval_s;
	double duration_s; /* 0: until a signal or the command ends */
	const char *db;
	struct vnp_run_info *info; /* name (may be NULL), labels, cmdline */
	char **command;		   /* NULL-terminated, or NULL */
	bool progress;		   /* a progress line on stderr */
	bool quiet;
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
