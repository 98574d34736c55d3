/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Building the kernel's event filters (the tracefs filter grammar) that
 * split one tracepoint into series: per device (--by dev) and per VM
 * (--by vm). Pure string work, no kernel: unit-tested in tests/unit.
 * Every function returns a new string to free(), or NULL on ENOMEM.
 */
#ifndef VNP_FILTER_H
#define VNP_FILTER_H

#include <stddef.h>
#include <sys/types.h>

/*
 * vnp_filter_dev() - the filter of one device's series
 * @user: the user's filter or NULL; it is kept, in parentheses, and-ed
 * @field: the event's field that holds the device name
 * @devs, @ndev: every device that has its own series
 * @only: this device (`field == "only"`), or NULL for the rest (every device
 *        not in @devs), so that the series add up to the event's total
 */
char *vnp_filter_dev(const char *user, const char *field, char *const *devs, size_t ndev,
		     const char *only);

/* `field == "v0" || field == "v1" ...`; "" for none */
char *vnp_filter_eq_any(const char *field, const char *const *values, size_t n);

/* `common_pid == P0 || common_pid == P1 ...`; "" for none */
char *vnp_filter_pid_any(const pid_t *pids, size_t n);

/* one VM's series: `(user) && (clause)`, or `(clause)` without a user filter */
char *vnp_filter_vm(const char *user, const char *clause);

/*
 * vnp_filter_host() - the series of what no VM's clause matches:
 * `(user) && !(c0) && !(c1) ...`; with no clauses the user's filter as it
 * is, and "" without one (count everything)
 */
char *vnp_filter_host(const char *user, const char *const *clauses, size_t n);

#endif
