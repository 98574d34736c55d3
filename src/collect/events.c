// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The event planner: which collector counts each -e event or function.
 * Tracepoints go to BPF where it loads (and nothing asks otherwise), to perf
 * counters with a --filter or split --by vm, to a private tracefs instance
 * with --backend ftrace; functions to BPF (fentry, then kprobe), else to the
 * function profiler or tracer, all such functions in one instance.
 */
#include "collect/collector.h"
#include "collect/bpfcount.h"
#include "collect/filter.h"
#include "collect/ftracefunc.h"
#include "collect/perfcount.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plan {
	const struct vnp_record_opts *o;
	struct vnp_collectors *l;
	struct vnp_collector *perf; /* in l; opened once every counter is planned */
	char **devs;		    /* every network device, for --by dev */
	size_t ndev;
	bool have_devs;
	struct vnp_vm_dev *vms; /* for --by vm */
	size_t nvms;
	bool have_vms;
	/* BPF: the tracepoints, in one collector; nauto of them chosen here, not asked for */
	struct vnp_bpf_spec *bspec;
	size_t nbspec, nauto;
	/* --backend ftrace: events in one instance */
	const char **fev, **ffilt;
	char (*fev_names)[200];
	size_t nfev;
	/* functions that BPF cannot count; why not */
	const char **ffn;
	size_t nffn, nffn_optional;
	char bpf_why[1024];
};

/* one perf counter of sys:name, its series labelled key="value" (none if NULL) */
static int add_counter(struct plan *p, const char *sys, const char *name, int id,
		       const char *filter, const char *user_filter, const char *key,
		       const char *value)
{
	struct vnp_tp_counter tc = { .id = id, .filter = (char *)filter,
				     .user_filter = (char *)user_filter };
	struct vnp_label l[3];
	char event[200], sname[256];
	size_t nl = 0;

	/* the user's filter is part of the name: one event may be counted twice */
	snprintf(event, sizeof(event), "%s:%s", sys, name);
	l[nl++] = (struct vnp_label){ "event", event };
	if (value)
		l[nl++] = (struct vnp_label){ key, value };
	if (user_filter)
		l[nl++] = (struct vnp_label){ "filter", user_filter };
	if (vnp_series_name(sname, sizeof(sname), "tracepoint_hits", l, nl) < 0)
		return vnp_fail(-ENAMETOOLONG, "series name too long for %s", event);
	if (vnp_collectors_have(p->l, sname))
		return vnp_fail(-EINVAL, "%s%s%s is given twice", event,
				user_filter ? " with filter " : "", user_filter ? user_filter : "");
	snprintf(tc.sys, sizeof(tc.sys), "%s", sys);
	snprintf(tc.name, sizeof(tc.name), "%s", name);
	return vnp_perf_collector_add(p->perf, &tc, sname);
}

/* take over a BPF collector, refusing a series that another backend counts already */
static int adopt_bpf(struct plan *p, struct vnp_collector *c)
{
	for (size_t i = 0; i < c->ns; i++)
		if (vnp_collector_find(c, c->s[i].name, i + 1) >= 0 ||
		    vnp_collectors_have(p->l, c->s[i].name)) {
			int err = vnp_fail(-EINVAL, "%s is counted twice (two backends?)",
					   c->s[i].name);

			vnp_collector_close(c);
			return err;
		}
	return vnp_collectors_add(p->l, c);
}

/*
 * func:NAME through BPF (fentry, then kprobe). Returns 1 when BPF cannot and
 * the ftrace backends (the function profiler, then the function tracer: one
 * private instance for every such function) should try; @why keeps BPF's
 * reason.
 */
static int plan_function(struct plan *p, const char *fn, const struct vnp_backend *b,
			 char *why, size_t size)
{
	struct vnp_bpf_spec bs = { .func = true };
	struct vnp_collector *c;

	if (b && !b->functions)
		return vnp_fail(-EINVAL, "func:%s: backend '%s' does not count functions; use %s",
				fn, b->name, vnp_backend_names(true));
	*why = '\0';
	if (b && b->cls != VNP_BACKEND_BPF)
		return 1;
	snprintf(bs.name, sizeof(bs.name), "%s", fn);
	bs.backend = vnp_backend_bpf_type(b);
	c = vnp_bpf_collector(&bs, 1);
	if (c)
		return adopt_bpf(p, c);
	if (b)
		return -errno;
	snprintf(why, size, "%s", vnp_errmsg());
	return 1;
}

/* one ftrace collector for @n functions (or events); BPF's reason joins a failure */
static int plan_ftrace(struct plan *p, const char **what, const char **filters, size_t n,
		       bool events, int which, const char *bpf_why)
{
	struct vnp_collector *c = vnp_ftrace_collector(what, filters, n, events, which);

	if (!c) {
		int err = -errno;

		if (bpf_why && *bpf_why) {
			char ft[512];

			snprintf(ft, sizeof(ft), "%s", vnp_errmsg());
			err = vnp_fail(err, "%s; %s", bpf_why, ft);
		}
		return err;
	}
	return vnp_collectors_add(p->l, c);
}

/* the clause that selects one VM: its devices (@field) or, without one, its QEMU threads */
static char *vm_clause(const struct plan *p, const char *vm, const char *field)
{
	const char **devs = calloc(p->nvms + 1, sizeof(*devs));
	pid_t *pids = NULL;
	size_t n = 0, np = 0;
	char *clause = NULL;

	if (!devs)
		return NULL;
	for (size_t i = 0; i < p->nvms; i++) {
		const struct vnp_vm_dev *d = &p->vms[i];
		pid_t *t;
		size_t nt;

		if (strcmp(d->vm, vm))
			continue;
		if (field) {
			if (*d->dev)
				devs[n++] = d->dev;
			continue;
		}
		if (d->pid <= 0 || *d->dev)
			continue;
		if (vnp_vm_threads(d->pid, &t, &nt))
			goto out;
		if (nt) {
			pid_t *np2 = realloc(pids, (np + nt) * sizeof(*pids));

			if (!np2) {
				free(t);
				goto out;
			}
			pids = np2;
			memcpy(pids + np, t, nt * sizeof(*t));
			np += nt;
		}
		free(t);
	}
	clause = field ? vnp_filter_eq_any(field, devs, n) : vnp_filter_pid_any(pids, np);
out:
	free(devs);
	free(pids);
	return clause;
}

/*
 * --by vm: one counter per VM, by its devices (events that name a device)
 * or its QEMU threads (events that do not, on a KVM host), and vm="host"
 * for everything else, so the series add up to the event's total.
 */
static int plan_vm_counters(struct plan *p, const char *sys, const char *name, int id,
			    const char *filter, const char *field)
{
	char **clauses = calloc(p->nvms + 1, sizeof(*clauses)), *f;
	size_t nvm = 0;
	int err = 0;

	if (!clauses)
		return -ENOMEM;
	for (size_t i = 0; i < p->nvms && !err; i++) {
		bool seen = false;
		char *clause;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(p->vms[j].vm, p->vms[i].vm);
		if (seen)
			continue;
		clause = vm_clause(p, p->vms[i].vm, field);
		if (!clause) {
			err = -ENOMEM;
			break;
		}
		if (!*clause) {
			free(clause);
			continue;
		}
		clauses[nvm++] = clause;
		f = vnp_filter_vm(filter, clause);
		err = f ? add_counter(p, sys, name, id, f, filter, "vm", p->vms[i].vm) : -ENOMEM;
		free(f);
	}
	if (!err) {
		/* the host: not any VM's */
		f = vnp_filter_host(filter, (const char *const *)clauses, nvm);
		err = f ? add_counter(p, sys, name, id, *f ? f : NULL, filter, "vm", "host")
			: -ENOMEM;
		free(f);
	}
	for (size_t i = 0; i < nvm; i++)
		free(clauses[i]);
	free(clauses);
	return err;
}

/* the perf path for one tracepoint: one counter, or one per device and "other" */
static int plan_perf_event(struct plan *p, const char *sys, const char *name, int id,
			   const char *filter, const char *field)
{
	int err = 0;

	if (!field)
		return add_counter(p, sys, name, id, filter, filter, "dev", NULL);
	if (!p->have_devs) {
		err = vnp_netdev_names(&p->devs, &p->ndev);
		if (err)
			return vnp_fail(err, "--by dev: cannot list network devices: %s",
					strerror(-err));
		p->have_devs = true;
	}
	for (size_t d = 0; d <= p->ndev && !err; d++) {
		const char *only = d < p->ndev ? p->devs[d] : NULL;
		char *f = vnp_filter_dev(filter, field, p->devs, p->ndev, only);

		if (!f)
			return -ENOMEM;
		if (!only && !p->ndev) {
			free(f);
			f = NULL;
			if (filter && !(f = strdup(filter)))
				return -ENOMEM;
		}
		err = add_counter(p, sys, name, id, f, filter, "dev", only ? only : "other");
		free(f);
	}
	return err;
}

/* a tracepoint for the BPF collector */
static void plan_bpf(struct plan *p, const char *sys, const char *name, const char *field,
		     const struct vnp_backend *b)
{
	struct vnp_bpf_spec *s = &p->bspec[p->nbspec++];

	snprintf(s->sys, sizeof(s->sys), "%s", sys);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->by_dev = field != NULL;
	s->bytes = vnp_event_has_field(sys, name, "len");
	s->backend = vnp_backend_bpf_type(b);
	p->nauto += !b;
}

/* a tracepoint with its backend; the event exists (@id) */
static int plan_tracepoint(struct plan *p, const struct vnp_event_opt *ev, const char *sys,
			   const char *name, int id, const struct vnp_backend *b)
{
	const struct vnp_record_opts *o = p->o;
	const char *filter = ev->filter, *field;
	int err;

	field = o->by_dev || ev->by_dev ? vnp_event_dev_field(sys, name) : NULL;
	if (o->by_dev && !field && !o->quiet)
		pr_warn("--by dev: %s:%s carries no device name; counting it as one series\n", sys,
			name);
	if (o->by_vm && (!b || b->cls == VNP_BACKEND_PERF)) {
		if (!p->have_vms) {
			err = vnp_vm_devices(&p->vms, &p->nvms);
			if (err)
				return err;
			p->have_vms = true;
		}
		return plan_vm_counters(p, sys, name, id, filter, vnp_event_dev_field(sys, name));
	}
	if (b && b->cls == VNP_BACKEND_FTRACE) {
		/* the paper's way: every hit recorded with its timestamp, then binned */
		snprintf(p->fev_names[p->nfev], sizeof(p->fev_names[p->nfev]), "%s:%s", sys, name);
		for (size_t j = 0; j < p->nfev; j++)
			if (!strcmp(p->fev[j], p->fev_names[p->nfev]))
				return vnp_fail(-EINVAL, "%s: with --backend ftrace an event is "
						"recorded once (one filter per event in a tracefs "
						"instance)", p->fev[j]);
		p->fev[p->nfev] = p->fev_names[p->nfev];
		p->ffilt[p->nfev++] = filter;
		return 0;
	}
	if (b && b->cls == VNP_BACKEND_BPF) {
		if (filter)
			return vnp_fail(-EINVAL, "%s: --filter works with the perf backend; the BPF "
					"backend splits with --by dev", ev->spec);
		plan_bpf(p, sys, name, field, b);
		return 0;
	}
	/*
	 * No backend named and nothing BPF cannot do (a --filter): BPF where
	 * it loads. A perf tracepoint counter builds the event's record on
	 * every hit and, split --by dev, evaluates one filter per device; a
	 * BPF program adds to one map slot (BENCHMARKS.md).
	 */
	if (!b && !filter) {
		plan_bpf(p, sys, name, field, NULL);
		return 0;
	}
	return plan_perf_event(p, sys, name, id, filter, field);
}

/* one -e: a function or a tracepoint; 0 also when an optional one is skipped */
static int plan_event(struct plan *p, const struct vnp_event_opt *ev)
{
	const struct vnp_record_opts *o = p->o;
	const char *bname = ev->backend ? ev->backend : o->backend;
	const struct vnp_backend *b = NULL;
	char sys[64], name[128];
	int err, id = 0;

	if (bname && !(b = vnp_backend_find(bname)))
		return -EINVAL;
	if (!strncmp(ev->spec, "func:", 5)) {
		char why[512];

		err = ev->filter ? vnp_fail(-EINVAL, "%s: functions take no --filter", ev->spec)
				 : plan_function(p, ev->spec + 5, b, why, sizeof(why));
		if (err == 1) {
			/* BPF cannot: the ftrace backends try them all at once */
			size_t len = strlen(p->bpf_why);

			p->ffn[p->nffn++] = ev->spec + 5;
			p->nffn_optional += ev->optional;
			if (*why && !strstr(p->bpf_why, why))
				snprintf(p->bpf_why + len, sizeof(p->bpf_why) - len, "%s%s",
					 len ? "; " : "", why);
			err = 0;
		}
	} else {
		err = vnp_event_split(ev->spec, sys, sizeof(sys), name, sizeof(name));
		id = err ? err : vnp_event_id(sys, name);
		err = id < 0 ? id : 0;
	}
	if (err && ev->optional) {
		if (!o->quiet)
			pr_warn("skipping %s: %s\n", ev->spec, vnp_errmsg());
		return 0;
	}
	if (err || !strncmp(ev->spec, "func:", 5))
		return err;
	return plan_tracepoint(p, ev, sys, name, id, b);
}

/* the tracepoints planned for BPF: one collector, or perf where BPF cannot and none asked */
static int open_bpf(struct plan *p)
{
	struct vnp_collector *c;
	int err = 0;

	if (!p->nbspec)
		return 0;
	c = vnp_bpf_collector(p->bspec, p->nbspec);
	if (c)
		return adopt_bpf(p, c);
	if (p->nauto != p->nbspec)
		return -errno;
	/* all of them chosen here, none asked for: perf counts them */
	if (!p->o->quiet)
		pr_warn("BPF counting is not available (%s); counting with perf\n", vnp_errmsg());
	for (size_t i = 0; i < p->nbspec && !err; i++) {
		const struct vnp_bpf_spec *b = &p->bspec[i];
		int id = vnp_event_id(b->sys, b->name);

		err = id < 0 ? id
			     : plan_perf_event(p, b->sys, b->name, id, NULL,
					       b->by_dev ? vnp_event_dev_field(b->sys, b->name)
							 : NULL);
	}
	return err;
}

/* the functions BPF cannot count: the function profiler or tracer */
static int open_functions(struct plan *p)
{
	const struct vnp_backend *b;
	int which, err;

	if (!p->nffn)
		return 0;
	/* the record's --backend: a function's own (a preset's) is not asked here */
	b = p->o->backend ? vnp_backend_find(p->o->backend) : NULL;
	which = b && b->cls == VNP_BACKEND_FUNC_FTRACE ? b->ftrace_which : VNP_FTRACE_AUTO;
	err = plan_ftrace(p, p->ffn, NULL, p->nffn, false, which, p->bpf_why);
	if (err && p->nffn_optional == p->nffn) {
		if (!p->o->quiet)
			pr_warn("skipping the kernel functions (%zu): %s\n", p->nffn, vnp_errmsg());
		err = 0;
	}
	return err;
}

int vnp_events_collect(const struct vnp_record_opts *o, struct vnp_collectors *l)
{
	size_t n = o->nevents + 1, perf_at = l->n;
	struct plan p = {
		.o = o,
		.l = l,
		.bspec = calloc(n, sizeof(*p.bspec)),
		.fev = calloc(n, sizeof(*p.fev)),
		.ffilt = calloc(n, sizeof(*p.ffilt)),
		.fev_names = calloc(n, sizeof(*p.fev_names)),
		.ffn = calloc(n, sizeof(*p.ffn)),
	};
	int err = 0;

	if (!p.bspec || !p.fev || !p.ffilt || !p.fev_names || !p.ffn) {
		err = -ENOMEM;
		goto out;
	}
	if (o->nevents && !vnp_tracefs_dir()) {
		err = -ENOENT;
		goto out;
	}
	/* the perf counters first among the events' series */
	p.perf = vnp_perf_collector_new();
	err = p.perf ? vnp_collectors_add(l, p.perf) : -ENOMEM;
	for (size_t i = 0; i < o->nevents && !err; i++)
		err = plan_event(&p, &o->events[i]);
	if (!err)
		err = open_bpf(&p);
	if (!err && p.nfev)
		err = plan_ftrace(&p, p.fev, p.ffilt, p.nfev, true, 0, NULL);
	if (!err)
		err = open_functions(&p);
	if (!err && p.perf->ns) {
		err = vnp_perf_collector_start(p.perf);
	} else if (!err) {
		/* no perf counter: not a collector of this run */
		memmove(&l->c[perf_at], &l->c[perf_at + 1], (l->n - perf_at - 1) * sizeof(*l->c));
		l->n--;
		vnp_collector_close(p.perf);
	}
out:
	vnp_strv_free(p.devs, p.ndev);
	free(p.bspec);
	free(p.fev);
	free(p.ffilt);
	free(p.fev_names);
	free(p.ffn);
	free(p.vms);
	return err;
}
