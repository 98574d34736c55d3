/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef VNP_PERFCOUNT_H
#define VNP_PERFCOUNT_H

#include "collect/collect.h"

/* one counted series: an event with the filter that selects it */
struct vnp_tp_counter {
	char sys[64], name[128];
	int id;
	char *filter;	   /* what the kernel gets, or NULL */
	char *user_filter; /* what the user wrote, for messages */
	int series;	   /* where its deltas are added */
};

struct vnp_perfcount;

/* open (and enable) every counter on every online CPU; NULL + vnp_errmsg() */
struct vnp_perfcount *vnp_perfcount_open(struct vnp_tp_counter *c, size_t n);
/*
 * vnp_perfcount_read() - add each counter's events since the last read to
 * values[c->series]; sets VNP_BIN_INCOMPLETE in @flags when a CPU came or went
 */
int vnp_perfcount_read(struct vnp_perfcount *pc, double *values, unsigned *flags);
int vnp_perfcount_open_cpus(const struct vnp_perfcount *pc);
void vnp_perfcount_close(struct vnp_perfcount *pc);

#endif
