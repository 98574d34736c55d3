// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bpfcount-run: drive the BPF counter (and, beside it, perf counters) from
 * the library, for tests/root/bpf-count.sh.
 *
 *   bpfcount-run [-v] [-i MS] [-d SECONDS] [-b SPEC]... [-p SYS:EVENT[=FILTER]]... [-- CMD...]
 *
 * SPEC is sys:event or func:NAME, then comma-separated flags: dev, cpu,
 * bytes, backend=NAME. Bins every MS milliseconds (default 50) until CMD
 * exits or SECONDS pass, then prints, one per line:
 *   backend SPEC BACKEND
 *   series NAME SUM-OF-BIN-DELTAS BINS-WITH-EVENTS
 *   perf SYS:EVENT[=FILTER] SUM
 *   bins N INCOMPLETE MISSED_RECURSION MAP_FULL
 * Exits 1 (with the library's message on stderr) when opening fails, 130
 * after SIGINT/SIGTERM; every counter is closed on every path.
 */
#include "collect/bpfcount.h"
#include "collect/perfcount.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	fprintf(stderr, "usage: bpfcount-run [-v] [-i MS] [-d SECONDS] [-b SPEC]... "
		"[-p SYS:EVENT[=FILTER]]... [-- CMD...]\n");
	return 2;
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
	sigset_t mask, old;
	pid_t child = -1;
	int opt, ret = 1, status;
	struct timespec t0, now;

	while ((opt = getopt(argc, argv, "vi:d:b:p:")) != -1) {
		switch (opt) {
		case 'v':
			vnp_set_print(print_all);
			break;
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
		if (vnp_bpfcount_read(bc, bin, &flags) ||
		    (pc && vnp_perfcount_read(pc, psum, &flags))) {
			fprintf(stderr, "bpfcount-run: %s\n", vnp_errmsg());
			goto out;
		}
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
	return ret;
}
