// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The recorder: one thread, poll() over a timerfd with absolute deadlines
 * (bins do not drift) and a signalfd (SIGINT/SIGTERM stop cleanly, SIGCHLD
 * ends a run that follows a command). Every collector is opened before the
 * run exists in the store, so a refused counter leaves nothing behind; every
 * path out closes every counter.
 */
#include "collect/collect.h"
#include "collect/perfcount.h"
#include "collect/procfs.h"

#include <fcntl.h>
#include <math.h>
#include <poll.h>
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
	struct vnp_netdev **nd;
	size_t *nd_series; /* first series of each target device */
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

static int add_counter(struct recorder *r, const char *sys, const char *name, int id,
		       const char *filter, const char *user_filter, const char *dev)
{
	struct vnp_tp_counter *c;
	struct vnp_label l[2];
	char event[200], sname[256];
	int s;

	snprintf(event, sizeof(event), "%s:%s", sys, name);
	l[0] = (struct vnp_label){ "event", event };
	l[1] = (struct vnp_label){ "dev", dev };
	if (vnp_series_name(sname, sizeof(sname), "tracepoint_hits", l, dev ? 2 : 1) < 0)
		return vnp_fail(-ENAMETOOLONG, "series name too long for %s", event);
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

static int setup_events(struct recorder *r)
{
	const struct vnp_record_opts *o = r->o;
	char **devs = NULL;
	size_t ndev = 0;
	bool have_devs = false;
	int err = 0;

	if (o->nevents && !vnp_tracefs_dir())
		return -ENOENT;
	for (size_t i = 0; i < o->nevents && !err; i++) {
		const char *spec = o->events[i].spec, *filter = o->events[i].filter, *field;
		char sys[64], name[128];
		int id;

		err = vnp_event_split(spec, sys, sizeof(sys), name, sizeof(name));
		if (err)
			break;
		id = vnp_event_id(sys, name);
		if (id < 0) {
			err = id;
			break;
		}
		field = o->by_dev ? vnp_event_dev_field(sys, name) : NULL;
		if (o->by_dev && !field)
			pr_warn("--by dev: %s:%s carries no device name; counting it as one "
				"series\n", sys, name);
		if (!field) {
			err = add_counter(r, sys, name, id, filter, filter, NULL);
			continue;
		}
		if (!have_devs) {
			err = vnp_netdev_names(&devs, &ndev);
			if (err) {
				err = vnp_fail(err, "--by dev: cannot list network devices: %s",
					       strerror(-err));
				break;
			}
			have_devs = true;
		}
		for (size_t d = 0; d <= ndev && !err; d++) {
			char *f = dev_filter(filter, field, devs, ndev, d < ndev ? devs[d] : NULL);

			if (!f) {
				err = -ENOMEM;
				break;
			}
			if (d == ndev && !ndev) {
				free(f);
				f = filter ? strdup(filter) : NULL;
			}
			err = add_counter(r, sys, name, id, f, filter, d < ndev ? devs[d] : "other");
			free(f);
		}
	}
	vnp_strv_free(devs, ndev);
	if (err)
		return err;
	if (!r->ntp)
		return 0;
	r->pc = vnp_perfcount_open(r->tp, r->ntp);
	return r->pc ? 0 : -errno;
}

static int setup_readers(struct recorder *r)
{
	static const char *const dirs[2] = { "rx", "tx" };
	static const struct {
		const char *metric, *unit;
		enum vnp_role role;
	} stats[3] = {
		{ "netdev_bytes", "bytes", VNP_TARGET },
		{ "netdev_packets", "packets", VNP_CONTEXT },
		{ "netdev_drops", "packets", VNP_CONTEXT },
	};
	const struct vnp_record_opts *o = r->o;
	char name[256];
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
		/* in the order of NETDEV_*: bytes rx/tx, packets rx/tx, drops rx/tx */
		for (int st = 0; st < 3; st++)
			for (int d = 0; d < 2; d++) {
				struct vnp_label l[2] = { { "dev", o->targets[i] }, { "dir", dirs[d] } };

				vnp_series_name(name, sizeof(name), stats[st].metric, l, 2);
				s = add_series(r, name, VNP_COUNTER, stats[st].unit, stats[st].role,
					       "sysfs", true);
				if (s < 0)
					return s;
			}
	}
	r->cpu = vnp_cpustat_open();
	if (!r->cpu)
		return -errno;
	r->cpu_series = r->ns;
	for (int m = 0; m < CPUSTAT_NMODES; m++) {
		struct vnp_label l = { "mode", vnp_cpustat_modes[m] };

		vnp_series_name(name, sizeof(name), "cpu_seconds", &l, 1);
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
	r->vals = calloc(r->ns + 1, sizeof(double));
	r->tot = calloc(r->ns + 1, sizeof(double));
	return r->vals && r->tot ? 0 : -ENOMEM;
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
	for (size_t i = 0; r->nd && i < r->o->ntargets; i++) {
		vnp_netdev_close(r->nd[i]);
		r->nd[i] = NULL;
	}
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

static void arm(int tfd, double t)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)t;
	its.it_value.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
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

		err = read_all(r, &f, true);
		t0 = vnp_now_mono();
		if (err)
			goto out;
	}
	if (o->command)
		r->child = start_command(r);
	arm(r->tfd, t0 + (end_t && end_t < bin ? end_t : bin));

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
		err = read_all(r, &flags, false);
		if (err)
			break;
		/* the bin whose end has passed last; later than k_next if we slept long */
		kb = (int64_t)floor(t / bin + 1e-6) - 1;
		if (partial || kb < k_next)
			kb = k_next;
		if (kb > k_next)
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
		arm(r->tfd, t0 + fmin((double)(k_next + 1) * bin, end_t ? end_t : INFINITY));
	}
	if (err)
		status = VNP_RUN_INTERRUPTED;
out:
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
