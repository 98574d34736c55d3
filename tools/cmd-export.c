// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof export: a run as the long CSV form or as JSON. */
#include "vnetprof-tool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"Usage: vnetprof export [DB] [--run R] --format csv|json\n"
	"\n"
	"Write runs from a store (default ./" DEFAULT_DB ") to standard output.\n"
	"\n"
	"  -r, --run R        one run, by name or id (default: every run)\n"
	"  -f, --format FMT   csv: the long form run,series,t_start,t_end,value, one\n"
	"                     row per series per bin, seconds from the run's origin,\n"
	"                     an empty value where a series has none;\n"
	"                     json: metadata, bins (end time and flags) and values\n"
	"  -h, --help         this text\n"
	"\n"
	"'vnetprof import --format csv' reads the CSV back; export, import and\n"
	"export again gives the same bytes.\n"
	"\n"
	"Examples:\n"
	"  vnetprof export --format csv > runs.csv\n"
	"  vnetprof export lab.db --run staged-1 --format json | jq .runs[0].series[].name\n";

/* one run, an element of the "runs" array of @o (JSON) */
static void json_run(struct vnp_out *o, const struct vnp_run *run)
{
	const struct vnp_run_info *ri = vnp_run_info(run);

	vnp_out_open_object(o, NULL);
	vnp_out_int(o, "id", NULL, (long long)ri->id);
	vnp_out_str(o, "name", NULL, ri->name);
	vnp_out_str(o, "status", NULL, vnp_run_status_str(ri->status));
	vnp_out_str(o, "host", NULL, ri->host);
	vnp_out_str(o, "kernel", NULL, ri->kernel);
	vnp_out_int(o, "ncpus", NULL, ri->ncpus);
	vnp_out_double(o, "start_wall", NULL, ri->start_wall);
	vnp_out_double(o, "origin", NULL, ri->origin);
	vnp_out_str(o, "origin_clock", NULL, ri->origin_clock);
	vnp_out_double(o, "bin_s", NULL, ri->bin_s);
	vnp_out_str(o, "cmdline", NULL, ri->cmdline);
	print_labels(o, ri);
	vnp_out_open_array(o, "bins");
	for (int64_t k = 0; k < vnp_run_nbins(run); k++) {
		if (!vnp_run_bin_present(run, k))
			continue;
		vnp_out_open_object(o, NULL);
		vnp_out_int(o, "k", NULL, (long long)k);
		vnp_out_double(o, "t_end", NULL, vnp_run_bin_end(run, k));
		vnp_out_int(o, "flags", NULL, vnp_run_bin_flags(run, k));
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
	vnp_out_open_array(o, "series");
	for (size_t s = 0; s < vnp_run_nseries(run); s++) {
		const struct vnp_series_info *si = vnp_run_series(run, s);

		vnp_out_open_object(o, NULL);
		vnp_out_str(o, "name", NULL, si->name);
		vnp_out_str(o, "kind", NULL, vnp_kind_str(si->kind));
		vnp_out_str(o, "unit", NULL, si->unit);
		vnp_out_str(o, "role", NULL, vnp_role_str(si->role));
		vnp_out_str(o, "backend", NULL, si->backend);
		vnp_out_open_array(o, "values");
		for (int64_t k = 0; k < vnp_run_nbins(run); k++) {
			if (!vnp_run_bin_present(run, k))
				continue;
			vnp_out_double(o, NULL, NULL, vnp_run_get(run, s, k));
		}
		vnp_out_close_array(o);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
	vnp_out_close_object(o);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":r:f:jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	const char *db = DEFAULT_DB, *sel = NULL, *format = NULL;
	struct vnp_out *jo = NULL; /* --format json */
	struct vnp_run_info *infos = NULL;
	struct vnp_store *st = NULL;
	size_t n = 0;
	int c, err, ret = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			sel = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'j':
			format = "json";
			break;
		case 'h':
			vnp_out_free(o);
			return print_help(help);
		default: /* ':' or an unknown option */
			ret = option_error(o, "export", c, argv);
			goto out;
		}
	}
	ret = take_db(o, "export", argc, argv, &db);
	if (ret)
		goto out;
	if (!format || (strcmp(format, "csv") && strcmp(format, "json"))) {
		ret = usage_error(o, "export", "give --format csv or --format json");
		goto out;
	}
	st = vnp_store_open(db, VNP_STORE_RDONLY);
	if (!st) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
		goto out;
	}
	if (sel) {
		infos = calloc(1, sizeof(*infos));
		err = infos ? vnp_store_find(st, sel, infos) : -ENOMEM;
		n = err ? 0 : 1;
	} else {
		err = vnp_store_runs(st, &infos, &n);
	}
	if (err) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
		goto out;
	}
	/* JSON through the output layer, errors too: {"runs": [run, ..., {"error": ...}]} */
	if (!strcmp(format, "json")) {
		jo = vnp_out_new(VNP_OUT_JSON, stdout);
		if (!jo) {
			ret = vnp_out_err(o, EXIT_FAIL, "out of memory");
			goto out;
		}
		vnp_out_open_object(jo, NULL);
		vnp_out_open_array(jo, "runs");
	}
	for (size_t i = 0; i < n; i++) {
		char id[32];
		struct vnp_run *run;

		snprintf(id, sizeof(id), "%lld", (long long)infos[i].id);
		run = vnp_store_load(st, id);
		if (!run) {
			ret = vnp_out_err(jo, EXIT_FAIL, "%s", lib_err(errno));
			break;
		}
		if (jo)
			json_run(jo, run);
		else
			err = vnp_csv_write_run(stdout, run, i == 0);
		vnp_run_free(run);
		if (err) {
			ret = vnp_out_err(NULL, EXIT_FAIL, "writing: %s", strerror(-err));
			break;
		}
	}
	vnp_out_free(jo); /* closes the array and the object */
	jo = NULL;
	if (fflush(stdout) || ferror(stdout))
		ret = vnp_out_err(NULL, EXIT_FAIL, "writing the output: %s", strerror(errno));
out:
	vnp_out_free(jo);
	vnp_run_infos_free(infos, n);
	vnp_store_close(st);
	vnp_out_free(o);
	return ret;
}
