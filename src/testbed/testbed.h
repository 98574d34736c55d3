/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The emulated host: each "VM" a network namespace with a veth into a
 * software switch and a CPU cgroup of 2 CPUs' worth; a "remote host"
 * namespace behind a veth "NIC". Every name starts with VNP_TB_PREFIX and
 * every address is in 198.18.0.0/24; `down` removes all of it, with or
 * without the state file, and touches nothing else.
 */
#ifndef VNP_TESTBED_H
#define VNP_TESTBED_H

#include "vnetprof-local.h"

#include <stdbool.h>
#include <sys/types.h>

#define VNP_TB_PREFIX "vnptb"
#define VNP_TB_STATE_DIR "/run/vnetprof-testbed"
#define VNP_TB_MAX_VMS 32
#define VNP_TB_REMOTE_IP "198.18.0.2"
#define VNP_TB_NIC "vnptb-nic0"	  /* host side of the NIC: the throughput target */
#define VNP_TB_BRIDGE "vnptb-br0"
#define VNP_TB_MTU 9000 /* jumbo frames on every testbed link */

struct vnp_testbed_opts {
	int vms;
	const char *sw;	       /* "bridge" or "ovs" */
	int host_cpus;	       /* 0: all */
	const char *link_rate; /* tc rate ("10gbit"), or NULL for none */
};

/* bring it up (idempotent when the settings match); on failure it is torn down */
int vnp_testbed_up(const struct vnp_testbed_opts *o, bool *was_up);
/* remove everything it may have created; returns how many objects were removed */
int vnp_testbed_down(void);
/* read the state file: 0, -ENOENT when no testbed is up, -EINPROGRESS when
 * its 'up' has not finished (still at work, or killed half-way) */
int vnp_testbed_state(struct vnp_testbed_opts *o, char *sw, size_t swsize, char *rate,
		      size_t ratesize);

struct vnp_testbed_object {
	char kind[16]; /* netns, link, cgroup, process, qdisc, state */
	char name[300];
};
/* what exists now (whatever the state file says) */
int vnp_testbed_inventory(struct vnp_testbed_object *v, int max);

/* names */
void vnp_testbed_vm_ns(int vm, char *buf, size_t size);	 /* vnptb-vm3 */
void vnp_testbed_vm_tap(int vm, char *buf, size_t size); /* vnptb-tap3 (host side) */
void vnp_testbed_vm_ip(int vm, char *buf, size_t size);	 /* 198.18.0.13 */
#define VNP_TB_REMOTE_NS "vnptb-remote"

/*
 * vnp_testbed_spawn() - start a process inside a VM (1..vms) or the remote
 * host (0): its network namespace, its CPU cgroup (VMs) and the testbed's
 * cpuset. stdout goes to @out (a path, or NULL for /dev/null). With @gate
 * >= 0, the child waits, already in place, until it reads one byte from
 * @gate (EOF: it exits) and only then runs @argv: forking early keeps the
 * cost of fork() out of the recorder's bins.
 * Return: the pid, or a negative errno.
 */
pid_t vnp_testbed_spawn(int vm, char *const argv[], const char *out, int gate);
/* kill every process the testbed's cgroups and namespaces hold (not the daemons) */
int vnp_testbed_kill_workload(void);

/* run a command (no shell) and fail with its first line of stderr */
int vnp_run_cmd(const char *const argv[]);
int vnp_run_cmdf(const char *fmt, ...) __printf(1, 2);

#endif
