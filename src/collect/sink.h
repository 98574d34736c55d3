/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where the recorder's bins go: a sink takes the run's series and each
 * finished bin. The store writer is one; a live view or an exporter is
 * another, with the same recording loop.
 */
#ifndef VNP_SINK_H
#define VNP_SINK_H

#include "collect/collect.h"

struct vnp_sink;

struct vnp_sink_ops {
	/*
	 * the run begins; with @unique_name the sink may change @ri->name to a
	 * name it has not got yet. 0 or a negative errno with vnp_errmsg() set.
	 */
	int (*begin)(struct vnp_sink *s, struct vnp_run_info *ri, bool unique_name);
	/* optional: the run's origin once read, on CLOCK_MONOTONIC, and its Unix time */
	int (*origin)(struct vnp_sink *s, double origin_mono, double start_wall);
	/* series number @idx, before the first bin or (@running) while bins are put */
	int (*add_series)(struct vnp_sink *s, size_t idx, const struct vnp_series_info *si,
			  bool running);
	/* bin @k, read at @t s after the origin; @last: no bin follows */
	int (*put_bin)(struct vnp_sink *s, int64_t k, double t, unsigned flags, const double *v,
		       size_t n, bool last);
	/* the run ends with @status (also after a failed begin: then nothing to do) */
	int (*end)(struct vnp_sink *s, enum vnp_run_status status);
	void (*free)(struct vnp_sink *s);
};

struct vnp_sink {
	const struct vnp_sink_ops *ops;
};

/*
 * vnp_store_sink_new() - the run into the store at @db (created if need be),
 * flushed about once a second; @res gets the run's id and name. NULL with
 * errno and vnp_errmsg() set.
 */
struct vnp_sink *vnp_store_sink_new(const char *db, double bin_s, struct vnp_record_result *res);

#endif
