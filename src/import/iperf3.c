// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * iperf3 -J reports (KERNEL-INTERFACES.md §6). Each interval of each stream
 * becomes bits (bytes x 8; bits_per_second x seconds when bytes is absent)
 * spread over the bins it overlaps at a constant rate, in
 * iperf3_bits{stream="N",side="receiver"|"sender"}. N counts the streams in
 * iperf3's order from 1 (socket numbers differ between the two ends); with
 * several streams their sum is stream="sum". A server report is the
 * receiver (the sender with -R); a client report is the sender, and with
 * --get-server-output its server_output_json holds the receiver. The side
 * comes from each interval's "sender" flag where iperf3 writes one.
 *
 * Times are seconds since iperf3's test started (clock "iperf3-relative");
 * start.timestamp.timesecs gives the wall clock of that start.
 */
#include "import-local.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPERF3_MAX_SIZE (256u << 20)

struct ip3 {
	struct vnp_importer *im;
	const char *file;
	struct skey key;
	uint64_t intervals, omitted;
	int64_t first_t0, last_t1;
	bool have_t;
};

static const struct series_def def_bits = { VNP_COUNTER, "bits", VNP_TARGET, "import:iperf3",
					    -1, false };

static double num(json_t *o, const char *k, bool *ok)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_number(v)) {
		*ok = false;
		return NAN;
	}
	return json_number_value(v);
}

static int add_stream(struct ip3 *x, json_t *st, const char *stream, const char *side, int iv)
{
	bool ok = true;
	double t0 = num(st, "start", &ok), t1 = num(st, "end", &ok), bits;
	int64_t a, b;
	int s;

	if (!ok || !isfinite(t0) || !isfinite(t1) || t1 < t0)
		return vnp_fail(-EINVAL, "%s: interval %d: start and end are not times", x->file,
				iv + 1);
	bits = num(st, "bytes", &ok) * 8;
	if (!ok) {
		ok = true;
		bits = num(st, "bits_per_second", &ok) * (t1 - t0);
		if (!ok)
			return vnp_fail(-EINVAL, "%s: interval %d: neither bytes nor "
					"bits_per_second", x->file, iv + 1);
	}
	if (!isfinite(bits) || bits < 0)
		return vnp_fail(-EINVAL, "%s: interval %d: %g bits", x->file, iv + 1, bits);
	a = secs_to_ns(t0);
	b = secs_to_ns(t1);
	if (a == INT64_MIN || b == INT64_MIN)
		return vnp_fail(-EINVAL, "%s: interval %d: times out of range", x->file, iv + 1);
	key_reset(&x->key, "iperf3_bits");
	key_add(&x->key, "stream", stream, strlen(stream));
	key_add(&x->key, "side", side, strlen(side));
	s = imp_series(x->im, &x->key, &def_bits);
	if (s < 0)
		return s;
	if (!x->have_t || a < x->first_t0)
		x->first_t0 = a;
	if (!x->have_t || b > x->last_t1)
		x->last_t1 = b;
	x->have_t = true;
	return imp_add_interval(x->im, s, a, b, bits);
}

/* @intervals of one end; @server: this end is the server; @reverse: -R */
static int add_intervals(struct ip3 *x, json_t *intervals, bool server, bool reverse)
{
	const char *dflt = server != reverse ? "receiver" : "sender";
	size_t i;
	json_t *iv;

	if (!json_is_array(intervals))
		return vnp_fail(-EINVAL, "%s: \"intervals\" is not an array", x->file);
	json_array_foreach(intervals, i, iv) {
		json_t *streams = json_object_get(iv, "streams"), *sum = json_object_get(iv, "sum");
		json_t *st;
		size_t j;
		int err;

		if (!json_is_array(streams) || !json_is_object(sum))
			return vnp_fail(-EINVAL, "%s: interval %zu has no streams or sum", x->file,
					i + 1);
		if (json_is_true(json_object_get(sum, "omitted"))) {
			/* -O: warm-up intervals, their clock restarts after them */
			x->omitted++;
			continue;
		}
		json_array_foreach(streams, j, st) {
			json_t *snd = json_object_get(st, "sender");
			char name[24];

			snprintf(name, sizeof(name), "%zu", j + 1);
			err = add_stream(x, st, name,
					 json_is_boolean(snd) ? (json_is_true(snd) ? "sender"
										   : "receiver")
							      : dflt,
					 (int)i);
			if (err)
				return err;
		}
		if (json_array_size(streams) > 1) {
			json_t *snd = json_object_get(sum, "sender");

			err = add_stream(x, sum, "sum",
					 json_is_boolean(snd) ? (json_is_true(snd) ? "sender"
										   : "receiver")
							      : dflt,
					 (int)i);
			if (err)
				return err;
		}
		x->intervals++;
		x->im->events++;
	}
	return 0;
}

static bool is_server(json_t *root)
{
	json_t *start = json_object_get(root, "start");

	return json_object_get(start, "accepted_connection") != NULL &&
	       json_object_get(start, "connecting_to") == NULL;
}

static bool is_reverse(json_t *root)
{
	json_t *ts = json_object_get(json_object_get(root, "start"), "test_start");

	return json_integer_value(json_object_get(ts, "reverse")) != 0;
}

int imp_iperf3(struct vnp_importer *im, struct lreader *lr, const char *path)
{
	struct ip3 x = { .im = im, .file = lr->name };
	json_error_t je;
	json_t *root = NULL, *v, *server;
	char *text = NULL;
	size_t len;
	int err;

	(void)path;
	err = imp_set_clock(im, x.file, "iperf3-relative");
	if (err)
		return err;
	err = lr_read_all(lr, &text, &len, IPERF3_MAX_SIZE);
	if (err)
		return err;
	if (lr->truncated) {
		err = vnp_fail(-EINVAL, "%s: the gzip data ends early (the file was cut)", x.file);
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		err = vnp_fail(-EINVAL, "%s:%d:%d: not valid JSON%s: %s", x.file, je.line,
			       je.column, je.position >= (int)len ? " (the file is cut short)" : "",
			       je.text);
		goto out;
	}
	if (!json_is_object(root)) {
		err = vnp_fail(-EINVAL, "%s: JSON but not an iperf3 report (no object)", x.file);
		goto out;
	}
	v = json_object_get(root, "intervals");
	if (!v) {
		const char *e = json_string_value(json_object_get(root, "error"));

		err = e ? vnp_fail(-EINVAL, "%s: iperf3 reported an error and no intervals: %s",
				   x.file, e)
			: vnp_fail(-EINVAL, "%s: JSON but not an iperf3 report (no \"intervals\")",
				   x.file);
		goto out;
	}
	err = add_intervals(&x, v, is_server(root), is_reverse(root));
	server = json_object_get(root, "server_output_json");
	if (!err && server)
		err = add_intervals(&x, json_object_get(server, "intervals"), true,
				    is_reverse(root));
	else if (!err && json_object_get(root, "server_output_text"))
		imp_warn(im, "%s: the server's report is text (server_output_text), not JSON; "
			 "only this end's intervals were read", x.file);
	if (err)
		goto out;
	if (x.omitted)
		imp_warn(im, "%s: %llu omitted (-O) intervals left out", x.file,
			 (unsigned long long)x.omitted);
	if (!x.intervals) {
		imp_warn(im, "%s: no intervals", x.file);
		goto out;
	}
	v = json_object_get(json_object_get(json_object_get(root, "start"), "timestamp"),
			    "timesecs");
	if (json_is_integer(v) && isnan(im->start_wall))
		im->start_wall = (double)json_integer_value(v) - im->opts.offset_s;
	/* a bin the report covers only in part may miss traffic */
	if (x.have_t) {
		int64_t b = im->bin_ns, rel = x.first_t0 + im->offset_ns - im->anchor_ns;

		if (rel % b)
			err = imp_flag_range(im, x.first_t0, x.first_t0, VNP_BIN_INCOMPLETE);
		imp_note_end(im, x.last_t1, true);
	}
out:
	json_decref(root);
	free(text);
	key_free(&x.key);
	return err;
}

/* a JSON object: no other format starts with '{' */
int sniff_iperf3(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)data[i]))
		i++;
	return i < len && data[i] == '{' ? IMP_SNIFF_SURE : 0;
}
