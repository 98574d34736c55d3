// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel filter builder (--by dev, --by vm) and the table of backend
 * names: pure string work, checked without the kernel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collect/collector.h"
#include "collect/filter.h"
#include "collect/ftracefunc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* compare and free */
static void is(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_dev_one(void **state)
{
	char *devs[] = { "tap0", "tap1" };

	(void)state;
	is(vnp_filter_dev(NULL, "name", devs, 2, "tap1"), "name == \"tap1\"");
	is(vnp_filter_dev("len > 100", "name", devs, 2, "tap0"),
	   "(len > 100) && name == \"tap0\"");
}

/* the rest: every device not named, so the series add up to the total */
static void test_dev_rest(void **state)
{
	char *devs[] = { "tap0", "tap1", "br0" };

	(void)state;
	is(vnp_filter_dev(NULL, "name", devs, 3, NULL),
	   "(name != \"tap0\" && name != \"tap1\" && name != \"br0\")");
	is(vnp_filter_dev("len > 1", "dev", devs, 1, NULL), "(len > 1) && (dev != \"tap0\")");
}

/* no buffer is sized by hand: a long list of long names fits */
static void test_dev_long(void **state)
{
	enum { N = 500 };
	char **devs = calloc(N, sizeof(*devs)), *f;
	size_t want = 2;

	(void)state;
	assert_non_null(devs);
	for (int i = 0; i < N; i++) {
		devs[i] = malloc(16);
		assert_non_null(devs[i]);
		snprintf(devs[i], 16, "veth%011d", i);
		want += strlen("name != \"\"") + 15 + (i ? 4 : 0);
	}
	f = vnp_filter_dev(NULL, "name", devs, N, NULL);
	assert_non_null(f);
	assert_int_equal(strlen(f), want);
	assert_non_null(strstr(f, "name != \"veth00000000499\")"));
	free(f);
	for (int i = 0; i < N; i++)
		free(devs[i]);
	free(devs);
}

static void test_eq_any(void **state)
{
	const char *v[] = { "tap0", "tap1" };

	(void)state;
	is(vnp_filter_eq_any("name", v, 2), "name == \"tap0\" || name == \"tap1\"");
	is(vnp_filter_eq_any("name", v, 1), "name == \"tap0\"");
	is(vnp_filter_eq_any("name", v, 0), "");
}

static void test_pid_any(void **state)
{
	pid_t p[] = { 12, 345, 6 };

	(void)state;
	is(vnp_filter_pid_any(p, 3), "common_pid == 12 || common_pid == 345 || common_pid == 6");
	is(vnp_filter_pid_any(p, 0), "");
}

static void test_vm(void **state)
{
	(void)state;
	is(vnp_filter_vm(NULL, "name == \"tap0\""), "(name == \"tap0\")");
	is(vnp_filter_vm("len > 1", "name == \"a\" || name == \"b\""),
	   "(len > 1) && (name == \"a\" || name == \"b\")");
}

/* the host: what no VM's clause takes */
static void test_host(void **state)
{
	const char *c[] = { "name == \"a\"", "common_pid == 7 || common_pid == 8" };

	(void)state;
	is(vnp_filter_host(NULL, c, 2), "!(name == \"a\") && !(common_pid == 7 || common_pid == 8)");
	is(vnp_filter_host("len > 1", c, 1), "(len > 1) && !(name == \"a\")");
	/* no VM: the user's filter as it is, or none */
	is(vnp_filter_host("len > 1", c, 0), "len > 1");
	is(vnp_filter_host(NULL, c, 0), "");
}

static void test_backends(void **state)
{
	const struct vnp_backend *b;

	(void)state;
	b = vnp_backend_find("perf");
	assert_non_null(b);
	assert_int_equal(b->cls, VNP_BACKEND_PERF);
	assert_false(b->functions);
	b = vnp_backend_find("bpf");
	assert_non_null(b);
	assert_null(vnp_backend_bpf_type(b));
	b = vnp_backend_find("bpf:fentry");
	assert_non_null(b);
	assert_int_equal(b->cls, VNP_BACKEND_BPF);
	assert_string_equal(vnp_backend_bpf_type(b), "fentry");
	b = vnp_backend_find("function-tracer");
	assert_non_null(b);
	assert_int_equal(b->ftrace_which, VNP_FTRACE_TRACER);
	/* "bpf:" names a BPF attach type only */
	assert_null(vnp_backend_find("bpf:ftrace"));
	assert_null(vnp_backend_find("nope"));
	assert_non_null(strstr(vnp_errmsg(), "backend 'nope': perf, bpf, tp_btf, tp, raw_tp, "
					     "ftrace, fentry, kprobe, function-profiler or "
					     "function-tracer"));
	assert_string_equal(vnp_backend_names(true),
			    "fentry, kprobe, function-profiler or function-tracer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_one),	 cmocka_unit_test(test_dev_rest),
		cmocka_unit_test(test_dev_long), cmocka_unit_test(test_eq_any),
		cmocka_unit_test(test_pid_any),	 cmocka_unit_test(test_vm),
		cmocka_unit_test(test_host),	 cmocka_unit_test(test_backends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
