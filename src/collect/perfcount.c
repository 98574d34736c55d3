// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tracepoint counting with perf_event_open: one counter per CPU per series,
 * system-wide, filters applied in the kernel, grouped so that one read()
 * per CPU and group returns every count. CPUs that go offline freeze their
 * counters; they are closed, and reopened when the CPU comes back, and the
 * bins where that happens are flagged incomplete.
 */
#include "collect/perfcount.h"
#include "collect/collector.h"

#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GROUP_MAX 32 /* counters per group: one read() each */
#define MAX_CPUS 4096

struct cpu_state {
	bool open;
	int *fd;	   /* per counter */
	uint64_t *prev;	   /* per counter: last value read */
	uint64_t *prev_en; /* per group: last time_enabled */
};

struct vnp_perfcount {
	struct vnp_tp_counter *c;
	size_t n, ngroups;
	int ncpus; /* highest possible CPU + 1 */
	struct cpu_state *cpu;
	uint64_t *buf;
};

static long perf_open(struct perf_event_attr *a, int cpu, int group)
{
	return syscall(SYS_perf_event_open, a, -1, cpu, group, PERF_FLAG_FD_CLOEXEC);
}

static int paranoid(void)
{
	char buf[16];

	return vnp_read_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) > 0
		       ? atoi(buf)
		       : 99;
}

static void close_cpu(struct vnp_perfcount *pc, int cpu)
{
	struct cpu_state *cs = &pc->cpu[cpu];

	/* members before their leader */
	for (size_t i = pc->n; i-- > 0;)
		if (cs->fd[i] >= 0) {
			close(cs->fd[i]);
			cs->fd[i] = -1;
		}
	cs->open = false;
}

static int open_cpu(struct vnp_perfcount *pc, int cpu)
{
	struct cpu_state *cs = &pc->cpu[cpu];

	for (size_t i = 0; i < pc->n; i++) {
		struct vnp_tp_counter *c = &pc->c[i];
		bool leader = i % GROUP_MAX == 0;
		struct perf_event_attr a = {
			.type = PERF_TYPE_TRACEPOINT,
			.size = sizeof(a),
			.config = (uint64_t)c->id,
			.disabled = leader,
			.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID |
				       PERF_FORMAT_TOTAL_TIME_ENABLED |
				       PERF_FORMAT_TOTAL_TIME_RUNNING,
		};
		long fd = perf_open(&a, cpu, leader ? -1 : cs->fd[i - i % GROUP_MAX]);

		if (fd < 0) {
			int e = errno;

			close_cpu(pc, cpu);
			if (e == ENODEV || e == ENXIO)
				return -ENODEV; /* offline: not an error */
			if (e == EACCES || e == EPERM)
				return vnp_fail(-EACCES, "the kernel refuses system-wide tracepoint "
						"counters (kernel.perf_event_paranoid = %d): run "
						"as root or with CAP_PERFMON", paranoid());
			if (e == EMFILE || e == ENFILE)
				return vnp_fail(-EMFILE, "out of file descriptors (%zu counters on "
						"%d CPUs need one each): raise 'ulimit -n'",
						pc->n, pc->ncpus);
			return vnp_fail(-e, "perf_event_open(%s:%s, cpu %d): %s", c->sys, c->name,
					cpu, strerror(e));
		}
		cs->fd[i] = (int)fd;
		if (c->filter && ioctl((int)fd, PERF_EVENT_IOC_SET_FILTER, c->filter)) {
			int e = errno;
			char why[300];

			close_cpu(pc, cpu);
			/* the ioctl says EINVAL or ENOENT; tracefs says why */
			if (!vnp_filter_explain(c->sys, c->name, c->user_filter ? c->user_filter
										: c->filter,
						why, sizeof(why)))
				snprintf(why, sizeof(why), "%s", strerror(e));
			return vnp_fail(-EINVAL, "filter '%s' on %s:%s rejected by the kernel: %s",
					c->user_filter ? c->user_filter : c->filter, c->sys,
					c->name, why);
		}
	}
	for (size_t g = 0; g < pc->ngroups; g++) {
		int lfd = cs->fd[g * GROUP_MAX];

		ioctl(lfd, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP);
		if (ioctl(lfd, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP)) {
			int e = errno;

			close_cpu(pc, cpu);
			return vnp_fail(-e, "enabling counters on cpu %d: %s", cpu, strerror(e));
		}
	}
	memset(cs->prev, 0, pc->n * sizeof(*cs->prev));
	memset(cs->prev_en, 0, pc->ngroups * sizeof(*cs->prev_en));
	cs->open = true;
	return 0;
}

struct vnp_perfcount *vnp_perfcount_open(struct vnp_tp_counter *c, size_t n)
{
	struct vnp_perfcount *pc;
	unsigned char online[MAX_CPUS];
	char buf[4096];
	struct rlimit rl;
	int err = 0, nopen = 0;

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->c = c;
	pc->n = n;
	pc->ngroups = (n + GROUP_MAX - 1) / GROUP_MAX;
	if (vnp_read_file("/sys/devices/system/cpu/possible", buf, sizeof(buf)) < 0 ||
	    (pc->ncpus = vnp_parse_cpulist(buf, online, MAX_CPUS)) <= 0) {
		free(pc);
		return vnp_fail_null(-EIO, "cannot read /sys/devices/system/cpu/possible");
	}
	/* one fd per counter per CPU: take what the hard limit allows */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pc->cpu = calloc(pc->ncpus, sizeof(*pc->cpu));
	pc->buf = calloc(3 + 2 * GROUP_MAX, sizeof(uint64_t));
	if (!pc->cpu || !pc->buf)
		goto nomem;
	for (int cpu = 0; cpu < pc->ncpus; cpu++) {
		struct cpu_state *cs = &pc->cpu[cpu];

		cs->fd = malloc((n ? n : 1) * sizeof(int));
		cs->prev = calloc(n ? n : 1, sizeof(uint64_t));
		cs->prev_en = calloc(pc->ngroups ? pc->ngroups : 1, sizeof(uint64_t));
		if (!cs->fd || !cs->prev || !cs->prev_en)
			goto nomem;
		for (size_t i = 0; i < n; i++)
			cs->fd[i] = -1;
	}
	if (!n)
		return pc;
	if (vnp_cpus_online(online, MAX_CPUS) < 0) {
		vnp_perfcount_close(pc);
		return vnp_fail_null(-EIO, "cannot read /sys/devices/system/cpu/online");
	}
	for (int cpu = 0; cpu < pc->ncpus && !err; cpu++) {
		if (!online[cpu])
			continue;
		err = open_cpu(pc, cpu);
		if (err == -ENODEV)
			err = 0; /* went offline meanwhile: picked up by the next read */
		else if (!err)
			nopen++;
	}
	if (!err && !nopen)
		err = vnp_fail(-ENODEV, "no online CPU accepted a counter");
	if (err) {
		vnp_perfcount_close(pc);
		errno = -err;
		return NULL;
	}
	return pc;
nomem:
	vnp_perfcount_close(pc);
	errno = ENOMEM;
	return NULL;
}

void vnp_perfcount_close(struct vnp_perfcount *pc)
{
	if (!pc)
		return;
	for (int cpu = 0; pc->cpu && cpu < pc->ncpus; cpu++) {
		struct cpu_state *cs = &pc->cpu[cpu];

		if (cs->fd) {
			for (size_t g = 0; cs->open && g < pc->ngroups; g++)
				ioctl(cs->fd[g * GROUP_MAX], PERF_EVENT_IOC_DISABLE,
				      PERF_IOC_FLAG_GROUP);
			close_cpu(pc, cpu);
		}
		free(cs->fd);
		free(cs->prev);
		free(cs->prev_en);
	}
	free(pc->cpu);
	free(pc->buf);
	free(pc);
}

/*
 * Add one CPU's deltas to @values. Returns 1 if the counters are frozen
 * (the CPU went away since the last read), 0 otherwise, or -errno.
 */
static int read_cpu(struct vnp_perfcount *pc, int cpu, double *values)
{
	struct cpu_state *cs = &pc->cpu[cpu];
	int frozen = 0;

	for (size_t g = 0; g < pc->ngroups; g++) {
		size_t first = g * GROUP_MAX, nr = pc->n - first < GROUP_MAX ? pc->n - first
									      : GROUP_MAX;
		ssize_t want = (ssize_t)((3 + 2 * nr) * sizeof(uint64_t));
		uint64_t *b = pc->buf;

		if (read(cs->fd[first], b, want) != want || b[0] != nr)
			return -EIO;
		/* b: nr, time_enabled, time_running, {value, id} x nr */
		if (b[1] == cs->prev_en[g])
			frozen = 1;
		cs->prev_en[g] = b[1];
		for (size_t j = 0; j < nr; j++) {
			struct vnp_tp_counter *c = &pc->c[first + j];
			uint64_t v = b[3 + 2 * j];

			values[c->series] += (double)(v - cs->prev[first + j]);
			cs->prev[first + j] = v;
		}
	}
	return frozen;
}

int vnp_perfcount_read(struct vnp_perfcount *pc, double *values, unsigned *flags)
{
	unsigned char online[MAX_CPUS];

	if (!pc->n)
		return 0;
	if (vnp_cpus_online(online, MAX_CPUS) < 0)
		memset(online, 1, sizeof(online));
	for (int cpu = 0; cpu < pc->ncpus; cpu++) {
		struct cpu_state *cs = &pc->cpu[cpu];

		if (cs->open) {
			int r = read_cpu(pc, cpu, values);

			if (r < 0 || r == 1 || !online[cpu]) {
				/* gone (or gone and back): what it counted since is lost */
				close_cpu(pc, cpu);
				*flags |= VNP_BIN_INCOMPLETE;
			}
		}
		if (!cs->open && cpu < MAX_CPUS && online[cpu]) {
			int err = open_cpu(pc, cpu);

			if (err && err != -ENODEV)
				return err;
			*flags |= VNP_BIN_INCOMPLETE;
		}
	}
	return 0;
}

int vnp_perfcount_open_cpus(const struct vnp_perfcount *pc)
{
	int n = 0;

	for (int cpu = 0; cpu < pc->ncpus; cpu++)
		n += pc->cpu[cpu].open;
	return n;
}

/* ---- as a collector: counters added one by one, then opened together ---- */

struct perf_coll {
	struct vnp_tp_counter *tp; /* vnp_perfcount keeps pointing at it */
	size_t ntp;
	struct vnp_perfcount *pc;
};

static int perf_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx, unsigned *flags)
{
	struct perf_coll *p = c->priv;

	return p->pc ? vnp_perfcount_read(p->pc, c->v, flags) : 0;
}

static void perf_coll_close(struct vnp_collector *c)
{
	struct perf_coll *p = c->priv;

	vnp_perfcount_close(p->pc);
	for (size_t i = 0; i < p->ntp; i++) {
		free(p->tp[i].filter);
		free(p->tp[i].user_filter);
	}
	free(p->tp);
	free(p);
}

static const struct vnp_collector_ops perf_ops = {
	.name = "perf",
	.read = perf_coll_read,
	.close = perf_coll_close,
};

struct vnp_collector *vnp_perf_collector_new(void)
{
	struct perf_coll *p = calloc(1, sizeof(*p));
	struct vnp_collector *c = p ? vnp_collector_new(&perf_ops, p) : NULL;

	if (!c)
		free(p);
	return c;
}

int vnp_perf_collector_add(struct vnp_collector *c, const struct vnp_tp_counter *tc,
			   const char *series)
{
	struct perf_coll *p = c->priv;
	struct vnp_tp_counter *t = realloc(p->tp, (p->ntp + 1) * sizeof(*t));
	int s;

	if (!t)
		return -ENOMEM;
	p->tp = t;
	s = vnp_collector_add_series(c, series, VNP_COUNTER, "events", VNP_INDICATOR,
				     VNP_BACKEND_PERF_COUNTER, false);
	if (s < 0)
		return s;
	t = &p->tp[p->ntp];
	*t = *tc;
	t->filter = vnp_strdup(tc->filter);
	t->user_filter = vnp_strdup(tc->user_filter);
	t->series = s;
	p->ntp++;
	if ((tc->filter && !t->filter) || (tc->user_filter && !t->user_filter))
		return -ENOMEM;
	return 0;
}

int vnp_perf_collector_start(struct vnp_collector *c)
{
	struct perf_coll *p = c->priv;

	if (!p->ntp)
		return 0;
	p->pc = vnp_perfcount_open(p->tp, p->ntp);
	return p->pc ? 0 : -errno;
}
