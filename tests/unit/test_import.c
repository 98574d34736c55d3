// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Importers: the line reader, the binning, detection, the store's merge
 * (--into), and the staged run analysed (docs/import.md). The per-format
 * counts against independent counts of the fixtures are in
 * tests/cli/import-*.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ref.h"

#include "import/import-local.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[] = "/tmp/vnp-import-XXXXXX";

static const char *fixture(const char *rel)
{
	static char buf[4][512];
	static int i;
	const char *root = getenv("TEST_FIXTURES");

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", root ? root : "tests/fixtures", rel);
	return buf[i];
}

/* ---- the reader -------------------------------------------------------- */

static void test_reader_lines(void **state)
{
	/* lines that cross the 1 MiB window, CRLF, a last line without newline */
	static char text[3 * LR_BUF_SIZE + 64];
	size_t n = 3 * LR_BUF_SIZE, off = 0;
	long want = 0, got = 0;
	struct lreader lr;
	char *line;
	size_t len;

	(void)state;
	while (off < n) {
		int w = snprintf(text + off, 64, "line %ld%s\n", want, want % 7 ? "" : "\r");

		off += w;
		want++;
	}
	off += snprintf(text + off, 64, "last");
	assert_int_equal(lr_open_mem(&lr, "mem", text, off), 0);
	while (lr_next(&lr, &line, &len) > 0) {
		char exp[32];

		if (got < want)
			snprintf(exp, sizeof(exp), "line %ld", got);
		else
			snprintf(exp, sizeof(exp), "last");
		assert_string_equal(line, exp);
		assert_int_equal(len, strlen(exp));
		assert_false(lr.too_long);
		got++;
		assert_int_equal(lr.lineno, got);
	}
	assert_int_equal(got, want + 1);
	lr_close(&lr);
}

static void test_reader_long_line(void **state)
{
	static char text[3 * LR_BUF_SIZE / 2 + 64];
	size_t big = 3 * LR_BUF_SIZE / 2;
	struct lreader lr;
	char *line;
	size_t len;

	(void)state;
	strcpy(text, "first\n");
	memset(text + 6, 'x', big);
	strcpy(text + 6 + big, "\nthird\n");
	assert_int_equal(lr_open_mem(&lr, "mem", text, strlen(text)), 0);
	assert_int_equal(lr_next(&lr, &line, &len), 1);
	assert_string_equal(line, "first");
	assert_int_equal(lr_next(&lr, &line, &len), 1);
	assert_true(lr.too_long);
	assert_int_equal(lr.lineno, 2);
	assert_int_equal(lr_next(&lr, &line, &len), 1);
	assert_false(lr.too_long);
	assert_string_equal(line, "third");
	assert_int_equal(lr.lineno, 3);
	assert_int_equal(lr_next(&lr, &line, &len), 0);
	lr_close(&lr);
}

/* gzip members one after the other, and one cut short */
static void test_reader_gzip(void **state)
{
	const char *parts[] = { "a\nb\n", "c\nd" };
	unsigned char gz[512];
	size_t n = 0;
	struct lreader lr;
	char *line, got[16] = "";
	size_t len;

	(void)state;
	for (int i = 0; i < 2; i++) {
		z_stream zs = { 0 };

		assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
					      Z_DEFAULT_STRATEGY), Z_OK);
		zs.next_in = (unsigned char *)parts[i];
		zs.avail_in = strlen(parts[i]);
		zs.next_out = gz + n;
		zs.avail_out = sizeof(gz) - n;
		assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		n = sizeof(gz) - zs.avail_out;
		deflateEnd(&zs);
	}
	assert_int_equal(lr_open_mem(&lr, "gz", gz, n), 0);
	assert_true(lr.gz);
	while (lr_next(&lr, &line, &len) > 0)
		strcat(got, line);
	assert_string_equal(got, "abcd");
	assert_false(lr.truncated);
	lr_close(&lr);

	assert_int_equal(lr_open_mem(&lr, "gz", gz, n - 4), 0);
	while (lr_next(&lr, &line, &len) > 0)
		;
	assert_true(lr.truncated);
	lr_close(&lr);
}

/* ---- helpers ------------------------------------------------------------- */

static void test_parse_ts(void **state)
{
	int64_t ns;

	(void)state;
	assert_int_equal(parse_ts("1100.446595:", 12, &ns), 11);
	assert_true(ns == 1100446595000ll);
	assert_int_equal(parse_ts("0.500961610,", 12, &ns), 11);
	assert_true(ns == 500961610ll);
	assert_int_equal(parse_ts("7.1234567891234", 15, &ns), 15);
	assert_true(ns == 7123456789ll); /* beyond ns: cut */
	assert_int_equal(parse_ts("abc", 3, &ns), 0);
	assert_int_equal(parse_ts("99999999999.0", 13, &ns), 0); /* would overflow */
}

static void test_payload_field(void **state)
{
	const char *p = "dev=fx-nic0 skbaddr=0xffff len=110 rc=0", *v;
	const char *q = "vec=3 [action=NET_RX]";
	size_t n;

	(void)state;
	assert_true(payload_field(p, strlen(p), "dev", &v, &n));
	assert_int_equal(n, 7);
	assert_memory_equal(v, "fx-nic0", 7);
	assert_true(payload_field(p, strlen(p), "len", &v, &n));
	assert_memory_equal(v, "110", 3);
	assert_false(payload_field(p, strlen(p), "ev", &v, &n)); /* not inside "dev" */
	assert_true(payload_field(q, strlen(q), "action", &v, &n));
	assert_int_equal(n, 6);
	assert_memory_equal(v, "NET_RX", 6);
	assert_string_equal(event_system("net_dev_xmit", 12), "net");
	assert_string_equal(event_system("softirq_entry", 13), "irq");
	assert_null(event_system("net_dev_xmi", 11));
	assert_null(event_system("no_such_event", 13));
}

/* ---- binning ---------------------------------------------------------------- */

static void test_spread_exact(void **state)
{
	struct vnp_import_opts o = { .bin_s = 0.1 };
	struct vnp_importer *im = vnp_importer_new(&o);
	struct series_def def = { VNP_COUNTER, "bits", VNP_TARGET, "test", -1, false };
	struct skey k = { 0 };
	double sum = 0;
	int s;

	(void)state;
	assert_non_null(im);
	key_reset(&k, "iperf3_bits");
	key_add(&k, "stream", "1", 1);
	s = imp_series(im, &k, &def);
	assert_int_equal(s, 0);
	/* 0.05 .. 0.55 s: bins 0..5, 0.05 + 0.4 + 0.05 */
	assert_int_equal(imp_add_interval(im, s, 50000000, 550000000, 1000), 0);
	assert_int_equal(im->base, 0);
	assert_int_equal(im->nbins, 6);
	for (int b = 0; b < 6; b++)
		sum += im->series[s].v[b];
	assert_true(sum == 1000);
	assert_true(fabs(im->series[s].v[0] - 100) < 1e-9);
	assert_true(fabs(im->series[s].v[3] - 200) < 1e-9);
	/* an earlier value moves the bins up */
	assert_int_equal(imp_add(im, s, -250000000, 1), 0);
	assert_int_equal(im->base, -3);
	assert_int_equal(im->nbins, 9);
	assert_true(im->series[s].v[0] == 1);
	assert_true(fabs(im->series[s].v[3] - 100) < 1e-9);
	key_free(&k);
	vnp_importer_free(im);
}

static void test_origin(void **state)
{
	/* the boundaries: 12.399999 is in [12.3, 12.4), 12.400000 in [12.4, 12.5) */
	const char text[] = "  a-1 [000] .... 12.399999: ev: x=1\n"
			    "  a-1 [000] .... 12.400000: ev: x=2\n"
			    "  a-1 [001] .... 12.500000: ev: x=1\n";
	struct vnp_importer *im = vnp_importer_new(NULL);
	struct vnp_run_info ri = { .name = "t" };
	struct vnp_run *run = NULL;

	(void)state;
	assert_int_equal(vnp_importer_add_mem(im, "t", text, sizeof(text) - 1,
					      VNP_IMPORT_FTRACE), 0);
	assert_int_equal(vnp_importer_finish(im, &ri, &run), 0);
	assert_true(fabs(vnp_run_info(run)->origin - 12.3) < 1e-12);
	assert_string_equal(vnp_run_info(run)->origin_clock, "trace");
	assert_int_equal(vnp_run_nbins(run), 3);
	assert_true(vnp_run_get(run, 0, 0) == 1); /* [12.3, 12.4) */
	assert_true(vnp_run_get(run, 0, 1) == 1); /* [12.4, 12.5) */
	assert_true(vnp_run_get(run, 0, 2) == 1);
	assert_string_equal(vnp_run_series(run, 0)->name, "tracepoint_hits{event=\"ev\"}");
	for (int64_t b = 0; b < 3; b++)
		assert_true(vnp_run_bin_present(run, b));
	vnp_run_free(run);
	vnp_importer_free(im);
}

static double value_of(const struct vnp_run *run, const char *name, int64_t k)
{
	int s = vnp_run_find_series(run, name);

	if (s < 0)
		fail_msg("no series %s", name);
	return vnp_run_get(run, (size_t)s, k);
}

/* every layout of KERNEL-INTERFACES.md §4 in one trace, with --by task */
static void test_ftrace_layouts(void **state)
{
	const char text[] =
		"# tracer: function\n"
		"#\n"
		"            bash-1977  [000] .... 17284.993652: sys_close <-system_call_fastpath\n"
		"          <idle>-0     [002]  17284.993653: ttwu_do_activate.constprop.89 "
		"<-try_to_wake_up\n"
		"     CPU 0/KVM-26296   [001] d.h2. 17284.993654: vhost_poll_wakeup+0x0/0x50 "
		"<-__wake_up_common+0x7c/0x130\n"
		" qemu-system-x86-30340 (  30340) [002] .... 17284.993655: handle_tx "
		"<-handle_tx_kick\n"
		"tpx:          python3-8398  [000]   17284.993656: net_dev_xmit:         dev=lo "
		"skbaddr=0xffff88810a91af00 len=43 rc=0\n"
		"trace-cmd-16129 [002] 17284.993657: function: __mutex_unlock_slowpath <-- "
		"mutex_unlock\n"
		"CPU:1 [LOST 1734 EVENTS]\n"
		"     my-task-name-7  [001] b.... 17285.000758: softirq_entry: vec=3 "
		"[action=NET_RX]\n"
		"     my-task-name-7  [001] b.... 17285.000759: <stack trace>\n"
		" => __do_softirq\n"
		" => irq_exit_rcu\n";
	const char *by[] = { "task" };
	struct vnp_import_opts o = { .by = by, .nby = 1 };
	struct vnp_importer *im = vnp_importer_new(&o);
	struct vnp_run_info ri = { .name = "t" };
	struct vnp_run *run = NULL;

	(void)state;
	assert_int_equal(vnp_importer_add_mem(im, "t", text, sizeof(text) - 1, VNP_IMPORT_AUTO), 0);
	assert_int_equal(vnp_importer_nwarnings(im), 1);
	assert_non_null(strstr(vnp_importer_warning(im, 0), "t:9: CPU 1 lost 1734 events"));
	assert_int_equal(vnp_importer_finish(im, &ri, &run), 0);
	assert_int_equal(vnp_run_nbins(run), 2);
	assert_true(value_of(run, "function_calls{function=\"sys_close\",task=\"bash-1977\"}", 0) ==
		    1);
	assert_true(value_of(run, "function_calls{function=\"ttwu_do_activate.constprop.89\","
				  "task=\"<idle>-0\"}", 0) == 1);
	assert_true(value_of(run, "function_calls{function=\"vhost_poll_wakeup\","
				  "task=\"CPU 0/KVM-26296\"}", 0) == 1);
	assert_true(value_of(run, "function_calls{function=\"handle_tx\","
				  "task=\"qemu-system-x86-30340\"}", 0) == 1);
	assert_true(value_of(run, "tracepoint_hits{event=\"net:net_dev_xmit\","
				  "task=\"python3-8398\"}", 0) == 1);
	assert_true(value_of(run, "function_calls{function=\"__mutex_unlock_slowpath\","
				  "task=\"trace-cmd-16129\"}", 0) == 1);
	assert_true(value_of(run, "tracepoint_hits{event=\"irq:softirq_entry\","
				  "task=\"my-task-name-7\"}", 1) == 1);
	assert_true(value_of(run, "trace_lost_events{cpu=\"1\"}", 1) == 1734);
	assert_int_equal(vnp_run_nseries(run), 8);
	vnp_run_free(run);
	vnp_importer_free(im);
}

static void test_by_and_options(void **state)
{
	const char *bad[] = { "a-b" };
	const char *dup[] = { "dev", "dev" };
	struct vnp_import_opts o = { .by = bad, .nby = 1 };

	(void)state;
	assert_null(vnp_importer_new(&o));
	assert_int_equal(errno, EINVAL);
	o.by = dup;
	o.nby = 2;
	assert_null(vnp_importer_new(&o));
	o.nby = 0;
	o.bin_s = 1e-7;
	assert_null(vnp_importer_new(&o));
	assert_non_null(strstr(vnp_errmsg(), "microseconds"));
}

/* every fixture and its format */
static const struct {
	const char *file;
	enum vnp_import_format f;
} fixture_formats[] = {
	{ "ftrace-formats/default.txt", VNP_IMPORT_FTRACE },
	{ "ftrace-formats/irq-info-off.txt", VNP_IMPORT_FTRACE },
	{ "ftrace-formats/record-tgid.txt", VNP_IMPORT_FTRACE },
	{ "ftrace-formats/latency-format.txt", VNP_IMPORT_FTRACE },
	{ "ftrace-formats/no-context-info.txt", VNP_IMPORT_FTRACE },
	{ "vhost/function-tracer.txt", VNP_IMPORT_FTRACE },
	{ "vhost/function-graph-abstime.txt", VNP_IMPORT_FUNCTION_GRAPH },
	{ "netns-staged/ftrace-events.txt.gz", VNP_IMPORT_FTRACE },
	{ "netns-staged/trace-events.dat", VNP_IMPORT_TRACE_DAT },
	{ "netns-staged/perf-script-cpu-clock.txt", VNP_IMPORT_PERF_SCRIPT },
	{ "netns-staged/perf-stat-interval.csv", VNP_IMPORT_PERF_STAT },
	{ "netns-staged/iperf3-server.json", VNP_IMPORT_IPERF3 },
	{ "netns-staged/iperf3-client.json", VNP_IMPORT_IPERF3 },
};

static void test_detect(void **state)
{
	const size_t ncases = sizeof(fixture_formats) / sizeof(fixture_formats[0]);
	enum vnp_import_format f;

	(void)state;
	for (size_t i = 0; i < ncases; i++) {
		int err = vnp_import_detect(fixture(fixture_formats[i].file), &f);

		if (err || f != fixture_formats[i].f)
			fail_msg("%s: detected %s (%d: %s), wanted %s", fixture_formats[i].file,
				 vnp_import_format_str(f), err, vnp_errmsg(),
				 vnp_import_format_str(fixture_formats[i].f));
	}
	assert_int_equal(vnp_import_detect_mem("hello\nworld\n", 12, &f), -EPROTONOSUPPORT);
	/* one line without its newline is read whole */
	assert_int_equal(vnp_import_detect_mem(" a-1 [000] .... 1.5: ev: x=1", 28, &f), 0);
	assert_int_equal(f, VNP_IMPORT_FTRACE);
	/* one stray match among binary lines is not a trace */
	{
		static const char bin[] = "\x01\x02\n\x03\n\x04\n 1) x |\n";

		assert_int_equal(vnp_import_detect_mem(bin, sizeof(bin) - 1, &f),
				 -EPROTONOSUPPORT);
	}
	assert_int_equal(vnp_import_detect_mem("run,series,t_start,t_end,value\n", 31, &f), 0);
	assert_int_equal(f, VNP_IMPORT_CSV);
	assert_int_equal(vnp_import_format_parse("function-graph", &f), 0);
	assert_int_equal(f, VNP_IMPORT_FUNCTION_GRAPH);
	assert_int_equal(vnp_import_format_parse("xml", &f), -EINVAL);
}

/* ---- the store's merge ------------------------------------------------------ */

static struct vnp_run *mkrun(const char *name, double origin, const char *series, int64_t nb,
			     double v0)
{
	struct vnp_run_info ri = { .name = (char *)name, .origin = origin, .bin_s = 0.5,
				   .origin_clock = "trace", .status = VNP_RUN_COMPLETE };
	struct vnp_series_info si = { .name = (char *)series, .kind = VNP_COUNTER,
				      .unit = "events", .backend = "test" };
	struct vnp_run *r = vnp_run_new(&ri);

	assert_int_equal(vnp_run_add_series(r, &si), 0);
	for (int64_t k = 0; k < nb; k++) {
		assert_int_equal(vnp_run_set(r, 0, k, v0 + k), 0);
		assert_int_equal(vnp_run_set_bin(r, k, (k + 1) * 0.5, 0), 0);
	}
	return r;
}

static char *dump(struct vnp_store *st)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);
	struct vnp_run *r = vnp_store_load(st, "base");

	assert_non_null(r);
	vnp_csv_write_run(fp, r, false);
	fprintf(fp, "origin %.9f\n", vnp_run_info(r)->origin);
	fclose(fp);
	vnp_run_free(r);
	return buf;
}

static void test_merge(void **state)
{
	char path[256], *before, *after;
	struct vnp_store *st;
	struct vnp_run *base, *add, *r;

	(void)state;
	snprintf(path, sizeof(path), "%s/merge.db", tmpdir);
	st = vnp_store_open(path, VNP_STORE_CREATE);
	assert_non_null(st);
	base = mkrun("base", 100.0, "a", 4, 10); /* bins [100, 102) */
	assert_int_equal(vnp_store_save(st, base), 0);

	/* later by 2 bins, flags and a partial last bin */
	add = mkrun("x", 101.0, "b", 4, 1);
	assert_int_equal(vnp_run_set_bin(add, 3, 1.75, VNP_BIN_PARTIAL), 0);
	assert_int_equal(vnp_store_merge_run(st, "base", add), 0);
	vnp_run_free(add);
	r = vnp_store_load(st, "base");
	assert_int_equal(vnp_run_nseries(r), 2);
	assert_int_equal(vnp_run_nbins(r), 6);
	assert_true(vnp_run_get(r, 1, 2) == 1 && vnp_run_get(r, 1, 5) == 4);
	assert_true(isnan(vnp_run_get(r, 1, 1)));
	assert_true(vnp_run_get(r, 0, 3) == 13 && isnan(vnp_run_get(r, 0, 4)));
	/* a new bin keeps "partial", with its end on the run's axis */
	assert_int_equal(vnp_run_bin_flags(r, 5), VNP_BIN_PARTIAL);
	assert_true(fabs(vnp_run_bin_end(r, 5) - 2.75) < 1e-12);
	vnp_run_free(r);

	/* earlier by 2 bins: the run is renumbered, its origin and values move */
	add = mkrun("x", 99.0, "c", 3, 7);
	assert_int_equal(vnp_run_set_bin(add, 2, 1.25, VNP_BIN_PARTIAL), 0);
	assert_int_equal(vnp_store_merge_run(st, "base", add), 0);
	vnp_run_free(add);
	r = vnp_store_load(st, "base");
	assert_true(vnp_run_info(r)->origin == 99.0);
	assert_int_equal(vnp_run_nbins(r), 8);
	assert_true(vnp_run_get(r, 0, 2) == 10 && vnp_run_get(r, 0, 5) == 13);
	assert_true(vnp_run_get(r, 2, 0) == 7 && vnp_run_get(r, 2, 2) == 9);
	assert_true(fabs(vnp_run_bin_end(r, 2) - 1.5) < 1e-12); /* the run's bin kept its end */
	/* partial on a bin the run had: "may miss events" instead */
	assert_int_equal(vnp_run_bin_flags(r, 2), VNP_BIN_INCOMPLETE);
	vnp_run_free(r);

	/* refusals change nothing */
	before = dump(st);
	add = mkrun("x", 99.5, "a", 2, 0); /* a series the run has */
	assert_int_equal(vnp_store_merge_run(st, "base", add), -EEXIST);
	vnp_run_free(add);
	add = mkrun("x", 99.2, "z", 2, 0); /* off the grid */
	assert_int_equal(vnp_store_merge_run(st, "base", add), -EINVAL);
	vnp_run_info_mut(add)->origin = 98.0;
	vnp_run_info_mut(add)->bin_s = 0.25; /* another bin */
	assert_int_equal(vnp_store_merge_run(st, "base", add), -EINVAL);
	assert_int_equal(vnp_store_merge_run(st, "nothere", add), -ENOENT);
	vnp_run_free(add);
	after = dump(st);
	assert_string_equal(before, after);
	free(before);
	free(after);
	vnp_run_free(base);
	vnp_store_close(st);
}

/* ---- what must be shown (3): the staged run, analysed ---------------------- */

/*
 * A counter series on the analysis bin, from the stored bins, written out
 * here apart from the library (docs/analysis.md §1): the sum of @f stored
 * bins, missing (NaN) when any of them has no value or is flagged partial
 * or late; a last group of fewer than @f bins left out.
 */
static int64_t rebin_counter(const struct vnp_run *run, const char *name, long f, double *out)
{
	int s = vnp_run_find_series(run, name);
	int64_t n = vnp_run_nbins(run) / f;

	if (s < 0)
		fail_msg("no series %s", name);
	for (int64_t j = 0; j < n; j++) {
		double sum = 0;

		for (long i = 0; i < f; i++) {
			int64_t k = j * f + i;
			double v = vnp_run_get(run, (size_t)s, k);

			if (isnan(v) || (vnp_run_bin_flags(run, k) & (VNP_BIN_PARTIAL | VNP_BIN_LATE))) {
				sum = NAN;
				break;
			}
			sum += v;
		}
		out[j] = sum;
	}
	return n;
}

static void test_staged_analysis(void **state)
{
	struct vnp_import_opts o = { 0 };
	struct vnp_run_info ri = { .name = "staged" }, have;
	struct vnp_importer *im;
	struct vnp_analysis *a = NULL;
	struct vnp_store *st;
	struct vnp_run *run;
	static const char target[] = "iperf3_bits{stream=\"1\",side=\"receiver\"}";
	static const char xmit_name[] = "tracepoint_hits{event=\"net:net_dev_xmit\"}";
	static const char softirq_name[] = "tracepoint_hits{event=\"irq:softirq_entry\"}";
	char path[256];
	bool xmit = false, softirq = false;
	double *x, *y;
	int64_t nb;

	(void)state;
	snprintf(path, sizeof(path), "%s/staged.db", tmpdir);
	st = vnp_store_open(path, VNP_STORE_CREATE);
	assert_non_null(st);
	im = vnp_importer_new(&o);
	assert_int_equal(vnp_importer_add_file(im, fixture("netns-staged/ftrace-events.txt.gz"),
					       VNP_IMPORT_AUTO), 0);
	assert_int_equal(vnp_importer_finish(im, &ri, &run), 0);
	vnp_importer_free(im);
	assert_int_equal(vnp_store_save(st, run), 0);
	vnp_run_free(run);

	/* iperf3 started about 1101.0 s on the trace clock (the first iperf3 packets) */
	assert_int_equal(vnp_store_find(st, "staged", &have), 0);
	o.offset_s = 1101.0;
	o.into = true;
	o.into_origin = have.origin;
	o.into_clock = have.origin_clock;
	o.bin_s = have.bin_s;
	im = vnp_importer_new(&o);
	assert_int_equal(vnp_importer_add_file(im, fixture("netns-staged/iperf3-server.json"),
					       VNP_IMPORT_AUTO), 0);
	assert_int_equal(vnp_importer_finish(im, &ri, &run), 0);
	vnp_importer_free(im);
	assert_int_equal(vnp_store_merge_run(st, "staged", run), 0);
	vnp_run_free(run);
	vnp_run_info_clear(&have);

	run = vnp_store_load(st, "staged");
	assert_non_null(run);
	assert_int_equal(vnp_analyze(run, NULL, &a), 0);
	assert_string_equal(a->target_name, target);
	/* the default analysis bin, 0.5 s, on the run's stored bins */
	assert_true(fabs(a->bin_s - 0.5) < 1e-12);
	assert_true(fabs((double)a->factor * vnp_run_info(run)->bin_s - 0.5) < 1e-9);
	nb = vnp_run_nbins(run) / a->factor;
	assert_int_equal(a->n_bins, nb);
	y = calloc((size_t)nb, sizeof(*y));
	x = calloc((size_t)nb, sizeof(*x));
	assert_non_null(y);
	assert_non_null(x);
	assert_int_equal(rebin_counter(run, target, a->factor, y), nb);
	/* the target in bit/s: bits per analysis bin / 0.5 s */
	for (int64_t j = 0; j < nb; j++)
		if (isnan(y[j]) ? !isnan(a->target_values[j])
				: fabs(a->target_values[j] - y[j] / 0.5) > 1e-9 * fabs(y[j] / 0.5))
			fail_msg("target bin %lld: %.17g bit/s, wanted %.17g", (long long)j,
				 a->target_values[j], y[j] / 0.5);
	for (size_t i = 0; i < a->nind; i++) {
		int64_t used;
		double r;
		bool *seen = !strcmp(a->ind[i].name, xmit_name)	   ? &xmit
			     : !strcmp(a->ind[i].name, softirq_name) ? &softirq
								      : NULL;

		print_message("%-50s r=%.12f best=%.3f lag=%ld n=%lld\n", a->ind[i].name,
			      a->ind[i].pearson.v, a->ind[i].best.v, a->ind[i].best_lag,
			      (long long)a->ind[i].pearson.n);
		if (!seen)
			continue;
		*seen = true;
		/* r of the indicator against the target, computed here from the stored bins */
		assert_int_equal(rebin_counter(run, a->ind[i].name, a->factor, x), nb);
		r = pearson_ref(x, y, nb, 0, &used);
		print_message("%-50s r=%.12f computed here over %lld bins\n", "", r,
			      (long long)used);
		assert_true(used > 10);
		assert_int_equal(a->ind[i].pearson.n, used);
		if (!(fabs(a->ind[i].pearson.v - r) <= 1e-9))
			fail_msg("%s: r = %.15f, computed here %.15f", a->ind[i].name,
				 a->ind[i].pearson.v, r);
		/* the best lag: the largest |r| of the lags tried, nearest 0 among equals */
		{
			long best = 0;
			double rb = r;

			for (long d = 1; d <= a->max_lag_bins; d++)
				for (int sgn = -1; sgn <= 1; sgn += 2) {
					double rl = pearson_ref(x, y, nb, sgn * d, &used);

					if (used >= 3 && fabs(rl) > fabs(rb) + 1e-12) {
						rb = rl;
						best = sgn * d;
					}
				}
			print_message("%-50s best lag %ld, r=%.12f computed here\n", "", best, rb);
			assert_int_equal(a->ind[i].best_lag, best);
			if (!(fabs(a->ind[i].best.v - rb) <= 1e-9))
				fail_msg("%s: r at the best lag = %.15f, computed here %.15f",
					 a->ind[i].name, a->ind[i].best.v, rb);
		}
	}
	assert_true(xmit);
	assert_true(softirq);
	free(x);
	free(y);
	vnp_analysis_free(a);
	vnp_run_free(run);
	vnp_store_close(st);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the format table ---------------------------------------------------- */

/* the first bytes of a file as the sniffers see them */
static void peek_file(struct lreader *lr, const char *path, const char **p, size_t *n)
{
	assert_int_equal(lr_open(lr, path), 0);
	assert_int_equal(lr_peek(lr, p, n), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static const char long_csv[] =
	"run,series,t_start,t_end,value\n"
	"demo,tcp_retrans_total,0,0.1,1\n"
	"demo,tcp_retrans_total,0.1,0.2,\n"
	"demo,tcp_retrans_total,0.2,0.25,3\n"
	"demo,\"cpu_share{function=\"\"a,b\"\"}\",0,0.1,0.5\n"
	"other,x,0,1,7\n";

/* every format has one line of the table; its sniffer, and no other, picks its fixtures */
/* the fixtures, a file that is no trace, and a CSV: the format each sniffs as */
static int sniffed(const struct imp_format *t, size_t n, const char *path)
{
	int best = 0, want = -1;
	struct lreader lr;
	const char *p;
	size_t len;

	peek_file(&lr, path, &p, &len);
	/* the detection rule: the highest score, the first of equals */
	for (size_t i = 0; i < n; i++) {
		int s = t[i].sniff(p, len);

		assert_true(s >= 0);
		if (s > best) {
			best = s;
			want = (int)i;
		}
	}
	lr_close(&lr);
	return want;
}

static void test_format_table(void **state)
{
	char csv[512];
	size_t n;
	int c;
	const struct imp_format *t = imp_formats(&n);

	(void)state;
	/* one line per format value, names that parse back */
	for (int f = VNP_IMPORT_FTRACE; f <= VNP_IMPORT_CSV; f++) {
		int lines = 0;

		for (size_t i = 0; i < n; i++)
			if (t[i].id == (enum vnp_import_format)f) {
				enum vnp_import_format back;

				lines++;
				assert_non_null(t[i].sniff);
				assert_non_null(t[i].parse);
				assert_string_equal(vnp_import_format_str(t[i].id), t[i].name);
				assert_int_equal(vnp_import_format_parse(t[i].name, &back), 0);
				assert_int_equal(back, t[i].id);
			}
		assert_int_equal(lines, 1);
	}
	assert_int_equal(n, VNP_IMPORT_CSV);
	snprintf(csv, sizeof(csv), "%s/long.csv", tmpdir);
	write_file(csv, long_csv);
	for (size_t i = 0; i < sizeof(fixture_formats) / sizeof(fixture_formats[0]); i++) {
		int w = sniffed(t, n, fixture(fixture_formats[i].file));

		if (w < 0 || t[w].id != fixture_formats[i].f)
			fail_msg("%s: sniffed as %s, wanted %s", fixture_formats[i].file,
				 w < 0 ? "nothing" : t[w].name,
				 vnp_import_format_str(fixture_formats[i].f));
	}
	assert_int_equal(sniffed(t, n, fixture("vhost/set_ftrace_filter.txt")), -1);
	c = sniffed(t, n, csv);
	assert_true(c >= 0);
	assert_int_equal(t[c].id, VNP_IMPORT_CSV);
}

static char *runs_csv(struct vnp_run **runs, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vnp_csv_write_run(fp, runs[i], i == 0), 0);
	assert_int_equal(fclose(fp), 0);
	for (size_t i = 0; i < n; i++)
		vnp_run_free(runs[i]);
	free(runs);
	return text;
}

/* CSV through the table gives what vnp_csv_read() gives, from a file, gzip or memory */
static void test_csv_through_table(void **state)
{
	struct vnp_importer *im;
	struct vnp_run **runs;
	char path[512], gz[512], *want, *got;
	size_t n;
	gzFile z;

	(void)state;
	snprintf(path, sizeof(path), "%s/through.csv", tmpdir);
	snprintf(gz, sizeof(gz), "%s/through.csv.gz", tmpdir);
	write_file(path, long_csv);
	z = gzopen(gz, "wb");
	assert_non_null(z);
	assert_int_equal(gzputs(z, long_csv), (int)strlen(long_csv));
	assert_int_equal(gzclose(z), Z_OK);
	assert_int_equal(vnp_csv_read(path, &runs, &n), 0);
	assert_int_equal(n, 2);
	want = runs_csv(runs, n);

	for (int way = 0; way < 3; way++) {
		im = vnp_importer_new(NULL);
		assert_non_null(im);
		if (way == 0)
			assert_int_equal(vnp_importer_add_file(im, path, VNP_IMPORT_AUTO), 0);
		else if (way == 1)
			assert_int_equal(vnp_importer_add_file(im, gz, VNP_IMPORT_CSV), 0);
		else
			assert_int_equal(vnp_importer_add_mem(im, "mem.csv", long_csv,
							      strlen(long_csv), VNP_IMPORT_CSV), 0);
		n = vnp_importer_take_runs(im, &runs);
		assert_int_equal(n, 2);
		got = runs_csv(runs, n);
		assert_string_equal(got, want);
		free(got);
		assert_int_equal(vnp_importer_take_runs(im, &runs), 0);
		vnp_importer_free(im);
	}
	/* whole runs and events do not go into one import, either way round */
	im = vnp_importer_new(NULL);
	assert_int_equal(vnp_importer_add_file(im, path, VNP_IMPORT_AUTO), 0);
	assert_int_equal(vnp_importer_add_file(im, fixture("ftrace-formats/default.txt"),
					       VNP_IMPORT_AUTO), -EINVAL);
	vnp_importer_free(im);
	im = vnp_importer_new(NULL);
	assert_int_equal(vnp_importer_add_file(im, fixture("ftrace-formats/default.txt"),
					       VNP_IMPORT_AUTO), 0);
	assert_int_equal(vnp_importer_add_file(im, path, VNP_IMPORT_AUTO), -EINVAL);
	assert_non_null(strstr(vnp_errmsg(), "whole runs"));
	vnp_importer_free(im);
	/* the reader's own errors, with the file's name */
	im = vnp_importer_new(NULL);
	assert_int_equal(vnp_importer_add_mem(im, "short.csv", "demo,x,0,1\n", 11,
					      VNP_IMPORT_CSV), -EINVAL);
	assert_non_null(strstr(vnp_errmsg(), "short.csv:1: expected 5 fields"));
	vnp_importer_free(im);
	free(want);
}

static void test_split_task(void **state)
{
	size_t cl = 99;

	(void)state;
	assert_true(split_task("CPU 0/KVM-26296", 15, &cl));
	assert_int_equal(cl, 9);
	assert_true(split_task("vhost-30340-30352", 17, &cl));
	assert_int_equal(cl, 11);
	assert_true(split_task("-12", 3, &cl));
	assert_int_equal(cl, 0);
	assert_false(split_task("12", 2, &cl));
	assert_false(split_task("abc-", 4, &cl));
	assert_false(split_task("abc-1x", 6, &cl));
	assert_false(split_task("", 0, &cl));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_lines),
		cmocka_unit_test(test_reader_long_line),
		cmocka_unit_test(test_reader_gzip),
		cmocka_unit_test(test_parse_ts),
		cmocka_unit_test(test_payload_field),
		cmocka_unit_test(test_spread_exact),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_ftrace_layouts),
		cmocka_unit_test(test_by_and_options),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_csv_through_table),
		cmocka_unit_test(test_split_task),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_staged_analysis),
	};

	vnp_set_print(NULL);
	return cmocka_run_group_tests(tests, setup, teardown);
}
