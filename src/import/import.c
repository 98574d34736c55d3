// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The importer's front: the table of formats (name, sniff, parse), format
 * names and detection, and the reading of one file by its format. The
 * formats feed the accumulator (accum.c); neither calls back into this file.
 * docs/import.md, "Adding a format", says how a format joins the table.
 */
#include "import-local.h"

#include <stdio.h>
#include <string.h>

/*
 * Every format, in the order detection prefers on equal scores (ftrace text
 * over perf script over perf stat) and --format lists them.
 */
static const struct imp_format formats[] = {
	{ VNP_IMPORT_FTRACE, "ftrace", "ftrace text", sniff_ftrace, imp_ftrace, NULL },
	{ VNP_IMPORT_FUNCTION_GRAPH, "function-graph", "function_graph text",
	  sniff_function_graph, imp_function_graph, NULL },
	{ VNP_IMPORT_TRACE_DAT, "trace-dat", "trace.dat", sniff_trace_dat, imp_trace_dat, NULL },
	{ VNP_IMPORT_PERF_SCRIPT, "perf-script", "perf script", sniff_perf_script,
	  imp_perf_script, NULL },
	{ VNP_IMPORT_PERF_STAT, "perf-stat", "perf stat -x CSV", sniff_perf_stat, imp_perf_stat,
	  NULL },
	{ VNP_IMPORT_IPERF3, "iperf3", "iperf3 JSON", sniff_iperf3, imp_iperf3, NULL },
	/* a .csv that is no trace: the long form, whose reader says what is wrong */
	{ VNP_IMPORT_CSV, "csv", "vnetprof CSV", sniff_csv, imp_csv, ".csv" },
};

const struct imp_format *imp_formats(size_t *n)
{
	*n = ARRAY_SIZE(formats);
	return formats;
}

static const struct imp_format *format_of(enum vnp_import_format f)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].id == f)
			return &formats[i];
	return NULL;
}

int vnp_import_format_parse(const char *s, enum vnp_import_format *f)
{
	char names[256];
	size_t n;

	if (s && !strcmp(s, "auto")) {
		*f = VNP_IMPORT_AUTO;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (s && !strcmp(s, formats[i].name)) {
			*f = formats[i].id;
			return 0;
		}
	n = (size_t)snprintf(names, sizeof(names), "auto");
	for (size_t i = 0; i < ARRAY_SIZE(formats) && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, ", %s", formats[i].name);
	return vnp_fail(-EINVAL, "unknown format '%s'; this build reads: %s", s ? s : "", names);
}

const char *vnp_import_format_str(enum vnp_import_format f)
{
	const struct imp_format *fm = format_of(f);

	if (f == VNP_IMPORT_AUTO)
		return "auto";
	return fm ? fm->name : "unknown";
}

/* ---- detection ---------------------------------------------------------------- */

/* the format whose sniffer scores highest (the first of equals), NULL if none does */
static const struct imp_format *sniff(const char *data, size_t len)
{
	const struct imp_format *best = NULL;
	int top = 0;

	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		int s = formats[i].sniff(data, len);

		if (s > top) {
			top = s;
			best = &formats[i];
		}
	}
	return best;
}

/* the format a file name ends in, for a file that no sniffer recognises */
static const struct imp_format *by_suffix(const char *path)
{
	size_t l = strlen(path);

	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		const char *x = formats[i].suffix;

		if (x && l > strlen(x) && !strcmp(path + l - strlen(x), x))
			return &formats[i];
	}
	return NULL;
}

static int unknown_format(const char *name)
{
	char what[512];
	size_t n = 0;

	what[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(formats) && n < sizeof(what); i++)
		n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%s",
				      !i ? "" : i + 1 < ARRAY_SIZE(formats) ? ", " : " or ",
				      formats[i].what);
	return vnp_fail(-EPROTONOSUPPORT, "%s: unknown format: not %s; give --format if it is "
			"one of them", name, what);
}

int vnp_import_detect_mem(const void *data, size_t len, enum vnp_import_format *f)
{
	const struct imp_format *fm = NULL;
	struct lreader lr;
	const char *p;
	size_t n;
	int err = lr_open_mem(&lr, "<memory>", data, len);

	if (!err)
		err = lr_peek(&lr, &p, &n);
	if (!err && !(fm = sniff(p, n)))
		err = unknown_format("<memory>");
	if (!err)
		*f = fm->id;
	lr_close(&lr);
	return err;
}

int vnp_import_detect(const char *path, enum vnp_import_format *f)
{
	const struct imp_format *fm = NULL;
	struct lreader lr;
	const char *p;
	size_t n;
	int err;

	if (!strcmp(path, "-"))
		return vnp_fail(-EINVAL, "standard input: give --format to read it");
	err = lr_open(&lr, path);
	if (!err)
		err = lr_peek(&lr, &p, &n);
	if (!err && !n)
		err = vnp_fail(-ENODATA, "%s: empty file", path);
	if (!err && !(fm = sniff(p, n)) && !(fm = by_suffix(path)))
		err = unknown_format(path);
	if (!err)
		*f = fm->id;
	lr_close(&lr);
	return err;
}

/* ---- reading files ------------------------------------------------------------ */

static int add_reader(struct vnp_importer *im, struct lreader *lr, const char *path,
		      enum vnp_import_format fmt)
{
	const struct imp_format *fm;
	int err;

	imp_note_file(im, lr->name);
	if (fmt == VNP_IMPORT_AUTO) {
		const char *p;
		size_t n;

		err = lr_peek(lr, &p, &n);
		if (err)
			return err;
		if (!n)
			return vnp_fail(-ENODATA, "%s: empty file", lr->name);
		fm = sniff(p, n);
		if (!fm)
			return unknown_format(lr->name);
	} else {
		fm = format_of(fmt);
		if (!fm)
			return vnp_fail(-EINVAL, "%s: unknown format", lr->name);
	}
	err = fm->parse(im, lr, path);
	if (!err)
		im->bytes += lr->raw_bytes;
	return err;
}

int vnp_importer_add_file(struct vnp_importer *im, const char *path, enum vnp_import_format fmt)
{
	struct lreader lr;
	int err;

	vnp_errmsg_clear();
	err = lr_open(&lr, path);
	if (err)
		return err;
	err = add_reader(im, &lr, strcmp(path, "-") ? path : NULL, fmt);
	lr_close(&lr);
	return err;
}

int vnp_importer_add_mem(struct vnp_importer *im, const char *name, const void *data, size_t len,
			 enum vnp_import_format fmt)
{
	struct lreader lr;
	int err;

	vnp_errmsg_clear();
	err = lr_open_mem(&lr, name, data, len);
	if (err)
		return err;
	err = add_reader(im, &lr, NULL, fmt);
	lr_close(&lr);
	return err;
}
