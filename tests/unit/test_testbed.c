// SPDX-License-Identifier: GPL-2.0-or-later
/* --vm-cmd template expansion, and the testbed's names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testbed/experiment.h"

#include <errno.h>
#include <string.h>

static void test_expand(void **state)
{
	char buf[256];
	int n;

	(void)state;
	n = vnp_vm_cmd_expand(buf, sizeof(buf),
			      "ssh {name} /opt/{action}.sh {server}:{port} -t {duration} -P {procs} #{vm}",
			      3, "start-traffic", "198.18.0.2", 5203, 12.5, 2);
	assert_string_equal(buf, "ssh vm3 /opt/start-traffic.sh 198.18.0.2:5203 -t 12.5 -P 2 #3");
	assert_int_equal(n, (int)strlen(buf));
	vnp_vm_cmd_expand(buf, sizeof(buf), "awk '{{print $1}}' {vm}", 1, "stop-load", "", 0, 0, 0);
	assert_string_equal(buf, "awk '{print $1}' 1");
	vnp_vm_cmd_expand(buf, sizeof(buf), "plain", 1, "x", "", 0, 0, 0);
	assert_string_equal(buf, "plain");
	assert_int_equal(vnp_vm_cmd_expand(buf, sizeof(buf), "x {nope}", 1, "a", "", 0, 0, 0),
			 -EINVAL);
	assert_non_null(strstr(vnp_errmsg(), "unknown placeholder {nope}"));
	assert_int_equal(vnp_vm_cmd_expand(buf, sizeof(buf), "x {vm", 1, "a", "", 0, 0, 0), -EINVAL);
	assert_int_equal(vnp_vm_cmd_expand(buf, 8, "{action}", 1, "start-traffic", "", 0, 0, 0),
			 -ENAMETOOLONG);
}

static void test_names(void **state)
{
	char buf[32];

	(void)state;
	vnp_testbed_vm_ns(7, buf, sizeof(buf));
	assert_string_equal(buf, "vnptb-vm7");
	vnp_testbed_vm_tap(7, buf, sizeof(buf));
	assert_string_equal(buf, "vnptb-tap7");
	/* the longest name, of the last VM, fits IFNAMSIZ (16, with its NUL) */
	vnp_testbed_vm_tap(VNP_TB_MAX_VMS, buf, sizeof(buf));
	assert_string_equal(buf, "vnptb-tap32");
	assert_true(strlen(buf) < 16);
	vnp_testbed_vm_ip(7, buf, sizeof(buf));
	assert_string_equal(buf, "198.18.0.17");
	/* Table 2 of the paper */
	assert_int_equal(vnp_patterns[1].name, 'B');
	assert_int_equal(vnp_patterns[1].comm, 4);
	assert_int_equal(vnp_patterns[5].load, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
