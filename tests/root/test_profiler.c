// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Root tests of the CPU-share profiler and the ftrace function backends,
 * on the real kernel:
 *
 * - the sampler's top-5 shares on a fixed workload against perf record +
 *   perf report over the same window (perf on CLOCK_MONOTONIC, cut with
 *   --time to our first and last read), within 2 points; its sample count
 *   against the ticks of every online CPU, each kept busy by a worker pinned
 *   to it (an idle CPU may take fewer samples);
 * - lost samples are reported: a one-page ring left unread overflows, and
 *   samples + lost account for every tick (lost also counts the side-band
 *   records the full ring refused: those are counted independently);
 * - func:NAME with the profiler, the tracer and AUTO: the branch (counting,
 *   or refused for one named reason) is decided from tracefs by the test
 *   itself, then asserted: counting getppid() calls against a perf count of
 *   the syscall's tracepoint, or refused with a one-line message naming that
 *   reason; never leaving an instance;
 * - the tracer's raw-buffer reading and binning, with net:net_dev_xmit as
 *   a stand-in: N datagrams sent in timed batches across a veth in
 *   namespaces we create are counted exactly, per bin, including a bin
 *   read late; and with a tiny buffer, counted + dropped = N.
 *
 * Addresses: 198.18.0.0/15, inside our namespaces only. Every load is
 * bounded in time; every namespace, instance and process is removed on
 * every exit (teardown and atexit). A check the host cannot run is printed
 * as "# SKIP" and listed in $VNP_SKIP_LOG (tests/run.sh counts it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skiplog.h"

#include "collect/ftracefunc.h"
#include "collect/sampler.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PERF_FORMAT_LOST
#define PERF_FORMAT_LOST (1U << 4) /* Linux 6.0 */
#endif

#define HZ 999
/* the sampler's fixed period (sampler.c: 1e9 / hz rounded, in ns) and its tick rate */
#define PERIOD_NS ((uint64_t)(1e9 / HZ + 0.5))
#define RATE (1e9 / (double)PERIOD_NS)
#define TRACEFS "/sys/kernel/tracing"
#define MAX_CPUS 1024

static char ns_a[64], ns_b[64], dev_a[32], dev_b[32], tmpdir[64], probe_inst[128];
static char state_before[8192];
static pid_t workers[MAX_CPUS];
static int worker_cpu[MAX_CPUS], nworkers; /* the CPU a worker is pinned to, or -1 */
static bool netns_made;
static int cpus[MAX_CPUS], ncpus; /* the online CPUs: what the sampler samples */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* a check this host cannot run: said so, and listed for tests/run.sh */
#define skip_check(...) vnp_test_skiplog("test_profiler", __VA_ARGS__)

/* what must be the same before and after: instances, top-level settings */
static void tracefs_state(char *buf, size_t size)
{
	static const char *const files[] = { "tracing_on", "current_tracer", "set_event",
					     "trace_clock", "buffer_size_kb" };
	size_t len = 0;
	DIR *d = opendir(TRACEFS "/instances");
	struct dirent *e;

	buf[0] = '\0';
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			len += (size_t)snprintf(buf + len, size - len, "instance %s\n", e->d_name);
	if (d)
		closedir(d);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && len < size; i++) {
		char path[256], v[1024];
		int n;

		snprintf(path, sizeof(path), TRACEFS "/%s", files[i]);
		n = vnp_read_file(path, v, sizeof(v));
		len += (size_t)snprintf(buf + len, size - len, "%s=%s\n", files[i],
					n >= 0 ? v : "?");
	}
}

static void stop_workers(void)
{
	for (int i = 0; i < nworkers; i++) {
		kill(workers[i], SIGKILL);
		waitpid(workers[i], NULL, 0);
	}
	nworkers = 0;
}

static void cleanup(void)
{
	stop_workers();
	if (probe_inst[0]) {
		rmdir(probe_inst);
		probe_inst[0] = '\0';
	}
	if (netns_made) {
		sh("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null", ns_a, ns_b);
		netns_made = false;
	}
	if (tmpdir[0]) {
		sh("rm -rf '%s'", tmpdir);
		tmpdir[0] = '\0';
	}
}

static void on_signal(int sig)
{
	(void)sig;
	exit(130); /* atexit cleans up */
}

/* the online CPUs into cpus[], ncpus; returns ncpus, or -1; a change of the list sets *changed */
static int read_cpus_changed(bool *changed)
{
	unsigned char set[MAX_CPUS];
	char buf[4096];
	int top, n = 0, old = ncpus;
	bool differ = false;

	if (vnp_read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) < 0 ||
	    (top = vnp_parse_cpulist(buf, set, MAX_CPUS)) <= 0)
		return -1;
	for (int c = 0; c < top; c++)
		if (set[c]) {
			differ |= n >= old || cpus[n] != c;
			cpus[n++] = c;
		}
	ncpus = n;
	if (changed)
		*changed = differ || n != old;
	return ncpus;
}

static int read_cpus(void)
{
	return read_cpus_changed(NULL);
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		vnp_test_skiplog("test_profiler", "needs root");
		exit(77);
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (read_cpus() <= 0)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vnp-prof-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	tracefs_state(state_before, sizeof(state_before));
	return 0;
}

static int group_teardown(void **state)
{
	char after[8192];

	(void)state;
	cleanup();
	tracefs_state(after, sizeof(after));
	if (strcmp(after, state_before)) {
		fprintf(stderr, "tracefs changed:\n--- before\n%s--- after\n%s", state_before,
			after);
		return -1;
	}
	return 0;
}

/* ---- sampler vs perf ---- */

struct tally {
	char name[128];
	double count; /* samples */
};

struct tallies {
	struct tally *t;
	size_t n, cap;
	double total;
	const uint64_t *samples; /* the bin's, set by vnp_sampler_read() before it emits */
};

static struct tally *tally_get(struct tallies *ts, const char *name)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!strcmp(ts->t[i].name, name))
			return &ts->t[i];
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? 2 * ts->cap : 256;
		ts->t = realloc(ts->t, ts->cap * sizeof(*ts->t));
		assert_non_null(ts->t);
	}
	snprintf(ts->t[ts->n].name, sizeof(ts->t[ts->n].name), "%s", name);
	ts->t[ts->n].count = 0;
	return &ts->t[ts->n++];
}

static int add_share(void *arg, const char *function, double share)
{
	struct tallies *ts = arg;

	assert_true(share > 0 && share <= 1);
	if (ts->samples)
		tally_get(ts, function)->count += share * (double)*ts->samples;
	return 0;
}

static int cmp_tally(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	return x->count > y->count ? -1 : x->count < y->count;
}

/*
 * One busy worker pinned to each online CPU, for at most @seconds (killed by
 * stop_workers() as soon as it is not needed): kernel-heavy (read /dev/zero)
 * on even positions if @mixed, else all user-space spin. Returns the CPUs
 * the workers could be pinned to: ncpus, or fewer (a cpuset forbids some).
 */
static int busy_every_cpu(double seconds, bool mixed)
{
	int pinned = 0;

	for (int i = 0; i < ncpus; i++) {
		bool kernel = mixed && i % 2 == 0;
		pid_t pid = fork();
		cpu_set_t cs;

		assert_true(pid >= 0);
		if (!pid) {
			double end = now() + seconds;
			static char buf[256 * 1024];
			volatile uint64_t x = 1;
			int fd = open("/dev/zero", O_RDONLY);

			prctl(PR_SET_NAME, kernel ? "vnp-zero" : "vnp-spin");
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			while (now() < end) {
				if (kernel) {
					if (read(fd, buf, sizeof(buf)) < 0)
						_exit(1);
				} else {
					for (int k = 0; k < 100000; k++)
						x = x * 6364136223846793005ull +
						    1442695040888963407ull;
				}
			}
			_exit(0);
		}
		workers[nworkers] = pid;
		worker_cpu[nworkers] = -1;
		CPU_ZERO(&cs);
		CPU_SET(cpus[i], &cs);
		if (!sched_setaffinity(pid, sizeof(cs), &cs)) {
			worker_cpu[nworkers] = cpus[i];
			pinned++;
		} else {
			print_message("cannot pin a worker to cpu %d: %s\n", cpus[i],
				      strerror(errno));
		}
		nworkers++;
	}
	return pinned;
}

/*
 * Whether a CPU went offline since the workers were pinned (even if it came
 * back): the kernel then moves its pinned tasks and widens their affinity.
 */
static bool workers_moved(void)
{
	for (int i = 0; i < nworkers; i++) {
		cpu_set_t cs;

		if (worker_cpu[i] < 0)
			continue;
		if (sched_getaffinity(workers[i], sizeof(cs), &cs) || CPU_COUNT(&cs) != 1 ||
		    !CPU_ISSET(worker_cpu[i], &cs))
			return true;
	}
	return false;
}

/* the online CPUs' steal time (the hypervisor ran something else), seconds */
static double steal_seconds(void)
{
	char line[512];
	double s = 0;
	FILE *fp = fopen("/proc/stat", "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long v[8] = { 0 };
		int cpu;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 9)
			s += (double)v[7];
	}
	fclose(fp);
	return s / (double)sysconf(_SC_CLK_TCK);
}

/*
 * How many ticks a sampler read can have seen. A cpu-clock event fires every
 * PERIOD_NS on its CPU (an hrtimer forwarded by whole periods, so it never
 * drifts); in any interval of length L a CPU has floor or ceil of L / period
 * ticks: +-1 per CPU, the first and last partial periods. A read takes the
 * losses and drains each ring somewhere between its start and its end, so
 * the ticks it accounts for lie within [start of the previous read, end of
 * this one] and include [end of the previous read, start of this one].
 * Ticks can only be missed while the hypervisor does not run the vCPU (the
 * expiries inside such a gap fire as one): at most the steal time times the
 * rate, read from /proc/stat in USER_HZ ticks (+1 tick per CPU: the counter
 * is truncated at each end).
 */
struct tick_bounds {
	double lo, hi;
};

static struct tick_bounds tick_bounds(double inner_s, double outer_s, double steal_s)
{
	double n = (double)ncpus;
	double steal = (steal_s + n / (double)sysconf(_SC_CLK_TCK)) * RATE;

	return (struct tick_bounds){ n * (RATE * inner_s - 1) - steal,
				     n * (RATE * outer_s + 1) };
}

/* perf report's samples per (comm, [k] or [.] symbol), on our window */
static void perf_tallies(const char *data, double t0, double t1, struct tallies *kern,
			 struct tallies *user)
{
	char cmd[1024], line[1024];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "perf report -i '%s' --stdio -q -n --sort comm,sym -t '|' "
		 "--time %.6f,%.6f 2>/dev/null", data, t0, t1);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	/* " 5.74%  | 115        |bash           |[.] hash_search" */
	while (fgets(line, sizeof(line), fp)) {
		char *f[4], *save = NULL, *p;
		int nf = 0;
		double n;

		for (p = strtok_r(line, "|\n", &save); p && nf < 4;
		     p = strtok_r(NULL, "|\n", &save))
			f[nf++] = p;
		if (nf != 4)
			continue;
		n = strtod(f[1], NULL);
		/* trim the padded comm */
		while (*f[2] == ' ')
			f[2]++;
		for (p = f[2] + strlen(f[2]); p > f[2] && p[-1] == ' ';)
			*--p = '\0';
		kern->total += n;
		if (!strncmp(f[3], "[k] ", 4)) {
			p = f[3] + 4;
			p[strcspn(p, " ")] = '\0';
			tally_get(kern, p)->count += n;
		} else {
			char name[160];

			snprintf(name, sizeof(name), VNP_SAMPLE_USER_PREFIX "%s", f[2]);
			tally_get(user, name)->count += n;
		}
	}
	assert_int_equal(pclose(fp), 0);
}

/* the times of perf's first and last sample */
static void perf_span(const char *data, double *first, double *last)
{
	char cmd[512], line[128];
	FILE *fp;

	*first = *last = 0;
	snprintf(cmd, sizeof(cmd), "perf script -i '%s' -F time 2>/dev/null | sed -n '1p;$p'",
		 data);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		double t = strtod(line, NULL);

		if (!*first)
			*first = t;
		*last = t;
	}
	assert_int_equal(pclose(fp), 0);
}

/* at most this many 100 ms bins: the reads go on until perf has finished */
enum { NBINS = 150 };

static void test_sampler_vs_perf(void **state)
{
	char data[256];
	static struct tallies bins[NBINS];
	struct tallies mine = { 0 }, pk = { 0 }, pu = { 0 };
	uint64_t nsamples[NBINS], lost_total = 0, n, lost, in_window = 0;
	/* read b (b = -1: the baseline) runs from r_start[b + 1] to r_end[b + 1] */
	double r_start[NBINS + 1], r_end[NBINS + 1], p_first, p_last, steal0, steal1;
	double w0 = 0, w1 = 0, inner = 0, outer = 0, slack;
	int st = 0, used = 0, nb = 0, b0 = -1, b1 = -1, pinned;
	bool hotplug, changed;
	struct tick_bounds tb;
	struct vnp_sampler *s;
	unsigned flags = 0;
	pid_t perf_pid;

	(void)state;
	memset(bins, 0, sizeof(bins));
	assert_true(read_cpus() > 0);
	pinned = busy_every_cpu(NBINS * 0.1 + 5, true);
	s = vnp_sampler_open(HZ);
	if (!s)
		fail_msg("vnp_sampler_open: %s", vnp_errmsg());
	hotplug = vnp_sampler_open_cpus(s) != ncpus;
	snprintf(data, sizeof(data), "%s/perf.data", tmpdir);
	perf_pid = fork();
	assert_true(perf_pid >= 0);
	if (!perf_pid) {
		char hz[16], log[300];
		int devnull = open("/dev/null", O_WRONLY), errfd;

		snprintf(log, sizeof(log), "%s.log", data);
		errfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(devnull, 1);
		dup2(errfd >= 0 ? errfd : devnull, 2);
		snprintf(hz, sizeof(hz), "%d", HZ);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("perf", "perf", "record", "-a", "-e", "cpu-clock", "-F", hz, "-k",
		       "CLOCK_MONOTONIC", "-q", "-o", data, "--", "sleep", "4.5", (char *)NULL);
		_exit(127);
	}
	steal0 = steal_seconds();
	/* the baseline read: its samples are dropped */
	{
		struct tallies discard = { 0 };

		r_start[0] = now();
		assert_int_equal(vnp_sampler_read(s, add_share, &discard, &n, &lost, &flags), 0);
		r_end[0] = now();
		free(discard.t);
	}
	/*
	 * 100 ms bins, each tallied apart (perf's window is known only later),
	 * until perf has finished: however long perf takes to start, its whole
	 * recording is covered
	 */
	for (int b = 0; b < NBINS; b++) {
		sleep_until(r_end[0] + 0.1 * (b + 1));
		bins[b].samples = &n;
		r_start[b + 1] = now();
		assert_int_equal(vnp_sampler_read(s, add_share, &bins[b], &n, &lost, &flags), 0);
		r_end[b + 1] = now();
		nsamples[b] = n;
		lost_total += lost;
		nb = b + 1;
		if (waitpid(perf_pid, &st, WNOHANG) == perf_pid) {
			perf_pid = 0;
			break;
		}
	}
	steal1 = steal_seconds();
	vnp_sampler_close(s);
	hotplug |= workers_moved();
	stop_workers();
	read_cpus_changed(&changed);
	hotplug |= changed || (flags & VNP_BIN_INCOMPLETE);
	if (perf_pid) /* still running after NBINS bins: fails below */
		waitpid(perf_pid, &st, 0);
	if (hotplug) {
		/* perf record -a stops (and fails) when a CPU goes; the sampler carries on */
		for (int b = 0; b < nb; b++)
			free(bins[b].t);
		skip_check("sampler rate and sampler vs perf: a CPU went offline or came back "
			   "during the window (someone else's hotplug)");
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		char log[300], text[4096] = "";

		snprintf(log, sizeof(log), "%s.log", data);
		vnp_read_file(log, text, sizeof(text));
		fail_msg("perf record: %s %d: %s", WIFEXITED(st) ? "exit status" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), text);
	}
	/* the bins inside perf's recording; perf cut to exactly their span */
	perf_span(data, &p_first, &p_last);
	for (int b = 0; b < nb; b++) {
		if (r_end[b] < p_first || r_end[b + 1] > p_last)
			continue;
		if (b0 < 0)
			b0 = b;
		b1 = b;
		used++;
		in_window += nsamples[b];
		for (size_t i = 0; i < bins[b].n; i++)
			tally_get(&mine, bins[b].t[i].name)->count += bins[b].t[i].count;
	}
	for (int b = 0; b < nb; b++)
		free(bins[b].t);
	assert_true(used >= 20 && b1 - b0 + 1 == used);
	/* bins b0..b1 (read b0-1 ended, read b1 started and ended): see tick_bounds() */
	w0 = r_end[b0];
	w1 = r_end[b1 + 1];
	inner = r_start[b1 + 1] - r_end[b0];
	outer = r_end[b1 + 1] - r_start[b0];
	tb = tick_bounds(inner, outer, steal1 - steal0);
	print_message("sampler: %llu samples in %d bins, %.3f s on %d CPUs (%.1f/s per CPU; "
		      "ticks expected %.0f .. %.0f, %.3f s stolen), %llu lost, flags %#x\n",
		      (unsigned long long)in_window, used, w1 - w0, ncpus,
		      (double)in_window / (w1 - w0) / ncpus, tb.lo, tb.hi, steal1 - steal0,
		      (unsigned long long)lost_total, flags);
	/* a 4 s ring read every 100 ms: nothing may be lost */
	assert_int_equal(lost_total, 0);
	if (pinned == ncpus) {
		/* every CPU busy: one sample per tick of every CPU */
		if ((double)in_window < tb.lo || (double)in_window > tb.hi)
			fail_msg("%llu samples, outside the %.0f .. %.0f ticks of %d busy CPUs",
				 (unsigned long long)in_window, tb.lo, tb.hi, ncpus);
	} else {
		skip_check("sampler rate: only %d of %d online CPUs could be kept busy", pinned,
			   ncpus);
	}

	perf_tallies(data, w0, w1, &pk, &pu);
	/*
	 * perf's cpu-clock has the same period; cut to [w0, w1], it has the
	 * ticks of that window +-1 per CPU, while ours may reach up to one read's
	 * duration beyond either end (tick_bounds()); the vCPU's stolen time
	 * misses ticks of both.
	 */
	slack = RATE * ncpus * fmax(r_end[b0] - r_start[b0], r_end[b1 + 1] - r_start[b1 + 1]) +
		2.0 * ncpus + (steal1 - steal0 + (double)ncpus / (double)sysconf(_SC_CLK_TCK)) *
				      RATE;
	print_message("perf report: %.0f samples in the same window (%.0f apart allowed)\n",
		      pk.total, slack);
	assert_true(fabs(pk.total - (double)in_window) <= slack);
	qsort(mine.t, mine.n, sizeof(*mine.t), cmp_tally);
	for (size_t i = 0; i < 5 && i < mine.n; i++) {
		const char *name = mine.t[i].name;
		double a = 100.0 * mine.t[i].count / (double)in_window, b = 0;

		for (size_t j = 0; j < pk.n; j++)
			if (!strcmp(pk.t[j].name, name))
				b += pk.t[j].count;
		for (size_t j = 0; j < pu.n; j++)
			if (!strcmp(pu.t[j].name, name))
				b += pu.t[j].count;
		b = 100.0 * b / pk.total;
		print_message("  %-36s vnetprof %6.2f %%  perf %6.2f %%  diff %+.2f\n", name, a, b,
			      a - b);
		if (fabs(a - b) > 2.0)
			fail_msg("%s: %.2f %% vs perf's %.2f %%: more than 2 points apart", name, a,
				 b);
	}
	free(mine.t);
	free(pk.t);
	free(pu.t);
}

/*
 * Side-band records (COMM, FORK, EXIT) the kernel offers every system-wide
 * event with comm = task = 1 on a CPU, as it offers the sampler's: counted
 * here with a dummy event per online CPU and a ring that holds them all.
 * A full sampler ring refuses them as it refuses samples, and the kernel's
 * lost count (PERF_FORMAT_LOST) counts both.
 */
struct sideband {
	int fd[MAX_CPUS];
	void *base[MAX_CPUS];
	size_t len;
	uint64_t prev_lost[MAX_CPUS];
};

enum { SB_PAGES = 256 };

static void sideband_open(struct sideband *sb)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
		.read_format = PERF_FORMAT_LOST,
		.disabled = 1,
		.comm = 1,
		.task = 1,
		.sample_id_all = 1,
	};
	long page = sysconf(_SC_PAGESIZE);

	sb->len = (size_t)(SB_PAGES + 1) * (size_t)page;
	for (int i = 0; i < ncpus; i++) {
		long fd = syscall(SYS_perf_event_open, &a, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0)
			fail_msg("perf_event_open(dummy, cpu %d): %s", cpus[i], strerror(errno));
		sb->fd[i] = (int)fd;
		sb->base[i] = mmap(NULL, sb->len, PROT_READ | PROT_WRITE, MAP_SHARED, sb->fd[i], 0);
		assert_true(sb->base[i] != MAP_FAILED);
		sb->prev_lost[i] = 0;
		assert_int_equal(ioctl(sb->fd[i], PERF_EVENT_IOC_ENABLE, 0), 0);
	}
}

/*
 * The side-band records since the last call (read and consumed), plus those
 * it lost; per CPU in @per_cpu (in the order of cpus[]) if not NULL
 */
static uint64_t sideband_take_cpus(struct sideband *sb, uint64_t *per_cpu)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t total = 0;

	for (int i = 0; i < ncpus; i++) {
		struct perf_event_mmap_page *mp = sb->base[i];
		const char *data = (const char *)sb->base[i] + page;
		uint64_t size = (uint64_t)SB_PAGES * (uint64_t)page, v[2];
		uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
		uint64_t tail = mp->data_tail;

		uint64_t mine;

		assert_int_equal(read(sb->fd[i], v, sizeof(v)), sizeof(v));
		mine = v[1] - sb->prev_lost[i];
		sb->prev_lost[i] = v[1];
		while (tail < head) {
			/* records are 8-byte aligned: a header never wraps */
			const struct perf_event_header *h =
				(const void *)(data + (tail & (size - 1)));

			if (!h->size)
				break;
			if (h->type == PERF_RECORD_COMM || h->type == PERF_RECORD_FORK ||
			    h->type == PERF_RECORD_EXIT)
				mine++;
			tail += h->size;
		}
		__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
		if (per_cpu)
			per_cpu[i] = mine;
		total += mine;
	}
	return total;
}

static uint64_t sideband_take(struct sideband *sb)
{
	return sideband_take_cpus(sb, NULL);
}

static void sideband_close(struct sideband *sb)
{
	for (int i = 0; i < ncpus; i++) {
		munmap(sb->base[i], sb->len);
		close(sb->fd[i]);
	}
}

/* a one-page ring left unread: the kernel drops, read() says how many */
static void test_sampler_lost(void **state)
{
	static struct sideband sb;
	static uint64_t sb_r1_cpu[MAX_CPUS], sb_in2_cpu[MAX_CPUS], sb_c_cpu[MAX_CPUS];
	struct vnp_sampler *s;
	uint64_t n, lost, n2, lost2, sb_r0, sb_in, sb_r1, sb_in2, sb_c, sb1, sb2;
	unsigned flags = 0;
	struct tallies t = { 0 };
	double r0s, r0e, r1s, r1e, r2s, r2e, steal0, steal1, steal2, room, sb_lost_min;
	double during_read1;
	struct tick_bounds tb, tb2;
	long page = sysconf(_SC_PAGESIZE);
	int pinned;
	bool hotplug, changed;

	(void)state;
	/* busy CPUs: an idle one may take fewer than HZ samples a second */
	assert_true(read_cpus() > 0);
	pinned = busy_every_cpu(5, false);
	sideband_open(&sb);
	s = vnp_sampler_open_ring(HZ, 1);
	if (!s)
		fail_msg("vnp_sampler_open_ring: %s", vnp_errmsg());
	hotplug = vnp_sampler_open_cpus(s) != ncpus;
	/*
	 * The side-band records are taken just before and just after each read:
	 * sb_in were offered strictly between read 0 and read 1, sb1 during
	 * [r0s, r1e], sb2 during [r1s, r2e] (the windows of what a read accounts
	 * for, as in tick_bounds())
	 */
	steal0 = steal_seconds();
	sideband_take(&sb); /* before: no read's */
	r0s = now();
	assert_int_equal(vnp_sampler_read(s, add_share, &t, &n, &lost, &flags), 0);
	r0e = now();
	sb_r0 = sideband_take(&sb);
	sleep_until(r0e + 1.0);
	sb_in = sideband_take(&sb);
	t.samples = &n;
	r1s = now();
	assert_int_equal(vnp_sampler_read(s, add_share, &t, &n, &lost, &flags), 0);
	r1e = now();
	sb_r1 = sideband_take_cpus(&sb, sb_r1_cpu);
	steal1 = steal_seconds();
	sb1 = sb_r0 + sb_in + sb_r1;
	read_cpus_changed(&changed);
	hotplug |= changed || workers_moved() || (flags & VNP_BIN_INCOMPLETE);
	tb = tick_bounds(r1s - r0e, r1e - r0s, steal1 - steal0);
	/*
	 * The side-band records the full ring refused are in lost too: at most
	 * sb1; at least those of sb_in that did not fit beside the n samples
	 * read (the ring's pages hold everything written between two drains;
	 * a COMM, FORK or EXIT record takes at least 40 bytes, a sample 32)
	 */
	sb_lost_min = fmax(0, (double)sb_in - ((double)page * ncpus - 32.0 * (double)n) / 40);
	print_message("1 s unread: %llu samples read + %llu lost; ticks %.0f .. %.0f, "
		      "+ %.0f .. %llu side-band records\n", (unsigned long long)n,
		      (unsigned long long)lost, tb.lo, tb.hi, sb_lost_min,
		      (unsigned long long)sb1);
	assert_true(n <= (uint64_t)page / 32 * (uint64_t)ncpus);
	assert_true(lost > 0);
	if (hotplug) {
		skip_check("lost samples: a CPU went offline or came back during the window "
			   "(someone else's hotplug)");
	} else if (pinned == ncpus) {
		/* every tick was read or counted lost; lost may also hold side-band records */
		if ((double)(n + lost) < tb.lo + sb_lost_min ||
		    (double)(n + lost) > tb.hi + (double)sb1)
			fail_msg("%llu read + %llu lost, outside %.0f .. %.0f ticks (+ %.0f .. %llu "
				 "side-band records)", (unsigned long long)n,
				 (unsigned long long)lost, tb.lo, tb.hi, sb_lost_min,
				 (unsigned long long)sb1);
	} else {
		skip_check("lost samples: only %d of %d online CPUs could be kept busy", pinned,
			   ncpus);
		assert_true((double)(n + lost) <= tb.hi + (double)sb1);
	}
	/*
	 * A read soon after: the ring was drained, so what comes after the drain
	 * is lost only if it overflows a CPU's page again: these ~20 ms of
	 * samples (32 bytes each) and that CPU's side-band records (at most 48
	 * bytes each with TID and TIME, counted). What this read reports lost
	 * can then only be what came while read 1 ran (between its taking the
	 * losses and draining a CPU's full ring). Either way, the same accounting
	 * as above holds.
	 */
	sleep_until(now() + 0.02);
	sb_in2 = sideband_take_cpus(&sb, sb_in2_cpu);
	r2s = now();
	assert_int_equal(vnp_sampler_read(s, add_share, &t, &n2, &lost2, &flags), 0);
	r2e = now();
	sb_c = sideband_take_cpus(&sb, sb_c_cpu);
	steal2 = steal_seconds();
	sb2 = sb_r1 + sb_in2 + sb_c;
	tb2 = tick_bounds(r2s - r1e, r2e - r1s, steal2 - steal1);
	/* the fullest CPU's ring: its share of the ticks, its own side-band records */
	room = (double)page;
	for (int i = 0; i < ncpus; i++)
		room = fmin(room, (double)page - 32 * tb2.hi / ncpus -
					  48 * (double)(sb_r1_cpu[i] + sb_in2_cpu[i] +
							sb_c_cpu[i]));
	sb_lost_min = fmax(0, (double)sb_in2 - ((double)page * ncpus - 32.0 * (double)n2) / 40);
	during_read1 = ncpus * (RATE * (r1e - r1s) + 1) + (double)sb_r1;
	print_message("20 ms later: %llu samples read + %llu lost; ticks %.0f .. %.0f, + %.0f .. "
		      "%llu side-band records; room left %.0f bytes, %.0f records came during "
		      "read 1\n", (unsigned long long)n2, (unsigned long long)lost2, tb2.lo,
		      tb2.hi, sb_lost_min, (unsigned long long)sb2, room, during_read1);
	read_cpus_changed(&changed);
	if (changed || workers_moved() || (flags & VNP_BIN_INCOMPLETE)) {
		skip_check("nothing lost after a drain: a CPU went offline or came back");
	} else {
		if (pinned == ncpus && ((double)(n2 + lost2) < tb2.lo + sb_lost_min ||
					(double)(n2 + lost2) > tb2.hi + (double)sb2))
			fail_msg("after a drain: %llu read + %llu lost, outside %.0f .. %.0f ticks "
				 "(+ %.0f .. %llu side-band records)", (unsigned long long)n2,
				 (unsigned long long)lost2, tb2.lo, tb2.hi, sb_lost_min,
				 (unsigned long long)sb2);
		if (room > 0 && (double)lost2 > during_read1)
			fail_msg("%llu lost after a drain, though at most %.0f records came "
				 "before it and the rest fit", (unsigned long long)lost2,
				 during_read1);
	}
	vnp_sampler_close(s);
	sideband_close(&sb);
	stop_workers();
	free(t.t);
}

/* ---- func:NAME: the branch the kernel allows, decided from tracefs ---- */

/* what a backend must do here: count, or be refused with errno and a reason */
struct expect {
	bool counts;
	int err;
	const char *reason; /* a part of the message that names the one reason */
};

static bool tracefs_has(const char *file)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return !stat(path, &st);
}

/* the profiler: function_profile_enabled, unused; the top-level filter free */
static struct expect expect_profiler(void)
{
	char buf[4096];
	int n;

	if (!tracefs_has("function_profile_enabled"))
		return (struct expect){ false, EOPNOTSUPP, "CONFIG_FUNCTION_PROFILER off" };
	if (vnp_read_file(TRACEFS "/function_profile_enabled", buf, sizeof(buf)) >= 0 &&
	    atoi(buf) != 0)
		return (struct expect){ false, EBUSY, "in use by another tool" };
	if (vnp_read_file(TRACEFS "/current_tracer", buf, sizeof(buf)) < 0 ||
	    strncmp(buf, "nop", 3))
		return (struct expect){ false, EBUSY, "the top-level tracer is in use" };
	n = vnp_read_file(TRACEFS "/set_ftrace_filter", buf, sizeof(buf));
	if (n == -EPERM || n == -EACCES)
		return (struct expect){ false, -n, "a kernel policy forbids function tracing" };
	if (n < 0)
		fail_msg("reading set_ftrace_filter: %s", strerror(-n));
	if (buf[0] && !strstr(buf, "all functions enabled"))
		return (struct expect){ false, EBUSY, "which another tool has set" };
	/*
	 * Readable and free: it must count. (Whether the top-level filter takes
	 * writes is not tried here: the test never touches the top level.)
	 */
	return (struct expect){ true, 0, NULL };
}

/* the tracer: listed in available_tracers, set_ftrace_filter writable in an instance */
static struct expect expect_tracer(void)
{
	char buf[8192], path[256], *tok, *save = NULL;
	bool listed = false;
	int fd, e;

	if (vnp_read_file(TRACEFS "/available_tracers", buf, sizeof(buf)) >= 0)
		for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			listed |= !strcmp(tok, "function");
	if (!listed)
		return (struct expect){ false, EOPNOTSUPP, "CONFIG_FUNCTION_TRACER off" };
	/* an instance of our own, as the backend makes one */
	snprintf(probe_inst, sizeof(probe_inst), TRACEFS "/instances/vnpt-%d-check",
		 (int)getpid());
	if (mkdir(probe_inst, 0700))
		fail_msg("mkdir %s: %s", probe_inst, strerror(errno));
	snprintf(path, sizeof(path), "%s/set_ftrace_filter", probe_inst);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	e = errno;
	if (fd >= 0)
		close(fd);
	assert_int_equal(rmdir(probe_inst), 0);
	probe_inst[0] = '\0';
	if (fd >= 0)
		return (struct expect){ true, 0, NULL };
	if (e == EPERM || e == EACCES)
		return (struct expect){ false, e, "a kernel policy forbids function tracing here" };
	if (e == ENOENT || e == ENODEV)
		return (struct expect){ false, e, "CONFIG_DYNAMIC_FTRACE" };
	fail_msg("opening %s: %s", path, strerror(e));
	return (struct expect){ false, e, NULL };
}

/*
 * The independent count: getppid() syscalls on every online CPU, from the
 * syscalls:sys_enter_getppid tracepoint in perf counters. -1 if the kernel
 * has no syscall tracepoints.
 */
struct getppid_count {
	int fd[MAX_CPUS];
	bool ok;
};

static void getppid_count_open(struct getppid_count *g)
{
	struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(a) };
	char buf[64];

	g->ok = vnp_read_file(TRACEFS "/events/syscalls/sys_enter_getppid/id", buf,
			      sizeof(buf)) > 0;
	if (!g->ok)
		return;
	a.config = strtoull(buf, NULL, 10);
	for (int i = 0; i < ncpus; i++) {
		long fd = syscall(SYS_perf_event_open, &a, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0)
			fail_msg("perf_event_open(syscalls:sys_enter_getppid, cpu %d): %s",
				 cpus[i], strerror(errno));
		g->fd[i] = (int)fd;
	}
}

static double getppid_count_close(struct getppid_count *g)
{
	double total = 0;

	for (int i = 0; g->ok && i < ncpus; i++) {
		uint64_t v = 0;

		assert_int_equal(read(g->fd[i], &v, sizeof(v)), sizeof(v));
		total += (double)v;
		close(g->fd[i]);
	}
	return g->ok ? total : -1;
}

static void test_func_backends(void **state)
{
	static const struct {
		int which;
		const char *name;
	} backends[] = {
		{ VNP_FTRACE_PROFILER, "function profiler" },
		{ VNP_FTRACE_TRACER, "function tracer" },
		{ VNP_FTRACE_AUTO, "auto" },
	};
	const char *funcs[] = { "__x64_sys_getppid" };
	const int N = 5000;
	struct expect prof = expect_profiler(), trac = expect_tracer();
	char before[8192], after[8192];
	struct getppid_count g;
	double ref;

	(void)state;
	print_message("expected here: profiler %s%s, tracer %s%s\n",
		      prof.counts ? "counts" : "refused: ", prof.reason ? prof.reason : "",
		      trac.counts ? "counts" : "refused: ", trac.reason ? trac.reason : "");
	/* the reference counts what we call */
	getppid_count_open(&g);
	for (int k = 0; k < N; k++)
		syscall(SYS_getppid);
	ref = getppid_count_close(&g);
	if (ref < 0)
		skip_check("func backends: no syscalls:sys_enter_getppid tracepoint "
			   "(CONFIG_FTRACE_SYSCALLS off): counts checked against %d calls only",
			   N);
	else
		assert_true(ref >= N);

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		struct expect ex = backends[i].which == VNP_FTRACE_TRACER ? trac : prof;
		int backend = backends[i].which;
		struct vnp_ftracefunc *f;
		const char *msg;

		/* AUTO: the profiler, else (refused for these reasons) the tracer */
		if (backends[i].which == VNP_FTRACE_AUTO) {
			backend = VNP_FTRACE_PROFILER;
			if (!prof.counts && (prof.err == EOPNOTSUPP || prof.err == EBUSY ||
					     prof.err == EPERM || prof.err == EACCES)) {
				ex = trac;
				backend = VNP_FTRACE_TRACER;
			}
		}
		tracefs_state(before, sizeof(before));
		getppid_count_open(&g);
		f = vnp_ftracefunc_open(funcs, 1, backends[i].which);
		if (ex.counts) {
			/* every call of ours counted, and no more than were made */
			double origin = now(), c = 0;
			uint64_t dropped = 0;

			if (!f)
				fail_msg("%s: refused, but tracefs allows it: %s", backends[i].name,
					 vnp_errmsg());
			assert_int_equal(vnp_ftracefunc_backend(f), backend);
			for (int k = 0; k < N; k++)
				syscall(SYS_getppid);
			sleep_until(now() + 0.05);
			assert_int_equal(vnp_ftracefunc_read(f, origin, 1000.0, 0, &c, &dropped),
					 0);
			vnp_ftracefunc_close(f);
			ref = getppid_count_close(&g);
			print_message("%s: %g calls counted, %d made, %g by every process in a "
				      "window around it, %llu dropped\n", backends[i].name, c, N,
				      ref, (unsigned long long)dropped);
			assert_int_equal(dropped, 0);
			assert_true(c >= N);
			if (ref >= 0)
				assert_true(c <= ref);
		} else {
			getppid_count_close(&g);
			if (f)
				fail_msg("%s: counts, but tracefs says it must be refused (%s)",
					 backends[i].name, ex.reason);
			msg = vnp_errmsg();
			print_message("%s: refused: %s\n", backends[i].name, msg);
			assert_int_equal(errno, ex.err);
			assert_null(strchr(msg, '\n'));
			assert_true(!strncmp(msg, "func:__x64_sys_getppid: ", 24));
			if (!strstr(msg, ex.reason))
				fail_msg("%s: refused without the reason \"%s\": %s",
					 backends[i].name, ex.reason, msg);
			if (backends[i].which == VNP_FTRACE_AUTO && backend == VNP_FTRACE_TRACER) {
				/* both backends refused: each named with its own reason */
				const char *p = strstr(msg, "function profiler:"),
					   *t = strstr(msg, "function tracer:");

				assert_non_null(p);
				assert_non_null(t);
				assert_true(p < t);
				assert_non_null(strstr(p, prof.reason));
				assert_true(strstr(p, prof.reason) < t);
				assert_non_null(strstr(t, trac.reason));
			}
		}
		tracefs_state(after, sizeof(after));
		assert_string_equal(before, after); /* no instance left, top level untouched */
	}
}

/* ---- the tracer's raw-buffer reading and binning, on net:net_dev_xmit ---- */

static void make_netns(void)
{
	int pid = (int)getpid();

	snprintf(ns_a, sizeof(ns_a), "vnpp-%d-a", pid);
	snprintf(ns_b, sizeof(ns_b), "vnpp-%d-b", pid);
	snprintf(dev_a, sizeof(dev_a), "vp%da", pid);
	snprintf(dev_b, sizeof(dev_b), "vp%db", pid);
	netns_made = true;
	/* IPv6 off and static neighbours: the only frames are the ones we send */
	assert_int_equal(sh("set -e; ip netns add %1$s; ip netns add %2$s; "
			    "for n in %1$s %2$s; do ip netns exec $n sysctl -qw "
			    "net.ipv6.conf.all.disable_ipv6=1 "
			    "net.ipv6.conf.default.disable_ipv6=1; "
			    "done; "
			    "ip link add %3$s netns %1$s type veth peer name %4$s netns %2$s; "
			    "ip -n %1$s addr add 198.18.0.1/30 dev %3$s; "
			    "ip -n %2$s addr add 198.18.0.2/30 dev %4$s; "
			    "ip -n %1$s link set %3$s up; ip -n %2$s link set %4$s up; "
			    "ip -n %1$s neigh replace 198.18.0.2 lladdr "
			    "$(ip netns exec %2$s cat /sys/class/net/%4$s/address) dev %3$s nud "
			    "permanent; "
			    "ip -n %2$s neigh replace 198.18.0.1 lladdr "
			    "$(ip netns exec %1$s cat /sys/class/net/%3$s/address) dev %4$s nud "
			    "permanent",
			    ns_a, ns_b, dev_a, dev_b),
			 0);
}

/*
 * A child in namespace A sends batch[j] datagrams at origin + (j + 0.5) * bin
 * and stores each datagram's send interval in @times (shared memory).
 */
static pid_t start_sender(double origin, double bin, const int *batch, int nb, double *times,
			  int cpu)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		char path[128];
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
		int fd, sock, k = 0;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (cpu >= 0) {
			cpu_set_t cs;

			CPU_ZERO(&cs);
			CPU_SET(cpu, &cs);
			if (sched_setaffinity(0, sizeof(cs), &cs))
				_exit(4);
		}
		snprintf(path, sizeof(path), "/run/netns/%s", ns_a);
		fd = open(path, O_RDONLY);
		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(2);
		sock = socket(AF_INET, SOCK_DGRAM, 0);
		inet_pton(AF_INET, "198.18.0.2", &sa.sin_addr);
		for (int j = 0; j < nb; j++) {
			if (origin > 0)
				sleep_until(origin + (j + 0.5) * bin);
			for (int i = 0; i < batch[j]; i++, k++) {
				times[2 * k] = now();
				if (sendto(sock, "x", 1, 0, (struct sockaddr *)&sa,
					   sizeof(sa)) != 1)
					_exit(3);
				times[2 * k + 1] = now();
			}
		}
		_exit(0);
	}
	return pid;
}

static void test_events_binning(void **state)
{
	enum { NB = 10 };
	static const int batch[NB] = { 50, 60, 70, 80, 90, 100, 110, 120, 130, 140 };
	const double bin = 0.1;
	const char *ev[] = { "net:net_dev_xmit" };
	char filter[96];
	const char *filters[1] = { filter };
	struct vnp_ftracefunc *f;
	/* bin NB: everything after the last bin, read at the end */
	double *times, origin, got[NB + 1] = { 0 }, lo[NB + 1] = { 0 }, hi[NB + 1] = { 0 };
	double total = 0;
	int N = 0, ambiguous = 0, st;
	uint64_t dropped, dropped_total = 0;
	pid_t pid;

	(void)state;
	for (int j = 0; j < NB; j++)
		N += batch[j];
	make_netns();
	snprintf(filter, sizeof(filter), "name == \"%s\"", dev_a);
	f = vnp_ftracefunc_open_events(ev, filters, 1, 0);
	if (!f)
		fail_msg("vnp_ftracefunc_open_events: %s", vnp_errmsg());
	assert_int_equal(vnp_ftracefunc_backend(f), VNP_FTRACE_EVENTS);
	times = mmap(NULL, 2 * (size_t)N * sizeof(double), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(times != MAP_FAILED);
	origin = now() + 0.2;
	pid = start_sender(origin, bin, batch, NB, times, -1);
	/* read each bin just after it ends; bin 4 only after batch 5 was sent */
	for (int j = 0; j < NB; j++) {
		double at = origin + (j + 1) * bin + 0.01;

		if (j == 4)
			at = origin + 5.8 * bin;
		sleep_until(at);
		assert_int_equal(vnp_ftracefunc_read(f, origin, bin, j, &got[j], &dropped), 0);
		dropped_total += dropped;
	}
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* a read after the sender is done, of a bin past every datagram: the rest */
	sleep_until(now() + 0.05);
	assert_int_equal(vnp_ftracefunc_read(f, origin, bin, (int64_t)((now() - origin) / bin) + 2,
					     &got[NB], &dropped), 0);
	dropped_total += dropped;
	vnp_ftracefunc_close(f);
	/*
	 * Each datagram's event has a time inside its send interval: its bin is
	 * known when the interval lies in one bin, else it is one of the bins
	 * the interval touches. A sender delayed under load (a batch that runs
	 * over its bin's end) widens the ranges; it never makes them wrong.
	 */
	for (int k = 0; k < N; k++) {
		int b0 = (int)floor((times[2 * k] - origin) / bin);
		int b1 = (int)floor((times[2 * k + 1] - origin) / bin);

		assert_true(b0 >= 0 && b1 >= b0);
		b0 = b0 < NB ? b0 : NB;
		b1 = b1 < NB ? b1 : NB;
		if (b0 == b1)
			lo[b0]++;
		else
			ambiguous++;
		for (int j = b0; j <= b1; j++)
			hi[j]++;
	}
	munmap(times, 2 * (size_t)N * sizeof(double));
	for (int j = 0; j <= NB; j++) {
		print_message("bin %d: %g counted, %g .. %g sent\n", j, got[j], lo[j], hi[j]);
		total += got[j];
		if (got[j] < lo[j] || got[j] > hi[j])
			fail_msg("bin %d: %g counted, but %g .. %g datagrams were sent in it", j,
				 got[j], lo[j], hi[j]);
	}
	print_message("%g counted of %d sent (%d on a bin edge), %llu dropped\n", total, N,
		      ambiguous, (unsigned long long)dropped_total);
	assert_true(total == N);
	assert_int_equal(dropped_total, 0);
}

/* a tiny buffer, read only at the end: what is not counted was dropped, and said so */
static void test_events_dropped(void **state)
{
	enum { N = 4000 };
	const char *ev[] = { "net:net_dev_xmit" };
	char filter[96];
	const char *filters[1] = { filter };
	struct vnp_ftracefunc *f;
	double *times, got = 0, origin = now();
	int batch[1] = { N }, st;
	uint64_t dropped = 0;
	pid_t pid;

	(void)state;
	if (!netns_made)
		make_netns();
	snprintf(filter, sizeof(filter), "name == \"%s\"", dev_a);
	f = vnp_ftracefunc_open_events(ev, filters, 1, 4);
	if (!f)
		fail_msg("vnp_ftracefunc_open_events: %s", vnp_errmsg());
	times = mmap(NULL, 2 * (size_t)N * sizeof(double), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(times != MAP_FAILED);
	/* on one CPU, so that one 4 KiB buffer (a few hundred events) must overflow */
	pid = start_sender(0, 1, batch, 1, times, cpus[0]);
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	munmap(times, 2 * (size_t)N * sizeof(double));
	assert_int_equal(vnp_ftracefunc_read(f, origin, 1000.0, 0, &got, &dropped), 0);
	vnp_ftracefunc_close(f);
	print_message("4 KiB buffer: %g counted + %llu dropped = %d sent\n", got,
		      (unsigned long long)dropped, N);
	assert_true(dropped > 0);
	assert_true(got + (double)dropped == N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_func_backends),
		cmocka_unit_test(test_events_binning),
		cmocka_unit_test(test_events_dropped),
		cmocka_unit_test(test_sampler_lost),
		cmocka_unit_test(test_sampler_vs_perf),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
