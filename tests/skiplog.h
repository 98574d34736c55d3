/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For the cmocka tests: a check this host cannot run is said so ("# SKIP
 * REASON") and listed in $VNP_SKIP_LOG as "TEST: REASON", which
 * tests/run.sh counts and prints in its closing lines (tests/lib.sh's skip
 * does the same for the shell tests). cmocka's own skip() still exits 0, so
 * without the log a skip would count as a pass.
 */
#ifndef VNP_TEST_SKIPLOG_H
#define VNP_TEST_SKIPLOG_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void vnp_test_skiplog(const char *test, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static void vnp_test_skiplog(const char *test, const char *fmt, ...)
{
	const char *log = getenv("VNP_SKIP_LOG");
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# SKIP %s\n", why);
	if (log && *log) {
		FILE *fp = fopen(log, "a");

		if (fp) {
			fprintf(fp, "%s: %s\n", test, why);
			fclose(fp);
		}
	}
}

#endif
