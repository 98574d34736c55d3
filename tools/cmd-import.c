// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof import: read runs written by other tools (or by export) into a store. */
#include "vnetprof-tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"Usage: vnetprof import [--format auto|csv] FILE [-o DB] [--run NAME] [--label K=V]...\n"
	"\n"
	"Read runs from FILE (\"-\" for standard input) into a store (default\n"
	"./" DEFAULT_DB ", created if missing). Nothing is written unless the whole\n"
	"file reads cleanly; runs already in the store are never changed.\n"
	"\n"
	"  -f, --format FMT   csv: the long form that 'vnetprof export --format csv'\n"
	"                     writes (run,series,t_start,t_end,value); auto (default)\n"
	"                     recognises it by its header\n"
	"  -o, --output DB    the store to write\n"
	"  -r, --run NAME     name of the imported run (the file must hold one run)\n"
	"  -l, --label K=V    add a label to every imported run (repeatable)\n"
	"  -j, --json         JSON output\n"
	"  -h, --help         this text\n"
	"\n"
	"Examples:\n"
	"  vnetprof export --format csv > runs.csv && vnetprof import runs.csv -o copy.db\n";

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "run", required_argument, NULL, 'r' },
		{ "label", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vnp_out *o = vnp_out_new(wants_json(argc, argv) ? VNP_OUT_JSON : VNP_OUT_TEXT, stdout);
	const char *db = DEFAULT_DB, *format = "auto", *name = NULL, *file;
	struct vnp_run_info labels = { 0 };
	struct vnp_run **runs = NULL;
	struct vnp_store *st = NULL;
	size_t nruns = 0;
	int c, err, ret = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:r:l:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			db = optarg;
			break;
		case 'r':
			name = optarg;
			break;
		case 'l':
			if (parse_label(&labels, optarg)) {
				ret = usage_error(o, "import", "label '%s' is not KEY=VALUE", optarg);
				goto out;
			}
			break;
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			vnp_run_info_clear(&labels);
			return print_help(help);
		case ':':
			ret = usage_error(o, "import", "'%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			ret = usage_error(o, "import", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc - 1) {
		ret = usage_error(o, "import", optind < argc ? "give one FILE" : "no FILE given");
		goto out;
	}
	file = argv[optind];
	if (strcmp(format, "auto") && strcmp(format, "csv")) {
		ret = usage_error(o, "import", "unknown format '%s'; this build reads: csv", format);
		goto out;
	}
	err = vnp_csv_read(file, &runs, &nruns);
	if (err) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
		goto out;
	}
	if (name && nruns != 1) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s holds %zu runs; --run names one run", file,
				  nruns);
		goto out;
	}
	st = vnp_store_open(db, VNP_STORE_CREATE);
	if (!st) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
		goto out;
	}
	/* check every name first, so that a clash stores nothing */
	for (size_t i = 0; i < nruns; i++) {
		struct vnp_run_info *ri = vnp_run_info_mut(runs[i]);
		struct vnp_run_info have;
		char cmdline[512];

		if (name) {
			free(ri->name);
			ri->name = strdup(name);
		}
		snprintf(cmdline, sizeof(cmdline), "vnetprof import --format csv %s", file);
		ri->cmdline = strdup(cmdline);
		for (size_t l = 0; l < labels.nlabels; l++)
			vnp_run_info_add_label(ri, labels.labels[l].key, labels.labels[l].value);
		if (!vnp_store_find(st, ri->name, &have)) {
			vnp_run_info_clear(&have);
			ret = vnp_out_err(o, EXIT_FAIL, "a run named '%s' already exists in %s; "
					  "import it under another name with --run", ri->name, db);
			goto out;
		}
	}
	vnp_out_open_array(o, NULL);
	for (size_t i = 0; i < nruns; i++) {
		const struct vnp_run_info *ri = vnp_run_info(runs[i]);

		err = vnp_store_save(st, runs[i]);
		if (err) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
			break;
		}
		vnp_out_open_object(o, NULL);
		vnp_out_text(o, "imported ");
		vnp_out_str(o, "name", "%s", ri->name);
		vnp_out_int(o, "id", " (id %lld): ", (long long)ri->id);
		vnp_out_int(o, "series", "%lld series, ", (long long)vnp_run_nseries(runs[i]));
		vnp_out_int(o, "bins", "%lld bins of ", (long long)vnp_run_nbins(runs[i]));
		vnp_out_double(o, "bin_s", "%g s\n", ri->bin_s);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
out:
	for (size_t i = 0; i < nruns; i++)
		vnp_run_free(runs[i]);
	free(runs);
	vnp_store_close(st);
	vnp_run_info_clear(&labels);
	vnp_out_free(o);
	return ret;
}
