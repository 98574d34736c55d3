// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ftrace backends for func:NAME.
 *
 * The function tracer runs in a private instance, "vnetprof-PID-ftrace":
 * tracing off, trace_clock "mono" (CLOCK_MONOTONIC, the recorder's clock),
 * overwrite off (a full buffer drops new events and counts them in
 * per_cpu/cpuN/stats), set_ftrace_filter written and checked before the
 * tracer is set (an empty filter would trace every function), the per-CPU
 * trace_pipe_raw readers opened, and only then tracing on. Each read drains
 * the readers (libtracefs tracefs_cpu_read(), pages parsed with kbuffer) and
 * bins every event's timestamp. The instance is removed on close and on
 * every failure, with signals blocked while it is being built or removed.
 *
 * The function profiler has no instances: function_profile_enabled and the
 * filter it obeys (the top-level set_ftrace_filter) are machine-wide. It is
 * used only when nobody else uses them (profiler off, filter empty, tracer
 * nop), and both are returned to that state on close.
 */
#include "collect/ftracefunc.h"
#include "collect/collector.h"

#include "collect/kallsyms.h"

#include <fcntl.h>
#include <kbuffer.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tracefs.h>
#include <unistd.h>

#define MAX_CPUS 4096
#define DEFAULT_BUFFER_KB 4096
#define STAT_MAX (1 << 20) /* a trace_stat/function<cpu> file, filtered: small */

struct pending {
	uint64_t *ts;
	size_t n, cap;
};

struct vnp_ftracefunc {
	int backend;
	size_t n;
	char **names;
	int ncpus; /* possible CPUs */
	/* tracer and events */
	struct tracefs_instance *inst;
	struct tracefs_cpu **tc;
	uint64_t *prev_drop;
	void *page;
	int page_size;
	struct kbuffer *kbuf;
	int *ids;  /* events: the event id of each series */
	int fn_id; /* tracer: the id of ftrace:function */
	int ip_off;
	struct vnp_ksyms *ks; /* tracer with several functions: ip -> name */
	struct pending *pend;
	/* profiler */
	uint64_t *prof_prev; /* [cpu * n + i] */
	char *statbuf;
	bool prof_enabled, prof_filter;
};

size_t vnp_bin_times(uint64_t *ts, size_t n, uint64_t origin_ns, uint64_t width_ns, int64_t first,
		     size_t nbins, double *counts, uint64_t *early)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t t = ts[i];
		int64_t k;

		if (t < origin_ns) {
			if (early)
				(*early)++;
			continue;
		}
		k = (int64_t)((t - origin_ns) / width_ns);
		if (k < first)
			k = first;
		if ((uint64_t)(k - first) >= nbins)
			ts[kept++] = t;
		else
			counts[k - first] += 1;
	}
	return kept;
}

int vnp_ftrace_profile_parse(const char *text, const char *const *funcs, size_t n,
			     uint64_t *hits)
{
	const char *p = strstr(text, "Function");
	int found = 0;

	for (size_t i = 0; i < n; i++)
		hits[i] = 0;
	if (!p || !strstr(p, "Hit"))
		return -EINVAL;
	/* the header, then the dashes line, then "  NAME  HITS ..." */
	p = strchr(p, '\n');
	if (p)
		p = strchr(p + 1, '\n');
	while (p && *p) {
		char name[64];
		unsigned long long h;
		int len;

		p++;
		if (sscanf(p, " %63s %llu%n", name, &h, &len) == 2) {
			for (size_t i = 0; i < n; i++) {
				/* "%-30.30s": longer names are cut */
				if (!strncmp(name, funcs[i], 30) &&
				    (strlen(funcs[i]) >= 30 || !strcmp(name, funcs[i]))) {
					if (!hits[i])
						found++;
					hits[i] += h;
				}
			}
		}
		p = strchr(p, '\n');
	}
	return found;
}

static int possible_cpus(void)
{
	unsigned char set[MAX_CPUS];
	char buf[4096];

	if (vnp_read_file("/sys/devices/system/cpu/possible", buf, sizeof(buf)) < 0)
		return -EIO;
	return vnp_parse_cpulist(buf, set, MAX_CPUS);
}

static struct vnp_ftracefunc *alloc_f(const char *const *names, size_t n, int backend)
{
	struct vnp_ftracefunc *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->backend = backend;
	f->n = n;
	f->ncpus = possible_cpus();
	f->names = calloc(n, sizeof(*f->names));
	f->pend = calloc(n, sizeof(*f->pend));
	if (f->ncpus <= 0 || !f->names || !f->pend) {
		vnp_ftracefunc_close(f);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		f->names[i] = vnp_strdup(names[i]);
		if (!f->names[i]) {
			vnp_ftracefunc_close(f);
			return NULL;
		}
	}
	return f;
}

/* write @s to @path (no O_TRUNC unless @trunc); returns 0 or -errno */
static int write_file(const char *path, const char *s, bool trunc)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (trunc ? O_TRUNC : 0));
	ssize_t w;
	int e;

	if (fd < 0)
		return -errno;
	w = write(fd, s, strlen(s));
	e = w < 0 ? errno : 0;
	close(fd);
	return w < 0 ? -e : 0;
}

static const char *filter_refusal(int e)
{
	if (e == EPERM || e == EACCES)
		return "a kernel policy forbids function tracing here";
	if (e == ENODEV || e == ENOENT)
		return "dynamic ftrace is off (CONFIG_DYNAMIC_FTRACE)";
	return "the kernel refuses it";
}

/*
 * Write every function to the set_ftrace_filter at @path, one per write so
 * that the kernel checks each. The file is opened with O_TRUNC: the filter
 * holds exactly these functions.
 */
static int write_filter(const char *path, const char *what, char *const *funcs, size_t n)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		return vnp_fail(-e, "func:%s: %s, but set_ftrace_filter refuses writes (%s): %s",
				funcs[0], what, strerror(e), filter_refusal(e));
	}
	for (size_t i = 0; i < n; i++) {
		char line[256];
		int len = snprintf(line, sizeof(line), "%s\n", funcs[i]);
		int e;

		if (len >= (int)sizeof(line) || strpbrk(funcs[i], "*?[!: \t")) {
			close(fd);
			return vnp_fail(-EINVAL, "func:%s: not a function name (no globs or "
					"commands)", funcs[i]);
		}
		if (write(fd, line, (size_t)len) == len)
			continue;
		e = errno;
		close(fd);
		if (e == EINVAL || e == ENOENT || e == ENODEV)
			return vnp_fail(-ENOENT, "func:%s: not a traceable function (not in "
					"available_filter_functions: inlined, notrace, or in a "
					"module that is not loaded)", funcs[i]);
		return vnp_fail(-e, "func:%s: set_ftrace_filter refuses it (%s): %s", funcs[i],
				strerror(e), filter_refusal(e));
	}
	if (close(fd)) {
		int e = errno;

		return vnp_fail(-e, "func:%s: set_ftrace_filter: %s", funcs[0], strerror(e));
	}
	return 0;
}

/* ---- the function profiler ---- */

static int profiler_open(struct vnp_ftracefunc *f)
{
	const char *dir = vnp_tracefs_dir();
	char path[512], buf[4096];
	int err;

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/function_profile_enabled", dir);
	err = vnp_read_file(path, buf, sizeof(buf));
	if (err == -ENOENT)
		return vnp_fail(-EOPNOTSUPP, "func:%s: the ftrace function profiler is absent "
				"(no function_profile_enabled: CONFIG_FUNCTION_PROFILER off)",
				f->names[0]);
	if (err < 0)
		return vnp_fail(err, "func:%s: cannot read %s: %s", f->names[0], path,
				strerror(-err));
	if (atoi(buf) != 0)
		return vnp_fail(-EBUSY, "func:%s: the function profiler is in use by another "
				"tool (function_profile_enabled = 1)", f->names[0]);
	/* the profiler obeys the top-level filter: only if nobody uses it */
	snprintf(path, sizeof(path), "%s/current_tracer", dir);
	if (vnp_read_file(path, buf, sizeof(buf)) < 0 || strncmp(buf, "nop", 3))
		return vnp_fail(-EBUSY, "func:%s: the function profiler shares the top-level "
				"function filter, and the top-level tracer is in use", f->names[0]);
	snprintf(path, sizeof(path), "%s/set_ftrace_filter", dir);
	err = vnp_read_file(path, buf, sizeof(buf));
	if (err < 0)
		return vnp_fail(err, "func:%s: the function profiler needs set_ftrace_filter, "
				"which refuses reads (%s): %s", f->names[0], strerror(-err),
				filter_refusal(-err));
	if (buf[0] && !strstr(buf, "all functions enabled"))
		return vnp_fail(-EBUSY, "func:%s: the function profiler shares the top-level "
				"set_ftrace_filter, which another tool has set", f->names[0]);
	f->prof_prev = calloc((size_t)f->ncpus * f->n, sizeof(*f->prof_prev));
	f->statbuf = malloc(STAT_MAX);
	if (!f->prof_prev || !f->statbuf)
		return vnp_fail(-ENOMEM, "out of memory");
	f->prof_filter = true; /* from here on, close clears it */
	err = write_filter(path, "the function profiler is present", f->names, f->n);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/function_profile_enabled", dir);
	err = write_file(path, "1", false);
	if (err)
		return vnp_fail(err, "func:%s: function_profile_enabled refuses writes (%s): %s",
				f->names[0], strerror(-err), filter_refusal(-err));
	f->prof_enabled = true;
	return 0;
}

static void profiler_close(struct vnp_ftracefunc *f)
{
	const char *dir = vnp_tracefs_dir();
	char path[512];

	if (!dir)
		return;
	if (f->prof_enabled) {
		snprintf(path, sizeof(path), "%s/function_profile_enabled", dir);
		write_file(path, "0", false);
	}
	if (f->prof_filter) {
		snprintf(path, sizeof(path), "%s/set_ftrace_filter", dir);
		write_file(path, "", true); /* O_TRUNC empties it */
	}
}

static int profiler_read(struct vnp_ftracefunc *f, double *counts)
{
	const char *dir = vnp_tracefs_dir();
	uint64_t hits[64], *h = f->n <= 64 ? hits : calloc(f->n, sizeof(*h));
	char path[512];

	if (!h)
		return vnp_fail(-ENOMEM, "out of memory");
	for (int cpu = 0; dir && cpu < f->ncpus; cpu++) {
		uint64_t *prev = &f->prof_prev[(size_t)cpu * f->n];

		snprintf(path, sizeof(path), "%s/trace_stat/function%d", dir, cpu);
		if (vnp_read_file(path, f->statbuf, STAT_MAX) < 0)
			continue; /* a CPU that was never online has no file */
		if (vnp_ftrace_profile_parse(f->statbuf, (const char *const *)f->names, f->n,
					     h) < 0)
			continue;
		for (size_t i = 0; i < f->n; i++) {
			/* the kernel's table may be reset under us: never negative */
			counts[i] += h[i] >= prev[i] ? (double)(h[i] - prev[i]) : (double)h[i];
			prev[i] = h[i];
		}
	}
	if (h != hits)
		free(h);
	return 0;
}

/* ---- the function tracer and events: a private instance ---- */

/* the offset of field @field in a format file, or -1 */
static int field_offset(const char *fmt, const char *field)
{
	char pat[80];
	const char *p;

	snprintf(pat, sizeof(pat), " %s;", field);
	p = strstr(fmt, pat);
	if (!p || !(p = strstr(p, "offset:")))
		return -1;
	return atoi(p + strlen("offset:"));
}

static int top_event_format(const char *sys, const char *name, char *buf, size_t size)
{
	const char *dir = vnp_tracefs_dir();
	char path[512];

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, sys, name);
	return vnp_read_file(path, buf, size);
}

static int instance_write(struct vnp_ftracefunc *f, const char *file, const char *val)
{
	if (tracefs_instance_file_write(f->inst, file, val) < 0) {
		int e = errno ? errno : EIO;

		return vnp_fail(-e, "writing '%s' to %s in a private tracefs instance: %s", val,
				file, strerror(e));
	}
	return 0;
}

/* common set-up of the instance, tracing off, before the tracer or events */
static int instance_create(struct vnp_ftracefunc *f, const char *what, unsigned buffer_kb)
{
	char name[64], kb[32];
	int err;

	if (!vnp_tracefs_dir())
		return -ENOENT;
	snprintf(name, sizeof(name), "vnetprof-%d-ftrace", (int)getpid());
	f->inst = tracefs_instance_create(name);
	if (!f->inst) {
		int e = errno ? errno : EIO;

		return vnp_fail(-e, "%s: cannot create a private tracefs instance (%s): %s", what,
				strerror(e), e == EACCES || e == EPERM ? "tracing needs root"
								     : "is tracefs writable?");
	}
	if (tracefs_trace_off(f->inst) < 0)
		return vnp_fail(-EIO, "%s: cannot turn tracing off in the private instance", what);
	err = instance_write(f, "trace_clock", "mono");
	if (err)
		return err;
	if (tracefs_option_disable(f->inst, TRACEFS_OPTION_OVERWRITE) < 0)
		return vnp_fail(-EIO, "%s: cannot turn the overwrite option off", what);
	snprintf(kb, sizeof(kb), "%u", buffer_kb ? buffer_kb : DEFAULT_BUFFER_KB);
	return instance_write(f, "buffer_size_kb", kb);
}

/* per-CPU readers and the page they read into; then tracing on */
static int instance_start(struct vnp_ftracefunc *f)
{
	f->tc = calloc(f->ncpus, sizeof(*f->tc));
	f->prev_drop = calloc(f->ncpus, sizeof(*f->prev_drop));
	f->kbuf = kbuffer_alloc(KBUFFER_LSIZE_SAME_AS_HOST, KBUFFER_ENDIAN_SAME_AS_HOST);
	if (!f->tc || !f->prev_drop || !f->kbuf)
		return vnp_fail(-ENOMEM, "out of memory");
	for (int cpu = 0; cpu < f->ncpus; cpu++) {
		f->tc[cpu] = tracefs_cpu_open(f->inst, cpu, true);
		if (!f->tc[cpu])
			continue; /* no buffer for a CPU never online: retried on read */
		if (tracefs_cpu_read_size(f->tc[cpu]) > f->page_size)
			f->page_size = tracefs_cpu_read_size(f->tc[cpu]);
	}
	if (!f->page_size)
		return vnp_fail(-EIO, "cannot open any per-CPU trace_pipe_raw of the private "
				"instance");
	f->page = malloc(f->page_size);
	if (!f->page)
		return vnp_fail(-ENOMEM, "out of memory");
	if (tracefs_trace_on(f->inst) < 0)
		return vnp_fail(-EIO, "cannot turn tracing on in the private instance");
	return 0;
}

static int tracer_open(struct vnp_ftracefunc *f)
{
	const char *dir = vnp_tracefs_dir();
	char path[512], *buf;
	int err;

	if (!dir)
		return -ENOENT;
	buf = malloc(8192);
	if (!buf)
		return vnp_fail(-ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/available_tracers", dir);
	if (vnp_read_file(path, buf, 8192) < 0 || !strstr(buf, "function")) {
		free(buf);
		return vnp_fail(-EOPNOTSUPP, "func:%s: the function tracer is absent (not in "
				"available_tracers: CONFIG_FUNCTION_TRACER off)", f->names[0]);
	}
	err = top_event_format("ftrace", "function", buf, 8192);
	if (err >= 0) {
		const char *id = strstr(buf, "ID:");

		f->fn_id = id ? atoi(id + 3) : -1;
		f->ip_off = field_offset(buf, "ip");
	}
	free(buf);
	if (err < 0 || f->fn_id < 0 || f->ip_off < 0)
		return vnp_fail(-EIO, "func:%s: cannot read the format of ftrace:function",
				f->names[0]);
	if (f->n > 1) {
		/* several functions: each call's ip says which */
		f->ks = vnp_ksyms__load();
		if (!f->ks)
			return -errno;
	}
	err = instance_create(f, f->names[0], 0);
	if (err)
		return err;
	{
		char *p = tracefs_instance_get_file(f->inst, "set_ftrace_filter");

		if (!p)
			return vnp_fail(-ENOMEM, "out of memory");
		err = write_filter(p, "the function tracer is listed", f->names, f->n);
		tracefs_put_tracing_file(p);
	}
	if (err)
		return err;
	if (tracefs_tracer_set(f->inst, TRACEFS_TRACER_FUNCTION) < 0) {
		int e = errno ? errno : EIO;

		return vnp_fail(-e, "func:%s: the private instance refuses the function tracer "
				"(%s): %s", f->names[0], strerror(e), filter_refusal(e));
	}
	return instance_start(f);
}

static int events_open(struct vnp_ftracefunc *f, const char *const *filters, unsigned buffer_kb)
{
	int err;

	f->ids = calloc(f->n, sizeof(*f->ids));
	if (!f->ids)
		return vnp_fail(-ENOMEM, "out of memory");
	for (size_t i = 0; i < f->n; i++) {
		char sys[64], name[128];

		err = vnp_event_split(f->names[i], sys, sizeof(sys), name, sizeof(name));
		if (err)
			return err;
		f->ids[i] = vnp_event_id(sys, name);
		if (f->ids[i] < 0)
			return f->ids[i];
	}
	err = instance_create(f, f->names[0], buffer_kb);
	if (err)
		return err;
	for (size_t i = 0; i < f->n; i++) {
		char sys[64], name[128];

		vnp_event_split(f->names[i], sys, sizeof(sys), name, sizeof(name));
		if (filters && filters[i] && filters[i][0] &&
		    tracefs_event_file_write(f->inst, sys, name, "filter", filters[i]) < 0) {
			char why[300];

			if (!vnp_filter_explain(sys, name, filters[i], why, sizeof(why)))
				snprintf(why, sizeof(why), "rejected");
			return vnp_fail(-EINVAL, "filter '%s' on %s rejected by the kernel: %s",
					filters[i], f->names[i], why);
		}
		if (tracefs_event_enable(f->inst, sys, name) < 0) {
			int e = errno ? errno : EIO;

			return vnp_fail(-e, "cannot enable %s in the private instance: %s",
					f->names[i], strerror(e));
		}
	}
	return instance_start(f);
}

static void instance_destroy(struct vnp_ftracefunc *f)
{
	for (int cpu = 0; f->tc && cpu < f->ncpus; cpu++)
		if (f->tc[cpu])
			tracefs_cpu_close(f->tc[cpu]);
	free(f->tc);
	f->tc = NULL;
	if (f->inst) {
		/* off first, so that nothing runs while the instance goes */
		tracefs_trace_off(f->inst);
		if (f->backend == VNP_FTRACE_TRACER)
			tracefs_tracer_clear(f->inst);
		tracefs_instance_destroy(f->inst);
		tracefs_instance_free(f->inst);
		f->inst = NULL;
	}
}

/* which series an event belongs to, or -1 */
static int series_of(struct vnp_ftracefunc *f, const void *data, unsigned size)
{
	int type = *(const unsigned short *)data;

	if (f->backend == VNP_FTRACE_EVENTS) {
		for (size_t i = 0; i < f->n; i++)
			if (f->ids[i] == type)
				return (int)i;
		return -1;
	}
	if (type != f->fn_id)
		return -1;
	if (f->n == 1)
		return 0;
	if (size >= (unsigned)f->ip_off + 8) {
		uint64_t ip;
		const struct vnp_ksym *k;

		memcpy(&ip, (const char *)data + f->ip_off, sizeof(ip));
		k = vnp_ksyms__map_addr(f->ks, ip);
		for (size_t i = 0; k && i < f->n; i++)
			if (!strcmp(k->name, f->names[i]))
				return (int)i;
	}
	return -1;
}

static int pend_add(struct pending *p, uint64_t ts)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		uint64_t *q = realloc(p->ts, cap * sizeof(*q));

		if (!q)
			return vnp_fail(-ENOMEM, "out of memory");
		p->ts = q;
		p->cap = cap;
	}
	p->ts[p->n++] = ts;
	return 0;
}

static uint64_t stat_value(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static int drain_cpu(struct vnp_ftracefunc *f, int cpu)
{
	/* a bound, so that a flood cannot keep us here: the buffer's pages, twice */
	size_t max_pages = 2 * (size_t)DEFAULT_BUFFER_KB * 1024 / (size_t)f->page_size + 64;

	for (size_t pg = 0; pg < max_pages; pg++) {
		unsigned long long ts;
		void *data;
		int r = tracefs_cpu_read(f->tc[cpu], f->page, true);

		if (r <= 0)
			break;
		if (kbuffer_load_subbuffer(f->kbuf, f->page) < 0)
			continue;
		for (data = kbuffer_read_event(f->kbuf, &ts); data;
		     data = kbuffer_next_event(f->kbuf, &ts)) {
			int s = series_of(f, data, (unsigned)kbuffer_event_size(f->kbuf));
			int err;

			if (s < 0)
				continue;
			err = pend_add(&f->pend[s], ts);
			if (err)
				return err;
		}
	}
	return 0;
}

static int tracer_read(struct vnp_ftracefunc *f, double origin_mono, double bin_s, int64_t bin,
		       double *counts, uint64_t *dropped)
{
	uint64_t origin_ns = (uint64_t)llround(origin_mono * 1e9);
	uint64_t width_ns = (uint64_t)llround(bin_s * 1e9);

	if (!width_ns || bin < 0)
		return vnp_fail(-EINVAL, "bad bin: width %g s, index %lld", bin_s, (long long)bin);
	for (int cpu = 0; cpu < f->ncpus; cpu++) {
		char file[64], *st;
		uint64_t d;
		int err;

		if (!f->tc[cpu]) {
			f->tc[cpu] = tracefs_cpu_open(f->inst, cpu, true);
			if (!f->tc[cpu] || tracefs_cpu_read_size(f->tc[cpu]) > f->page_size) {
				/* cannot happen: one sub-buffer size per instance */
				if (f->tc[cpu])
					tracefs_cpu_close(f->tc[cpu]);
				f->tc[cpu] = NULL;
				continue;
			}
		}
		/* drops first: what is read now was not dropped */
		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		st = tracefs_instance_file_read(f->inst, file, NULL);
		if (st) {
			d = stat_value(st, "dropped events:") + stat_value(st, "\noverrun:");
			*dropped += d >= f->prev_drop[cpu] ? d - f->prev_drop[cpu] : d;
			f->prev_drop[cpu] = d;
			free(st);
		}
		err = drain_cpu(f, cpu);
		if (err)
			return err;
	}
	for (size_t i = 0; i < f->n; i++)
		f->pend[i].n = vnp_bin_times(f->pend[i].ts, f->pend[i].n, origin_ns, width_ns, bin,
					     1, &counts[i], NULL);
	return 0;
}

/* ---- the interface ---- */

struct vnp_ftracefunc *vnp_ftracefunc_open(const char *const *funcs, size_t n, int which)
{
	struct vnp_ftracefunc *f;
	sigset_t all, old;
	int err;

	if (!n)
		return vnp_fail_null(-EINVAL, "no function to count");
	if (which != VNP_FTRACE_AUTO && which != VNP_FTRACE_PROFILER &&
	    which != VNP_FTRACE_TRACER)
		return vnp_fail_null(-EINVAL, "unknown ftrace backend %d", which);
	f = alloc_f(funcs, n, which == VNP_FTRACE_AUTO ? VNP_FTRACE_PROFILER : which);
	if (!f)
		return vnp_fail_null(-ENOMEM, "out of memory");
	/* no signal may leave kernel state behind half-built */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (f->backend == VNP_FTRACE_PROFILER) {
		err = profiler_open(f);
		if (err && which == VNP_FTRACE_AUTO &&
		    (err == -EOPNOTSUPP || err == -EBUSY || err == -EPERM || err == -EACCES)) {
			char why[512];

			snprintf(why, sizeof(why), "%s", vnp_errmsg());
			profiler_close(f);
			f->prof_enabled = f->prof_filter = false;
			f->backend = VNP_FTRACE_TRACER;
			err = tracer_open(f);
			if (err) {
				/* both reasons, each without its "func:NAME:" */
				const char *p = strchr(why, ' '), *q;
				char tracer[512];

				snprintf(tracer, sizeof(tracer), "%s", vnp_errmsg());
				q = strchr(tracer, ' ');
				err = vnp_fail(err, "func:%s: no ftrace backend works here: "
					       "function profiler:%s; function tracer:%s",
					       f->names[0],
					       p ? p : why, q ? q : tracer);
			}
		}
	} else {
		err = tracer_open(f);
	}
	if (err) {
		vnp_ftracefunc_close(f); /* blocks nothing new: already blocked */
		sigprocmask(SIG_SETMASK, &old, NULL);
		errno = -err;
		return NULL;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return f;
}

struct vnp_ftracefunc *vnp_ftracefunc_open_events(const char *const *events,
						  const char *const *filters, size_t n,
						  unsigned buffer_kb)
{
	struct vnp_ftracefunc *f;
	sigset_t all, old;
	int err;

	if (!n)
		return vnp_fail_null(-EINVAL, "no event to count");
	f = alloc_f(events, n, VNP_FTRACE_EVENTS);
	if (!f)
		return vnp_fail_null(-ENOMEM, "out of memory");
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	err = events_open(f, filters, buffer_kb);
	if (err) {
		vnp_ftracefunc_close(f);
		sigprocmask(SIG_SETMASK, &old, NULL);
		errno = -err;
		return NULL;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return f;
}

int vnp_ftracefunc_backend(const struct vnp_ftracefunc *f)
{
	return f->backend;
}

int vnp_ftracefunc_read(struct vnp_ftracefunc *f, double origin_mono, double bin_s, int64_t bin,
			double *counts, uint64_t *dropped)
{
	*dropped = 0;
	if (f->backend == VNP_FTRACE_PROFILER)
		return profiler_read(f, counts);
	return tracer_read(f, origin_mono, bin_s, bin, counts, dropped);
}

void vnp_ftracefunc_close(struct vnp_ftracefunc *f)
{
	sigset_t all, old;

	if (!f)
		return;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (f->backend == VNP_FTRACE_PROFILER)
		profiler_close(f);
	else
		instance_destroy(f);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (f->kbuf)
		kbuffer_free(f->kbuf);
	vnp_ksyms__free(f->ks);
	for (size_t i = 0; f->names && i < f->n; i++)
		free(f->names[i]);
	for (size_t i = 0; f->pend && i < f->n; i++)
		free(f->pend[i].ts);
	free(f->names);
	free(f->pend);
	free(f->ids);
	free(f->prev_drop);
	free(f->page);
	free(f->prof_prev);
	free(f->statbuf);
	free(f);
}

/* ---- as a collector: a series per function or event, and the events lost ---- */

static int ftrace_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx,
			    unsigned *flags)
{
	struct vnp_ftracefunc *f = c->priv;
	uint64_t dropped = 0;
	int err;

	/* timestamped backends drop what precedes the origin by themselves;
	 * the profiler only counts, so its baseline is a read we discard */
	if (ctx->baseline && vnp_ftracefunc_backend(f) != VNP_FTRACE_PROFILER)
		return 0;
	err = vnp_ftracefunc_read(f, ctx->origin, ctx->bin_s, ctx->bin < 0 ? 0 : ctx->bin, c->v,
				  &dropped);
	if (err)
		return err;
	c->v[c->ns - 1] = (double)dropped;
	if (dropped)
		*flags |= VNP_BIN_INCOMPLETE;
	return 0;
}

static void ftrace_coll_close(struct vnp_collector *c)
{
	vnp_ftracefunc_close(c->priv);
}

static const struct vnp_collector_ops ftrace_ops = {
	.name = "ftrace",
	.read = ftrace_coll_read,
	.close = ftrace_coll_close,
};

struct vnp_collector *vnp_ftrace_collector(const char *const *what, const char *const *filters,
					   size_t n, bool events, int which)
{
	struct vnp_ftracefunc *f = events ? vnp_ftracefunc_open_events(what, filters, n, 0)
					  : vnp_ftracefunc_open(what, n, which);
	int b = f ? vnp_ftracefunc_backend(f) : 0;
	const char *be = b == VNP_FTRACE_PROFILER ? "ftrace:profiler"
			 : b == VNP_FTRACE_TRACER ? "ftrace:tracer"
						  : "ftrace:events";
	struct vnp_collector *c;
	char name[256];
	int err = 0;

	if (!f)
		return NULL;
	c = vnp_collector_new(&ftrace_ops, f);
	if (!c) {
		vnp_ftracefunc_close(f);
		return vnp_fail_null(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct vnp_label l[2] = { { events ? "event" : "function", what[i] },
					  { "filter", filters ? filters[i] : NULL } };

		if (vnp_series_name(name, sizeof(name), events ? "tracepoint_hits" : "function_calls",
				    l, filters && filters[i] ? 2 : 1) < 0)
			err = vnp_fail(-ENAMETOOLONG, "%s: its series name is too long", what[i]);
		else
			err = vnp_collector_add_series(c, name, VNP_COUNTER,
						       events ? "events" : "calls", VNP_INDICATOR,
						       be, false);
	}
	/* last: read() puts the lost events there */
	snprintf(name, sizeof(name), "trace_lost_events{backend=\"%s\"}",
		 events ? "ftrace:events" : "ftrace:functions");
	if (!err)
		err = vnp_collector_add_series(c, name, VNP_COUNTER, "events", VNP_CONTEXT, be, false);
	if (err < 0) {
		vnp_collector_close(c);
		errno = -err;
		return NULL;
	}
	return c;
}
