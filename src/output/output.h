/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one output layer: every command writes each field once, and the same
 * call renders text or JSON (after iproute2's print_*(PRINT_ANY, ...)).
 * Errors follow the format: {"error": "..."} under --json.
 */
#ifndef VNP_OUTPUT_H
#define VNP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum vnp_out_mode {
	VNP_OUT_TEXT,
	VNP_OUT_JSON,
};

struct vnp_out;

struct vnp_out *vnp_out_new(enum vnp_out_mode mode, FILE *fp);
/* closes any open JSON containers, ends with a newline, frees */
void vnp_out_free(struct vnp_out *o);
bool vnp_out_is_json(const struct vnp_out *o);

/* containers: @key is NULL inside arrays and at the top level */
void vnp_out_open_object(struct vnp_out *o, const char *key);
void vnp_out_close_object(struct vnp_out *o);
void vnp_out_open_array(struct vnp_out *o, const char *key);
void vnp_out_close_array(struct vnp_out *o);

/*
 * Fields: in JSON, "key": value; in text, printf(@fmt, value) when @fmt is
 * not NULL. A NaN double is null in JSON and "-" in text. Inside an object,
 * a NULL @key makes the field text-only (a value shown in other units).
 */
void vnp_out_str(struct vnp_out *o, const char *key, const char *fmt, const char *v);
void vnp_out_int(struct vnp_out *o, const char *key, const char *fmt, long long v);
void vnp_out_double(struct vnp_out *o, const char *key, const char *fmt, double v);
void vnp_out_bool(struct vnp_out *o, const char *key, const char *fmt, bool v);
/* text only */
void vnp_out_text(struct vnp_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vnp_out_nl(struct vnp_out *o);

/*
 * vnp_out_err() - report an error in the output's format
 * Text: one line on stderr. JSON: in the output stream, wherever it has got
 * to: {"error": "..."} at the top level or as an element of an open array,
 * an "error" field of an open object.
 * Returns @status so that "return vnp_out_err(o, 1, ...)" ends a command.
 */
int vnp_out_err(struct vnp_out *o, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * vnp_out_si() - the SI prefix for showing values as large as @big (its
 * magnitude): returns the divisor (1e12, 1e9, 1e6, 1e3 or 1) and sets
 * *@prefix to "T", "G", "M", "k" or "". One scale for every table.
 */
double vnp_out_si(double big, const char **prefix);

/*
 * vnp_out_lcol() - the format of a left-aligned text column @width wide (the
 * widest of its cells and its header, which the caller measures), then
 * @after: "%-{width}s{after}" into @buf, which it returns. A value wider than
 * a fixed column would push every later column right.
 */
const char *vnp_out_lcol(char *buf, size_t size, size_t width, const char *after);

/*
 * vnp_out_progress() - the recorder's progress line, redrawn in place on
 * @arg (a FILE *, a terminal); @target_bps NAN leaves the target out.
 * The signature of vnp_record_opts.on_progress.
 */
void vnp_out_progress(double t, int64_t bins, double target_bps, bool last, void *arg);

/* JSON string escaping, for writers that stream (export) */
void vnp_json_string(FILE *fp, const char *s);

#endif
