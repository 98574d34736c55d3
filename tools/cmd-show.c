// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof show: one run's metadata and a line per series. */
#include "vnetprof-tool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
	"Usage: vnetprof show [DB] [--run R] [--json]\n"
	"\n"
	"Summarise one run (default: the latest) of a store (default ./" DEFAULT_DB "):\n"
	"its metadata, how many bins are flagged (incomplete, late, partial), and per\n"
	"series its kind, unit, role, backend, bins with a value, total (counters),\n"
	"mean per bin, minimum and maximum.\n"
	"\n"
	"  -r, --run R    run name or id\n"
	"  -j, --json     JSON output\n"
	"  -h, --help     this text\n";

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":r:jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	const char *db = DEFAULT_DB, *sel = NULL;
	struct vnp_store *st = NULL;
	struct vnp_run *run = NULL;
	const struct vnp_run_info *ri;
	int64_t flagged[3] = { 0 }, nbins = 0;
	size_t wname = strlen("SERIES");
	char fname[32];
	int c, ret = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			sel = optarg;
			break;
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			return print_help(help);
		default: /* ':' or an unknown option */
			ret = option_error(o, "show", c, argv);
			goto out;
		}
	}
	ret = take_db(o, "show", argc, argv, &db);
	if (ret)
		goto out;
	st = vnp_store_open(db, VNP_STORE_RDONLY);
	run = st ? vnp_store_load(st, sel) : NULL;
	if (!run) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
		goto out;
	}
	ri = vnp_run_info(run);
	for (int64_t k = 0; k < vnp_run_nbins(run); k++) {
		unsigned f = vnp_run_bin_flags(run, k);

		if (!vnp_run_bin_present(run, k))
			continue;
		nbins++;
		for (int b = 0; b < 3; b++)
			flagged[b] += !!(f & (1u << b));
	}
	vnp_out_open_object(o, NULL);
	vnp_out_str(o, "name", "run %s", ri->name);
	vnp_out_int(o, "id", " (id %lld)", (long long)ri->id);
	vnp_out_str(o, "status", ", %s\n", vnp_run_status_str(ri->status));
	vnp_out_str(o, "host", "  host %s", ri->host);
	vnp_out_str(o, "kernel", ", kernel %s", ri->kernel);
	vnp_out_int(o, "ncpus", ", %lld CPUs\n", ri->ncpus);
	vnp_out_int(o, "bins", "  %lld bins", (long long)nbins);
	vnp_out_double(o, "bin_s", " of %g s", ri->bin_s);
	vnp_out_str(o, "origin_clock", " on %s", ri->origin_clock);
	vnp_out_double(o, "origin", NULL, ri->origin);
	vnp_out_double(o, "start_wall", NULL, ri->start_wall);
	vnp_out_int(o, "bins_incomplete", "; flagged: %lld incomplete", (long long)flagged[0]);
	vnp_out_int(o, "bins_late", ", %lld late", (long long)flagged[1]);
	vnp_out_int(o, "bins_partial", ", %lld partial\n", (long long)flagged[2]);
	vnp_out_str(o, "cmdline", "  command: %s\n", ri->cmdline);
	vnp_out_text(o, "  labels: ");
	print_labels(o, ri);
	vnp_out_nl(o);
	for (size_t s = 0; s < vnp_run_nseries(run); s++)
		if (strlen(vnp_run_series(run, s)->name) > wname)
			wname = strlen(vnp_run_series(run, s)->name);
	vnp_out_lcol(fname, sizeof(fname), wname, " ");
	vnp_out_text(o, "\n");
	vnp_out_text(o, fname, "SERIES");
	vnp_out_text(o, "%-7s %-9s %-9s %6s %14s %12s %12s %12s\n", "KIND", "UNIT", "ROLE", "BINS",
		     "TOTAL", "MEAN/BIN", "MIN", "MAX");
	vnp_out_open_array(o, "series");
	for (size_t s = 0; s < vnp_run_nseries(run); s++) {
		const struct vnp_series_info *si = vnp_run_series(run, s);
		double sum = 0, lo = INFINITY, hi = -INFINITY;
		int64_t n = 0;

		for (int64_t k = 0; k < vnp_run_nbins(run); k++) {
			double v = vnp_run_get(run, s, k);

			if (isnan(v))
				continue;
			n++;
			sum += v;
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
		vnp_out_open_object(o, NULL);
		vnp_out_str(o, "name", fname, si->name);
		vnp_out_str(o, "kind", "%-7s ", vnp_kind_str(si->kind));
		vnp_out_str(o, "unit", "%-9s ", si->unit);
		vnp_out_str(o, "role", "%-9s ", vnp_role_str(si->role));
		vnp_out_str(o, "backend", NULL, si->backend);
		vnp_out_int(o, "bins", "%6lld ", (long long)n);
		vnp_out_double(o, "total", "%14.6g ", si->kind == VNP_COUNTER && n ? sum : NAN);
		vnp_out_double(o, "mean", "%12.6g ", n ? sum / n : NAN);
		vnp_out_double(o, "min", "%12.6g ", n ? lo : NAN);
		vnp_out_double(o, "max", "%12.6g\n", n ? hi : NAN);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
	vnp_out_close_object(o);
out:
	vnp_run_free(run);
	vnp_store_close(st);
	vnp_out_free(o);
	return ret;
}
