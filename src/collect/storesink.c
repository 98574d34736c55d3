// SPDX-License-Identifier: LGPL-2.1-or-later
/* The store as the recorder's sink: the run, its series and bins through a vnp_writer. */
#include "collect/sink.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store_sink {
	struct vnp_sink sink;
	struct vnp_store *st;
	struct vnp_writer *w;
	struct vnp_record_result *res;
	int64_t flush_every, since_flush;
	char name[256];
};

static int store_begin(struct vnp_sink *s, struct vnp_run_info *ri, bool unique_name)
{
	struct store_sink *ss = (struct store_sink *)s;
	size_t len = strlen(ri->name);

	/* a default name taken already gets "-2", "-3", ... */
	snprintf(ss->name, sizeof(ss->name), "%s", ri->name);
	ri->name = ss->name;
	for (int attempt = 2;; attempt++) {
		ss->w = vnp_writer_begin(ss->st, ri);
		if (ss->w || errno != EEXIST || !unique_name || attempt > 100)
			break;
		snprintf(ss->name + len, sizeof(ss->name) - len, "-%d", attempt);
	}
	if (!ss->w)
		return -errno;
	snprintf(ss->res->run_name, sizeof(ss->res->run_name), "%s", ri->name);
	ss->res->run_id = vnp_writer_run_id(ss->w);
	return 0;
}

static int store_origin(struct vnp_sink *s, double origin_mono, double start_wall)
{
	return vnp_writer_set_origin(((struct store_sink *)s)->w, origin_mono, start_wall);
}

static int store_add_series(struct vnp_sink *s, size_t idx, const struct vnp_series_info *si,
			    bool running)
{
	struct store_sink *ss = (struct store_sink *)s;
	int i = running ? vnp_writer_add_series_fill(ss->w, si, 0)
			: vnp_writer_add_series(ss->w, si);

	if (i < 0)
		return i;
	return (size_t)i == idx ? 0 : -EIO;
}

static int store_put_bin(struct vnp_sink *s, int64_t k, double t, unsigned flags, const double *v,
			 size_t n, bool last)
{
	struct store_sink *ss = (struct store_sink *)s;
	int err = vnp_writer_put_bin(ss->w, k, t, flags, v, n);

	if (err)
		return err;
	if (++ss->since_flush >= ss->flush_every || last) {
		err = vnp_writer_flush(ss->w);
		ss->since_flush = 0;
	}
	return err;
}

static int store_end(struct vnp_sink *s, enum vnp_run_status status)
{
	struct store_sink *ss = (struct store_sink *)s;
	int err = ss->w ? vnp_writer_end(ss->w, status) : 0;

	ss->w = NULL;
	return err;
}

static void store_free(struct vnp_sink *s)
{
	struct store_sink *ss = (struct store_sink *)s;

	if (!s)
		return;
	store_end(s, VNP_RUN_INTERRUPTED);
	vnp_store_close(ss->st);
	free(ss);
}

static const struct vnp_sink_ops store_ops = {
	.begin = store_begin,
	.origin = store_origin,
	.add_series = store_add_series,
	.put_bin = store_put_bin,
	.end = store_end,
	.free = store_free,
};

struct vnp_sink *vnp_store_sink_new(const char *db, double bin_s, struct vnp_record_result *res)
{
	struct store_sink *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return vnp_fail_null(-ENOMEM, "out of memory");
	ss->sink.ops = &store_ops;
	ss->res = res;
	ss->flush_every = bin_s >= 1 ? 1 : (int64_t)ceil(1.0 / bin_s - 1e-9);
	ss->st = vnp_store_open(db, VNP_STORE_CREATE);
	if (!ss->st) {
		int err = errno;

		free(ss);
		errno = err;
		return NULL;
	}
	return &ss->sink;
}
