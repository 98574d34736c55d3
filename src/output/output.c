// SPDX-License-Identifier: LGPL-2.1-or-later
#include "output/output.h"
#include "vnetprof-local.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

struct vnp_out {
	enum vnp_out_mode mode;
	FILE *fp;
	int depth;
	bool first[MAX_DEPTH];
	char close[MAX_DEPTH];
	bool wrote; /* anything on the output yet */
};

struct vnp_out *vnp_out_new(enum vnp_out_mode mode, FILE *fp)
{
	struct vnp_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->mode = mode;
	o->fp = fp;
	return o;
}

bool vnp_out_is_json(const struct vnp_out *o)
{
	return o->mode == VNP_OUT_JSON;
}

void vnp_out_free(struct vnp_out *o)
{
	if (!o)
		return;
	if (o->mode == VNP_OUT_JSON) {
		while (o->depth > 0)
			fputc(o->close[--o->depth], o->fp);
		if (o->wrote)
			fputc('\n', o->fp);
	}
	fflush(o->fp);
	free(o);
}

void vnp_json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		default:
			if (*p < 0x20)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

/* a field without a key inside an object is for the text rendering only */
static bool text_only(const struct vnp_out *o, const char *key)
{
	return !key && o->depth > 0 && o->close[o->depth - 1] == '}';
}

/* separator and key before a JSON value */
static void json_key(struct vnp_out *o, const char *key)
{
	if (o->depth > 0) {
		if (!o->first[o->depth - 1])
			fputc(',', o->fp);
		o->first[o->depth - 1] = false;
	}
	if (key && o->depth > 0 && o->close[o->depth - 1] == '}') {
		vnp_json_string(o->fp, key);
		fputc(':', o->fp);
	}
	o->wrote = true;
}

static void open_container(struct vnp_out *o, const char *key, char open, char close)
{
	if (o->mode != VNP_OUT_JSON || o->depth == MAX_DEPTH)
		return;
	json_key(o, key);
	fputc(open, o->fp);
	o->first[o->depth] = true;
	o->close[o->depth++] = close;
}

static void close_container(struct vnp_out *o)
{
	if (o->mode != VNP_OUT_JSON || o->depth == 0)
		return;
	fputc(o->close[--o->depth], o->fp);
}

void vnp_out_open_object(struct vnp_out *o, const char *key)
{
	open_container(o, key, '{', '}');
}

void vnp_out_close_object(struct vnp_out *o)
{
	close_container(o);
}

void vnp_out_open_array(struct vnp_out *o, const char *key)
{
	open_container(o, key, '[', ']');
}

void vnp_out_close_array(struct vnp_out *o)
{
	close_container(o);
}

void vnp_out_str(struct vnp_out *o, const char *key, const char *fmt, const char *v)
{
	if (o->mode == VNP_OUT_JSON && text_only(o, key))
		return;
	if (o->mode == VNP_OUT_JSON) {
		json_key(o, key);
		if (v)
			vnp_json_string(o->fp, v);
		else
			fputs("null", o->fp);
	} else if (fmt) {
		fprintf(o->fp, fmt, v ? v : "-");
	}
}

void vnp_out_int(struct vnp_out *o, const char *key, const char *fmt, long long v)
{
	if (o->mode == VNP_OUT_JSON && text_only(o, key))
		return;
	if (o->mode == VNP_OUT_JSON) {
		json_key(o, key);
		fprintf(o->fp, "%lld", v);
	} else if (fmt) {
		fprintf(o->fp, fmt, v);
	}
}

void vnp_out_double(struct vnp_out *o, const char *key, const char *fmt, double v)
{
	if (o->mode == VNP_OUT_JSON && text_only(o, key))
		return;
	if (o->mode == VNP_OUT_JSON) {
		char buf[64];

		json_key(o, key);
		if (!isfinite(v)) {
			fputs("null", o->fp);
			return;
		}
		vnp_fmt_double(buf, sizeof(buf), v);
		fputs(buf, o->fp);
	} else if (fmt) {
		if (isnan(v)) {
			/* "-" in the column @fmt would have used */
			const char *pct = strchr(fmt, '%'), *p;
			int width = 0;

			if (!pct) {
				fputs(fmt, o->fp);
				return;
			}
			p = pct + 1;
			if (*p == '-')
				p++;
			width = atoi(p);
			if (pct[1] == '-')
				width = -width;
			p += strcspn(p, "eEfgG");
			fprintf(o->fp, "%.*s%*s%s", (int)(pct - fmt), fmt, width, "-", *p ? p + 1 : "");
			return;
		}
		fprintf(o->fp, fmt, v);
	}
}

void vnp_out_bool(struct vnp_out *o, const char *key, const char *fmt, bool v)
{
	if (o->mode == VNP_OUT_JSON && text_only(o, key))
		return;
	if (o->mode == VNP_OUT_JSON) {
		json_key(o, key);
		fputs(v ? "true" : "false", o->fp);
	} else if (fmt) {
		fprintf(o->fp, fmt, v ? "yes" : "no");
	}
}

void vnp_out_text(struct vnp_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->mode != VNP_OUT_TEXT)
		return;
	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
}

void vnp_out_nl(struct vnp_out *o)
{
	if (o->mode == VNP_OUT_TEXT)
		fputc('\n', o->fp);
}

int vnp_out_err(struct vnp_out *o, int status, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o && o->mode == VNP_OUT_JSON) {
		/* in the stream, wherever it has got to (bpftool's p_err): a field of
		 * the open object, an element of the open array, or one more object
		 * after a finished one */
		if (o->depth > 0 && o->close[o->depth - 1] == '}') {
			vnp_out_str(o, "error", NULL, msg);
		} else {
			if (o->depth == 0 && o->wrote)
				fputc('\n', o->fp);
			vnp_out_open_object(o, NULL);
			vnp_out_str(o, "error", NULL, msg);
			vnp_out_close_object(o);
		}
	} else {
		fflush(o ? o->fp : stdout);
		fprintf(stderr, "vnetprof: %s\n", msg);
	}
	return status;
}

double vnp_out_si(double big, const char **prefix)
{
	static const struct {
		double div;
		const char *prefix;
	} si[] = { { 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" } };

	for (size_t i = 0; i < sizeof(si) / sizeof(si[0]); i++)
		if (fabs(big) >= si[i].div) {
			*prefix = si[i].prefix;
			return si[i].div;
		}
	*prefix = "";
	return 1;
}

const char *vnp_out_lcol(char *buf, size_t size, size_t width, const char *after)
{
	snprintf(buf, size, "%%-%zus%s", width, after);
	return buf;
}

void vnp_out_progress(double t, int64_t bins, double target_bps, bool last, void *arg)
{
	FILE *fp = arg;

	fprintf(fp, "\rvnetprof: recording %6.1f s, %lld bins", t, (long long)bins);
	if (!isnan(target_bps)) {
		const char *prefix;
		double div = vnp_out_si(target_bps * 8, &prefix);

		fprintf(fp, ", target %.3g %sbit/s   ", target_bps * 8 / div, prefix);
	}
	if (last)
		fputc('\n', fp);
}
