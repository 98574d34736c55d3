// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The recorder: one thread, poll() over a timerfd with absolute deadlines
 * (bins do not drift) and a signalfd (SIGINT/SIGTERM stop cleanly, SIGCHLD
 * ends a run that follows a command). Every collector is opened before the
 * run exists in the store, so a refused counter leaves nothing behind; every
 * path out closes every counter.
 */
#include "collect/collect.h"
#include "collect/bpfcount.h"
#include "collect/ftracefunc.h"
#include "collect/sampler.h"
#include "collect/perfcount.h"
#include "collect/procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BPF 64

struct rseries {
	struct vnp_series_info info;
	char name[256];
	bool cumulative; /* value is a running total: store its delta */
	double prev;
};

struct recorder {
	const struct vnp_record_opts *o;
	struct rseries *s;
	size_t ns, scap;
	struct vnp_tp_counter *tp;
	size_t ntp;
	struct vnp_perfcount *pc;
	struct vnp_bpfcount *bc[MAX_BPF];
	size_t bc_first[MAX_BPF], nbc;
	/* ftrace: function profiler/tracer per function, or timestamped events */
	struct vnp_ftracefunc *ff[MAX_BPF];
	size_t ff_first[MAX_BPF], ff_n[MAX_BPF], ff_drop[MAX_BPF], nff;
	double t0;
	int64_t kb; /* the bin being read */
	/* the CPU-share profiler: its series appear as functions do */
	struct vnp_sampler *sampler;
	size_t samples_series, other_series;
	bool baseline;
	bool rt; /* switched to SCHED_FIFO; old_policy/old_sp to go back */
	int old_policy;
	struct sched_param old_sp;
	struct vnp_netdev **nd;
	size_t *nd_series; /* first series of each target device */
	struct vnp_kcounters *kc;
	size_t kc_series;
	struct vnp_vmcpu *vmc;
	size_t vmc_series;
	struct vnp_cpustat *cpu;
	size_t cpu_series;
	struct vnp_runq *rq;
	size_t rq_series;
	double *vals, *tot;
	bool *dev_gone;
	struct vnp_store *st;
	struct vnp_writer *w;
	int tfd, sfd;
	pid_t child;
	sigset_t oldmask;
};

static int add_series(struct recorder *r, const char *name, enum vnp_kind kind, const char *unit,
		      enum vnp_role role, const char *backend, bool cumulative)
{
	struct rseries *s;

	if (r->ns == r->scap) {
		size_t cap = r->scap ? r->scap * 2 : 32;

		s = realloc(r->s, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		r->s = s;
		r->scap = cap;
	}
	s = &r->s[r->ns];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->info.kind = kind;
	s->info.unit = (char *)unit;
	s->info.role = role;
	s->info.backend = (char *)backend;
	s->cumulative = cumulative;
	return (int)r->ns++;
}

static int add_counter_l(struct recorder *r, const char *sys, const char *name, int id,
			 const char *filter, const char *user_filter, const char *key,
			 const char *value);

static int add_counter(struct recorder *r, const char *sys, const char *name, int id,
		       const char *filter, const char *user_filter, const char *dev)
{
	return add_counter_l(r, sys, name, id, filter, user_filter, "dev", dev);
}

static int add_counter_l(struct recorder *r, const char *sys, const char *name, int id,
			 const char *filter, const char *user_filter, const char *key,
			 const char *dev)
{
	struct vnp_tp_counter *c;
	struct vnp_label l[3];
	char event[200], sname[256];
	size_t nl = 0;
	int s;

	/* the user's filter is part of the name: one event may be counted twice */
	snprintf(event, sizeof(event), "%s:%s", sys, name);
	l[nl++] = (struct vnp_label){ "event", event };
	if (dev)
		l[nl++] = (struct vnp_label){ key, dev };
	if (user_filter)
		l[nl++] = (struct vnp_label){ "filter", user_filter };
	if (vnp_series_name(sname, sizeof(sname), "tracepoint_hits", l, nl) < 0)
		return vnp_fail(-ENAMETOOLONG, "series name too long for %s", event);
	for (size_t i = 0; i < r->ns; i++)
		if (!strcmp(r->s[i].name, sname))
			return vnp_fail(-EINVAL, "%s%s%s is given twice", event,
					user_filter ? " with filter " : "",
					user_filter ? user_filter : "");
	s = add_series(r, sname, VNP_COUNTER, "events", VNP_INDICATOR, "perf", false);
	if (s < 0)
		return s;
	c = realloc(r->tp, (r->ntp + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	r->tp = c;
	c = &r->tp[r->ntp++];
	memset(c, 0, sizeof(*c));
	snprintf(c->sys, sizeof(c->sys), "%s", sys);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->id = id;
	c->filter = filter ? strdup(filter) : NULL;
	c->user_filter = user_filter ? strdup(user_filter) : NULL;
	c->series = s;
	return 0;
}

/* take over a BPF counter: its series become the recorder's */
static int adopt_bpf(struct recorder *r, struct vnp_bpfcount *bc)
{
	if (r->nbc == MAX_BPF) {
		vnp_bpfcount_close(bc);
		return vnp_fail(-E2BIG, "more than %d BPF counters", MAX_BPF);
	}
	r->bc[r->nbc] = bc;
	r->bc_first[r->nbc++] = r->ns;
	for (size_t i = 0; i < vnp_bpfcount_nseries(bc); i++) {
		const struct vnp_series_info *si = vnp_bpfcount_series(bc, i);

		for (size_t j = 0; j < r->ns; j++)
			if (!strcmp(r->s[j].name, si->name))
				return vnp_fail(-EINVAL, "%s is counted twice (two backends?)",
						si->name);
		if (add_series(r, si->name, si->kind, si->unit, si->role, si->backend, false) < 0)
			return -ENOMEM;
	}
	return 0;
}

static bool is_bpf_backend(const char *b)
{
	static const char *const names[] = { "bpf", "tp_btf", "tp", "raw_tp", "fentry", "kprobe" };

	if (!b)
		return false;
	if (!strncmp(b, "bpf:", 4))
		b += 4;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(b, names[i]))
			return true;
	return false;
}

/* the backend name bpfcount takes: NULL for "bpf" (the best there is) */
static const char *bpf_backend(const char *b)
{
	if (!b || !strcmp(b, "bpf"))
		return NULL;
	return b;
}

/* take over an ftrace counter of @n things; series names are given */
static int adopt_ftrace(struct recorder *r, struct vnp_ftracefunc *f, char names[][256], size_t n,
			const char *drop_name)
{
	const char *be;
	int s;

	if (r->nff == MAX_BPF) {
		vnp_ftracefunc_close(f);
		return vnp_fail(-E2BIG, "more than %d ftrace counters", MAX_BPF);
	}
	be = vnp_ftracefunc_backend(f) == VNP_FTRACE_PROFILER ? "ftrace:profiler"
	     : vnp_ftracefunc_backend(f) == VNP_FTRACE_TRACER ? "ftrace:tracer"
							       : "ftrace:events";
	r->ff[r->nff] = f;
	r->ff_first[r->nff] = r->ns;
	r->ff_n[r->nff] = n;
	for (size_t i = 0; i < n; i++)
		if (add_series(r, names[i], VNP_COUNTER, strncmp(names[i], "function", 8) ? "events"
											     : "calls",
			       VNP_INDICATOR, be, false) < 0)
			return -ENOMEM;
	s = add_series(r, drop_name, VNP_COUNTER, "events", VNP_CONTEXT, be, false);
	if (s < 0)
		return s;
	r->ff_drop[r->nff++] = (size_t)s;
	return 0;
}

static int ftrace_which(const char *backend)
{
	if (!backend)
		return VNP_FTRACE_AUTO;
	if (!strcmp(backend, "function-profiler"))
		return VNP_FTRACE_PROFILER;
	if (!strcmp(backend, "function-tracer"))
		return VNP_FTRACE_TRACER;
	return -1;
}

/*
 * func:NAME through BPF (fentry, then kprobe). Returns 1 when BPF cannot and
 * the ftrace backends (the function profiler, then the function tracer: one
 * private instance for every such function) should try; @why keeps BPF's
 * reason.
 */
static int setup_function(struct recorder *r, const char *fn, const char *backend, char *why,
			  size_t size)
{
	struct vnp_bpf_spec bs = { .func = true };
	struct vnp_bpfcount *bc;

	if (backend && !is_bpf_backend(backend) && ftrace_which(backend) < 0)
		return vnp_fail(-EINVAL, "func:%s: backend '%s' does not count functions; use "
				"fentry, kprobe, function-profiler or function-tracer", fn, backend);
	*why = '\0';
	if (backend && !is_bpf_backend(backend))
		return 1;
	snprintf(bs.name, sizeof(bs.name), "%s", fn);
	bs.backend = bpf_backend(backend);
	bc = vnp_bpfcount_open(&bs, 1);
	if (bc)
		return adopt_bpf(r, bc);
	if (backend)
		return -errno;
	snprintf(why, size, "%s", vnp_errmsg());
	return 1;
}

/* one ftrace counter for @n functions (or events); series named by @metric */
static int setup_ftrace(struct recorder *r, const char **what, const char **filters, size_t n,
			bool events, int which, const char *bpf_why)
{
	char (*names)[256] = calloc(n + 1, sizeof(*names)), drop[256];
	struct vnp_ftracefunc *f;
	int err;

	if (!names)
		return -ENOMEM;
	f = events ? vnp_ftracefunc_open_events(what, filters, n, 0)
		   : vnp_ftracefunc_open(what, n, which);
	if (!f) {
		err = -errno;
		if (bpf_why && *bpf_why) {
			char ft[512];

			snprintf(ft, sizeof(ft), "%s", vnp_errmsg());
			err = vnp_fail(err, "%s; %s", bpf_why, ft);
		}
		free(names);
		return err;
	}
	for (size_t i = 0; i < n; i++) {
		struct vnp_label l[2] = { { events ? "event" : "function", what[i] },
					  { "filter", filters ? filters[i] : NULL } };

		if (vnp_series_name(names[i], sizeof(names[i]),
				    events ? "tracepoint_hits" : "function_calls", l,
				    filters && filters[i] ? 2 : 1) < 0) {
			free(names);
			vnp_ftracefunc_close(f);
			return vnp_fail(-ENAMETOOLONG, "%s: its series name is too long", what[i]);
		}
	}
	snprintf(drop, sizeof(drop), "trace_lost_events{backend=\"%s\"}",
		 events ? "ftrace:events" : "ftrace:functions");
	err = adopt_ftrace(r, f, names, n, drop);
	free(names);
	return err;
}

/* append `&& field == "dev"` (or the negation of all devices) to a filter */
static char *dev_filter(const char *user, const char *field, char **devs, size_t ndev,
			const char *only)
{
	size_t size = 64 + (user ? strlen(user) : 0);
	char *f, *p;

	for (size_t i = 0; i < ndev; i++)
		size += strlen(devs[i]) + strlen(field) + 16;
	f = p = malloc(size);
	if (!f)
		return NULL;
	p += sprintf(p, "%s%s%s", user ? "(" : "", user ? user : "", user ? ") && " : "");
	if (only) {
		sprintf(p, "%s == \"%s\"", field, only);
		return f;
	}
	/* the rest: every device not named, so the series add up to the total */
	p += sprintf(p, "(");
	for (size_t i = 0; i < ndev; i++)
		p += sprintf(p, "%s%s != \"%s\"", i ? " && " : "", field, devs[i]);
	sprintf(p, ")");
	return f;
}

/* @part after " || " onto the clause *@f; -ENOMEM (and *@f freed) if it cannot grow */
static int clause_add(char **f, size_t *len, size_t *size, const char *part)
{
	size_t need = *len + strlen(part) + 5;

	if (need > *size) {
		char *nf = realloc(*f, *size = 2 * need);

		if (!nf) {
			free(*f);
			*f = NULL;
			return -ENOMEM;
		}
		*f = nf;
	}
	*len += sprintf(*f + *len, "%s%s", *len ? " || " : "", part);
	return 0;
}

/* "field == "a" || field == "b"" for the devices (or the threads) of one VM */
static char *vm_clause(const struct vnp_vm_dev *vms, size_t n, const char *vm, const char *field,
		       bool threads)
{
	size_t size = 64, len = 0;
	char *f = malloc(size);
	char part[160];

	if (!f)
		return NULL;
	*f = '\0';
	for (size_t i = 0; f && i < n; i++) {
		pid_t kt[64];
		char path[64];
		struct dirent *de;
		DIR *d;
		int nk;

		if (strcmp(vms[i].vm, vm))
			continue;
		if (!threads) {
			if (*vms[i].dev) {
				snprintf(part, sizeof(part), "%s == \"%s\"", field, vms[i].dev);
				clause_add(&f, &len, &size, part);
			}
			continue;
		}
		/*
		 * The QEMU process's threads (vCPUs, I/O, and on kernels since 6.4
		 * the vhost workers) as they are now; before 6.4 the vhost workers
		 * are kernel threads named vhost-<qemu pid>.
		 */
		if (vms[i].pid <= 0 || *vms[i].dev)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task", (int)vms[i].pid);
		d = opendir(path);
		while (f && d && (de = readdir(d))) {
			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			snprintf(part, sizeof(part), "common_pid == %.32s", de->d_name);
			clause_add(&f, &len, &size, part);
		}
		if (d)
			closedir(d);
		nk = vnp_vhost_kthreads(vms[i].pid, kt, (int)ARRAY_SIZE(kt));
		for (int k = 0; f && k < nk; k++) {
			snprintf(part, sizeof(part), "common_pid == %d", (int)kt[k]);
			clause_add(&f, &len, &size, part);
		}
	}
	return f;
}

/*
 * --by vm: one counter per VM, by its devices (events that name a device)
 * or its QEMU threads (events that do not, on a KVM host), and vm="host"
 * for everything else, so the series add up to the event's total.
 */
static int add_vm_counters(struct recorder *r, const char *sys, const char *name, int id,
			   const char *filter, const char *field, const struct vnp_vm_dev *vms,
			   size_t n)
{
	char *rest = NULL, *clause;
	size_t rest_len = 0;
	int err = 0, nvm = 0;

	for (size_t i = 0; i < n && !err; i++) {
		bool seen = false;
		char *f;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(vms[j].vm, vms[i].vm);
		if (seen)
			continue;
		clause = vm_clause(vms, n, vms[i].vm, field ? field : "", !field);
		if (!clause)
			return -ENOMEM;
		if (!*clause) {
			free(clause);
			continue;
		}
		f = malloc(strlen(clause) + (filter ? strlen(filter) : 0) + 16);
		if (!f) {
			free(clause);
			return -ENOMEM;
		}
		sprintf(f, "%s%s%s(%s)", filter ? "(" : "", filter ? filter : "",
			filter ? ") && " : "", clause);
		err = add_counter_l(r, sys, name, id, f, filter, "vm", vms[i].vm);
		free(f);
		/* the host: not any VM's */
		f = realloc(rest, rest_len + strlen(clause) + 16);
		if (!f) {
			free(clause);
			free(rest);
			return -ENOMEM;
		}
		rest = f;
		rest_len += (size_t)sprintf(rest + rest_len, "%s!(%s)", rest_len ? " && " : "",
					    clause);
		free(clause);
		nvm++;
	}
	if (!err) {
		char *f = malloc(rest_len + (filter ? strlen(filter) : 0) + 16);

		if (!f) {
			free(rest);
			return -ENOMEM;
		}
		if (nvm)
			sprintf(f, "%s%s%s%s", filter ? "(" : "", filter ? filter : "",
				filter ? ") && " : "", rest);
		else
			sprintf(f, "%s", filter ? filter : "");
		err = add_counter_l(r, sys, name, id, *f ? f : NULL, filter, "vm", "host");
		free(f);
	}
	free(rest);
	return err;
}

/* the perf path for one tracepoint: one counter, or one per device and "other" */
static int add_perf_event(struct recorder *r, const char *sys, const char *name, int id,
			  const char *filter, const char *field, char ***devs, size_t *ndev,
			  bool *have_devs)
{
	int err = 0;

	if (!field)
		return add_counter(r, sys, name, id, filter, filter, NULL);
	if (!*have_devs) {
		err = vnp_netdev_names(devs, ndev);
		if (err)
			return vnp_fail(err, "--by dev: cannot list network devices: %s",
					strerror(-err));
		*have_devs = true;
	}
	for (size_t d = 0; d <= *ndev && !err; d++) {
		char *f = dev_filter(filter, field, *devs, *ndev, d < *ndev ? (*devs)[d] : NULL);

		if (!f)
			return -ENOMEM;
		if (d == *ndev && !*ndev) {
			free(f);
			f = filter ? strdup(filter) : NULL;
		}
		err = add_counter(r, sys, name, id, f, filter, d < *ndev ? (*devs)[d] : "other");
		free(f);
	}
	return err;
}

static int setup_events(struct recorder *r)
{
	const struct vnp_record_opts *o = r->o;
	char **devs = NULL;
	size_t ndev = 0;
	bool have_devs = false;
	int err = 0;

	struct vnp_bpf_spec *bspec = calloc(o->nevents + 1, sizeof(*bspec));
	const char **fev = calloc(o->nevents + 1, sizeof(*fev));
	const char **ffilt = calloc(o->nevents + 1, sizeof(*ffilt));
	const char **ffn = calloc(o->nevents + 1, sizeof(*ffn));
	char (*fev_names)[200] = calloc(o->nevents + 1, sizeof(*fev_names));
	size_t nbspec = 0, nfev = 0, nffn = 0, nffn_optional = 0, nauto = 0;
	char bpf_why[1024] = "";
	int which = ftrace_which(o->backend);
	struct vnp_vm_dev *vms = NULL;
	size_t nvms = 0;
	bool have_vms = false;

	if (!bspec || !fev || !ffilt || !ffn || !fev_names) {
		err = -ENOMEM;
		goto out;
	}
	if (o->nevents && !vnp_tracefs_dir()) {
		err = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < o->nevents && !err; i++) {
		const char *spec = o->events[i].spec, *filter = o->events[i].filter, *field;
		const char *backend = o->events[i].backend ? o->events[i].backend : o->backend;
		bool bpf = is_bpf_backend(backend);
		char sys[64], name[128];
		int id = -1;

		if (backend && !bpf && strcmp(backend, "perf") && strcmp(backend, "ftrace") &&
		    ftrace_which(backend) < 0) {
			err = vnp_fail(-EINVAL, "backend '%s': perf, bpf, tp_btf, tp, raw_tp, "
				       "ftrace, fentry, kprobe, function-profiler or "
				       "function-tracer", backend);
			break;
		}
		if (!strncmp(spec, "func:", 5)) {
			char why[512];

			err = filter ? vnp_fail(-EINVAL, "%s: functions take no --filter", spec)
				     : setup_function(r, spec + 5, backend, why, sizeof(why));
			if (err == 1) {
				/* BPF cannot: the ftrace backends try them all at once */
				ffn[nffn++] = spec + 5;
				nffn_optional += o->events[i].optional;
				if (*why && !strstr(bpf_why, why))
					snprintf(bpf_why + strlen(bpf_why),
						 sizeof(bpf_why) - strlen(bpf_why), "%s%s",
						 *bpf_why ? "; " : "", why);
				err = 0;
			}
			id = 0;
		} else {
			err = vnp_event_split(spec, sys, sizeof(sys), name, sizeof(name));
			id = err ? err : vnp_event_id(sys, name);
			err = id < 0 ? id : 0;
		}
		if (err && o->events[i].optional) {
			if (!o->quiet)
				pr_warn("skipping %s: %s\n", spec, vnp_errmsg());
			err = 0;
			continue;
		}
		if (err || !strncmp(spec, "func:", 5))
			continue;
		field = o->by_dev || o->events[i].by_dev ? vnp_event_dev_field(sys, name) : NULL;
		if (o->by_dev && !field && !o->quiet)
			pr_warn("--by dev: %s:%s carries no device name; counting it as one "
				"series\n", sys, name);
		if (o->by_vm && (!backend || !strcmp(backend, "perf"))) {
			if (!have_vms) {
				err = vnp_vm_devices(&vms, &nvms);
				if (err)
					break;
				have_vms = true;
			}
			err = add_vm_counters(r, sys, name, id, filter,
					      vnp_event_dev_field(sys, name), vms, nvms);
			continue;
		}
		if (backend && !strcmp(backend, "ftrace")) {
			/* the paper's way: every hit recorded with its timestamp, then binned */
			snprintf(fev_names[nfev], sizeof(fev_names[nfev]), "%s:%s", sys, name);
			for (size_t j = 0; j < nfev; j++)
				if (!strcmp(fev[j], fev_names[nfev]))
					err = vnp_fail(-EINVAL, "%s: with --backend ftrace an event is "
						       "recorded once (one filter per event in "
						       "a tracefs instance)", fev[j]);
			if (err)
				break;
			fev[nfev] = fev_names[nfev];
			ffilt[nfev++] = filter;
			continue;
		}
		if (bpf) {
			struct vnp_bpf_spec *b = &bspec[nbspec++];

			if (filter) {
				err = vnp_fail(-EINVAL, "%s: --filter works with the perf backend; "
					       "the BPF backend splits with --by dev", spec);
				break;
			}
			snprintf(b->sys, sizeof(b->sys), "%s", sys);
			snprintf(b->name, sizeof(b->name), "%s", name);
			b->by_dev = field != NULL;
			b->bytes = vnp_event_has_field(sys, name, "len");
			b->backend = bpf_backend(backend);
			continue;
		}
		/*
		 * No backend named and nothing BPF cannot do (a --filter): BPF
		 * where it loads. A perf tracepoint counter builds the event's
		 * record on every hit and, split --by dev, evaluates one filter
		 * per device; a BPF program adds to one map slot (BENCHMARKS.md).
		 */
		if (!backend && !filter) {
			struct vnp_bpf_spec *b = &bspec[nbspec++];

			snprintf(b->sys, sizeof(b->sys), "%s", sys);
			snprintf(b->name, sizeof(b->name), "%s", name);
			b->by_dev = field != NULL;
			b->bytes = vnp_event_has_field(sys, name, "len");
			nauto++;
			continue;
		}
		err = add_perf_event(r, sys, name, id, filter, field, &devs, &ndev, &have_devs);
	}
	if (!err && nbspec) {
		struct vnp_bpfcount *bc = vnp_bpfcount_open(bspec, nbspec);

		if (bc) {
			err = adopt_bpf(r, bc);
		} else if (nauto == nbspec) {
			/* all of them chosen here, none asked for: perf counts them */
			if (!o->quiet)
				pr_warn("BPF counting is not available (%s); counting with perf\n",
					vnp_errmsg());
			for (size_t i = 0; i < nbspec && !err; i++) {
				const struct vnp_bpf_spec *b = &bspec[i];
				int id = vnp_event_id(b->sys, b->name);

				err = id < 0 ? id
					     : add_perf_event(r, b->sys, b->name, id, NULL,
							      b->by_dev ? vnp_event_dev_field(b->sys, b->name)
									: NULL,
							      &devs, &ndev, &have_devs);
			}
		} else {
			err = -errno;
		}
	}
	if (!err && nfev)
		err = setup_ftrace(r, fev, ffilt, nfev, true, 0, NULL);
	if (!err && nffn) {
		err = setup_ftrace(r, ffn, NULL, nffn, false, which < 0 ? VNP_FTRACE_AUTO : which,
				   bpf_why);
		if (err && nffn_optional == nffn) {
			if (!o->quiet)
				pr_warn("skipping the kernel functions (%zu): %s\n", nffn,
					vnp_errmsg());
			err = 0;
		}
	}
out:
	vnp_strv_free(devs, ndev);
	free(bspec);
	free(fev);
	free(ffilt);
	free(ffn);
	free(fev_names);
	free(vms);
	if (err || !r->ntp)
		return err;
	r->pc = vnp_perfcount_open(r->tp, r->ntp);
	return r->pc ? 0 : -errno;
}

/* a collector's series, read as running totals (the bins get their increase) */
static int add_running_totals(struct recorder *r, const struct vnp_series_info *si, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int s = add_series(r, si[i].name, si[i].kind, si[i].unit, si[i].role, si[i].backend,
				   true);

		if (s < 0)
			return s;
	}
	return 0;
}

static int setup_readers(struct recorder *r)
{
	const struct vnp_record_opts *o = r->o;
	const struct vnp_series_info *si;
	char name[256];
	size_t n;
	int s;

	r->nd = calloc(o->ntargets + 1, sizeof(*r->nd));
	r->nd_series = calloc(o->ntargets + 1, sizeof(*r->nd_series));
	r->dev_gone = calloc(o->ntargets + 1, sizeof(*r->dev_gone));
	if (!r->nd || !r->nd_series || !r->dev_gone)
		return -ENOMEM;
	for (size_t i = 0; i < o->ntargets; i++) {
		r->nd[i] = vnp_netdev_open(o->targets[i]);
		if (!r->nd[i])
			return -errno;
		r->nd_series[i] = r->ns;
		/* the bytes are the target; packets and drops, context */
		for (int st = 0; st < NETDEV_NSTATS; st++) {
			const char *unit = vnp_netdev_series(name, sizeof(name), st, o->targets[i]);

			if (!unit)
				return -ENAMETOOLONG;
			s = add_series(r, name, VNP_COUNTER, unit,
				       st < NETDEV_RX_PACKETS ? VNP_TARGET : VNP_CONTEXT, "sysfs", true);
			if (s < 0)
				return s;
		}
	}
	if (!o->no_kcounters) {
		r->kc = vnp_kcounters_open(o->targets, o->ntargets);
		if (!r->kc)
			return -errno;
		r->kc_series = r->ns;
		si = vnp_kcounters_series(r->kc, &n);
		if ((s = add_running_totals(r, si, n)) < 0)
			return s;
	}
	if (o->vm_cpu || o->by_vm) {
		r->vmc = vnp_vmcpu_open();
		if (!r->vmc)
			return -errno;
		r->vmc_series = r->ns;
		si = vnp_vmcpu_series(r->vmc, &n);
		if ((s = add_running_totals(r, si, n)) < 0)
			return s;
	}
	r->cpu = vnp_cpustat_open();
	if (!r->cpu)
		return -errno;
	r->cpu_series = r->ns;
	for (int m = 0; m < CPUSTAT_NMODES; m++) {
		struct vnp_label l = { "mode", vnp_cpustat_modes[m] };

		if (vnp_series_name(name, sizeof(name), "cpu_seconds", &l, 1) < 0)
			return vnp_fail(-EINVAL, "no series name for CPU mode %s", l.value);
		s = add_series(r, name, VNP_COUNTER, "seconds", VNP_CONTEXT, "procfs", true);
		if (s < 0)
			return s;
	}
	r->rq = vnp_runq_open();
	if (!r->rq) {
		if (!o->quiet)
			pr_warn("%s\n", vnp_errmsg());
	} else {
		r->rq_series = r->ns;
		s = add_series(r, vnp_runq_series(r->rq), VNP_COUNTER, "seconds", VNP_CONTEXT,
			       "procfs", true);
		if (s < 0)
			return s;
	}
	if (o->profile_hz) {
		r->sampler = vnp_sampler_open(o->profile_hz);
		if (!r->sampler)
			return -errno;
		r->samples_series = r->ns;
		if (add_series(r, "cpu_samples", VNP_COUNTER, "samples", VNP_CONTEXT,
			       "perf:cpu-clock", false) < 0 ||
		    add_series(r, "cpu_samples_lost", VNP_COUNTER, "samples", VNP_CONTEXT,
			       "perf:cpu-clock", false) < 0)
			return -ENOMEM;
		r->other_series = r->ns;
		if (add_series(r, "cpu_share{function=\"[other]\"}", VNP_SHARE, "ratio",
			       VNP_INDICATOR, "perf:cpu-clock", false) < 0)
			return -ENOMEM;
	}
	r->vals = calloc(r->ns + 1, sizeof(double));
	r->tot = calloc(r->ns + 1, sizeof(double));
	return r->vals && r->tot ? 0 : -ENOMEM;
}

/*
 * One function's share of the bin's CPU samples. A function gets its own
 * series the first time it reaches VNP_SHARE_MIN of a bin (earlier bins,
 * where it was below, hold 0 and its samples are in [other]); the series is
 * added to the run on the fly.
 */
#define VNP_SHARE_MIN 0.01

static int emit_share(void *arg, const char *function, double share)
{
	struct recorder *r = arg;
	struct vnp_label l = { "function", function };
	char name[256];
	int idx = -1;

	if (r->baseline)
		return 0;
	if (vnp_series_name(name, sizeof(name), "cpu_share", &l, 1) < 0)
		return 0; /* a name we cannot store: counted in [other] */
	for (size_t i = r->samples_series + 2; i < r->ns; i++)
		if (!strcmp(r->s[i].name, name)) {
			idx = (int)i;
			break;
		}
	if (idx < 0 && share >= VNP_SHARE_MIN && r->w) {
		struct vnp_series_info si = { .name = name, .kind = VNP_SHARE, .unit = "ratio",
					      .role = VNP_INDICATOR, .backend = "perf:cpu-clock" };
		double *v;

		idx = add_series(r, name, VNP_SHARE, "ratio", VNP_INDICATOR, "perf:cpu-clock",
				 false);
		v = idx < 0 ? NULL : realloc(r->vals, (r->ns + 1) * sizeof(double));
		if (v) {
			r->vals = v;
			v[idx] = 0;
			v = realloc(r->tot, (r->ns + 1) * sizeof(double));
		}
		if (!v)
			return -ENOMEM;
		r->tot = v;
		r->s[idx].info.name = r->s[idx].name;
		if (vnp_writer_add_series_fill(r->w, &si, 0) != idx)
			return -EIO;
	}
	r->vals[idx >= 0 ? (size_t)idx : r->other_series] += share;
	return 0;
}

/*
 * Read every collector: deltas of perf counters and of running totals into
 * r->vals. With @baseline, only remember the totals.
 */
static int read_all(struct recorder *r, unsigned *flags, bool baseline)
{
	double nd[NETDEV_NSTATS], cpu[CPUSTAT_NMODES], rq;
	int err;

	memset(r->vals, 0, r->ns * sizeof(double));
	if (r->pc) {
		err = vnp_perfcount_read(r->pc, r->vals, flags);
		if (err)
			return err;
	}
	for (size_t i = 0; i < r->nbc; i++) {
		err = vnp_bpfcount_read(r->bc[i], r->vals + r->bc_first[i], flags);
		if (err)
			return vnp_fail(err, "reading BPF counters: %s", strerror(-err));
	}
	for (size_t i = 0; i < r->nff; i++) {
		uint64_t dropped = 0;

		/* timestamped backends drop what precedes the origin by themselves;
		 * the profiler only counts, so its baseline is a read we discard */
		if (baseline && vnp_ftracefunc_backend(r->ff[i]) != VNP_FTRACE_PROFILER)
			continue;
		err = vnp_ftracefunc_read(r->ff[i], r->t0, r->o->interval_s, r->kb < 0 ? 0 : r->kb,
					  r->vals + r->ff_first[i], &dropped);
		if (err)
			return err;
		r->vals[r->ff_drop[i]] = (double)dropped;
		if (dropped)
			*flags |= VNP_BIN_INCOMPLETE;
	}
	if (r->sampler) {
		uint64_t samples = 0, lost = 0;

		r->baseline = baseline;
		err = vnp_sampler_read(r->sampler, emit_share, r, &samples, &lost, flags);
		if (err)
			return err < 0 ? err : -EIO;
		r->vals[r->samples_series] = (double)samples;
		r->vals[r->samples_series + 1] = (double)lost;
		if (lost)
			*flags |= VNP_BIN_INCOMPLETE;
	}
	for (size_t i = 0; i < r->o->ntargets; i++) {
		size_t first = r->nd_series[i];

		if (r->dev_gone[i] || vnp_netdev_read(r->nd[i], nd)) {
			if (!r->dev_gone[i])
				pr_warn("device %s went away; its series stop here\n",
					r->o->targets[i]);
			r->dev_gone[i] = true;
			for (int j = 0; j < NETDEV_NSTATS; j++)
				r->vals[first + j] = NAN;
			continue;
		}
		for (int j = 0; j < NETDEV_NSTATS; j++)
			r->tot[first + j] = nd[j];
	}
	if (r->kc)
		vnp_kcounters_read(r->kc, r->tot + r->kc_series);
	if (r->vmc && vnp_vmcpu_read(r->vmc, r->tot + r->vmc_series))
		return vnp_fail(-ENOMEM, "out of memory");
	if (!vnp_cpustat_read(r->cpu, cpu))
		for (int m = 0; m < CPUSTAT_NMODES; m++)
			r->tot[r->cpu_series + m] = cpu[m];
	if (r->rq && !vnp_runq_read(r->rq, &rq))
		r->tot[r->rq_series] = rq;
	for (size_t i = 0; i < r->ns; i++) {
		struct rseries *s = &r->s[i];

		if (!s->cumulative || isnan(r->vals[i]))
			continue;
		r->vals[i] = r->tot[i] - s->prev;
		s->prev = r->tot[i];
	}
	if (baseline)
		memset(r->vals, 0, r->ns * sizeof(double));
	return 0;
}

static void close_collectors(struct recorder *r)
{
	vnp_perfcount_close(r->pc);
	r->pc = NULL;
	for (size_t i = 0; i < r->nbc; i++)
		vnp_bpfcount_close(r->bc[i]);
	r->nbc = 0;
	for (size_t i = 0; i < r->nff; i++)
		vnp_ftracefunc_close(r->ff[i]);
	r->nff = 0;
	vnp_sampler_close(r->sampler);
	r->sampler = NULL;
	for (size_t i = 0; r->nd && i < r->o->ntargets; i++) {
		vnp_netdev_close(r->nd[i]);
		r->nd[i] = NULL;
	}
	vnp_kcounters_close(r->kc);
	r->kc = NULL;
	vnp_vmcpu_close(r->vmc);
	r->vmc = NULL;
	vnp_cpustat_close(r->cpu);
	vnp_runq_close(r->rq);
	r->cpu = NULL;
	r->rq = NULL;
}

static void free_recorder(struct recorder *r)
{
	close_collectors(r);
	for (size_t i = 0; i < r->ntp; i++) {
		free(r->tp[i].filter);
		free(r->tp[i].user_filter);
	}
	free(r->tp);
	free(r->s);
	free(r->nd);
	free(r->nd_series);
	free(r->dev_gone);
	free(r->vals);
	free(r->tot);
	if (r->tfd >= 0)
		close(r->tfd);
	if (r->sfd >= 0)
		close(r->sfd);
	vnp_store_close(r->st);
}

static void fill_info(struct vnp_run_info *ri, const struct vnp_record_opts *o, char *name,
		      size_t nsize, struct utsname *u)
{
	*ri = *o->info;
	uname(u);
	ri->host = u->nodename;
	ri->kernel = u->release;
	ri->ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	ri->bin_s = o->interval_s;
	ri->origin_clock = "CLOCK_MONOTONIC";
	if (!o->info->name) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(name, nsize, "rec-%Y%m%d-%H%M%S", &tm);
		ri->name = name;
	}
}

/* find COMMAND in PATH now, so that a typo fails before anything starts */
static int check_command(char **argv)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(argv[0], '/'))
		return access(argv[0], X_OK)
			       ? vnp_fail(-ENOENT, "cannot run '%s': %s", argv[0], strerror(errno))
			       : 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, argv[0]);
		if (!access(buf, X_OK))
			return 0;
		p += n + (p[n] == ':');
	}
	return vnp_fail(-ENOENT, "cannot run '%s': command not found", argv[0]);
}

static pid_t start_command(struct recorder *r)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
		execvp(r->o->command[0], r->o->command);
		fprintf(stderr, "vnetprof: cannot run '%s': %s\n", r->o->command[0],
			strerror(errno));
		_exit(127);
	}
	return pid;
}

/* the timer's next expiry at @t (monotonic); without it the loop would
 * wait for a signal that may never come, so its failure ends the run */
static int arm(int tfd, double t)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)t;
	its.it_value.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL))
		return vnp_fail(-errno, "cannot arm the bin timer: %s", strerror(errno));
	return 0;
}

static void progress(struct recorder *r, double t, int64_t bins, bool final)
{
	double rate = 0;

	for (size_t i = 0; i < r->o->ntargets; i++) {
		double rx = r->vals[r->nd_series[i]], tx = r->vals[r->nd_series[i] + 1];

		if (!isnan(rx))
			rate += fmax(rx, tx) * 8 / r->o->interval_s;
	}
	fprintf(stderr, "\rvnetprof: recording %6.1f s, %lld bins", t, (long long)bins);
	if (r->o->ntargets)
		fprintf(stderr, ", target %.3g Mbit/s   ", rate / 1e6);
	if (final)
		fputc('\n', stderr);
}

/* stop the command: forward the signal, then insist after a grace period */
static int reap_child(struct recorder *r, int sig)
{
	int status = 0;

	if (r->child <= 0)
		return -1;
	if (sig)
		kill(r->child, sig);
	for (int i = 0; i < 50; i++) {
		pid_t p = waitpid(r->child, &status, WNOHANG);

		if (p == r->child || (p < 0 && errno != EINTR))
			goto done;
		usleep(100 * 1000);
	}
	kill(r->child, SIGKILL);
	waitpid(r->child, &status, 0);
done:
	r->child = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int vnp_record(const struct vnp_record_opts *o, struct vnp_record_result *res)
{
	struct recorder rec = { .o = o, .tfd = -1, .sfd = -1 };
	struct recorder *r = &rec;
	struct vnp_run_info ri;
	struct utsname uts;
	char defname[64];
	sigset_t mask;
	double t0, bin = o->interval_s, end_t = o->duration_s;
	int64_t k_next = 0, flush_every, since_flush = 0;
	/* with -d, the bin the duration ends in */
	int64_t last_k = end_t ? (int64_t)ceil(end_t / bin - 1e-6) - 1 : 0;
	enum vnp_run_status status = VNP_RUN_COMPLETE;
	double last_progress = 0;
	int err = 0;

	memset(res, 0, sizeof(*res));
	res->command_status = -1;
	vnp_errmsg_clear();
	if (!(bin > 0) || (end_t && end_t < bin))
		return vnp_fail(-EINVAL, "the duration (%g s) is shorter than one bin (%g s)", end_t,
				bin);
	/* from here on, SIGINT/SIGTERM arrive through the signalfd */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &r->oldmask);

	if (o->command)
		err = check_command(o->command);
	if (!err)
		err = setup_events(r);
	if (!err)
		err = setup_readers(r);
	if (err)
		goto out;
	if (o->rt_prio > 0) {
		/*
		 * Only this thread, and SCHED_RESET_ON_FORK: a COMMAND, a thread or
		 * a process started from here runs at normal priority.
		 */
		struct sched_param sp = { .sched_priority = o->rt_prio };

		if (sched_getparam(0, &r->old_sp) || (r->old_policy = sched_getscheduler(0)) < 0 ||
		    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp))
			pr_warn("--realtime: %s; reading at normal priority\n", strerror(errno));
		else
			r->rt = true;
	}
	r->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (r->sfd < 0 || r->tfd < 0) {
		err = vnp_fail(-errno, "signalfd/timerfd: %s", strerror(errno));
		goto out;
	}
	r->st = vnp_store_open(o->db, VNP_STORE_CREATE);
	if (!r->st) {
		err = -errno;
		goto out;
	}
	fill_info(&ri, o, defname, sizeof(defname), &uts);
	for (int attempt = 2;; attempt++) {
		r->w = vnp_writer_begin(r->st, &ri);
		if (r->w || errno != EEXIST || o->info->name || attempt > 100)
			break;
		snprintf(defname + 19, sizeof(defname) - 19, "-%d", attempt);
	}
	if (!r->w) {
		err = -errno;
		goto out;
	}
	snprintf(res->run_name, sizeof(res->run_name), "%s", ri.name);
	res->run_id = vnp_writer_run_id(r->w);
	for (size_t i = 0; i < r->ns; i++) {
		r->s[i].info.name = r->s[i].name;
		err = vnp_writer_add_series(r->w, &r->s[i].info);
		if (err < 0)
			goto out;
	}
	err = 0;
	res->nseries = r->ns;
	flush_every = bin >= 1 ? 1 : (int64_t)ceil(1.0 / bin - 1e-9);

	/* the origin: counters and totals read as close together as they can be */
	{
		unsigned f = 0;

		struct timespec wall;

		t0 = r->t0 = vnp_now_mono();
		clock_gettime(CLOCK_REALTIME, &wall);
		r->kb = -1;
		err = read_all(r, &f, true);
		if (!err)
			err = vnp_writer_set_origin(r->w, t0,
						    (double)wall.tv_sec + (double)wall.tv_nsec * 1e-9);
		if (err)
			goto out;
	}
	if (o->on_start)
		o->on_start(t0, o->arg);
	if (o->command)
		r->child = start_command(r);
	err = arm(r->tfd, t0 + (end_t && end_t < bin ? end_t : bin));
	if (err)
		goto out;

	for (;;) {
		struct pollfd pfd[2] = { { r->tfd, POLLIN, 0 }, { r->sfd, POLLIN, 0 } };
		struct signalfd_siginfo si;
		bool stop = false, partial = false;
		unsigned flags = 0;
		uint64_t exp;
		double now, t;
		int64_t kb;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = vnp_fail(-errno, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN) {
			if (read(r->sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCHLD) {
				int st;

				if (r->child <= 0 || waitpid(r->child, &st, WNOHANG) != r->child)
					continue;
				r->child = 0;
				res->command_status = WIFEXITED(st) ? WEXITSTATUS(st)
								     : 128 + WTERMSIG(st);
			} else {
				status = VNP_RUN_INTERRUPTED;
				res->command_status = reap_child(r, (int)si.ssi_signo);
			}
			stop = partial = true;
		} else if (pfd[0].revents & POLLIN) {
			if (read(r->tfd, &exp, sizeof(exp)) != sizeof(exp))
				continue;
		} else {
			continue;
		}
		now = vnp_now_mono();
		t = now - t0;
		/*
		 * The bin whose end has passed last (later than k_next if we slept
		 * long); on a signal, the bin in progress, which may also be past
		 * k_next if deadlines went by unread. With -d, never past the
		 * duration's last bin, however late the last wake-up.
		 */
		kb = (int64_t)floor(t / bin + 1e-6) - (partial ? 0 : 1);
		if (end_t && kb > last_k)
			kb = last_k;
		if (kb < k_next)
			kb = k_next;
		r->kb = kb;
		err = read_all(r, &flags, false);
		if (err)
			break;
		/* late: it holds what the bins skipped (or, clamped, what came after) */
		if (kb > k_next || t >= (double)(kb + 2) * bin - 1e-6)
			flags |= VNP_BIN_LATE;
		if (end_t && t >= end_t - 1e-6)
			stop = true;
		if (stop && t < (double)(kb + 1) * bin - 1e-6)
			flags |= VNP_BIN_PARTIAL;
		err = vnp_writer_put_bin(r->w, kb, t, flags, r->vals, r->ns);
		if (err)
			break;
		res->bins++;
		res->flagged += flags != 0;
		k_next = kb + 1;
		if (++since_flush >= flush_every || stop) {
			err = vnp_writer_flush(r->w);
			if (err)
				break;
			since_flush = 0;
		}
		if (o->progress && (now - last_progress >= 0.25 || stop)) {
			progress(r, t, res->bins, stop);
			last_progress = now;
		}
		if (stop)
			break;
		err = arm(r->tfd, t0 + fmin((double)(k_next + 1) * bin, end_t ? end_t : INFINITY));
		if (err)
			break;
	}
	if (err)
		status = VNP_RUN_INTERRUPTED;
out:
	if (r->rt)
		sched_setscheduler(0, r->old_policy, &r->old_sp);
	/* counters first: nothing keeps counting while the store is written */
	close_collectors(r);
	if (r->child > 0)
		res->command_status = reap_child(r, SIGTERM);
	if (r->w) {
		int e = vnp_writer_end(r->w, status);

		if (!err && e)
			err = e;
	}
	res->status = status;
	free_recorder(r);
	sigprocmask(SIG_SETMASK, &rec.oldmask, NULL);
	return err;
}
