// SPDX-License-Identifier: GPL-2.0-or-later
/* kallsyms: loading, aliases, module symbols and address lookup on a synthetic table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../skiplog.h"

#include "collect/kallsyms.h"
#include "vnetprof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

static const char *write_table(const char *name, const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* unsorted on purpose, with aliases, a data symbol and two modules */
static const char table[] =
	"ffffffff81000400 t after_data\n"
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81000100 t helper_local\n"
	"ffffffff81000100 W helper_weak\n"
	"ffffffff81000200 T do_work\n"
	"ffffffff81000300 D some_data\n"
	"ffffffffc0001080 t veth_poll\t[veth]\n"
	"ffffffffc0001000 t veth_xmit\t[veth]\n"
	"ffffffffc0002000 t bpf_prog_6deef7357e7b4530_sd_fw_ingress\t[bpf]\n"
	"garbage line\n";

static void test_lookup(void **state)
{
	struct vnp_ksyms *ks = vnp_ksyms__load_file(write_table("kallsyms", table));
	const struct vnp_ksym *s;

	(void)state;
	assert_non_null(ks);
	/* 11 symbols, two addresses with aliases: 9 kept */
	assert_int_equal(vnp_ksyms__count(ks), 9);
	assert_null(vnp_ksyms__map_addr(ks, 0x1000)); /* below every text symbol */
	s = vnp_ksyms__map_addr(ks, 0xffffffff81000000);
	assert_non_null(s);
	assert_string_equal(s->name, "startup_64"); /* no leading underscore wins */
	assert_null(s->module);
	assert_string_equal(vnp_ksyms__map_addr(ks, 0xffffffff810000ff)->name, "startup_64");
	/* a weak global wins over a local alias */
	assert_string_equal(vnp_ksyms__map_addr(ks, 0xffffffff81000150)->name, "helper_weak");
	assert_string_equal(vnp_ksyms__map_addr(ks, 0xffffffff810002ff)->name, "do_work");
	/* a data symbol ends the text before it */
	assert_null(vnp_ksyms__map_addr(ks, 0xffffffff81000300));
	assert_null(vnp_ksyms__map_addr(ks, 0xffffffff810003ff));
	assert_string_equal(vnp_ksyms__map_addr(ks, 0xffffffff81000400)->name, "after_data");
	s = vnp_ksyms__map_addr(ks, 0xffffffffc0001010);
	assert_string_equal(s->name, "veth_xmit");
	assert_string_equal(s->module, "veth");
	s = vnp_ksyms__map_addr(ks, 0xffffffffc000108f);
	assert_string_equal(s->name, "veth_poll");
	assert_string_equal(s->module, "veth");
	s = vnp_ksyms__map_addr(ks, 0xffffffffc0002040);
	assert_string_equal(s->module, "bpf");
	assert_string_equal(vnp_ksyms__map_addr(ks, UINT64_MAX)->name,
			    "bpf_prog_6deef7357e7b4530_sd_fw_ingress");
	/* by name; index and position agree */
	s = vnp_ksyms__get_symbol(ks, "veth_poll");
	assert_non_null(s);
	assert_true(s->addr == 0xffffffffc0001080ull);
	assert_ptr_equal(vnp_ksyms__at(ks, vnp_ksyms__index(ks, s)), s);
	assert_null(vnp_ksyms__get_symbol(ks, "some_data"));
	assert_null(vnp_ksyms__get_symbol(ks, "nope"));
	vnp_ksyms__free(ks);
	vnp_ksyms__free(NULL);
}

static void test_errors(void **state)
{
	(void)state;
	/* what an unprivileged reader sees under kptr_restrict */
	assert_null(vnp_ksyms__load_file(write_table("hidden", "0000000000000000 T _stext\n"
								"0000000000000000 t do_work\n")));
	assert_int_equal(errno, EACCES);
	assert_non_null(strstr(vnp_errmsg(), "kptr_restrict"));
	assert_null(vnp_ksyms__load_file(write_table("empty", "")));
	assert_int_equal(errno, ENOENT);
	assert_null(vnp_ksyms__load_file("/nonexistent/kallsyms"));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(vnp_errmsg(), "/nonexistent/kallsyms"));
}

/*
 * A check this host cannot run: cmocka reports it as skipped (and the
 * program still exits 0, for the checks that ran), and it is listed in
 * $VNP_SKIP_LOG, which tests/run.sh counts and prints with its reason.
 */
static void skip_because(const char *why)
{
	vnp_test_skiplog("test_kallsyms", "%s", why);
	skip();
}

/*
 * The real table: every symbol maps back to itself. It shows addresses to
 * CAP_SYSLOG (root) unless kernel.kptr_restrict = 2; as root it must load.
 */
static void test_proc_kallsyms(void **state)
{
	struct vnp_ksyms *ks = vnp_ksyms__load();
	int restrict_ = -1;
	FILE *fp;
	size_t n;

	(void)state;
	if (!ks) {
		int e = errno;

		if (e == ENOENT && access("/proc/kallsyms", F_OK))
			skip_because("the real kallsyms: no /proc/kallsyms (CONFIG_KALLSYMS off)");
		if (e == EACCES && geteuid() != 0)
			skip_because("the real kallsyms: not root, and /proc/kallsyms hides "
				     "addresses from others");
		fp = fopen("/proc/sys/kernel/kptr_restrict", "r");
		if (fp) {
			if (fscanf(fp, "%d", &restrict_) != 1)
				restrict_ = -1;
			fclose(fp);
		}
		if (e == EACCES && restrict_ == 2)
			skip_because("the real kallsyms: kernel.kptr_restrict = 2 hides "
				     "addresses even from root");
		fail_msg("vnp_ksyms__load() as root: %s (errno %d)", vnp_errmsg(), e);
	}
	n = vnp_ksyms__count(ks);
	assert_true(n > 1000);
	for (size_t i = 0; i < n; i++) {
		const struct vnp_ksym *s = vnp_ksyms__at(ks, i);

		if (i)
			assert_true(vnp_ksyms__at(ks, i - 1)->addr < s->addr);
		if (strchr("tTwW", s->type))
			assert_ptr_equal(vnp_ksyms__map_addr(ks, s->addr), s);
	}
	assert_non_null(vnp_ksyms__get_symbol(ks, "schedule"));
	vnp_ksyms__free(ks);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vnp-ksyms-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const files[] = { "kallsyms", "hidden", "empty" };
	char path[128];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_proc_kallsyms),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
