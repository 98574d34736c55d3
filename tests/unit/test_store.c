// SPDX-License-Identifier: GPL-2.0-or-later
/* The SQLite store and the long CSV form, on real files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vnetprof.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/vnp-test-store-XXXXXX";

static void path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static struct vnp_run *make_run(const char *name, int nbins)
{
	struct vnp_run_info ri = { .name = (char *)name, .bin_s = 0.1, .host = "h", .kernel = "k",
				   .ncpus = 2, .origin_clock = "CLOCK_MONOTONIC",
				   .status = VNP_RUN_COMPLETE };
	struct vnp_series_info a = { .name = "tracepoint_hits{event=\"net:net_dev_xmit\",dev=\"v,0\"}",
				     .kind = VNP_COUNTER, .unit = "events", .backend = "perf" };
	struct vnp_series_info b = { .name = "netdev_bytes{dev=\"v0\",dir=\"tx\"}",
				     .kind = VNP_COUNTER, .unit = "bytes", .role = VNP_TARGET,
				     .backend = "procfs" };
	struct vnp_run *run;

	vnp_run_info_add_label(&ri, "pattern", "B");
	run = vnp_run_new(&ri);
	free((void *)ri.labels[0].key);
	free((void *)ri.labels[0].value);
	free(ri.labels);
	assert_non_null(run);
	assert_int_equal(vnp_run_add_series(run, &a), 0);
	assert_int_equal(vnp_run_add_series(run, &b), 1);
	for (int k = 0; k < nbins; k++) {
		vnp_run_set_bin(run, k, (k + 1) * 0.1, 0);
		vnp_run_set(run, 0, k, k * 3);
		if (k % 7)
			vnp_run_set(run, 1, k, 1e9 + k / 3.0); /* some bins missing */
	}
	return run;
}

static void test_save_load(void **state)
{
	char path[256];
	struct vnp_store *st;
	struct vnp_run *run = make_run("one", 50), *back;
	struct vnp_run_info *infos;
	size_t n;

	(void)state;
	path_in(path, sizeof(path), "save.db");
	st = vnp_store_open(path, VNP_STORE_CREATE);
	assert_non_null(st);
	assert_int_equal(vnp_store_save(st, run), 0);
	assert_true(vnp_run_info(run)->id > 0);
	assert_int_equal(vnp_store_save(st, run), -EEXIST);
	assert_non_null(strstr(vnp_errmsg(), "already exists"));
	back = vnp_store_load(st, "one");
	assert_non_null(back);
	assert_int_equal(vnp_run_nseries(back), 2);
	assert_int_equal(vnp_run_nbins(back), 50);
	for (int k = 0; k < 50; k++) {
		assert_true(vnp_run_get(back, 0, k) == k * 3);
		if (k % 7)
			assert_true(vnp_run_get(back, 1, k) == 1e9 + k / 3.0);
		else
			assert_true(isnan(vnp_run_get(back, 1, k)));
	}
	assert_int_equal(vnp_run_series(back, 1)->role, VNP_TARGET);
	assert_string_equal(vnp_run_info(back)->labels[0].value, "B");
	assert_int_equal(vnp_run_info(back)->status, VNP_RUN_COMPLETE);
	assert_int_equal(vnp_store_runs(st, &infos, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(infos[0].nbins, 50);
	vnp_run_infos_free(infos, n);
	assert_null(vnp_store_load(st, "nope"));
	assert_non_null(strstr(vnp_errmsg(), "no run 'nope'"));
	vnp_run_free(back);
	vnp_run_free(run);
	vnp_store_close(st);
}

/* A recorder killed with SIGKILL: flushed bins survive, the run reads as interrupted. */
static void test_killed_writer(void **state)
{
	char path[256];
	struct vnp_store *st;
	struct vnp_run *other = make_run("other", 20), *back;
	struct vnp_run_info info = { .name = "victim", .bin_s = 0.1 };
	pid_t pid;
	int status;

	(void)state;
	path_in(path, sizeof(path), "kill.db");
	st = vnp_store_open(path, VNP_STORE_CREATE);
	assert_int_equal(vnp_store_save(st, other), 0);
	vnp_store_close(st);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vnp_series_info si = { .name = "x", .unit = "events" };
		struct vnp_store *cs = vnp_store_open(path, 0);
		struct vnp_writer *w = cs ? vnp_writer_begin(cs, &info) : NULL;
		double v;

		if (!w || vnp_writer_add_series(w, &si) != 0)
			_exit(3);
		for (int k = 0; k < 30; k++) {
			v = k;
			vnp_writer_put_bin(w, k, (k + 1) * 0.1, 0, &v, 1);
			if (k == 19 && vnp_writer_flush(w))
				_exit(4);
		}
		/* bins 20..29 are queued, never flushed */
		kill(getpid(), SIGKILL);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	st = vnp_store_open(path, 0);
	assert_non_null(st);
	back = vnp_store_load(st, "victim");
	assert_non_null(back);
	assert_int_equal(vnp_run_info(back)->status, VNP_RUN_INTERRUPTED);
	assert_int_equal(vnp_run_nbins(back), 20);
	assert_true(vnp_run_get(back, 0, 19) == 19);
	vnp_run_free(back);
	back = vnp_store_load(st, "other");
	assert_non_null(back);
	assert_int_equal(vnp_run_info(back)->status, VNP_RUN_COMPLETE);
	assert_int_equal(vnp_run_nbins(back), 20);
	assert_true(vnp_run_get(back, 0, 19) == 57);
	vnp_run_free(back);
	vnp_run_free(other);
	vnp_store_close(st);
}

static void test_live_writer_status(void **state)
{
	char path[256];
	struct vnp_store *st, *st2;
	struct vnp_run_info info = { .name = "live", .bin_s = 1 };
	struct vnp_writer *w;
	struct vnp_run_info got;

	(void)state;
	path_in(path, sizeof(path), "live.db");
	st = vnp_store_open(path, VNP_STORE_CREATE);
	w = vnp_writer_begin(st, &info);
	assert_non_null(w);
	/* a second opener sees the owner alive: still recording */
	st2 = vnp_store_open(path, 0);
	assert_non_null(st2);
	assert_int_equal(vnp_store_find(st2, "live", &got), 0);
	assert_int_equal(got.status, VNP_RUN_RECORDING);
	vnp_run_info_clear(&got);
	assert_int_equal(vnp_writer_end(w, VNP_RUN_COMPLETE), 0);
	assert_int_equal(vnp_store_find(st2, "live", &got), 0);
	assert_int_equal(got.status, VNP_RUN_COMPLETE);
	vnp_run_info_clear(&got);
	vnp_store_close(st2);
	vnp_store_close(st);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_bad_files(void **state)
{
	char path[256];
	sqlite3 *db;

	(void)state;
	path_in(path, sizeof(path), "garbage.db");
	write_file(path, "this is not a database, it is just some text that goes on and on\n");
	assert_null(vnp_store_open(path, VNP_STORE_CREATE));
	assert_non_null(strstr(vnp_errmsg(), "damaged or not an SQLite file"));

	path_in(path, sizeof(path), "foreign.db");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_null(vnp_store_open(path, VNP_STORE_CREATE));
	assert_non_null(strstr(vnp_errmsg(), "not a vnetprof store"));

	path_in(path, sizeof(path), "newer.db");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_null(vnp_store_open(path, 0));
	assert_non_null(strstr(vnp_errmsg(), "newer vnetprof"));

	path_in(path, sizeof(path), "missing.db");
	assert_null(vnp_store_open(path, VNP_STORE_RDONLY));
	assert_int_equal(errno, ENOENT);
	assert_null(vnp_store_open("/nonexistent-dir/x.db", VNP_STORE_CREATE));
	assert_non_null(strstr(vnp_errmsg(), "cannot write the store"));
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, n + 1);
	assert_int_equal(fread(buf, 1, n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static void test_csv_round_trip(void **state)
{
	char p1[256], p2[256];
	struct vnp_run *run = make_run("r,\"quoted\"", 33), **runs;
	size_t n;
	FILE *fp;
	char *a, *b;

	(void)state;
	vnp_run_set_bin(run, 32, 3.25, VNP_BIN_PARTIAL); /* bin 32 ends early */
	path_in(p1, sizeof(p1), "a.csv");
	path_in(p2, sizeof(p2), "b.csv");
	fp = fopen(p1, "w");
	assert_int_equal(vnp_csv_write_run(fp, run, true), 0);
	fclose(fp);
	assert_int_equal(vnp_csv_read(p1, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(vnp_run_info(runs[0])->name, "r,\"quoted\"");
	assert_true(vnp_run_info(runs[0])->bin_s == 0.1);
	assert_int_equal(vnp_run_bin_flags(runs[0], 32), VNP_BIN_PARTIAL);
	assert_true(vnp_run_get(runs[0], 1, 1) == 1e9 + 1 / 3.0);
	fp = fopen(p2, "w");
	assert_int_equal(vnp_csv_write_run(fp, runs[0], true), 0);
	fclose(fp);
	a = slurp(p1);
	b = slurp(p2);
	assert_string_equal(a, b);
	/* the header and one row, independently of the writer */
	assert_non_null(strstr(a, "run,series,t_start,t_end,value\n"));
	assert_non_null(strstr(a, "\"r,\"\"quoted\"\"\",\"netdev_bytes{dev=\"\"v0\"\",dir=\"\"tx\"\"}\""
				  ",0.3,0.4,1000000001\n"));
	assert_non_null(strstr(a, ",3.2,3.25,96\n"));
	free(a);
	free(b);
	vnp_run_free(runs[0]);
	free(runs);
	vnp_run_free(run);
}

static void test_csv_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "run,series,t_start,t_end,value\nr,x,0,1\n", ":2: expected 5 fields" },
		{ "r,x,0,1,1\nr,\"x,0,1,1\n", ":2: expected 5 fields" },
		{ "r,bad name,0,1,1\n", ":1: 'bad name' is not a series name" },
		{ "r,x,1,0.5,1\n", ":1: bad times" },
		{ "r,x,0,1,abc\n", ":1: bad times or value" },
		{ ",x,0,1,1\n", ":1: empty run name" },
		{ "run,series,t_start,t_end,value\n", "no rows" },
		{ "r,x,0,1,1\nr,x,0.5,1.5,1\n", "not on the grid" },
	};
	char path[256];
	struct vnp_run **runs;
	size_t n;

	(void)state;
	path_in(path, sizeof(path), "bad.csv");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, cases[i].text);
		assert_int_equal(vnp_csv_read(path, &runs, &n), -EINVAL);
		if (!strstr(vnp_errmsg(), cases[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, vnp_errmsg(), cases[i].msg);
	}
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_load),	   cmocka_unit_test(test_killed_writer),
		cmocka_unit_test(test_live_writer_status), cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_csv_round_trip),	   cmocka_unit_test(test_csv_errors),
	};

	vnp_set_print(NULL);
	return cmocka_run_group_tests(tests, setup, teardown);
}
