// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cpu-clock sampling, one event and one mmap ring per CPU, drained once per
 * bin (no wakeups, no poll). The ring protocol is the kernel's
 * (tools/include/linux/ring_buffer.h): load-acquire data_head, read the
 * records from data_tail, store-release data_tail. Losses are read with
 * PERF_FORMAT_LOST, the true total: PERF_RECORD_LOST is only written once
 * there is room again and under-reports.
 *
 * Attribution: a kernel sample goes to the kallsyms function that holds its
 * IP; a user sample to its thread's command, "[user] COMM", known from
 * PERF_RECORD_COMM (exec, rename) or else read once from /proc and cached
 * by thread id; PERF_RECORD_EXIT marks a cached name stale for samples
 * after the exit, so that a reused thread id is looked up again.
 */
#include "collect/sampler.h"
#include "collect/collector.h"

#include "collect/kallsyms.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PERF_FORMAT_LOST
#define PERF_FORMAT_LOST (1U << 4)
#endif

#define MAX_CPUS 4096
#define SAMPLE_BYTES 32 /* header, ip, pid/tid, time */
#define RING_SECONDS 4	/* what a ring holds at the sampling rate */

struct ring {
	int fd;
	void *base;
	size_t map_len;
	uint64_t data_off, data_size;
	uint64_t prev_lost, prev_en;
	bool open;
};

struct name_count {
	char *name;
	uint64_t count;
};

struct comm_ent {
	int tid; /* 0: free slot */
	int other;
	uint64_t exit_time; /* 0: alive as far as we know */
	char comm[16];
};

/* a ring record, copied so that every CPU's can be taken in time order */
struct rec {
	uint64_t time, ip;
	size_t seq;
	int pid, tid, ptid;
	uint16_t type, misc;
	char comm[16];
};

struct emit_ent {
	const char *name;
	uint64_t count;
};

struct vnp_sampler {
	int hz, ncpus;
	size_t pages;
	bool lost_exact; /* PERF_FORMAT_LOST accepted */
	struct ring *cpu;
	struct vnp_ksyms *ks;
	uint32_t *kcount; /* per kallsyms symbol, this bin */
	size_t *touched, ntouched;
	struct name_count *other; /* user commands and the bracketed names */
	size_t nother, other_cap;
	struct comm_ent *comm;
	size_t comm_cap, ncomm;
	uint64_t nsamples, lost_records, throttles;
	bool warned_throttle;
	unsigned char *rec; /* a record that wraps around the ring end */
	size_t rec_cap;
	struct rec *recs; /* this bin's, from every CPU */
	size_t nrecs, recs_cap;
};

static long perf_open(struct perf_event_attr *a, int cpu)
{
	return syscall(SYS_perf_event_open, a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int read_int(const char *path, int dflt)
{
	char buf[32];

	return vnp_read_file(path, buf, sizeof(buf)) > 0 ? atoi(buf) : dflt;
}

static void close_cpu(struct vnp_sampler *s, int cpu)
{
	struct ring *r = &s->cpu[cpu];

	if (r->base)
		munmap(r->base, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	r->base = NULL;
	r->fd = -1;
	r->open = false;
}

static int open_cpu(struct vnp_sampler *s, int cpu)
{
	struct ring *r = &s->cpu[cpu];
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = (uint64_t)(1e9 / s->hz + 0.5), /* cpu-clock counts ns */
		.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
		.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
			       (s->lost_exact ? PERF_FORMAT_LOST : 0),
		.disabled = 1,
		.comm = 1,
		.task = 1,
		.sample_id_all = 1, /* times on COMM records: names change in order */
	};
	long page = sysconf(_SC_PAGESIZE);
	struct perf_event_mmap_page *mp;
	long fd;

	fd = perf_open(&a, cpu);
	if (fd < 0 && errno == EINVAL && s->lost_exact) {
		/* before 6.0: no PERF_FORMAT_LOST; PERF_RECORD_LOST it is */
		s->lost_exact = false;
		pr_warn("this kernel has no PERF_FORMAT_LOST: lost samples are counted from "
			"PERF_RECORD_LOST, which under-reports\n");
		a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED;
		fd = perf_open(&a, cpu);
	}
	if (fd < 0) {
		int e = errno;

		if (e == ENODEV || e == ENXIO)
			return -ENODEV; /* offline: not an error */
		if (e == EACCES || e == EPERM)
			return vnp_fail(-EACCES, "the kernel refuses system-wide CPU sampling "
					"(kernel.perf_event_paranoid = %d): run as root or with "
					"CAP_PERFMON",
					read_int("/proc/sys/kernel/perf_event_paranoid", 99));
		if (e == ENOENT || e == EOPNOTSUPP)
			return vnp_fail(-EOPNOTSUPP, "this kernel cannot sample cpu-clock "
					"(CONFIG_PERF_EVENTS off?)");
		if (e == EMFILE || e == ENFILE)
			return vnp_fail(-EMFILE, "out of file descriptors: raise 'ulimit -n'");
		return vnp_fail(-e, "perf_event_open(cpu-clock, cpu %d): %s", cpu, strerror(e));
	}
	r->fd = (int)fd;
	r->map_len = (s->pages + 1) * (size_t)page;
	r->base = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->base == MAP_FAILED) {
		int e = errno;

		r->base = NULL;
		close_cpu(s, cpu);
		if (e == EPERM || e == ENOMEM)
			return vnp_fail(-ENOMEM, "cannot map a %zu KiB sample ring on cpu %d: "
					"raise kernel.perf_event_mlock_kb or run as root",
					s->pages * (size_t)page / 1024, cpu);
		return vnp_fail(-e, "mmap of the sample ring (cpu %d): %s", cpu, strerror(e));
	}
	mp = r->base;
	r->data_off = mp->data_offset ? mp->data_offset : (uint64_t)page;
	r->data_size = mp->data_size ? mp->data_size : s->pages * (uint64_t)page;
	r->prev_lost = 0;
	r->prev_en = 0;
	if (ioctl(r->fd, PERF_EVENT_IOC_ENABLE, 0)) {
		int e = errno;

		close_cpu(s, cpu);
		return vnp_fail(-e, "enabling sampling on cpu %d: %s", cpu, strerror(e));
	}
	r->open = true;
	return 0;
}

struct vnp_sampler *vnp_sampler_open(int hz)
{
	return vnp_sampler_open_ring(hz, 0);
}

struct vnp_sampler *vnp_sampler_open_ring(int hz, unsigned pages)
{
	unsigned char online[MAX_CPUS];
	int maxrate = read_int("/proc/sys/kernel/perf_event_max_sample_rate", 100000);
	long page = sysconf(_SC_PAGESIZE);
	struct vnp_sampler *s;
	struct rlimit rl;
	char buf[4096];
	uint64_t want;
	int err = 0, nopen = 0;

	if (hz < 1 || hz > maxrate)
		return vnp_fail_null(-EINVAL, "sampling rate %d Hz out of range: 1 .. %d (the "
				     "limit is kernel.perf_event_max_sample_rate)", hz, maxrate);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->hz = hz;
	s->lost_exact = true;
	/* a power of two of pages that holds RING_SECONDS of samples */
	want = (uint64_t)hz * RING_SECONDS * SAMPLE_BYTES;
	for (s->pages = 8; s->pages < 1024 && s->pages * (uint64_t)page < want; s->pages *= 2)
		;
	if (pages) {
		if (pages & (pages - 1)) {
			free(s);
			return vnp_fail_null(-EINVAL, "a sample ring is a power of two of pages, "
					     "not %u", pages);
		}
		s->pages = pages;
	}
	if (vnp_read_file("/sys/devices/system/cpu/possible", buf, sizeof(buf)) < 0 ||
	    (s->ncpus = vnp_parse_cpulist(buf, online, MAX_CPUS)) <= 0) {
		free(s);
		return vnp_fail_null(-EIO, "cannot read /sys/devices/system/cpu/possible");
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	s->cpu = calloc(s->ncpus, sizeof(*s->cpu));
	if (!s->cpu)
		goto nomem;
	for (int cpu = 0; cpu < s->ncpus; cpu++)
		s->cpu[cpu].fd = -1;
	s->ks = vnp_ksyms__load();
	if (!s->ks) {
		err = -errno;
		goto fail;
	}
	s->kcount = calloc(vnp_ksyms__count(s->ks), sizeof(*s->kcount));
	s->touched = calloc(vnp_ksyms__count(s->ks), sizeof(*s->touched));
	if (!s->kcount || !s->touched)
		goto nomem;
	if (vnp_cpus_online(online, MAX_CPUS) < 0) {
		err = vnp_fail(-EIO, "cannot read /sys/devices/system/cpu/online");
		goto fail;
	}
	for (int cpu = 0; cpu < s->ncpus && !err; cpu++) {
		if (!online[cpu])
			continue;
		err = open_cpu(s, cpu);
		if (err == -ENODEV)
			err = 0; /* went offline meanwhile: the next read picks it up */
		else if (!err)
			nopen++;
	}
	if (!err && !nopen)
		err = vnp_fail(-ENODEV, "no online CPU accepted a sampling event");
	if (err)
		goto fail;
	return s;
nomem:
	err = vnp_fail(-ENOMEM, "out of memory");
fail:
	vnp_sampler_close(s);
	errno = -err;
	return NULL;
}

void vnp_sampler_close(struct vnp_sampler *s)
{
	if (!s)
		return;
	for (int cpu = 0; s->cpu && cpu < s->ncpus; cpu++) {
		if (s->cpu[cpu].fd >= 0)
			ioctl(s->cpu[cpu].fd, PERF_EVENT_IOC_DISABLE, 0);
		close_cpu(s, cpu);
	}
	for (size_t i = 0; i < s->nother; i++)
		free(s->other[i].name);
	free(s->other);
	free(s->comm);
	free(s->kcount);
	free(s->touched);
	free(s->rec);
	free(s->recs);
	vnp_ksyms__free(s->ks);
	free(s->cpu);
	free(s);
}

int vnp_sampler_open_cpus(const struct vnp_sampler *s)
{
	int n = 0;

	for (int cpu = 0; cpu < s->ncpus; cpu++)
		n += s->cpu[cpu].open;
	return n;
}

/* the index of @name among the non-kernel names, added if new; -1 without memory */
static int other_index(struct vnp_sampler *s, const char *name)
{
	for (size_t i = 0; i < s->nother; i++)
		if (!strcmp(s->other[i].name, name))
			return (int)i;
	if (s->nother == s->other_cap) {
		size_t cap = s->other_cap ? s->other_cap * 2 : 16;
		struct name_count *p = realloc(s->other, cap * sizeof(*p));

		if (!p)
			return -1;
		s->other = p;
		s->other_cap = cap;
	}
	s->other[s->nother].name = vnp_strdup(name);
	if (!s->other[s->nother].name)
		return -1;
	s->other[s->nother].count = 0;
	return (int)s->nother++;
}

static struct comm_ent *comm_slot(struct vnp_sampler *s, int tid)
{
	size_t mask = s->comm_cap - 1, i = ((size_t)tid * 2654435761u) & mask;

	while (s->comm[i].tid && s->comm[i].tid != tid)
		i = (i + 1) & mask;
	return &s->comm[i];
}

/* the cache entry of @tid, created (empty comm) if missing; NULL without memory */
static struct comm_ent *comm_get(struct vnp_sampler *s, int tid)
{
	struct comm_ent *e;

	if (2 * (s->ncomm + 1) > s->comm_cap) {
		size_t ocap = s->comm_cap, cap = ocap ? ocap * 2 : 256;
		struct comm_ent *old = s->comm;

		s->comm = calloc(cap, sizeof(*s->comm));
		if (!s->comm) {
			s->comm = old;
			return NULL;
		}
		s->comm_cap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].tid)
				*comm_slot(s, old[i].tid) = old[i];
		free(old);
	}
	e = comm_slot(s, tid);
	if (!e->tid) {
		e->tid = tid;
		e->other = -1;
		e->exit_time = 0;
		e->comm[0] = '\0';
		s->ncomm++;
	}
	return e;
}

static void comm_set(struct comm_ent *e, const char *comm)
{
	size_t n = strnlen(comm, sizeof(e->comm) - 1);

	memcpy(e->comm, comm, n);
	e->comm[n] = '\0';
	e->other = -1;
	e->exit_time = 0;
}

/* the thread's name from /proc, "(exited)" if it is gone */
static void comm_fill(struct comm_ent *e, int pid, int tid)
{
	char path[64], buf[32];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	n = vnp_read_file(path, buf, sizeof(buf));
	if (n <= 0) {
		snprintf(path, sizeof(path), "/proc/%d/comm", tid);
		n = vnp_read_file(path, buf, sizeof(buf));
	}
	if (n > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		comm_set(e, buf);
	} else {
		comm_set(e, "(exited)");
	}
}

/* the index among the non-kernel names for a user sample of @pid/@tid at @time */
static int user_index(struct vnp_sampler *s, int pid, int tid, uint64_t time)
{
	char name[16 + sizeof(VNP_SAMPLE_USER_PREFIX)];
	struct comm_ent *e = comm_get(s, tid);

	if (!e)
		return -1;
	/* unknown, or known but the thread exited before this sample: a reused id */
	if (!e->comm[0] || (e->exit_time && time > e->exit_time))
		comm_fill(e, pid, tid);
	if (e->other < 0) {
		snprintf(name, sizeof(name), VNP_SAMPLE_USER_PREFIX "%s", e->comm);
		e->other = other_index(s, name);
	}
	return e->other;
}

static int count_other(struct vnp_sampler *s, int idx)
{
	if (idx < 0)
		return vnp_fail(-ENOMEM, "out of memory");
	s->other[idx].count++;
	return 0;
}

static int sample(struct vnp_sampler *s, const struct rec *r)
{
	const struct vnp_ksym *k;

	s->nsamples++;
	switch (r->misc & PERF_RECORD_MISC_CPUMODE_MASK) {
	case PERF_RECORD_MISC_KERNEL:
		k = vnp_ksyms__map_addr(s->ks, r->ip);
		if (!k)
			return count_other(s, other_index(s, VNP_SAMPLE_UNKNOWN_KERNEL));
		{
			size_t i = vnp_ksyms__index(s->ks, k);

			if (!s->kcount[i]++)
				s->touched[s->ntouched++] = i;
		}
		return 0;
	case PERF_RECORD_MISC_USER:
		return count_other(s, user_index(s, r->pid, r->tid, r->time));
	case PERF_RECORD_MISC_HYPERVISOR:
		return count_other(s, other_index(s, VNP_SAMPLE_HYPERVISOR));
	case PERF_RECORD_MISC_GUEST_KERNEL:
	case PERF_RECORD_MISC_GUEST_USER:
		return count_other(s, other_index(s, VNP_SAMPLE_GUEST));
	default:
		return count_other(s, other_index(s, VNP_SAMPLE_UNKNOWN_KERNEL));
	}
}

/* a record, in time order with the other CPUs' */
static int process(struct vnp_sampler *s, const struct rec *r)
{
	struct comm_ent *e, *parent;

	switch (r->type) {
	case PERF_RECORD_SAMPLE:
		return sample(s, r);
	case PERF_RECORD_COMM: /* exec or a rename: from now on */
		e = comm_get(s, r->tid);
		if (e)
			comm_set(e, r->comm);
		return 0;
	case PERF_RECORD_FORK: { /* the child starts with its parent's name */
		char c[16];

		parent = comm_get(s, r->ptid);
		if (!parent)
			return 0;
		if (!parent->comm[0])
			comm_fill(parent, r->ptid, r->ptid); /* there before we started */
		memcpy(c, parent->comm, sizeof(c));
		e = comm_get(s, r->tid); /* may move the table: @parent is stale now */
		if (e && strcmp(c, "(exited)"))
			comm_set(e, c);
		return 0;
	}
	case PERF_RECORD_EXIT:
		e = comm_get(s, r->tid);
		if (e)
			e->exit_time = r->time;
		return 0;
	default:
		return 0;
	}
}

static int rec_add(struct vnp_sampler *s, const struct perf_event_header *h)
{
	const uint32_t *w = (const uint32_t *)(h + 1);
	const uint64_t *d = (const uint64_t *)(h + 1);
	size_t len = h->size - sizeof(*h);
	struct rec *r;

	switch (h->type) {
	case PERF_RECORD_LOST: /* id, lost */
		if (len >= 16)
			s->lost_records += d[1];
		return 0;
	case PERF_RECORD_THROTTLE:
		s->throttles++;
		return 0;
	case PERF_RECORD_SAMPLE: /* ip, pid, tid, time */
		if (len < 24)
			return 0;
		break;
	case PERF_RECORD_COMM: /* pid, tid, comm[], sample_id (pid, tid, time) */
		if (len < 8 + 16 + 8)
			return 0;
		break;
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: /* pid, ppid, tid, ptid, time */
		if (len < 24)
			return 0;
		break;
	default:
		return 0;
	}
	if (s->nrecs == s->recs_cap) {
		size_t cap = s->recs_cap ? 2 * s->recs_cap : 4096;
		struct rec *p = realloc(s->recs, cap * sizeof(*p));

		if (!p)
			return vnp_fail(-ENOMEM, "out of memory");
		s->recs = p;
		s->recs_cap = cap;
	}
	r = &s->recs[s->nrecs];
	memset(r, 0, sizeof(*r));
	r->type = h->type;
	r->misc = h->misc;
	r->seq = s->nrecs++;
	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		r->ip = d[0];
		r->pid = (int)w[2];
		r->tid = (int)w[3];
		r->time = d[2];
		break;
	case PERF_RECORD_COMM: {
		size_t n = len - 8 - 16;

		r->pid = (int)w[0];
		r->tid = (int)w[1];
		if (n > sizeof(r->comm) - 1)
			n = sizeof(r->comm) - 1;
		memcpy(r->comm, (const char *)d + 8, n);
		r->comm[n] = '\0';
		memcpy(&r->time, (const char *)d + len - 8, sizeof(r->time));
		break;
	}
	default: /* FORK, EXIT */
		r->pid = (int)w[0];
		r->tid = (int)w[2];
		r->ptid = (int)w[3];
		r->time = d[2];
		break;
	}
	return 0;
}

/* copy every record in @cpu's ring since the last drain */
static int drain(struct vnp_sampler *s, int cpu)
{
	struct ring *r = &s->cpu[cpu];
	struct perf_event_mmap_page *mp = r->base;
	unsigned char *data = (unsigned char *)r->base + r->data_off;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail;
	int err = 0;

	while (tail < head && !err) {
		uint64_t off = tail % r->data_size;
		struct perf_event_header *h = (struct perf_event_header *)(data + off);
		size_t size = h->size;

		if (size < sizeof(*h) || size > head - tail)
			break; /* cannot happen: the kernel writes whole records */
		if (off + size > r->data_size) {
			size_t first = r->data_size - off;

			if (size > s->rec_cap) {
				unsigned char *p = realloc(s->rec, size);

				if (!p) {
					err = vnp_fail(-ENOMEM, "out of memory");
					break;
				}
				s->rec = p;
				s->rec_cap = size;
			}
			memcpy(s->rec, data + off, first);
			memcpy(s->rec + first, data, size - first);
			h = (struct perf_event_header *)s->rec;
		}
		err = rec_add(s, h);
		tail += size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
	return err;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The CPU's lost total since the last read into *@lost. Returns 1 if the
 * event is frozen (its CPU went away), 0, or -EIO.
 */
static int read_lost(struct vnp_sampler *s, int cpu, uint64_t *lost)
{
	struct ring *r = &s->cpu[cpu];
	uint64_t b[3] = { 0, 0, 0 };
	ssize_t want = (ssize_t)((s->lost_exact ? 3 : 2) * sizeof(uint64_t));
	int frozen;

	if (read(r->fd, b, want) != want)
		return -EIO;
	frozen = r->prev_en && b[1] == r->prev_en;
	r->prev_en = b[1];
	if (s->lost_exact) {
		*lost += b[2] - r->prev_lost;
		r->prev_lost = b[2];
	}
	return frozen;
}

static int cmp_emit(const void *a, const void *b)
{
	const struct emit_ent *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int emit_all(struct vnp_sampler *s, vnp_sampler_emit_fn emit, void *arg)
{
	size_t n = s->ntouched, k = 0;
	struct emit_ent *e;
	int ret = 0;

	for (size_t i = 0; i < s->nother; i++)
		n += s->other[i].count > 0;
	if (!n || !s->nsamples)
		return 0;
	e = malloc(n * sizeof(*e));
	if (!e)
		return vnp_fail(-ENOMEM, "out of memory");
	for (size_t i = 0; i < s->ntouched; i++) {
		e[k].name = vnp_ksyms__at(s->ks, s->touched[i])->name;
		e[k++].count = s->kcount[s->touched[i]];
	}
	for (size_t i = 0; i < s->nother; i++)
		if (s->other[i].count) {
			e[k].name = s->other[i].name;
			e[k++].count = s->other[i].count;
		}
	/* aliases were merged at load, but two static functions may share a name */
	qsort(e, k, sizeof(*e), cmp_emit);
	for (size_t i = 0; i < k && !ret; i++)
		ret = emit(arg, e[i].name, (double)e[i].count / (double)s->nsamples);
	free(e);
	return ret;
}

static void reset_bin(struct vnp_sampler *s)
{
	for (size_t i = 0; i < s->ntouched; i++)
		s->kcount[s->touched[i]] = 0;
	s->ntouched = 0;
	for (size_t i = 0; i < s->nother; i++)
		s->other[i].count = 0;
	s->nsamples = 0;
}

int vnp_sampler_read(struct vnp_sampler *s, vnp_sampler_emit_fn emit, void *arg,
		     uint64_t *samples, uint64_t *lost, unsigned *flags)
{
	unsigned char online[MAX_CPUS];
	uint64_t nlost = 0, lost_rec0 = s->lost_records;
	int err = 0;

	*samples = 0;
	*lost = 0;
	if (vnp_cpus_online(online, MAX_CPUS) < 0)
		memset(online, 1, sizeof(online));
	reset_bin(s);
	for (int cpu = 0; cpu < s->ncpus && !err; cpu++) {
		struct ring *r = &s->cpu[cpu];

		if (r->open) {
			/* losses first: what the ring holds now was not lost */
			int fr = read_lost(s, cpu, &nlost);

			err = drain(s, cpu);
			if (err)
				break;
			if (fr != 0 || !online[cpu]) {
				/* gone (or gone and back): the event never samples again */
				close_cpu(s, cpu);
				*flags |= VNP_BIN_INCOMPLETE;
			}
		}
		if (!r->open && online[cpu]) {
			err = open_cpu(s, cpu);
			if (err == -ENODEV)
				err = 0;
			else if (!err)
				*flags |= VNP_BIN_INCOMPLETE;
		}
	}
	if (!err && s->nrecs) {
		qsort(s->recs, s->nrecs, sizeof(*s->recs), cmp_rec);
		for (size_t i = 0; i < s->nrecs && !err; i++)
			err = process(s, &s->recs[i]);
	}
	s->nrecs = 0;
	if (err)
		return err;
	if (!s->lost_exact)
		nlost = s->lost_records - lost_rec0;
	if (s->throttles && !s->warned_throttle) {
		pr_warn("the kernel throttled sampling (kernel.perf_event_max_sample_rate or "
			"perf_cpu_time_max_percent): fewer samples than %d Hz\n", s->hz);
		s->warned_throttle = true;
	}
	*samples = s->nsamples;
	*lost = nlost;
	return emit_all(s, emit, arg);
}

/* ---- as a collector: cpu_samples, cpu_samples_lost, then a share per function ---- */

enum { SAMPLES, SAMPLES_LOST, SHARE_OTHER, SHARE_FIRST };

/*
 * A function gets its own series the first time it reaches VNP_SHARE_MIN of
 * a bin (earlier bins, where it was below, hold 0 and its samples are in
 * [other]); the series is added to the run on the fly.
 */
#define VNP_SHARE_MIN 0.01

static int emit_share(void *arg, const char *function, double share)
{
	struct vnp_collector *c = arg;
	struct vnp_label l = { "function", function };
	char name[256];
	int idx;

	if (vnp_series_name(name, sizeof(name), "cpu_share", &l, 1) < 0)
		return 0; /* a name we cannot store: counted in [other] */
	idx = vnp_collector_find(c, name, SHARE_OTHER);
	if (idx < 0 && share >= VNP_SHARE_MIN) {
		idx = vnp_collector_add_series(c, name, VNP_SHARE, "ratio", VNP_INDICATOR,
					       VNP_BACKEND_CPU_CLOCK, false);
		if (idx < 0)
			return idx;
	}
	c->v[idx >= 0 ? idx : SHARE_OTHER] += share;
	return 0;
}

/* the baseline read drains the rings; its shares are not the run's */
static int ignore_share(void *arg, const char *function, double share)
{
	return 0;
}

static int sampler_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx,
			     unsigned *flags)
{
	uint64_t samples = 0, lost = 0;
	int err = vnp_sampler_read(c->priv, ctx->baseline ? ignore_share : emit_share, c, &samples,
				   &lost, flags);

	if (err)
		return err < 0 ? err : -EIO;
	c->v[SAMPLES] = (double)samples;
	c->v[SAMPLES_LOST] = (double)lost;
	if (lost)
		*flags |= VNP_BIN_INCOMPLETE;
	return 0;
}

static void sampler_coll_close(struct vnp_collector *c)
{
	vnp_sampler_close(c->priv);
}

static const struct vnp_collector_ops sampler_ops = {
	.name = "sampler",
	.read = sampler_coll_read,
	.close = sampler_coll_close,
};

int vnp_sampler_collect(const struct vnp_record_opts *o, struct vnp_collectors *l)
{
	struct vnp_sampler *s;
	struct vnp_collector *c;

	if (!o->profile_hz)
		return 0;
	s = vnp_sampler_open(o->profile_hz);
	if (!s)
		return -errno;
	c = vnp_collectors_new(l, &sampler_ops, s);
	if (!c)
		return -errno;
	if (vnp_collector_add_series(c, "cpu_samples", VNP_COUNTER, "samples", VNP_CONTEXT,
				     VNP_BACKEND_CPU_CLOCK, false) < 0 ||
	    vnp_collector_add_series(c, "cpu_samples_lost", VNP_COUNTER, "samples", VNP_CONTEXT,
				     VNP_BACKEND_CPU_CLOCK, false) < 0 ||
	    vnp_collector_add_series(c, "cpu_share{function=\"[other]\"}", VNP_SHARE, "ratio",
				     VNP_INDICATOR, VNP_BACKEND_CPU_CLOCK, false) < 0)
		return -ENOMEM;
	return 0;
}
