// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CPU time per VM, read once per bin: how the host's CPU was shared out, the
 * quantity the paper's load experiments vary.
 *
 * A QEMU VM's time is its process's (utime + stime of all its threads, the
 * vCPUs and, since Linux 6.4, the vhost workers) plus that of the older
 * kernels' vhost kthreads "vhost-<qemu pid>". A testbed VM (and the remote
 * host) is a cgroup: cgroup v2's cpu.stat usage_usec, v1's cpuacct.usage
 * where cpuacct shares the cpu hierarchy, else the sum over the cgroup's
 * tasks of their run time (/proc/TID/schedstat), each task followed from
 * the read it was first seen in (a task that exits takes the time since the
 * previous read with it).
 */
#include "collect/procfs.h"
#include "collect/collector.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TB_CG_V1 "/sys/fs/cgroup/cpu/vnetprof-tb" /* the testbed's (testbed.c: CG_NAME) */
#define TB_CG_V2 "/sys/fs/cgroup/vnetprof-tb"

enum src { SRC_PROC, SRC_USAGE_USEC, SRC_CPUACCT, SRC_TASKS };

struct tprev {
	pid_t tid;
	double v;
	bool seen;
};

struct vm {
	char name[64];
	enum src src;
	pid_t pid[8]; /* SRC_PROC: QEMU, then its vhost kthreads */
	int npid;
	char path[320]; /* the cgroup directory */
	struct tprev *t; /* SRC_TASKS */
	size_t nt;
	double total;
	bool gone;
};

struct vnp_vmcpu {
	struct vm *vm;
	size_t n;
	struct vnp_series_info *si;
	double tick;
	char buf[65536];
};

/* utime + stime of /proc/PID/stat, seconds; < 0 if it is gone */
static double proc_cpu(struct vnp_vmcpu *vc, pid_t pid)
{
	char path[64], *p;
	unsigned long long ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (vnp_read_file(path, vc->buf, sizeof(vc->buf)) <= 0 || !(p = strrchr(vc->buf, ')')))
		return -1;
	/* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * vc->tick;
}

/* the first field of /proc/TID/schedstat: its run time, ns; < 0 if it is gone */
static double tid_runtime(pid_t tid)
{
	char path[64], b[128];

	snprintf(path, sizeof(path), "/proc/%d/schedstat", tid);
	if (vnp_read_file(path, b, sizeof(b)) <= 0)
		return -1;
	return strtoull(b, NULL, 10) * 1e-9;
}

/* the run time of the cgroup's tasks since the previous read, added to the total */
static int read_tasks(struct vnp_vmcpu *vc, struct vm *m)
{
	char path[400], *save = NULL;
	int n;

	snprintf(path, sizeof(path), "%s/tasks", m->path);
	n = vnp_read_file(path, vc->buf, sizeof(vc->buf));
	if (n < 0)
		return n;
	for (size_t i = 0; i < m->nt; i++)
		m->t[i].seen = false;
	for (char *l = strtok_r(vc->buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		pid_t tid = (pid_t)atoi(l);
		double v = tid_runtime(tid);
		size_t i;

		if (v < 0)
			continue;
		for (i = 0; i < m->nt && m->t[i].tid != tid; i++)
			;
		if (i == m->nt) {
			struct tprev *nt = realloc(m->t, (m->nt + 1) * sizeof(*nt));

			if (!nt)
				return -ENOMEM;
			m->t = nt;
			m->t[m->nt++] = (struct tprev){ tid, v, true };
			continue; /* followed from now on */
		}
		if (v >= m->t[i].v)
			m->total += v - m->t[i].v;
		m->t[i].v = v;
		m->t[i].seen = true;
	}
	/* forget the tasks that left or ended */
	for (size_t i = 0; i < m->nt;)
		if (!m->t[i].seen)
			m->t[i] = m->t[--m->nt];
		else
			i++;
	return 0;
}

static int read_vm(struct vnp_vmcpu *vc, struct vm *m)
{
	char path[400], *p;
	double sum = 0;

	switch (m->src) {
	case SRC_PROC:
		for (int i = 0; i < m->npid; i++) {
			double v = proc_cpu(vc, m->pid[i]);

			if (v < 0 && i == 0)
				return -ENOENT; /* QEMU itself is gone */
			sum += v > 0 ? v : 0;
		}
		/* a vhost kthread that ended takes its time with it: never go back */
		if (sum > m->total)
			m->total = sum;
		return 0;
	case SRC_USAGE_USEC:
		snprintf(path, sizeof(path), "%s/cpu.stat", m->path);
		if (vnp_read_file(path, vc->buf, sizeof(vc->buf)) <= 0 ||
		    !(p = strstr(vc->buf, "usage_usec ")))
			return -ENOENT;
		m->total = strtoull(p + 11, NULL, 10) * 1e-6;
		return 0;
	case SRC_CPUACCT:
		snprintf(path, sizeof(path), "%s/cpuacct.usage", m->path);
		if (vnp_read_file(path, vc->buf, sizeof(vc->buf)) <= 0)
			return -ENOENT;
		m->total = strtoull(vc->buf, NULL, 10) * 1e-9;
		return 0;
	case SRC_TASKS:
		return read_tasks(vc, m);
	}
	return -EINVAL;
}

/* a new VM named @name in *@out; *@out NULL if it is there already */
static int add_vm(struct vnp_vmcpu *vc, const char *name, struct vm **out)
{
	struct vm *nv;

	*out = NULL;
	for (size_t i = 0; i < vc->n; i++)
		if (!strcmp(vc->vm[i].name, name))
			return 0; /* one per VM, however many taps it has */
	nv = realloc(vc->vm, (vc->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	vc->vm = nv;
	nv += vc->n++;
	memset(nv, 0, sizeof(*nv));
	snprintf(nv->name, sizeof(nv->name), "%s", name);
	*out = nv;
	return 0;
}

/* a testbed cgroup: the cheapest exact source it offers */
static void cgroup_vm(struct vm *m, const char *dir)
{
	char path[400];

	snprintf(m->path, sizeof(m->path), "%s", dir);
	snprintf(path, sizeof(path), "%s/cpu.stat", dir);
	m->src = SRC_TASKS;
	if (!strncmp(dir, TB_CG_V2, strlen(TB_CG_V2)) && !access(path, R_OK)) {
		m->src = SRC_USAGE_USEC;
		return;
	}
	snprintf(path, sizeof(path), "%s/cpuacct.usage", dir);
	if (!access(path, R_OK))
		m->src = SRC_CPUACCT;
}

struct vnp_vmcpu *vnp_vmcpu_open(void)
{
	struct vnp_vmcpu *vc = calloc(1, sizeof(*vc));
	struct vnp_vm_dev *dv = NULL;
	size_t ndv = 0;
	long hz = sysconf(_SC_CLK_TCK);
	char dir[400];
	int err;

	if (!vc)
		return NULL;
	vc->tick = 1.0 / (hz > 0 ? hz : 100);
	err = vnp_vm_devices(&dv, &ndv);
	for (size_t i = 0; !err && i < ndv; i++) {
		struct vm *m;
		int tb;

		err = add_vm(vc, dv[i].vm, &m);
		if (!m)
			continue;
		if (dv[i].pid) {
			m->src = SRC_PROC;
			m->pid[m->npid++] = dv[i].pid;
			m->npid += vnp_vhost_kthreads(dv[i].pid, m->pid + 1,
						      (int)(sizeof(m->pid) / sizeof(m->pid[0])) - 1);
		} else if (sscanf(dv[i].vm, "vm%d", &tb) == 1) {
			snprintf(dir, sizeof(dir), "%s/%s", access(TB_CG_V1, F_OK) ? TB_CG_V2 : TB_CG_V1,
				 dv[i].vm);
			cgroup_vm(m, dir);
		}
	}
	free(dv);
	/* the testbed's remote host: not a VM, but it takes its share of the CPU */
	if (!err && vc->n) {
		snprintf(dir, sizeof(dir), "%s/remote", access(TB_CG_V1, F_OK) ? TB_CG_V2 : TB_CG_V1);
		struct vm *m = NULL;

		if (!access(dir, F_OK) && !(err = add_vm(vc, "remote", &m)) && m)
			cgroup_vm(m, dir);
	}
	if (!err && !(vc->si = calloc(vc->n + 1, sizeof(*vc->si))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < vc->n; i++) {
		struct vnp_label l = { "vm", vc->vm[i].name };
		char name[128];

		if (vnp_series_name(name, sizeof(name), "vm_cpu_seconds", &l, 1) < 0) {
			err = vnp_fail(-ENAMETOOLONG, "VM %s: its series name is too long", vc->vm[i].name);
			break;
		}
		vc->si[i] = (struct vnp_series_info){ .name = strdup(name), .kind = VNP_COUNTER,
						      .unit = (char *)"seconds",
						      .role = VNP_INDICATOR,
						      .backend = (char *)VNP_BACKEND_PROCFS };
		if (!vc->si[i].name)
			err = -ENOMEM;
		else if (read_vm(vc, &vc->vm[i]))
			vc->vm[i].gone = true; /* named, but nothing to read: NAN */
	}
	if (err) {
		vnp_vmcpu_close(vc);
		return vnp_fail_null(err, "cannot find the VMs' CPU time: %s", strerror(-err));
	}
	return vc;
}

const struct vnp_series_info *vnp_vmcpu_series(const struct vnp_vmcpu *vc, size_t *n)
{
	*n = vc->n;
	return vc->si;
}

int vnp_vmcpu_read(struct vnp_vmcpu *vc, double *tot)
{
	for (size_t i = 0; i < vc->n; i++) {
		struct vm *m = &vc->vm[i];

		if (!m->gone) {
			int e = read_vm(vc, m);

			if (e == -ENOMEM)
				return e;
			m->gone = e != 0; /* QEMU ended, the cgroup was removed */
		}
		tot[i] = m->gone ? NAN : m->total;
	}
	return 0;
}

void vnp_vmcpu_close(struct vnp_vmcpu *vc)
{
	if (!vc)
		return;
	for (size_t i = 0; i < vc->n; i++)
		free(vc->vm[i].t);
	for (size_t i = 0; vc->si && i < vc->n; i++)
		free(vc->si[i].name);
	free(vc->si);
	free(vc->vm);
	free(vc);
}

/* ---- as a collector ---- */

static int vmcpu_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx,
			   unsigned *flags)
{
	if (vnp_vmcpu_read(c->priv, c->v))
		return vnp_fail(-ENOMEM, "out of memory");
	return 0;
}

static void vmcpu_coll_close(struct vnp_collector *c)
{
	vnp_vmcpu_close(c->priv);
}

static const struct vnp_collector_ops vmcpu_ops = {
	.name = "vmcpu",
	.read = vmcpu_coll_read,
	.close = vmcpu_coll_close,
};

int vnp_vmcpu_collect(const struct vnp_record_opts *o, struct vnp_collectors *l)
{
	const struct vnp_series_info *si;
	struct vnp_vmcpu *vc;
	size_t n;

	if (!o->vm_cpu && !o->by_vm)
		return 0;
	vc = vnp_vmcpu_open();
	if (!vc)
		return -errno;
	si = vnp_vmcpu_series(vc, &n);
	return vnp_collectors_new_of(l, &vmcpu_ops, vc, si, n, true);
}
