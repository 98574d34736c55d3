// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bpfcount-run: drive the BPF counter (and, beside it, perf counters) from
 * the library, for tests/root/bpf-count.sh.
 *
 *   bpfcount-run [-v] [-t] [-i MS] [-d SECONDS] [-b SPEC]... [-p SYS:EVENT[=FILTER]]... [-- CMD...]
 *   bpfcount-run -k FUNCTION
 *
 * SPEC is sys:event or func:NAME, then comma-separated flags: dev, cpu,
 * bytes, backend=NAME. Bins every MS milliseconds (default 50) until CMD
 * exits or SECONDS pass, then prints, one per line:
 *   backend SPEC BACKEND
 *   series NAME SUM-OF-BIN-DELTAS BINS-WITH-EVENTS
 *   perf SYS:EVENT[=FILTER] SUM
 *   bins N INCOMPLETE MISSED_RECURSION MAP_FULL
 * and with -t, for each bin K (from 0), its time and its non-zero values:
 *   bin K LO HI
 *   value K VALUE NAME
 * LO is CLOCK_MONOTONIC (seconds) read before the previous read of the
 * counters began (for bin 0, before they were opened), HI after this read
 * ended: every event counted in bin K happened inside (LO, HI).
 * Exits 1 (with the library's message on stderr) when opening fails, 130
 * after SIGINT/SIGTERM; every counter is closed on every path.
 *
 * -k FUNCTION: whether this kernel lets a BPF program count FUNCTION, asked
 * the way `vnetprof probe` asks, independently of the library's loader: a
 * two-instruction program loaded and attached by plain bpf(2) and
 * perf_event_open(2) calls, detached at once. Prints
 *   kernel fentry FUNCTION ok | nobtf | nofunc | refused STAGE ERRNO TEXT
 *   kernel kprobe FUNCTION ok | absent | legacy | refused STAGE ERRNO TEXT
 * ("legacy": no kprobe PMU but a kprobe_events file, which this check does
 * not write: it is the top-level tracefs instance's) and exits 0.
 */
#include "collect/bpfcount.h"
#include "collect/perfcount.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SPECS 16

static int parse_spec(char *arg, struct vnp_bpf_spec *s)
{
	char *save = NULL, *tok = strtok_r(arg, ",", &save);

	memset(s, 0, sizeof(*s));
	if (!tok)
		return -1;
	if (!strncmp(tok, "func:", 5)) {
		s->func = true;
		snprintf(s->name, sizeof(s->name), "%s", tok + 5);
	} else if (vnp_event_split(tok, s->sys, sizeof(s->sys), s->name, sizeof(s->name))) {
		return -1;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strcmp(tok, "dev"))
			s->by_dev = true;
		else if (!strcmp(tok, "cpu"))
			s->by_cpu = true;
		else if (!strcmp(tok, "bytes"))
			s->bytes = true;
		else if (!strncmp(tok, "backend=", 8))
			s->backend = tok + 8;
		else
			return -1;
	}
	return 0;
}

static int print_all(enum vnp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int usage(void)
{
	fprintf(stderr, "usage: bpfcount-run [-v] [-t] [-i MS] [-d SECONDS] [-b SPEC]... "
		"[-p SYS:EVENT[=FILTER]]... [-- CMD...]\n"
		"       bpfcount-run -k FUNCTION\n");
	return 2;
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static void refused(const char *be, const char *fn, const char *stage, int err)
{
	printf("kernel %s %s refused %s %d %s\n", be, fn, stage, err, strerror(err));
}

/* FUNCTION's BTF id in vmlinux or in a module's BTF (then *obj_fd: that BTF's fd) */
static int func_btf_id(const char *fn, struct btf *vmlinux, int *obj_fd)
{
	__u32 id = 0;
	int t = btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC);

	*obj_fd = 0;
	if (t > 0)
		return t;
	while (!bpf_btf_get_next_id(id, &id)) {
		char name[64] = "";
		struct bpf_btf_info info = { .name = (__u64)(uintptr_t)name,
					     .name_len = sizeof(name) };
		__u32 len = sizeof(info);
		int fd = bpf_btf_get_fd_by_id(id);
		struct btf *mod;

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.kernel_btf ||
		    !strcmp(name, "vmlinux") || !(mod = btf__load_from_kernel_by_id_split(id, vmlinux))) {
			close(fd);
			continue;
		}
		t = btf__find_by_name_kind(mod, fn, BTF_KIND_FUNC);
		btf__free(mod);
		if (t > 0) {
			*obj_fd = fd;
			return t;
		}
		close(fd);
	}
	return -ENOENT;
}

static void kernel_fentry(const char *fn)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id, obj_fd, prog, link;

	if (!vmlinux) {
		printf("kernel fentry %s nobtf\n", fn);
		return;
	}
	id = func_btf_id(fn, vmlinux, &obj_fd);
	btf__free(vmlinux);
	if (id < 0) {
		printf("kernel fentry %s nofunc\n", fn);
		return;
	}
	o.attach_btf_id = (__u32)id;
	o.attach_btf_obj_fd = (__u32)obj_fd;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "vnp_kcheck", "GPL", ret0, 2, &o);
	if (obj_fd > 0)
		close(obj_fd);
	if (prog < 0) {
		refused("fentry", fn, "load", -prog);
		return;
	}
	link = bpf_link_create(prog, 0, BPF_TRACE_FENTRY, NULL);
	if (link < 0)
		refused("fentry", fn, "attach", -link);
	else
		printf("kernel fentry %s ok\n", fn);
	if (link >= 0)
		close(link);
	close(prog);
}

static void kernel_kprobe(const char *fn)
{
	struct perf_event_attr a = { .size = sizeof(a) };
	char buf[32] = "";
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "re");
	int prog, fd;

	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		printf("kernel kprobe %s %s\n", fn,
		       access("/sys/kernel/tracing/kprobe_events", F_OK) &&
				       access("/sys/kernel/debug/tracing/kprobe_events", F_OK)
			       ? "absent"
			       : "legacy");
		return;
	}
	fclose(f);
	a.type = (__u32)atoi(buf);
	a.config1 = (__u64)(uintptr_t)fn; /* kprobe_func; config2, the offset, is 0 */
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "vnp_kcheck", "GPL", ret0, 2, NULL);
	if (prog < 0) {
		refused("kprobe", fn, "load", -prog);
		return;
	}
	fd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		refused("kprobe", fn, "open", errno);
	else if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog))
		refused("kprobe", fn, "attach", errno);
	else
		printf("kernel kprobe %s ok\n", fn);
	if (fd >= 0)
		close(fd);
	close(prog);
}

int main(int argc, char **argv)
{
	struct vnp_bpf_spec specs[MAX_SPECS];
	struct vnp_tp_counter pcs[MAX_SPECS];
	char *plabel[MAX_SPECS];
	size_t nspec = 0, npc = 0, ns = 0;
	struct vnp_bpfcount *bc = NULL;
	struct vnp_perfcount *pc = NULL;
	double interval = 0.05, duration = 10, *sum = NULL, *bin = NULL, psum[MAX_SPECS] = { 0 };
	long *nz = NULL;
	long bins = 0, incomplete = 0;
	bool timeline = false;
	double *tl = NULL, lo; /* with -t: per bin LO, HI, then the ns values */
	sigset_t mask, old;
	pid_t child = -1;
	int opt, ret = 1, status;
	struct timespec t0, now;

	while ((opt = getopt(argc, argv, "vti:d:b:p:k:")) != -1) {
		switch (opt) {
		case 'v':
			vnp_set_print(print_all);
			break;
		case 't':
			timeline = true;
			break;
		case 'k':
			libbpf_set_print(quiet);
			kernel_fentry(optarg);
			kernel_kprobe(optarg);
			return 0;
		case 'i':
			interval = strtod(optarg, NULL) / 1000;
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 'b':
			if (nspec == MAX_SPECS || parse_spec(optarg, &specs[nspec]))
				return usage();
			nspec++;
			break;
		case 'p': {
			struct vnp_tp_counter *c = &pcs[npc];
			char *eq = strchr(optarg, '=');

			if (npc == MAX_SPECS)
				return usage();
			plabel[npc] = optarg;
			memset(c, 0, sizeof(*c));
			if (eq)
				*eq = '\0';
			if (vnp_event_split(optarg, c->sys, sizeof(c->sys), c->name, sizeof(c->name)))
				return usage();
			if (eq) {
				*eq = '=';
				c->filter = eq + 1;
			}
			c->id = vnp_event_id(c->sys, c->name);
			if (c->id < 0) {
				fprintf(stderr, "bpfcount-run: %s\n", vnp_errmsg());
				return 1;
			}
			c->series = (int)npc++;
			break;
		}
		default:
			return usage();
		}
	}
	if (interval <= 0 || duration <= 0 || duration > 120)
		return usage();

	/* signals are taken synchronously, so that the counters are always closed */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &old);

	lo = mono();
	bc = vnp_bpfcount_open(specs, nspec);
	if (!bc) {
		fprintf(stderr, "bpfcount-run: %s\n", vnp_errmsg());
		goto out;
	}
	if (npc && !(pc = vnp_perfcount_open(pcs, npc))) {
		fprintf(stderr, "bpfcount-run: %s\n", vnp_errmsg());
		goto out;
	}
	ns = vnp_bpfcount_nseries(bc);
	sum = calloc(ns + 1, sizeof(*sum));
	bin = calloc(ns + 1, sizeof(*bin));
	nz = calloc(ns + 1, sizeof(*nz));
	if (!sum || !bin || !nz)
		goto out;
	if (optind < argc) {
		child = fork();
		if (child == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			execvp(argv[optind], argv + optind);
			_exit(127);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (bool last = false; !last;) {
		struct timespec ts = { (time_t)interval, (long)((interval - (time_t)interval) * 1e9) };
		unsigned flags = 0;
		int sig = sigtimedwait(&mask, NULL, &ts);
		double before;

		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			if (child > 0) {
				kill(child, SIGTERM);
				waitpid(child, NULL, 0);
			}
			ret = 130;
			goto out;
		}
		if (sig == SIGCHLD && child > 0 && waitpid(child, &status, WNOHANG) == child) {
			child = -1;
			last = true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec + (now.tv_nsec - t0.tv_nsec) * 1e-9 >= duration)
			last = true;
		memset(bin, 0, ns * sizeof(*bin));
		before = mono();
		if (vnp_bpfcount_read(bc, bin, &flags) ||
		    (pc && vnp_perfcount_read(pc, psum, &flags))) {
			fprintf(stderr, "bpfcount-run: %s\n", vnp_errmsg());
			goto out;
		}
		if (timeline) {
			double *t = realloc(tl, (size_t)(bins + 1) * (ns + 2) * sizeof(*tl));

			if (!t)
				goto out;
			tl = t;
			t += (size_t)bins * (ns + 2);
			t[0] = lo;
			t[1] = mono();
			memcpy(t + 2, bin, ns * sizeof(*bin));
		}
		lo = before;
		for (size_t i = 0; i < ns; i++) {
			sum[i] += bin[i];
			nz[i] += bin[i] > 0;
		}
		bins++;
		incomplete += !!(flags & VNP_BIN_INCOMPLETE);
	}
	for (size_t i = 0; i < nspec; i++)
		printf("backend %s%s:%s %s\n", specs[i].func ? "func:" : "", specs[i].sys,
		       specs[i].name, vnp_bpfcount_backend(bc, i));
	for (size_t i = 0; i < ns; i++)
		printf("series %s %.0f %ld\n", vnp_bpfcount_series(bc, i)->name, sum[i], nz[i]);
	for (size_t i = 0; i < npc; i++)
		printf("perf %s %.0f\n", plabel[i], psum[i]);
	{
		uint64_t rec, full;

		vnp_bpfcount_missed(bc, &rec, &full);
		printf("bins %ld %ld %llu %llu\n", bins, incomplete, (unsigned long long)rec,
		       (unsigned long long)full);
	}
	for (long k = 0; timeline && k < bins; k++) {
		const double *t = tl + (size_t)k * (ns + 2);

		printf("bin %ld %.9f %.9f\n", k, t[0], t[1]);
		for (size_t i = 0; i < ns; i++)
			if (t[2 + i] > 0)
				printf("value %ld %.0f %s\n", k, t[2 + i], vnp_bpfcount_series(bc, i)->name);
	}
	ret = 0;
out:
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	vnp_perfcount_close(pc);
	vnp_bpfcount_close(bc);
	free(sum);
	free(bin);
	free(nz);
	free(tl);
	return ret;
}
