// SPDX-License-Identifier: LGPL-2.1-or-later
/* Diagnostics: a print callback with levels, and a per-thread reason for the last failure. */
#include "vnetprof-local.h"

#include <stdio.h>
#include <string.h>

static int default_print(enum vnp_print_level level, const char *fmt, va_list ap)
{
	if (level > VNP_WARN)
		return 0;
	fputs("vnetprof: warning: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static vnp_print_fn_t print_fn = default_print;
static __thread char errmsg[1024];

vnp_print_fn_t vnp_set_print(vnp_print_fn_t fn)
{
	vnp_print_fn_t old = print_fn;

	print_fn = fn;
	return old;
}

void vnp_print(enum vnp_print_level level, const char *fmt, ...)
{
	va_list ap;

	if (!print_fn)
		return;
	va_start(ap, fmt);
	print_fn(level, fmt, ap);
	va_end(ap);
}

static void set_msg(const char *fmt, va_list ap)
{
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	/* one line, always */
	for (char *p = errmsg; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

int vnp_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_msg(fmt, ap);
	va_end(ap);
	return err;
}

void *vnp_fail_null(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_msg(fmt, ap);
	va_end(ap);
	errno = err < 0 ? -err : err;
	return NULL;
}

void vnp_errmsg_clear(void)
{
	errmsg[0] = '\0';
}

const char *vnp_errmsg(void)
{
	return errmsg;
}
