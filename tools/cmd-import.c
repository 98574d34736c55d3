// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnetprof import: turn traces that other tools recorded (ftrace text,
 * function_graph, trace.dat, perf script, perf stat, iperf3 JSON) or the
 * long CSV form of export into runs of a store. docs/import.md.
 */
#include "vnetprof-tool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
	"Usage: vnetprof import [--format FMT] FILE... [-o DB] [--run NAME | --into RUN]\n"
	"                       [--offset SECONDS] [--bin D] [--by FIELD]... [--label K=V]...\n"
	"\n"
	"Read traces that other tools wrote into one run of a store (default\n"
	"./" DEFAULT_DB ", created if missing). Files may be gzip-compressed; \"-\" is\n"
	"standard input (give --format). Nothing is written unless every file reads;\n"
	"runs already in the store are never damaged.\n"
	"\n"
	"  -f, --format FMT   auto (default: from the content), ftrace (text of\n"
	"                     tracefs 'trace' or 'trace-cmd report'), function-graph\n"
	"                     (with funcgraph-abstime), trace-dat, perf-script,\n"
	"                     perf-stat (perf stat -x, -I, also -A), iperf3 (-J,\n"
	"                     server or client), csv (vnetprof export's long form)\n"
	"  -o, --output DB    the store to write\n"
	"  -r, --run NAME     name of the new run (default: the first file's name)\n"
	"  -i, --into RUN     add the series to an existing run instead, on its bins\n"
	"      --offset S     seconds added to every timestamp of the files (the run's\n"
	"                     time at the file's zero, e.g. when iperf3 started)\n"
	"  -b, --bin D        bin width (default 100ms); with --into, the run's\n"
	"  -B, --by FIELD     one series per value of FIELD: task (comm-pid), comm, pid,\n"
	"                     cpu, parent (the calling function), module, or an event\n"
	"                     field such as dev (repeatable)\n"
	"  -l, --label K=V    add a label to the new run (repeatable)\n"
	"  -j, --json         JSON output\n"
	"  -h, --help         this text\n"
	"\n"
	"Bin k covers [origin + k*bin, origin + (k+1)*bin) where the origin is the\n"
	"first timestamp rounded down to a multiple of the bin, in the file's own\n"
	"clock, so that traces from one host line up. Lines that cannot be read are\n"
	"warnings with their file:line; lost events become trace_lost_events.\n"
	"\n"
	"Examples:\n"
	"  vnetprof import trace.txt.gz --by dev -o lab.db --run staged\n"
	"  vnetprof import iperf3-server.json -o lab.db --into staged --offset 1101.0\n"
	"  vnetprof import function-tracer.txt --by task --run vhost\n"
	"  vnetprof export --format csv > runs.csv && vnetprof import runs.csv -o copy.db\n";

/* "staged/ftrace-events.txt.gz" -> "ftrace-events" */
static void default_name(const char *file, char *buf, size_t size)
{
	const char *b = strrchr(file, '/');
	char *dot;

	snprintf(buf, size, "%s", b ? b + 1 : file);
	for (int i = 0; i < 3; i++) {
		dot = strrchr(buf, '.');
		if (!dot || dot == buf)
			break;
		if (strcmp(dot, ".gz") && strcmp(dot, ".txt") && strcmp(dot, ".json") &&
		    strcmp(dot, ".dat") && strcmp(dot, ".csv") && strcmp(dot, ".log") &&
		    strcmp(dot, ".trace"))
			break;
		*dot = '\0';
	}
	if (!*buf || !strcmp(file, "-"))
		snprintf(buf, size, "import");
}

static int parse_offset(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (end == s || errno || !isfinite(*v))
		return -EINVAL;
	if (!strcmp(end, "ms"))
		*v /= 1e3;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	return 0;
}

/* 0 if @st has no run named @name, else the exit status after saying so */
static int name_taken(struct vnp_out *o, struct vnp_store *st, const char *db, const char *name,
		      bool into_ok)
{
	struct vnp_run_info have;

	if (vnp_store_find(st, name, &have))
		return EXIT_OK;
	vnp_run_info_clear(&have);
	return vnp_out_err(o, EXIT_FAIL, "a run named '%s' already exists in %s; choose another "
			   "name with --run%s", name, db, into_ok ? ", or add to it with --into" : "");
}

static void print_warnings(struct vnp_out *o, const struct vnp_importer *im);

/* one run imported: its name, id, size; with @im (traces) its clock, events, warnings */
static void print_run(struct vnp_out *o, const struct vnp_run *run, bool into,
		      const struct vnp_importer *im)
{
	const struct vnp_run_info *r = vnp_run_info(run);
	char origin[64];

	vnp_out_open_object(o, NULL);
	vnp_out_text(o, into ? "added to " : "imported ");
	vnp_out_str(o, "name", "%s", r->name);
	if (!into)
		vnp_out_int(o, "id", " (id %lld)", (long long)r->id);
	vnp_out_int(o, "series", ": %lld series, ", (long long)vnp_run_nseries(run));
	vnp_out_int(o, "bins", "%lld bins of ", (long long)vnp_run_nbins(run));
	vnp_out_double(o, "bin_s", "%g s", r->bin_s);
	if (im) {
		vnp_fmt_seconds(origin, sizeof(origin), r->origin);
		vnp_out_double(o, "origin", NULL, r->origin);
		vnp_out_text(o, " from %s", origin);
		vnp_out_str(o, "clock", " (%s clock), ", r->origin_clock);
		vnp_out_int(o, "events", "%lld events", (long long)vnp_importer_nevents(im));
		vnp_out_text(o, vnp_importer_nwarnings(im) ? ", %llu warnings\n" : "\n",
			     (unsigned long long)vnp_importer_nwarnings(im));
		print_warnings(o, im);
	} else {
		vnp_out_text(o, "\n");
	}
	vnp_out_close_object(o);
}

/* the runs that vnetprof CSV files hold, each stored as it is */
static int import_csv(struct vnp_out *o, char **files, const enum vnp_import_format *fmts,
		      int nfiles, const char *db, const char *name, struct vnp_run_info *labels,
		      const char *cmdline)
{
	struct vnp_importer *im = vnp_importer_new(NULL);
	struct vnp_run **runs = NULL;
	struct vnp_store *st = NULL;
	size_t nruns = 0;
	int err, ret = EXIT_OK;

	if (!im)
		return vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
	for (int f = 0; f < nfiles; f++) {
		err = vnp_importer_add_file(im, files[f], fmts[f]);
		if (err) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
			goto out;
		}
	}
	nruns = vnp_importer_take_runs(im, &runs);
	if (name && nruns != 1) {
		ret = vnp_out_err(o, EXIT_FAIL, "the files hold %zu runs; --run names one run",
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

		if (name) {
			free(ri->name);
			ri->name = strdup(name);
		}
		free(ri->cmdline);
		ri->cmdline = strdup(cmdline);
		for (size_t l = 0; l < labels->nlabels; l++)
			vnp_run_info_add_label(ri, labels->labels[l].key, labels->labels[l].value);
		ret = name_taken(o, st, db, ri->name, false);
		if (ret)
			goto out;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(vnp_run_info(runs[j])->name, ri->name)) {
				ret = vnp_out_err(o, EXIT_FAIL, "two runs named '%s' in the files",
						  ri->name);
				goto out;
			}
	}
	vnp_out_open_array(o, NULL);
	for (size_t i = 0; i < nruns; i++) {
		err = vnp_store_save(st, runs[i]);
		if (err) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
			break;
		}
		print_run(o, runs[i], false, NULL);
	}
	vnp_out_close_array(o);
out:
	for (size_t i = 0; i < nruns; i++)
		vnp_run_free(runs[i]);
	free(runs);
	vnp_importer_free(im);
	vnp_store_close(st);
	return ret;
}

static void print_warnings(struct vnp_out *o, const struct vnp_importer *im)
{
	uint64_t n = vnp_importer_nwarnings(im);
	size_t shown = 0;
	const char *w;

	if (vnp_out_is_json(o)) {
		vnp_out_int(o, "warnings", NULL, (long long)n);
		vnp_out_open_array(o, "warning_lines");
		for (size_t i = 0; (w = vnp_importer_warning(im, i)); i++)
			vnp_out_str(o, NULL, NULL, w);
		vnp_out_close_array(o);
		return;
	}
	for (size_t i = 0; (w = vnp_importer_warning(im, i)); i++, shown++)
		fprintf(stderr, "vnetprof: warning: %s\n", w);
	if (n > shown)
		fprintf(stderr, "vnetprof: warning: %llu more warnings not shown\n",
			(unsigned long long)(n - shown));
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "run", required_argument, NULL, 'r' },
		{ "into", required_argument, NULL, 'i' },
		{ "offset", required_argument, NULL, 'O' },
		{ "bin", required_argument, NULL, 'b' },
		{ "by", required_argument, NULL, 'B' },
		{ "label", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":f:o:r:i:b:B:l:jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	const char *db = DEFAULT_DB, *format = "auto", *name = NULL, *into = NULL;
	const char *by[8];
	struct vnp_import_opts io = { 0 };
	struct vnp_run_info labels = { 0 }, target = { 0 }, ri = { 0 };
	enum vnp_import_format fmt, *fmts = NULL;
	struct vnp_importer *im = NULL;
	struct vnp_store *st = NULL;
	struct vnp_run *run = NULL;
	char cmdline[2048], defname[256];
	bool have_bin = false, have_offset = false;
	size_t nby = 0;
	int c, err, nfiles, ncsv = 0, ret = EXIT_OK;

	/* before getopt_long() permutes argv */
	command_line(argc, argv, cmdline, sizeof(cmdline));
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
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
		case 'i':
			into = optarg;
			break;
		case 'O':
			if (parse_offset(optarg, &io.offset_s)) {
				ret = usage_error(o, "import", "--offset '%s' is not a number of "
						  "seconds", optarg);
				goto out;
			}
			have_offset = true;
			break;
		case 'b':
			if (vnp_parse_duration(optarg, &io.bin_s)) {
				ret = usage_error(o, "import", "--bin: %s", vnp_errmsg());
				goto out;
			}
			have_bin = true;
			break;
		case 'B':
			if (nby == sizeof(by) / sizeof(by[0])) {
				ret = usage_error(o, "import", "too many --by");
				goto out;
			}
			by[nby++] = optarg;
			break;
		case 'l':
			if (parse_label(&labels, optarg)) {
				ret = usage_error(o, "import", "label '%s' is not KEY=VALUE",
						  optarg);
				goto out;
			}
			break;
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			vnp_run_info_clear(&labels);
			return print_help(help);
		default: /* ':' or an unknown option */
			ret = option_error(o, "import", c, argv);
			goto out;
		}
	}
	nfiles = argc - optind;
	if (nfiles < 1) {
		ret = usage_error(o, "import", "no FILE given");
		goto out;
	}
	if (vnp_import_format_parse(format, &fmt)) {
		ret = usage_error(o, "import", "%s", vnp_errmsg());
		goto out;
	}
	if (name && into) {
		ret = usage_error(o, "import", "--run names a new run, --into an existing one; "
				  "give one of them");
		goto out;
	}
	if (into && labels.nlabels) {
		ret = usage_error(o, "import", "--label labels a new run; --into only adds "
				  "series to one");
		goto out;
	}
	/* every file's format first: a CSV holds whole runs and goes its own way */
	fmts = calloc(nfiles, sizeof(*fmts));
	if (!fmts) {
		ret = vnp_out_err(o, EXIT_FAIL, "out of memory");
		goto out;
	}
	for (int f = 0; f < nfiles; f++) {
		const char *file = argv[optind + f];

		fmts[f] = fmt;
		if (fmt == VNP_IMPORT_AUTO) {
			if (!strcmp(file, "-")) {
				ret = usage_error(o, "import", "standard input needs --format");
				goto out;
			}
			err = vnp_import_detect(file, &fmts[f]);
			if (err) {
				ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
				goto out;
			}
		}
		ncsv += fmts[f] == VNP_IMPORT_CSV;
	}
	if (ncsv) {
		if (ncsv != nfiles) {
			ret = usage_error(o, "import", "vnetprof CSV files hold whole runs: import "
					  "them apart from traces");
			goto out;
		}
		if (into || have_offset || have_bin || nby) {
			ret = usage_error(o, "import", "--into, --offset, --bin and --by do not "
					  "apply to vnetprof CSV");
			goto out;
		}
		ret = import_csv(o, argv + optind, fmts, nfiles, db, name, &labels, cmdline);
		goto out;
	}

	if (into) {
		st = vnp_store_open(db, 0);
		if (!st) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
			goto out;
		}
		err = vnp_store_find(st, into, &target);
		if (err) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
			goto out;
		}
		if (have_bin && fabs(io.bin_s - target.bin_s) > 1e-9 * target.bin_s) {
			ret = usage_error(o, "import", "--bin %g s differs from run '%s''s bin of "
					  "%g s; leave --bin out with --into", io.bin_s, into,
					  target.bin_s);
			goto out;
		}
		io.bin_s = target.bin_s;
		io.into = true;
		io.into_origin = target.origin;
		io.into_clock = target.origin_clock;
	} else {
		default_name(argv[optind], defname, sizeof(defname));
		if (!name)
			name = defname;
		if (!access(db, F_OK)) {
			/* fail before reading a large file when the name is taken */
			st = vnp_store_open(db, 0);
			if (!st) {
				ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
				goto out;
			}
			ret = name_taken(o, st, db, name, true);
			if (ret)
				goto out;
		}
	}
	io.by = by;
	io.nby = nby;
	im = vnp_importer_new(&io);
	if (!im) {
		ret = errno == EINVAL ? usage_error(o, "import", "%s", vnp_errmsg())
				      : vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
		goto out;
	}
	for (int f = 0; f < nfiles; f++) {
		err = vnp_importer_add_file(im, argv[optind + f], fmts[f]);
		if (err) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
			goto out;
		}
	}
	ri.name = into ? target.name : (char *)name;
	ri.cmdline = cmdline;
	ri.labels = labels.labels;
	ri.nlabels = labels.nlabels;
	err = vnp_importer_finish(im, &ri, &run);
	if (err) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
		goto out;
	}
	if (!st) {
		st = vnp_store_open(db, VNP_STORE_CREATE);
		if (!st) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(errno));
			goto out;
		}
	}
	err = into ? vnp_store_merge_run(st, into, run) : vnp_store_save(st, run);
	if (err) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
		goto out;
	}
	/* an array of runs, as for the CSV form */
	vnp_out_open_array(o, NULL);
	print_run(o, run, into != NULL, im);
	vnp_out_close_array(o);
out:
	vnp_run_free(run);
	vnp_importer_free(im);
	vnp_store_close(st);
	vnp_run_info_clear(&target);
	vnp_run_info_clear(&labels);
	free(fmts);
	vnp_out_free(o);
	return ret;
}
