// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof runs: list the runs in a store. */
#include "vnetprof-tool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char help[] =
	"Usage: vnetprof runs [DB] [--json]\n"
	"\n"
	"List the runs in a store (default ./" DEFAULT_DB "), oldest first: id, name,\n"
	"status (recording, complete, interrupted), bins, bin width, series, start\n"
	"time and labels.\n"
	"\n"
	"  -j, --json   JSON output\n"
	"  -h, --help   this text\n"
	"\n"
	"Examples:\n"
	"  vnetprof runs\n"
	"  vnetprof runs lab.db --json\n";

static void fmt_time(double t, char *buf, size_t size)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&s, &tm))
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

int cmd_runs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	const char *db = DEFAULT_DB;
	struct vnp_run_info *runs = NULL;
	struct vnp_store *st;
	size_t n = 0, wname = strlen("NAME");
	char fname[32];
	int c, err, ret = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			return print_help(help);
		default:
			ret = usage_error(o, "runs", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	ret = take_db(o, "runs", argc, argv, &db);
	if (ret)
		goto out;
	st = vnp_store_open(db, VNP_STORE_RDONLY);
	if (!st) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
		goto out;
	}
	err = vnp_store_runs(st, &runs, &n);
	vnp_store_close(st);
	if (err) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(runs[i].name) > wname)
			wname = strlen(runs[i].name);
	vnp_out_lcol(fname, sizeof(fname), wname, " ");
	vnp_out_open_array(o, NULL);
	vnp_out_text(o, "%4s  ", "ID");
	vnp_out_text(o, fname, "NAME");
	vnp_out_text(o, "%-11s %7s %8s %6s  %-19s  %s\n", "STATUS", "BINS", "BIN_S", "SERIES",
		     "START", "LABELS");
	for (size_t i = 0; i < n; i++) {
		const struct vnp_run_info *ri = &runs[i];
		char when[32];

		fmt_time(ri->start_wall, when, sizeof(when));
		vnp_out_open_object(o, NULL);
		vnp_out_int(o, "id", "%4lld  ", (long long)ri->id);
		vnp_out_str(o, "name", fname, ri->name);
		vnp_out_str(o, "status", "%-11s ", vnp_run_status_str(ri->status));
		vnp_out_int(o, "bins", "%7lld ", (long long)ri->nbins);
		vnp_out_double(o, "bin_s", "%8g ", ri->bin_s);
		vnp_out_int(o, "series", "%6lld  ", (long long)ri->nseries);
		vnp_out_str(o, "start", "%-19s  ", when);
		vnp_out_double(o, "start_wall", NULL, ri->start_wall);
		vnp_out_str(o, "host", NULL, ri->host);
		vnp_out_str(o, "kernel", NULL, ri->kernel);
		vnp_out_int(o, "ncpus", NULL, ri->ncpus);
		vnp_out_str(o, "origin_clock", NULL, ri->origin_clock);
		vnp_out_str(o, "cmdline", NULL, ri->cmdline);
		print_labels(o, ri);
		vnp_out_nl(o);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
	vnp_run_infos_free(runs, n);
out:
	vnp_out_free(o);
	return ret;
}
