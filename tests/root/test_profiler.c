// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Root tests of the CPU-share profiler and the ftrace function backends,
 * on the real kernel:
 *
 * - the sampler's top-5 shares on a fixed workload against perf record +
 *   perf report over the same window (perf on CLOCK_MONOTONIC, cut with
 *   --time to our first and last read), within 2 points;
 * - lost samples are reported: a one-page ring left unread overflows, and
 *   samples + lost account for every tick;
 * - func:NAME with the profiler, the tracer and AUTO: either refused with a
 *   one-line message naming the kernel option or policy, or (where the
 *   kernel allows it) counting getppid() calls; never leaving an instance;
 * - the tracer's raw-buffer reading and binning, with net:net_dev_xmit as
 *   a stand-in: N datagrams sent in timed batches across a veth in
 *   namespaces we create are counted exactly, per bin, including a bin
 *   read late; and with a tiny buffer, counted + dropped = N.
 *
 * Addresses: 198.18.0.0/15, inside our namespaces only. Every load is
 * bounded in time; every namespace, instance and process is removed on
 * every exit (teardown and atexit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collect/ftracefunc.h"
#include "collect/sampler.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HZ 999
#define TRACEFS "/sys/kernel/tracing"

static char ns_a[64], ns_b[64], dev_a[32], dev_b[32], tmpdir[64];
static char state_before[8192];
static pid_t workers[4];
static int nworkers;
static bool netns_made;

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

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "# SKIP: needs root\n");
		exit(77);
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
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

/* a bounded worker: kernel-heavy (read /dev/zero) or user-space spin */
static void start_worker(const char *name, bool kernel, double seconds)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		double end = now() + seconds;
		static char buf[256 * 1024];
		volatile uint64_t x = 1;
		int fd = open("/dev/zero", O_RDONLY);

		prctl(PR_SET_NAME, name);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		while (now() < end) {
			if (kernel) {
				if (read(fd, buf, sizeof(buf)) < 0)
					_exit(1);
			} else {
				for (int i = 0; i < 1000000; i++)
					x = x * 6364136223846793005ull + 1442695040888963407ull;
			}
		}
		_exit(0);
	}
	workers[nworkers++] = pid;
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

enum { NBINS = 50 };

static void test_sampler_vs_perf(void **state)
{
	char data[256];
	struct tallies bins[NBINS] = { { 0 } }, mine = { 0 }, pk = { 0 }, pu = { 0 };
	uint64_t nsamples[NBINS], lost_total = 0, n, lost, in_window = 0;
	double t_read[NBINS + 1], p_first, p_last, w0 = 0, w1 = 0;
	struct vnp_sampler *s;
	unsigned flags = 0;
	pid_t perf_pid;
	int st, used = 0;

	(void)state;
	start_worker("vnp-zero", true, 9);
	start_worker("vnp-spin", false, 9);
	s = vnp_sampler_open(HZ);
	if (!s)
		fail_msg("vnp_sampler_open: %s", vnp_errmsg());
	snprintf(data, sizeof(data), "%s/perf.data", tmpdir);
	perf_pid = fork();
	assert_true(perf_pid >= 0);
	if (!perf_pid) {
		char hz[16];
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		dup2(devnull, 2);
		snprintf(hz, sizeof(hz), "%d", HZ);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("perf", "perf", "record", "-a", "-e", "cpu-clock", "-F", hz, "-k",
		       "CLOCK_MONOTONIC", "-q", "-o", data, "--", "sleep", "4.5", (char *)NULL);
		_exit(127);
	}
	/* the baseline read: its samples are dropped */
	{
		struct tallies discard = { 0 };

		assert_int_equal(vnp_sampler_read(s, add_share, &discard, &n, &lost, &flags), 0);
		free(discard.t);
	}
	/* 100 ms bins for 5 s, each tallied apart: perf's window is known only later */
	t_read[0] = now();
	for (int b = 0; b < NBINS; b++) {
		sleep_until(t_read[0] + 0.1 * (b + 1));
		bins[b].samples = &n;
		assert_int_equal(vnp_sampler_read(s, add_share, &bins[b], &n, &lost, &flags), 0);
		t_read[b + 1] = now();
		nsamples[b] = n;
		lost_total += lost;
	}
	vnp_sampler_close(s);
	waitpid(perf_pid, &st, 0);
	stop_workers();
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* the bins inside perf's recording; perf cut to exactly their span */
	perf_span(data, &p_first, &p_last);
	for (int b = 0; b < NBINS; b++) {
		if (t_read[b] < p_first || t_read[b + 1] > p_last)
			continue;
		if (!used++)
			w0 = t_read[b];
		w1 = t_read[b + 1];
		in_window += nsamples[b];
		for (size_t i = 0; i < bins[b].n; i++)
			tally_get(&mine, bins[b].t[i].name)->count += bins[b].t[i].count;
	}
	for (int b = 0; b < NBINS; b++)
		free(bins[b].t);
	print_message("sampler: %llu samples in %d bins, %.3f s on %ld CPUs (%.0f/s per CPU), "
		      "%llu lost, flags %#x\n", (unsigned long long)in_window, used, w1 - w0,
		      sysconf(_SC_NPROCESSORS_ONLN),
		      (double)in_window / (w1 - w0) / (double)sysconf(_SC_NPROCESSORS_ONLN),
		      (unsigned long long)lost_total, flags);
	assert_true(used >= 20);
	/* about HZ per CPU per second with busy CPUs, none lost at this rate */
	assert_true(fabs((double)in_window / (w1 - w0) /
			 (double)sysconf(_SC_NPROCESSORS_ONLN) - HZ) < 0.05 * HZ);
	assert_int_equal(lost_total, 0);

	perf_tallies(data, w0, w1, &pk, &pu);
	print_message("perf report: %.0f samples in the same window\n", pk.total);
	assert_true(fabs(pk.total - (double)in_window) < 0.1 * (double)in_window);
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

/* a one-page ring left unread: the kernel drops, read() says how many */
static void test_sampler_lost(void **state)
{
	struct vnp_sampler *s;
	uint64_t n, lost, n2, lost2;
	unsigned flags = 0;
	struct tallies t = { 0 };
	double t0, t1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	/* busy CPUs: an idle one may take fewer than HZ samples a second */
	for (long i = 0; i < ncpu && i < 4; i++)
		start_worker("vnp-spin", false, 3);
	s = vnp_sampler_open_ring(HZ, 1);
	if (!s)
		fail_msg("vnp_sampler_open_ring: %s", vnp_errmsg());
	assert_int_equal(vnp_sampler_read(s, add_share, &t, &n, &lost, &flags), 0);
	t0 = now();
	sleep_until(t0 + 1.0);
	t.samples = &n;
	assert_int_equal(vnp_sampler_read(s, add_share, &t, &n, &lost, &flags), 0);
	t1 = now();
	/* a 4 KiB ring holds 128 samples of 32 bytes per CPU; a second brings ~HZ */
	print_message("1 s unread: %llu samples read, %llu lost (ticks expected ~%.0f)\n",
		      (unsigned long long)n, (unsigned long long)lost, HZ * (t1 - t0) * ncpu);
	assert_true(n <= 128 * (uint64_t)ncpu);
	assert_true(lost > 0);
	assert_true(fabs((double)(n + lost) - HZ * (t1 - t0) * (double)ncpu) <
		    0.1 * HZ * (t1 - t0) * (double)ncpu);
	/* a read soon after: nothing lost in between */
	sleep_until(now() + 0.05);
	assert_int_equal(vnp_sampler_read(s, add_share, &t, &n2, &lost2, &flags), 0);
	assert_int_equal(lost2, 0);
	vnp_sampler_close(s);
	stop_workers();
	free(t.t);
}

/* ---- func:NAME: refused with a reason, or counting ---- */

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
	char before[8192], after[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		struct vnp_ftracefunc *f;
		const char *msg;

		tracefs_state(before, sizeof(before));
		f = vnp_ftracefunc_open(funcs, 1, backends[i].which);
		if (f) {
			/* a kernel that allows it: count N getppid() calls */
			double origin = now(), c = 0;
			uint64_t dropped = 0;
			const int N = 5000;

			for (int k = 0; k < N; k++)
				syscall(SYS_getppid);
			sleep_until(now() + 0.05);
			assert_int_equal(vnp_ftracefunc_read(f, origin, 1000.0, 0, &c, &dropped),
					 0);
			print_message("%s: live, %g calls counted for %d made, %llu dropped\n",
				      backends[i].name, c, N, (unsigned long long)dropped);
			assert_true(c + (double)dropped >= N && c < N + 1000);
			vnp_ftracefunc_close(f);
		} else {
			msg = vnp_errmsg();
			print_message("%s: refused: %s\n", backends[i].name, msg);
			assert_true(errno > 0);
			assert_null(strchr(msg, '\n'));
			assert_true(!strncmp(msg, "func:__x64_sys_getppid: ", 24));
			/* it names the kernel option or the policy */
			assert_true(strstr(msg, "CONFIG_") || strstr(msg, "policy") ||
				    strstr(msg, "in use"));
			if (backends[i].which == VNP_FTRACE_AUTO)
				assert_true(strstr(msg, "function profiler") &&
					    strstr(msg, "function tracer"));
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
static pid_t start_sender(double origin, double bin, const int *batch, int nb, double *times)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		char path[128];
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9) };
		int fd, sock, k = 0;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
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
	double *times, origin, got[NB] = { 0 }, expect[NB] = { 0 }, total = 0;
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
	pid = start_sender(origin, bin, batch, NB, times);
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
	/* later reads find nothing more */
	{
		double more = 0;

		sleep_until(now() + 0.05);
		assert_int_equal(vnp_ftracefunc_read(f, origin, bin, NB + 5, &more, &dropped), 0);
		assert_true(more == 0);
	}
	vnp_ftracefunc_close(f);
	/* the expected bin of each datagram, from its send interval */
	for (int k = 0; k < N; k++) {
		int b0 = (int)floor((times[2 * k] - origin) / bin);
		int b1 = (int)floor((times[2 * k + 1] - origin) / bin);

		if (b0 != b1 || b0 < 0 || b0 >= NB)
			ambiguous++;
		else
			expect[b0]++;
	}
	munmap(times, 2 * (size_t)N * sizeof(double));
	for (int j = 0; j < NB; j++) {
		print_message("bin %d: %g counted, %g sent\n", j, got[j], expect[j]);
		total += got[j];
		assert_true(fabs(got[j] - expect[j]) <= ambiguous);
	}
	print_message("%g counted of %d sent (%d on a bin edge), %llu dropped\n", total, N,
		      ambiguous, (unsigned long long)dropped_total);
	assert_true(total == N);
	assert_int_equal(dropped_total, 0);
	assert_int_equal(ambiguous, 0);
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
	pid = start_sender(0, 1, batch, 1, times);
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
