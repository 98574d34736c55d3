/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The paper's experiments on the testbed (or on real VMs through --vm-cmd):
 * Table 2's patterns A-F and the staged-load run, each recorded into the
 * store with the receiver-side iperf3 throughput of every sending VM.
 */
#ifndef VNP_EXPERIMENT_H
#define VNP_EXPERIMENT_H

#include "testbed/testbed.h"

struct vnp_pattern {
	char name;
	int comm, load;
};

/* Table 2 of the paper */
extern const struct vnp_pattern vnp_patterns[6];

struct vnp_experiment_opts {
	bool staged;		/* else patterns */
	char patterns[8];	/* "ABCDEF": which to run */
	double duration;	/* per pattern / whole staged run, seconds */
	double step;		/* staged: seconds between load steps */
	double interval;	/* record bin */
	int load_procs;		/* yes processes per load VM; 0: one per vCPU (2) */
	struct vnp_testbed_opts tb;
	bool keep;		/* reuse and leave the testbed */
	const char *db;
	const char *vm_cmd;	/* template for real VMs; no testbed then */
	const char *target;	/* -T for --vm-cmd (default: the testbed NIC) */
	const char *run_prefix; /* run names: PREFIX-pattern-B, PREFIX-staged */
	int repeat;		/* patterns: every pattern this many times, interleaved
				 * (A..F, A..F, ...); runs PREFIX-pattern-B-r2 (0 or 1: once) */
	bool quiet;
};

/* one line of the summary, for the command to print */
struct vnp_experiment_row {
	char run[128];
	char label[40];	 /* "B", or the step's window "25-50s" */
	int comm, load;
	int rep;		 /* patterns: which repetition, from 1 */
	double median, p10, p90; /* total receiver throughput, bit/s, per 0.5 s interval */
	double vm_min, vm_max;	 /* spread of the per-VM mean throughput */
	int n;			 /* intervals */
};

/*
 * vnp_experiment_run() - run the schedule(s), recording each into the store
 * @rows: filled with one row per pattern (or per step); at most @max
 * Return: the number of rows, or a negative errno (vnp_errmsg()); -EINTR
 * when a signal stopped it (everything was cleaned up).
 */
int vnp_experiment_run(const struct vnp_experiment_opts *o, struct vnp_experiment_row *rows,
		       int max);

/*
 * vnp_vm_cmd_expand() - fill in a --vm-cmd template
 * Placeholders: {vm} (1..N), {name} (vm1..), {action} (start-traffic,
 * stop-traffic, start-load, stop-load), {server} (the iperf3 server's
 * address), {port}, {duration} (seconds), {procs} (load processes), {{ and }}.
 * Return: length, -ENAMETOOLONG, or -EINVAL for an unknown placeholder.
 */
int vnp_vm_cmd_expand(char *buf, size_t size, const char *tmpl, int vm, const char *action,
		      const char *server, int port, double duration, int procs);

#endif
