// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The paper's experiments (Table 2's patterns, the staged-load run) on the
 * emulated testbed, or on real VMs through a user's --vm-cmd template.
 *
 * Per run: iperf3 servers start in the remote namespace (one per sending VM,
 * -J -i 0.5: the receiver side, the paper's ground truth); the recorder
 * starts; at its origin a schedule thread starts the clients and, at their
 * times, the `yes` loads, each inside its VM's namespace and CPU cgroup.
 * When the recorder stops, the workload is stopped, and each server's
 * per-interval bits are added to the run as iperf3_bits{vm=…,side="receiver"},
 * placed on the run's clock by the client's launch time.
 *
 * SIGINT/SIGTERM/SIGHUP are blocked throughout and looked at between steps:
 * an interrupted experiment stops its workload, tears its testbed down, and
 * keeps the runs recorded so far (the current one as interrupted).
 */
#include "testbed/experiment.h"
#include "collect/collect.h"
#include "output/output.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const struct vnp_pattern vnp_patterns[6] = {
	{ 'A', 2, 0 }, { 'B', 4, 0 }, { 'C', 8, 0 }, { 'D', 2, 2 }, { 'E', 2, 4 }, { 'F', 2, 6 },
};

#define PORT_BASE 5200
#define MAX_ACTIONS (VNP_TB_MAX_VMS * 2)
#define MAX_PIDS 1024


enum what { TRAFFIC, LOAD };

struct action {
	double at; /* seconds after the origin */
	int vm;
	enum what what;
	int gate; /* > 0: the write end that starts its waiting processes */
};

struct schedule {
	const struct vnp_experiment_opts *o;
	struct action act[MAX_ACTIONS];
	int nact;
	double duration;
	double origin;		/* CLOCK_MONOTONIC of the run's origin */
	double launched[VNP_TB_MAX_VMS + 1]; /* when each VM's client started */
	pid_t pids[MAX_PIDS];
	int npids;
	pthread_mutex_t lock;
	volatile int stop;
	pthread_t thread;
	bool started;
};

int vnp_vm_cmd_expand(char *buf, size_t size, const char *tmpl, int vm, const char *action,
		      const char *server, int port, double duration, int procs)
{
	size_t n = 0;

	for (const char *p = tmpl; *p; p++) {
		char val[256];
		const char *v = NULL;

		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			val[0] = *p++;
			val[1] = '\0';
			v = val;
		} else if (*p == '{') {
			const char *e = strchr(p, '}');
			size_t len = e ? (size_t)(e - p - 1) : 0;

			if (!e)
				return vnp_fail(-EINVAL, "--vm-cmd: '{' without '}' in '%s'", tmpl);
			if (len == 2 && !strncmp(p + 1, "vm", 2))
				snprintf(val, sizeof(val), "%d", vm);
			else if (len == 4 && !strncmp(p + 1, "name", 4))
				snprintf(val, sizeof(val), "vm%d", vm);
			else if (len == 6 && !strncmp(p + 1, "action", 6))
				snprintf(val, sizeof(val), "%s", action);
			else if (len == 6 && !strncmp(p + 1, "server", 6))
				snprintf(val, sizeof(val), "%s", server);
			else if (len == 4 && !strncmp(p + 1, "port", 4))
				snprintf(val, sizeof(val), "%d", port);
			else if (len == 8 && !strncmp(p + 1, "duration", 8))
				snprintf(val, sizeof(val), "%g", duration);
			else if (len == 5 && !strncmp(p + 1, "procs", 5))
				snprintf(val, sizeof(val), "%d", procs);
			else
				return vnp_fail(-EINVAL, "--vm-cmd: unknown placeholder {%.*s}; use "
						"{vm} {name} {action} {server} {port} {duration} "
						"{procs}", (int)len, p + 1);
			v = val;
			p = e;
		}
		if (v) {
			size_t l = strlen(v);

			if (n + l >= size)
				return -ENAMETOOLONG;
			memcpy(buf + n, v, l);
			n += l;
		} else {
			if (n + 1 >= size)
				return -ENAMETOOLONG;
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return (int)n;
}

static int load_procs(const struct vnp_experiment_opts *o)
{
	return o->load_procs > 0 ? o->load_procs : 2; /* one per vCPU of a 2-vCPU VM */
}

static void add_pid(struct schedule *s, pid_t pid)
{
	pthread_mutex_lock(&s->lock);
	if (pid > 0 && s->npids < MAX_PIDS)
		s->pids[s->npids++] = pid;
	pthread_mutex_unlock(&s->lock);
}

static pid_t vm_cmd(const struct vnp_experiment_opts *o, int vm, const char *action,
		    double duration)
{
	char cmd[4096];
	pid_t pid;

	if (vnp_vm_cmd_expand(cmd, sizeof(cmd), o->vm_cmd, vm, action, VNP_TB_REMOTE_IP,
			      PORT_BASE + vm, duration, load_procs(o)) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void start_action(struct schedule *s, const struct action *a)
{
	const struct vnp_experiment_opts *o = s->o;

	if (o->vm_cmd) {
		add_pid(s, vm_cmd(o, a->vm, a->what == TRAFFIC ? "start-traffic" : "start-load",
				  s->duration - a->at));
		if (a->what == TRAFFIC)
			s->launched[a->vm] = vnp_now_mono();
		return;
	}
	/* the processes wait, forked before the origin: one byte each lets them run */
	if (a->what == TRAFFIC)
		s->launched[a->vm] = vnp_now_mono();
	for (int k = a->what == TRAFFIC ? 1 : load_procs(o); a->gate > 0 && k > 0; k--)
		if (write(a->gate, "", 1) != 1) {
			pr_warn("cannot start VM %d's %s: %s\n", a->vm,
				a->what == TRAFFIC ? "traffic" : "load", strerror(errno));
			break;
		}
}

/*
 * Fork every process of the schedule before the recording starts, each in
 * its VM's namespace and cgroup, waiting on its action's gate: a fork copies
 * the page tables of the whole process and stalls its other threads (the
 * recorder's among them) while it does, so none may happen during the run.
 */
static int prepare_actions(struct schedule *s)
{
	const struct vnp_experiment_opts *o = s->o;

	for (int i = 0; i < s->nact; i++) {
		struct action *a = &s->act[i];
		char port[16], dur[32];
		char *traffic[] = { "iperf3", "-c", VNP_TB_REMOTE_IP, "-p", port, "-t", dur,
				    "-i", "0.5", NULL };
		char *load[] = { "yes", NULL };
		int p[2], n = a->what == TRAFFIC ? 1 : load_procs(o);

		if (pipe2(p, O_CLOEXEC))
			return vnp_fail(-errno, "pipe: %s", strerror(errno));
		snprintf(port, sizeof(port), "%d", PORT_BASE + a->vm);
		snprintf(dur, sizeof(dur), "%.3f", s->duration - a->at);
		for (int k = 0; k < n; k++) {
			pid_t pid = vnp_testbed_spawn(a->vm, a->what == TRAFFIC ? traffic : load,
						      NULL, p[0]);

			if (pid < 0) {
				close(p[0]);
				close(p[1]);
				return vnp_fail(pid, "cannot start a process in VM %d: %s", a->vm,
						strerror(-pid));
			}
			add_pid(s, pid);
		}
		close(p[0]);
		a->gate = p[1];
	}
	return 0;
}

static void close_gates(struct schedule *s)
{
	for (int i = 0; i < s->nact; i++)
		if (s->act[i].gate > 0) {
			close(s->act[i].gate);
			s->act[i].gate = 0;
		}
}

static void *schedule_thread(void *arg)
{
	struct schedule *s = arg;

	for (int i = 0; i < s->nact && !s->stop; i++) {
		double at = s->origin + s->act[i].at;

		while (!s->stop && vnp_now_mono() < at) {
			double left = at - vnp_now_mono();
			struct timespec ts = { 0, (long)(fmin(left, 0.05) * 1e9) };

			if (left > 0)
				nanosleep(&ts, NULL);
		}
		if (!s->stop)
			start_action(s, &s->act[i]);
	}
	return NULL;
}

static void on_start(double origin, void *arg)
{
	struct schedule *s = arg;

	s->origin = origin;
	s->started = !pthread_create(&s->thread, NULL, schedule_thread, s);
}

/* stop the schedule and everything it started; reap them */
static void stop_workload(struct schedule *s)
{
	s->stop = 1;
	if (s->started)
		pthread_join(s->thread, NULL);
	s->started = false;
	close_gates(s); /* what has not started reads EOF and exits */
	if (s->o->vm_cmd) {
		for (int vm = 1; vm <= s->o->tb.vms; vm++) {
			int st;
			pid_t p = vm_cmd(s->o, vm, "stop-traffic", 0);

			if (p > 0)
				waitpid(p, &st, 0);
			p = vm_cmd(s->o, vm, "stop-load", 0);
			if (p > 0)
				waitpid(p, &st, 0);
		}
		for (int i = 0; i < s->npids; i++)
			kill(s->pids[i], SIGTERM);
	} else {
		vnp_testbed_kill_workload();
	}
	for (int i = 0; i < s->npids; i++)
		waitpid(s->pids[i], NULL, 0);
	s->npids = 0;
}

static bool interrupted(void)
{
	sigset_t set;
	struct timespec zero = { 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	return sigtimedwait(&set, NULL, &zero) > 0;
}

/* receiver-side intervals of one server's JSON: start, end (s), bits/s */
struct ivl {
	double a, b, bps;
};

static int read_server_json(const char *path, struct ivl **out, int *n)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *ivls;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!root)
		return vnp_fail(-EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
	ivls = json_object_get(root, "intervals");
	if (!json_is_array(ivls) || !json_array_size(ivls)) {
		json_decref(root);
		return vnp_fail(-ENODATA, "%s: no intervals (the client never connected?)", path);
	}
	*out = calloc(json_array_size(ivls), sizeof(**out));
	if (!*out) {
		json_decref(root);
		return -ENOMEM;
	}
	for (i = 0; i < json_array_size(ivls); i++) {
		json_t *sum = json_object_get(json_array_get(ivls, i), "sum");
		struct ivl *v = &(*out)[*n];

		v->a = json_number_value(json_object_get(sum, "start"));
		v->b = json_number_value(json_object_get(sum, "end"));
		v->bps = json_number_value(json_object_get(sum, "bits_per_second"));
		if (v->b > v->a)
			(*n)++;
	}
	json_decref(root);
	return 0;
}

struct vm_result {
	struct ivl *iv;
	int n;
	double offset; /* run time of the server's t = 0 */
};

/* add the receiver series to the stored run, on its bins */
static int merge_iperf3(struct vnp_store *st, const char *run_name, const struct vnp_run_info *ri,
			struct vm_result *res, int vms)
{
	struct vnp_run_info ai = *ri;
	struct vnp_run *add, *rec = vnp_store_load(st, run_name);
	int64_t *into, nb;
	int err = 0;

	if (!rec)
		return -errno;
	/* bins 0..nb-1, some maybe skipped (the run info's count is fewer) */
	nb = vnp_run_nbins(rec);
	ai.labels = NULL;
	ai.nlabels = 0;
	add = vnp_run_new(&ai);
	into = calloc((size_t)nb + 1, sizeof(*into));
	if (!add || !into) {
		vnp_run_free(add);
		vnp_run_free(rec);
		free(into);
		return -ENOMEM;
	}
	/*
	 * The run's own bins only. A recorder read late skips bins and the
	 * next bin holds them (VNP_BIN_LATE): their bits go there too, so that
	 * every series covers the same time in every bin.
	 */
	for (int64_t k = nb - 1, next = -1; k >= 0; k--) {
		if (vnp_run_bin_present(rec, k)) {
			next = k;
			vnp_run_set_bin(add, k, vnp_run_bin_end(rec, k), 0);
		}
		into[k] = next;
	}
	vnp_run_free(rec);
	for (int vm = 1; vm <= vms && !err; vm++) {
		char name[128], vmname[16];
		struct vnp_label l[2] = { { "vm", vmname }, { "side", "receiver" } };
		struct vnp_series_info si = { .name = name, .kind = VNP_COUNTER, .unit = "bits",
					      .role = VNP_CONTEXT, .backend = "iperf3" };
		int s;

		if (!res[vm].n)
			continue;
		snprintf(vmname, sizeof(vmname), "vm%d", vm);
		s = vnp_series_name(name, sizeof(name), "iperf3_bits", l, 2);
		if (s < 0)
			s = vnp_fail(s, "no series name for %s's iperf3 bits", vmname);
		else
			s = vnp_run_add_series(add, &si);
		if (s < 0) {
			err = s;
			break;
		}
		for (int64_t k = 0; k < nb; k++)
			if (into[k] == k)
				vnp_run_set(add, s, k, 0);
		/* each interval's bits, spread over the bins it overlaps */
		for (int i = 0; i < res[vm].n; i++) {
			struct ivl *v = &res[vm].iv[i];
			double a = res[vm].offset + v->a, b = res[vm].offset + v->b;
			double bits = v->bps * (v->b - v->a);

			for (int64_t k = (int64_t)floor(a / ri->bin_s); k * ri->bin_s < b; k++) {
				double lo = fmax(a, k * ri->bin_s), hi = fmin(b, (k + 1) * ri->bin_s);

				if (k >= 0 && k < nb && into[k] >= 0 && hi > lo)
					vnp_run_add(add, s, into[k], bits * (hi - lo) / (b - a));
			}
		}
	}
	if (!err && vnp_run_nseries(add))
		err = vnp_store_merge_run(st, run_name, add);
	vnp_run_free(add);
	free(into);
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double quantile(double *v, int n, double q)
{
	double pos;
	int i;

	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	pos = q * (n - 1);
	i = (int)pos;
	return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[i];
}

/*
 * Summary of the receiver throughput: total over the sending VMs per 0.5 s
 * interval (intervals taken by index: the clients start together), in the
 * window [t0, t1) of run time (by interval midpoint).
 */
static void summarise(struct vnp_experiment_row *row, struct vm_result *res, int first, int last,
		      double t0, double t1)
{
	int maxn = 0, n = 0;
	double *tot;

	for (int vm = first; vm <= last; vm++)
		maxn = res[vm].n > maxn ? res[vm].n : maxn;
	tot = calloc(maxn + 1, sizeof(*tot));
	row->vm_min = INFINITY;
	row->vm_max = -INFINITY;
	for (int vm = first; vm <= last; vm++) {
		double sum = 0;
		int cnt = 0;

		for (int i = 0; i < res[vm].n; i++) {
			double mid = res[vm].offset + (res[vm].iv[i].a + res[vm].iv[i].b) / 2;

			if (mid < t0 || mid >= t1)
				continue;
			sum += res[vm].iv[i].bps;
			cnt++;
		}
		if (cnt) {
			row->vm_min = fmin(row->vm_min, sum / cnt);
			row->vm_max = fmax(row->vm_max, sum / cnt);
		}
	}
	for (int i = 0; tot && i < maxn; i++) {
		double sum = 0, mid = NAN;
		bool all = true;

		for (int vm = first; vm <= last; vm++) {
			if (i >= res[vm].n) {
				all = false;
				break;
			}
			sum += res[vm].iv[i].bps;
			mid = res[vm].offset + (res[vm].iv[i].a + res[vm].iv[i].b) / 2;
		}
		if (all && mid >= t0 && mid < t1)
			tot[n++] = sum;
	}
	row->n = n;
	row->median = quantile(tot, n, 0.5);
	row->p10 = quantile(tot, n, 0.1);
	row->p90 = quantile(tot, n, 0.9);
	if (!isfinite(row->vm_min))
		row->vm_min = row->vm_max = NAN;
	free(tot);
}

/* one recorded run: schedule, record, collect the receiver side */
static int one_run(const struct vnp_experiment_opts *o, const char *run_name,
		   struct vnp_run_info *info, struct schedule *s, int nsend, char *dir,
		   struct vm_result *res, struct vnp_run_info *out_info)
{
	struct vnp_record_opts ro = { 0 };
	struct vnp_record_result rr;
	const char *targets[1] = { o->target ? o->target : VNP_TB_NIC };
	pid_t servers[VNP_TB_MAX_VMS + 1] = { 0 };
	struct vnp_store *st;
	int err = 0;

	/* the servers: one per sending VM, the receiver side in JSON */
	for (int vm = 1; !o->vm_cmd && vm <= nsend; vm++) {
		char port[16], path[512];
		char *argv[] = { "iperf3", "-s", "-1", "-J", "-i", "0.5", "-p", port, NULL };

		snprintf(port, sizeof(port), "%d", PORT_BASE + vm);
		snprintf(path, sizeof(path), "%s/server-vm%d.json", dir, vm);
		servers[vm] = vnp_testbed_spawn(0, argv, path, -1);
		if (servers[vm] < 0)
			return vnp_fail(servers[vm], "cannot start iperf3 in the remote namespace");
	}
	usleep(300000); /* listening */
	if (!o->vm_cmd) {
		err = prepare_actions(s);
		if (err)
			return err;
	}

	ro.events = vnp_preset_find("netns")->events;
	ro.nevents = vnp_preset_find("netns")->nevents;
	ro.targets = targets;
	ro.ntargets = 1;
	ro.interval_s = o->interval;
	ro.duration_s = s->duration;
	ro.db = o->db;
	ro.info = info;
	ro.quiet = true;
	if (!o->quiet && isatty(2)) {
		ro.on_progress = vnp_out_progress;
		ro.progress_arg = stderr;
	}
	/* the load saturates the CPUs on purpose: the bins must not wait for it */
	ro.rt_prio = 1;
	ro.vm_cpu = true; /* how the host shared its CPU out: what the schedules vary */
	ro.on_start = on_start;
	ro.arg = s;
	info->name = (char *)run_name;
	err = vnp_record(&ro, &rr);
	info->name = NULL;
	/* the clients end at the duration: let the servers write their JSON */
	for (int vm = 1; !o->vm_cmd && vm <= nsend; vm++) {
		for (int t = 0; t < 40 && waitpid(servers[vm], NULL, WNOHANG) == 0; t++)
			usleep(100000);
	}
	stop_workload(s);
	for (int vm = 1; vm <= nsend; vm++)
		if (servers[vm] > 0)
			waitpid(servers[vm], NULL, WNOHANG);
	if (err)
		return err;
	if (rr.status == VNP_RUN_INTERRUPTED)
		return -EINTR;

	st = vnp_store_open(o->db, 0);
	if (!st)
		return -errno;
	err = vnp_store_find(st, run_name, out_info);
	for (int vm = 1; !err && !o->vm_cmd && vm <= nsend; vm++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/server-vm%d.json", dir, vm);
		if (read_server_json(path, &res[vm].iv, &res[vm].n)) {
			pr_warn("vm%d: %s\n", vm, vnp_errmsg());
			continue;
		}
		/* the server's clock starts when the client connects, just after launch */
		res[vm].offset = s->launched[vm] - s->origin;
	}
	if (!err && !o->vm_cmd)
		err = merge_iperf3(st, run_name, out_info, res, nsend);
	vnp_store_close(st);
	return err;
}

static void free_results(struct vm_result *res)
{
	for (int vm = 0; vm <= VNP_TB_MAX_VMS; vm++) {
		free(res[vm].iv);
		res[vm].iv = NULL;
		res[vm].n = 0;
	}
}

static void base_labels(const struct vnp_experiment_opts *o, struct vnp_run_info *info)
{
	char buf[64];

	vnp_run_info_add_label(info, "experiment", o->staged ? "staged" : "patterns");
	vnp_run_info_add_label(info, "switch", o->vm_cmd ? "external" : o->tb.sw);
	vnp_run_info_add_label(info, "link_rate", o->tb.link_rate ? o->tb.link_rate : "none");
	snprintf(buf, sizeof(buf), "%d", load_procs(o));
	vnp_run_info_add_label(info, "load_procs", buf);
	snprintf(buf, sizeof(buf), "%g", o->duration);
	vnp_run_info_add_label(info, "duration_s", buf);
}

int vnp_experiment_run(const struct vnp_experiment_opts *o, struct vnp_experiment_row *rows,
		       int max)
{
	static struct vm_result res[VNP_TB_MAX_VMS + 1];
	char dir[] = "/tmp/vnetprof-exp-XXXXXX", name[128];
	struct schedule *s = calloc(1, sizeof(*s));
	bool was_up = false, own_testbed = false, have_dir = false;
	char why[1024];
	sigset_t mask, old;
	int nrows = 0, err = 0;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->o = o;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old);
	if (!mkdtemp(dir)) {
		err = vnp_fail(-errno, "mkdtemp: %s", strerror(errno));
		goto out;
	}
	have_dir = true;
	/* every pattern must fit the testbed: say so before anything runs */
	for (const char *p = o->staged ? "" : o->patterns; *p && !err; p++)
		for (size_t i = 0; i < ARRAY_SIZE(vnp_patterns); i++)
			if (vnp_patterns[i].name == *p &&
			    vnp_patterns[i].comm + vnp_patterns[i].load > o->tb.vms)
				err = vnp_fail(-EINVAL, "pattern %c needs %d VMs; --vms %d", *p,
					       vnp_patterns[i].comm + vnp_patterns[i].load,
					       o->tb.vms);
	if (err)
		goto out;
	if (!o->vm_cmd) {
		err = vnp_testbed_up(&o->tb, &was_up);
		if (err)
			goto out;
		own_testbed = !was_up || !o->keep;
		if (was_up && !o->keep) {
			err = vnp_fail(-EBUSY, "a testbed is already up: reuse it with --keep, or "
				       "'vnetprof testbed down' first");
			own_testbed = false;
			goto out;
		}
		vnp_testbed_kill_workload();
	}

	/* repetitions go round all the patterns, so that a slow drift of the
	 * machine's speed falls on every pattern alike */
	for (int rep = 1; !o->staged && rep <= (o->repeat > 1 ? o->repeat : 1) && !err; rep++) {
		for (const char *p = o->patterns; *p && !err && nrows < max; p++) {
			const struct vnp_pattern *pt = NULL;
			struct vnp_run_info info = { 0 }, got = { 0 };
			char buf[32];

			for (size_t i = 0; i < ARRAY_SIZE(vnp_patterns); i++)
				if (vnp_patterns[i].name == *p)
					pt = &vnp_patterns[i];
			if (!pt || pt->comm + pt->load > o->tb.vms) {
				err = vnp_fail(-EINVAL, "pattern %c needs %d VMs", *p,
					       pt ? pt->comm + pt->load : 0);
				break;
			}
			if (interrupted()) {
				err = -EINTR;
				break;
			}
			memset(s->act, 0, sizeof(s->act));
			s->nact = 0;
			s->duration = o->duration;
			s->stop = 0;
			for (int vm = 1; vm <= pt->comm; vm++)
				s->act[s->nact++] = (struct action){ .vm = vm, .what = TRAFFIC };
			for (int vm = pt->comm + 1; vm <= pt->comm + pt->load; vm++)
				s->act[s->nact++] = (struct action){ .vm = vm, .what = LOAD };
			base_labels(o, &info);
			snprintf(buf, sizeof(buf), "%c", pt->name);
			vnp_run_info_add_label(&info, "pattern", buf);
			snprintf(buf, sizeof(buf), "%d", pt->comm);
			vnp_run_info_add_label(&info, "comm", buf);
			snprintf(buf, sizeof(buf), "%d", pt->load);
			vnp_run_info_add_label(&info, "load", buf);
			if (o->repeat > 1) {
				snprintf(buf, sizeof(buf), "%d", rep);
				vnp_run_info_add_label(&info, "repeat", buf);
				snprintf(name, sizeof(name), "%s-pattern-%c-r%d", o->run_prefix,
					 pt->name, rep);
			} else {
				snprintf(name, sizeof(name), "%s-pattern-%c", o->run_prefix, pt->name);
			}
			if (!o->quiet)
				fprintf(stderr, "vnetprof: pattern %c (%d sending, %d loaded) for "
					"%g s (%d of %d)\n", pt->name, pt->comm, pt->load,
					o->duration, rep, o->repeat > 1 ? o->repeat : 1);
			err = one_run(o, name, &info, s, pt->comm, dir, res, &got);
			if (!err) {
				struct vnp_experiment_row *r = &rows[nrows++];

				memset(r, 0, sizeof(*r));
				snprintf(r->run, sizeof(r->run), "%s", name);
				snprintf(r->label, sizeof(r->label), "%c", pt->name);
				r->comm = pt->comm;
				r->load = pt->load;
				r->rep = rep;
				summarise(r, res, 1, pt->comm, -INFINITY, INFINITY);
			}
			vnp_run_info_clear(&info);
			vnp_run_info_clear(&got);
			free_results(res);
		}
	}
	if (o->staged) {
		struct vnp_run_info info = { 0 }, got = { 0 };
		int nsteps = (int)floor(o->duration / o->step + 1e-9);
		char steps[512] = "", loads[256] = "", buf[32];

		s->nact = 0;
		s->duration = o->duration;
		s->act[s->nact++] = (struct action){ .vm = 1, .what = TRAFFIC };
		for (int i = 1; i < nsteps && i + 1 <= o->tb.vms; i++) {
			s->act[s->nact++] = (struct action){ .at = i * o->step, .vm = i + 1, .what = LOAD };
			snprintf(buf, sizeof(buf), "%s%g", *steps ? "," : "", i * o->step);
			strncat(steps, buf, sizeof(steps) - strlen(steps) - 1);
			snprintf(buf, sizeof(buf), "%svm%d", *loads ? "," : "", i + 1);
			strncat(loads, buf, sizeof(loads) - strlen(loads) - 1);
		}
		base_labels(o, &info);
		snprintf(buf, sizeof(buf), "%g", o->step);
		vnp_run_info_add_label(&info, "step_s", buf);
		vnp_run_info_add_label(&info, "step_times_s", steps);
		vnp_run_info_add_label(&info, "step_load_vms", loads);
		snprintf(name, sizeof(name), "%s-staged", o->run_prefix);
		if (!o->quiet)
			fprintf(stderr, "vnetprof: staged load for %g s: vm1 sends; every %g s one "
				"more VM (%s) runs %d x yes\n", o->duration, o->step, loads,
				load_procs(o));
		err = one_run(o, name, &info, s, 1, dir, res, &got);
		for (int i = 0; !err && i < s->nact && nrows < max; i++) {
			struct vnp_experiment_row *r = &rows[nrows++];
			double t0 = i ? s->act[i].at : 0;
			double t1 = i + 1 < s->nact ? s->act[i + 1].at : o->duration;

			memset(r, 0, sizeof(*r));
			snprintf(r->run, sizeof(r->run), "%s", name);
			snprintf(r->label, sizeof(r->label), "%g-%gs", t0, t1);
			r->comm = 1;
			r->load = i;
			summarise(r, res, 1, 1, t0, t1);
		}
		vnp_run_info_clear(&info);
		vnp_run_info_clear(&got);
		free_results(res);
	}
out:
	/* the teardown's own complaints must not replace the reason we stopped */
	snprintf(why, sizeof(why), "%s", vnp_errmsg());
	if (!o->vm_cmd && s->o)
		vnp_testbed_kill_workload();
	if (own_testbed && !o->keep)
		vnp_testbed_down();
	if (err < 0 && err != -EINTR)
		vnp_fail(err, "%s", why);
	if (have_dir) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			pr_warn("could not remove %s\n", dir);
	}
	if (interrupted() && !err)
		err = -EINTR;
	sigprocmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return err < 0 ? err : nrows;
}
