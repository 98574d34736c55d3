/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private declarations shared by the library's areas. Not installed. */
#ifndef VNETPROF_LOCAL_H
#define VNETPROF_LOCAL_H

#include "vnetprof.h"

#include <errno.h>
#include <sys/types.h>

#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void vnp_print(enum vnp_print_level level, const char *fmt, ...) __printf(2, 3);
#define pr_warn(...) vnp_print(VNP_WARN, __VA_ARGS__)
#define pr_info(...) vnp_print(VNP_INFO, __VA_ARGS__)
#define pr_debug(...) vnp_print(VNP_DEBUG, __VA_ARGS__)

/*
 * vnp_fail() - record why a call fails and return @err (a negative errno)
 * so that "return vnp_fail(-EINVAL, ...)" reads as one statement.
 */
int vnp_fail(int err, const char *fmt, ...) __printf(2, 3);
/* vnp_fail() for functions that return pointers: sets errno, returns NULL */
void *vnp_fail_null(int err, const char *fmt, ...) __printf(2, 3);
void vnp_errmsg_clear(void);

/* helpers */
char *vnp_strdup(const char *s); /* NULL-safe */
int vnp_read_file(const char *path, char *buf, size_t size); /* returns length or -errno */
/* the pids whose /proc/PID/comm is @name (or starts with it): at most @max */
int vnp_pids_named(const char *name, bool prefix, pid_t *pids, int max);
double vnp_now_mono(void);
double vnp_now_wall(void);
int vnp_parse_cpulist(const char *s, unsigned char *set, int max); /* returns highest cpu+1 */
/* /sys/devices/system/cpu/online into @set; returns highest cpu+1 or -errno */
int vnp_cpus_online(unsigned char *set, int max);
/* vnp_csv_read() of the CSV text in @data (@name for messages) */
int vnp_csv_read_mem(const char *name, const char *data, size_t len, struct vnp_run ***runs,
		     size_t *nruns);

#endif
