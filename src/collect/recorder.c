// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The recorder: one thread, poll() over a timerfd with absolute deadlines
 * (bins do not drift) and a signalfd (SIGINT/SIGTERM stop cleanly, SIGCHLD
 * ends a run that follows a command). Every collector (collector.h) is
 * opened before the run exists in a sink, so a refused counter leaves
 * nothing behind; every path out closes every collector. It knows no
 * particular source: sources.c lists them.
 */
#include "collect/collector.h"
#include "collect/sink.h"

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

/* where each collector's series are in the run */
struct slot {
	size_t *idx; /* the run's index of each of its series */
	size_t n;    /* how many have one */
};

struct recorder {
	const struct vnp_record_opts *o;
	struct vnp_collectors l;
	struct slot *slot; /* one per collector */
	size_t nslot;
	size_t ns;	   /* the run's series */
	double *vals;	   /* the bin being written, one per series */
	struct vnp_sink *sinks[1];
	size_t nsinks;
	bool rt; /* switched to SCHED_FIFO; old_policy/old_sp to go back */
	int old_policy;
	struct sched_param old_sp;
	int tfd, sfd;
	pid_t child;
	sigset_t oldmask;
};

/* give the series of collector @i that have none their place in the run, in every sink */
static int place_series(struct recorder *r, size_t i, bool running)
{
	const struct vnp_collector *c = r->l.c[i];
	struct slot *sl = &r->slot[i];
	size_t *idx;
	double *v;

	if (sl->n == c->ns)
		return 0;
	idx = realloc(sl->idx, c->ns * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	sl->idx = idx;
	v = realloc(r->vals, (r->ns + c->ns - sl->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->vals = v;
	for (; sl->n < c->ns; sl->n++) {
		struct vnp_series_info si = vnp_collector_info(c, sl->n);

		for (size_t k = 0; k < r->nsinks; k++) {
			int err = r->sinks[k]->ops->add_series(r->sinks[k], r->ns, &si, running);

			if (err)
				return err;
		}
		r->vals[r->ns] = 0;
		sl->idx[sl->n] = r->ns++;
	}
	return 0;
}

/* read every collector into r->vals; the baseline read keeps only totals */
static int read_all(struct recorder *r, const struct vnp_bin_ctx *ctx, unsigned *flags)
{
	for (size_t i = 0; i < r->l.n; i++) {
		const struct vnp_collector *c = r->l.c[i];
		const struct slot *sl = &r->slot[i];
		int err = vnp_collector_read(r->l.c[i], ctx, flags);

		if (!err)
			err = place_series(r, i, true);
		if (err)
			return err;
		for (size_t j = 0; j < c->ns; j++)
			r->vals[sl->idx[j]] = c->v[j];
	}
	return 0;
}

/* the bytes per second through the targets in the last bin; NAN without a target */
static double target_rate(const struct recorder *r)
{
	double bytes = NAN;

	for (size_t i = 0; i < r->l.n; i++) {
		const struct vnp_collector *c = r->l.c[i];
		double b;

		if (!c->ops->target_bytes)
			continue;
		b = c->ops->target_bytes(c);
		if (isnan(bytes))
			bytes = 0;
		if (!isnan(b))
			bytes += b;
	}
	return bytes / r->o->interval_s;
}

static int put_bin(struct recorder *r, int64_t k, double t, unsigned flags, bool last)
{
	for (size_t i = 0; i < r->nsinks; i++) {
		int err = r->sinks[i]->ops->put_bin(r->sinks[i], k, t, flags, r->vals, r->ns, last);

		if (err)
			return err;
	}
	return 0;
}

static void free_recorder(struct recorder *r)
{
	for (size_t i = 0; i < r->nslot; i++)
		free(r->slot[i].idx);
	free(r->slot);
	vnp_collectors_close(&r->l);
	free(r->vals);
	if (r->tfd >= 0)
		close(r->tfd);
	if (r->sfd >= 0)
		close(r->sfd);
	for (size_t i = 0; i < r->nsinks; i++)
		r->sinks[i]->ops->free(r->sinks[i]);
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

/* the sinks get the run and its series; *@res the run's name and id */
static int begin_run(struct recorder *r, struct vnp_record_result *res)
{
	const struct vnp_record_opts *o = r->o;
	struct vnp_run_info ri;
	struct utsname uts;
	char defname[64];
	int err;

	r->sinks[0] = vnp_store_sink_new(o->db, o->interval_s, res);
	if (!r->sinks[0])
		return -errno;
	r->nsinks = 1;
	fill_info(&ri, o, defname, sizeof(defname), &uts);
	for (size_t i = 0; i < r->nsinks; i++) {
		err = r->sinks[i]->ops->begin(r->sinks[i], &ri, !o->info->name);
		if (err)
			return err;
	}
	r->slot = calloc(r->l.n + 1, sizeof(*r->slot));
	if (!r->slot)
		return -ENOMEM;
	r->nslot = r->l.n;
	for (size_t i = 0; i < r->l.n; i++) {
		err = place_series(r, i, false);
		if (err)
			return err;
	}
	res->nseries = r->ns;
	return 0;
}

/* SCHED_FIFO for this thread only, and SCHED_RESET_ON_FORK: a COMMAND, a
 * thread or a process started from here runs at normal priority */
static void go_realtime(struct recorder *r)
{
	struct sched_param sp = { .sched_priority = r->o->rt_prio };

	if (sched_getparam(0, &r->old_sp) || (r->old_policy = sched_getscheduler(0)) < 0 ||
	    sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp))
		pr_warn("--realtime: %s; reading at normal priority\n", strerror(errno));
	else
		r->rt = true;
}

/*
 * Wait for the next bin's end or a signal. Returns 1 when a bin is to be
 * read (with *@stop, *@partial when the run ends early), 0 to wait again, or
 * a negative errno.
 */
static int wait_bin(struct recorder *r, struct vnp_record_result *res,
		    enum vnp_run_status *status, bool *stop, bool *partial)
{
	struct pollfd pfd[2] = { { r->tfd, POLLIN, 0 }, { r->sfd, POLLIN, 0 } };
	struct signalfd_siginfo si;
	uint64_t exp;

	if (poll(pfd, 2, -1) < 0)
		return errno == EINTR ? 0 : vnp_fail(-errno, "poll: %s", strerror(errno));
	if (pfd[1].revents & POLLIN) {
		if (read(r->sfd, &si, sizeof(si)) != sizeof(si))
			return 0;
		if (si.ssi_signo == SIGCHLD) {
			int st;

			if (r->child <= 0 || waitpid(r->child, &st, WNOHANG) != r->child)
				return 0;
			r->child = 0;
			res->command_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		} else {
			*status = VNP_RUN_INTERRUPTED;
			res->command_status = reap_child(r, (int)si.ssi_signo);
		}
		*stop = *partial = true;
		return 1;
	}
	if (pfd[0].revents & POLLIN)
		return read(r->tfd, &exp, sizeof(exp)) == sizeof(exp);
	return 0;
}

/* bins from the origin until the duration, the command or a signal ends the run */
static int run_loop(struct recorder *r, struct vnp_record_result *res,
		    enum vnp_run_status *status)
{
	const struct vnp_record_opts *o = r->o;
	double bin = o->interval_s, end_t = o->duration_s, last_progress = 0;
	struct vnp_bin_ctx ctx = { .bin_s = bin, .bin = -1, .baseline = true };
	/* with -d, the bin the duration ends in */
	int64_t k_next = 0, last_k = end_t ? (int64_t)ceil(end_t / bin - 1e-6) - 1 : 0;
	struct timespec wall;
	unsigned f0 = 0;
	int err;

	/* the origin: counters and totals read as close together as they can be */
	ctx.origin = vnp_now_mono();
	clock_gettime(CLOCK_REALTIME, &wall);
	err = read_all(r, &ctx, &f0);
	for (size_t i = 0; !err && i < r->nsinks; i++)
		if (r->sinks[i]->ops->origin)
			err = r->sinks[i]->ops->origin(r->sinks[i], ctx.origin,
						       (double)wall.tv_sec +
							       (double)wall.tv_nsec * 1e-9);
	if (err)
		return err;
	ctx.baseline = false;
	if (o->on_start)
		o->on_start(ctx.origin, o->arg);
	if (o->command)
		r->child = start_command(r);
	err = arm(r->tfd, ctx.origin + (end_t && end_t < bin ? end_t : bin));
	while (!err) {
		bool stop = false, partial = false;
		unsigned flags = 0;
		double now, t;
		int w = wait_bin(r, res, status, &stop, &partial);

		if (w <= 0) {
			err = w;
			continue;
		}
		now = vnp_now_mono();
		t = now - ctx.origin;
		/*
		 * The bin whose end has passed last (later than k_next if we slept
		 * long); on a signal, the bin in progress, which may also be past
		 * k_next if deadlines went by unread. With -d, never past the
		 * duration's last bin, however late the last wake-up.
		 */
		ctx.bin = (int64_t)floor(t / bin + 1e-6) - (partial ? 0 : 1);
		if (end_t && ctx.bin > last_k)
			ctx.bin = last_k;
		if (ctx.bin < k_next)
			ctx.bin = k_next;
		err = read_all(r, &ctx, &flags);
		if (err)
			break;
		/* late: it holds what the bins skipped (or, clamped, what came after) */
		if (ctx.bin > k_next || t >= (double)(ctx.bin + 2) * bin - 1e-6)
			flags |= VNP_BIN_LATE;
		if (end_t && t >= end_t - 1e-6)
			stop = true;
		if (stop && t < (double)(ctx.bin + 1) * bin - 1e-6)
			flags |= VNP_BIN_PARTIAL;
		err = put_bin(r, ctx.bin, t, flags, stop);
		if (err)
			break;
		res->bins++;
		res->flagged += flags != 0;
		k_next = ctx.bin + 1;
		if (o->on_progress && (now - last_progress >= 0.25 || stop)) {
			o->on_progress(t, res->bins, target_rate(r), stop, o->progress_arg);
			last_progress = now;
		}
		if (stop)
			break;
		err = arm(r->tfd, ctx.origin + fmin((double)(k_next + 1) * bin,
						    end_t ? end_t : INFINITY));
	}
	return err;
}

int vnp_record(const struct vnp_record_opts *o, struct vnp_record_result *res)
{
	struct recorder rec = { .o = o, .tfd = -1, .sfd = -1 };
	struct recorder *r = &rec;
	enum vnp_run_status status = VNP_RUN_COMPLETE;
	sigset_t mask;
	int err = 0;

	memset(res, 0, sizeof(*res));
	res->command_status = -1;
	vnp_errmsg_clear();
	if (!(o->interval_s > 0) || (o->duration_s && o->duration_s < o->interval_s))
		return vnp_fail(-EINVAL, "the duration (%g s) is shorter than one bin (%g s)",
				o->duration_s, o->interval_s);
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
		err = vnp_collectors_open(o, &r->l);
	if (err)
		goto out;
	if (o->rt_prio > 0)
		go_realtime(r);
	r->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (r->sfd < 0 || r->tfd < 0) {
		err = vnp_fail(-errno, "signalfd/timerfd: %s", strerror(errno));
		goto out;
	}
	err = begin_run(r, res);
	if (!err)
		err = run_loop(r, res, &status);
	if (err)
		status = VNP_RUN_INTERRUPTED;
out:
	if (r->rt)
		sched_setscheduler(0, r->old_policy, &r->old_sp);
	/* collectors first: nothing keeps counting while the sinks are written */
	vnp_collectors_close(&r->l);
	if (r->child > 0)
		res->command_status = reap_child(r, SIGTERM);
	for (size_t i = 0; i < r->nsinks; i++) {
		int e = r->sinks[i]->ops->end(r->sinks[i], status);

		if (!err && e)
			err = e;
	}
	res->status = status;
	free_recorder(r);
	sigprocmask(SIG_SETMASK, &rec.oldmask, NULL);
	return err;
}
