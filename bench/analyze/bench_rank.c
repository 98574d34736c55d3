// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Analysis speed: vnp_analyze() (re-bin, correlations at lag 0, smoothed,
 * ranked and over +-LAGS bins, the change points and the levels per segment)
 * on a synthetic run held in memory, one thread.
 *
 *   bench_rank INDICATORS BINS LAGS [REPEATS]    one configuration
 *   bench_rank sweep                             the table in BENCHMARKS.md
 *
 * Prints: indicators bins lags  wall_s cpu_s (medians of REPEATS runs; the
 * first, cold, run is included in the repeats). The run is built before the
 * clock starts. Method and numbers: BENCHMARKS.md, "Analysis speed".
 */
#include "vnetprof.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 88172645463325252ull;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) * 0x1.0p-53;
}

static double gauss(void)
{
	double u = uniform(), v = uniform();

	return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

/*
 * A run like a recording: throughput (bytes per 0.5 s bin) with a level step
 * every 2000 bins and autocorrelated noise; each indicator a count that
 * follows throughput at a lag of 0..5 bins with its own strength, or (one in
 * four) pure noise. Every value present, as in a clean recording.
 * @holes: leave out one value in a hundred of the target (missing bins)
 */
static struct vnp_run *make_run(long nind, long nbins, bool holes)
{
	struct vnp_run_info ri = { .name = "bench",
				   .bin_s = 0.5,
				   .origin_clock = "relative",
				   .status = VNP_RUN_COMPLETE };
	struct vnp_run *run = vnp_run_new(&ri);
	struct vnp_series_info si = { .backend = "bench" };
	double *t = malloc(nbins * sizeof(*t)), ar = 0;
	char name[96];

	rng = 88172645463325252ull;
	for (long k = 0; k < nbins; k++) {
		ar = 0.6 * ar + gauss();
		t[k] = (5.7e8 + 2e8 * ((k / 2000) % 2)) + 1e7 * ar;
		vnp_run_set_bin(run, k, (double)(k + 1) * 0.5, 0);
	}
	si.name = "netdev_bytes{dev=\"nic0\",dir=\"rx\"}";
	si.kind = VNP_COUNTER;
	si.unit = "bytes";
	si.role = VNP_TARGET;
	vnp_run_add_series(run, &si);
	for (long k = 0; k < nbins; k++)
		if (!holes || uniform() > 0.01)
			vnp_run_set(run, 0, k, t[k]);
	si.unit = "calls";
	si.role = VNP_INDICATOR;
	for (long i = 0; i < nind; i++) {
		long lag = i % 6;
		double a = (i % 4 == 3) ? 0 : 1e-3 * (1 + (double)(i % 7)), s;

		snprintf(name, sizeof(name), "function_calls{function=\"f%ld\"}", i);
		si.name = name;
		s = (double)vnp_run_add_series(run, &si);
		for (long k = 0; k < nbins; k++) {
			double base = k >= lag ? t[k - lag] : t[0];

			vnp_run_set(run, (size_t)s, k, floor(a * base + 5000 + 300 * gauss()));
		}
	}
	free(t);
	return run;
}

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int one(long nind, long nbins, long lags, int reps, bool holes)
{
	struct vnp_run *run = make_run(nind, nbins, holes);
	struct vnp_analysis_opts o;
	double wall[16], cpu[16];

	vnp_analysis_opts_init(&o);
	o.max_lag_s = (double)lags * 0.5;
	if (reps > 16)
		reps = 16;
	for (int r = 0; r < reps; r++) {
		struct vnp_analysis *a;
		double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		int err = vnp_analyze(run, &o, &a);

		wall[r] = now(CLOCK_MONOTONIC) - w0;
		cpu[r] = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (err) {
			fprintf(stderr, "bench_rank: %s\n", vnp_errmsg());
			return 1;
		}
		if (r == 0 && a->max_lag_bins != lags)
			fprintf(stderr, "bench_rank: lags limited to %ld\n", a->max_lag_bins);
		vnp_analysis_free(a);
	}
	qsort(wall, reps, sizeof(double), cmp_d);
	qsort(cpu, reps, sizeof(double), cmp_d);
	printf("%6ld %7ld %5ld %6s %8.3f %8.3f\n", nind, nbins, lags, holes ? "1%" : "none",
	       wall[reps / 2], cpu[reps / 2]);
	fflush(stdout);
	vnp_run_free(run);
	return 0;
}

int main(int argc, char **argv)
{
	static const long ninds[] = { 100, 300, 1000, 3000 };
	static const long nbins[] = { 1000, 3000, 10000, 30000 };
	static const long nlags[] = { 0, 5, 20, 50 };
	int err = 0;

	printf("%6s %7s %5s %6s %8s %8s\n", "INDIC", "BINS", "LAGS", "HOLES", "WALL_S", "CPU_S");
	if (argc == 2 && !strcmp(argv[1], "sweep")) {
		err |= one(1000, 10000, 20, 5, false); /* the target configuration */
		for (size_t i = 0; i < 4; i++)
			if (ninds[i] != 1000)
				err |= one(ninds[i], 10000, 20, 3, false);
		for (size_t i = 0; i < 4; i++)
			if (nbins[i] != 10000)
				err |= one(1000, nbins[i], 20, 3, false);
		for (size_t i = 0; i < 4; i++)
			if (nlags[i] != 20)
				err |= one(1000, 10000, nlags[i], 3, false);
		err |= one(1000, 10000, 20, 3, true); /* missing values: the slow path */
		return err;
	}
	if (argc < 4 || argc > 6) {
		fprintf(stderr,
			"usage: bench_rank INDICATORS BINS LAGS [REPEATS [holes]] | sweep\n");
		return 2;
	}
	return one(atol(argv[1]), atol(argv[2]), atol(argv[3]), argc > 4 ? atoi(argv[4]) : 3,
		   argc > 5);
}
