// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof experiment patterns|staged: the paper's experiments, recorded. */
#include "testbed/experiment.h"
#include "vnetprof-tool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
	"Usage: vnetprof experiment patterns [--patterns A,B,C,D,E,F] [--duration D] [OPTIONS]\n"
	"       vnetprof experiment staged [--duration D] [--step D] [OPTIONS]\n"
	"\n"
	"Run the paper's experiments on the emulated testbed and record each run into\n"
	"the store. patterns: Table 2 (A: 2 sending VMs, B: 4, C: 8; D, E, F: 2\n"
	"sending and 2, 4, 6 VMs loaded with `yes`), one run each, labelled\n"
	"experiment=patterns pattern=B comm=4 load=0. staged: VM1 sends for the whole\n"
	"run; at every step one more VM starts its load; one run labelled\n"
	"experiment=staged with the step times. Each run holds the emulated host's\n"
	"indicators (tracepoint counts per device, CPU time, run-queue delay), the\n"
	"NIC's throughput as the target, and every sender's receiver-side iperf3\n"
	"throughput as iperf3_bits{vm=...,side=\"receiver\"}.\n"
	"\n"
	"  --patterns LIST     patterns to run (default A,B,C,D,E,F)\n"
	"  --repeat N          run every pattern N times, round the list again and again\n"
	"                      (runs P-pattern-B-r2, label repeat=2), and give each\n"
	"                      pattern's median over the repetitions (1 to 10)\n"
	"  -d, --duration D    per pattern (default 60s, --quick 10s); staged: the whole\n"
	"                      run (default 200s, --quick 80s)\n"
	"  --step D            staged: time between load steps (default 25s, --quick 10s)\n"
	"  --quick             a demo of at most two minutes\n"
	"  -i, --interval D    bin width of the recording (default 100ms)\n"
	"  --load-procs N      yes processes per loaded VM (default 2, one per vCPU)\n"
	"  --vms N, --switch bridge|ovs, --host-cpus N, --link-rate RATE|none\n"
	"                      the testbed (defaults: 8, bridge, all, 10gbit)\n"
	"  --keep              reuse a testbed that is up, and leave it up\n"
	"  -o, --output DB     the store (default ./" DEFAULT_DB ")\n"
	"  --run-prefix P      run names P-pattern-B, P-staged (default exp-DATE-TIME)\n"
	"  --vm-cmd TEMPLATE   real VMs instead of the testbed: run TEMPLATE (sh -c) per VM\n"
	"                      and action; placeholders {vm} {name} {action} {server}\n"
	"                      {port} {duration} {procs}; actions start-traffic,\n"
	"                      start-load, stop-traffic, stop-load (needs --target)\n"
	"  -T, --target DEV    the throughput target with --vm-cmd (e.g. the host NIC)\n"
	"  -q, --quiet         no progress\n"
	"  -j, --json          JSON output\n"
	"\n"
	"Ctrl-C at any point stops the workload, removes the testbed (unless --keep)\n"
	"and keeps the runs recorded so far. Needs root.\n"
	"\n"
	"Examples:\n"
	"  vnetprof experiment patterns --duration 20s\n"
	"  vnetprof experiment staged --quick\n"
	"  vnetprof experiment staged --vms 8 --target eth0 \\\n"
	"      --vm-cmd 'ssh {name} /opt/bench/{action}.sh {server} {port} {duration}'\n";

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* --repeat: per pattern, the median (and range) of its runs' medians */
static void print_repeated(struct vnp_out *o, const struct vnp_experiment_row *rows, int n,
			   double div, const char *prefix)
{
	char seen[8] = "";

	vnp_out_text(o, "\n%-10s %4s %16s %10s %10s\n", "PATTERN", "RUNS", "MEDIAN OF MEDIANS",
		     "MIN", "MAX");
	vnp_out_open_array(o, "patterns");
	for (int i = 0; i < n; i++) {
		double m[16], med;
		int k = 0;

		if (strchr(seen, rows[i].label[0]) || strlen(seen) >= sizeof(seen) - 1)
			continue;
		seen[strlen(seen)] = rows[i].label[0];
		for (int j = i; j < n && k < 16; j++)
			if (rows[j].label[0] == rows[i].label[0])
				m[k++] = rows[j].median;
		qsort(m, (size_t)k, sizeof(m[0]), cmp_double);
		med = k % 2 ? m[k / 2] : (m[k / 2 - 1] + m[k / 2]) / 2;
		vnp_out_open_object(o, NULL);
		vnp_out_str(o, "pattern", "%-10s ", rows[i].label);
		vnp_out_int(o, "runs", "%4lld ", k);
		vnp_out_double(o, "median_of_medians_bps", NULL, med);
		vnp_out_double(o, "min_median_bps", NULL, m[0]);
		vnp_out_double(o, "max_median_bps", NULL, m[k - 1]);
		vnp_out_double(o, NULL, "%16.2f ", med / div);
		vnp_out_double(o, NULL, "%10.2f ", m[0] / div);
		vnp_out_double(o, NULL, "%10.2f\n", m[k - 1] / div);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
	vnp_out_text(o, "(each pattern's run medians, %sbit/s)\n", prefix);
}

int cmd_experiment(int argc, char **argv)
{
	enum { O_PATTERNS = 256, O_STEP, O_QUICK, O_LOAD, O_VMS, O_SWITCH, O_CPUS, O_RATE, O_KEEP,
	       O_PREFIX, O_VMCMD, O_REPEAT };
	static const struct option opts[] = {
		{ "patterns", required_argument, NULL, O_PATTERNS },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "duration", required_argument, NULL, 'd' },
		{ "step", required_argument, NULL, O_STEP },
		{ "quick", no_argument, NULL, O_QUICK },
		{ "interval", required_argument, NULL, 'i' },
		{ "load-procs", required_argument, NULL, O_LOAD },
		{ "vms", required_argument, NULL, O_VMS },
		{ "switch", required_argument, NULL, O_SWITCH },
		{ "host-cpus", required_argument, NULL, O_CPUS },
		{ "link-rate", required_argument, NULL, O_RATE },
		{ "keep", no_argument, NULL, O_KEEP },
		{ "output", required_argument, NULL, 'o' },
		{ "run-prefix", required_argument, NULL, O_PREFIX },
		{ "vm-cmd", required_argument, NULL, O_VMCMD },
		{ "target", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":d:i:o:T:qjh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	struct vnp_experiment_opts eo = {
		.interval = 0.1, .db = DEFAULT_DB,
		.tb = { .vms = 8, .sw = "bridge", .link_rate = "10gbit" },
	};
	struct vnp_experiment_row rows[64];
	double duration = 0, step = 0;
	bool quick = false;
	char prefix[64], *end;
	const char *si;
	double big = 0, div;
	size_t wrun = strlen("RUN"), wlab = strlen("PATTERN");
	char frun[32], flab[32];
	const char *patterns = "A,B,C,D,E,F";
	int c, n, ret = EXIT_OK;
	long v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case O_PATTERNS:
			patterns = optarg;
			break;
		case 'd':
		case O_STEP:
		case 'i': {
			double d;

			if (vnp_parse_duration(optarg, &d)) {
				ret = usage_error(o, "experiment", "%s", vnp_errmsg());
				goto out;
			}
			*(c == 'd' ? &duration : c == 'i' ? &eo.interval : &step) = d;
			break;
		}
		case O_QUICK:
			quick = true;
			break;
		case O_REPEAT:
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 10) {
				ret = usage_error(o, "experiment", "--repeat %s: a count from 1 to 10",
						  optarg);
				goto out;
			}
			eo.repeat = (int)v;
			break;
		case O_LOAD:
		case O_VMS:
		case O_CPUS:
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > (c == O_VMS ? VNP_TB_MAX_VMS : 4096)) {
				ret = usage_error(o, "experiment", "'%s' is not a valid count for %s",
						  optarg, argv[optind - 1]);
				goto out;
			}
			*(c == O_LOAD ? &eo.load_procs : c == O_VMS ? &eo.tb.vms
								    : &eo.tb.host_cpus) = (int)v;
			break;
		case O_SWITCH:
			if (strcmp(optarg, "bridge") && strcmp(optarg, "ovs")) {
				ret = usage_error(o, "experiment", "--switch %s: bridge or ovs",
						  optarg);
				goto out;
			}
			eo.tb.sw = optarg;
			break;
		case O_RATE:
			eo.tb.link_rate = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case O_KEEP:
			eo.keep = true;
			break;
		case 'o':
			eo.db = optarg;
			break;
		case O_PREFIX:
			eo.run_prefix = optarg;
			break;
		case O_VMCMD:
			eo.vm_cmd = optarg;
			break;
		case 'T':
			eo.target = optarg;
			break;
		case 'q':
			eo.quiet = true;
			break;
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			return print_help(help);
		default: /* ':' or an unknown option */
			ret = option_error(o, "experiment", c, argv);
			goto out;
		}
	}
	if (optind != argc - 1 || (strcmp(argv[optind], "patterns") &&
				   strcmp(argv[optind], "staged"))) {
		ret = usage_error(o, "experiment", "give 'patterns' or 'staged'");
		goto out;
	}
	eo.staged = !strcmp(argv[optind], "staged");
	if (eo.staged && eo.repeat > 1) {
		ret = usage_error(o, "experiment", "--repeat is for patterns; run staged again "
				  "with another --run-prefix");
		goto out;
	}
	if (eo.staged) {
		eo.duration = duration ? duration : quick ? 80 : 200;
		eo.step = step ? step : quick ? 10 : 25;
		if (eo.step >= eo.duration) {
			ret = usage_error(o, "experiment", "--step must be shorter than --duration");
			goto out;
		}
	} else {
		size_t k = 0;

		eo.duration = duration ? duration : quick ? 10 : 60;
		for (const char *p = patterns; *p; p++) {
			if (*p == ',')
				continue;
			if (*p < 'A' || *p > 'F' || k >= sizeof(eo.patterns) - 1 ||
			    (p[1] && p[1] != ',')) {
				ret = usage_error(o, "experiment", "--patterns %s: letters A to F, "
						  "separated by commas", patterns);
				goto out;
			}
			if (strchr(eo.patterns, *p)) {
				ret = usage_error(o, "experiment", "--patterns %s: %c twice (--repeat "
						  "runs them again)", patterns, *p);
				goto out;
			}
			if (vnp_patterns[*p - 'A'].comm + vnp_patterns[*p - 'A'].load > eo.tb.vms) {
				ret = usage_error(o, "experiment", "pattern %c needs %d VMs; --vms %d",
						  *p, vnp_patterns[*p - 'A'].comm +
						  vnp_patterns[*p - 'A'].load, eo.tb.vms);
				goto out;
			}
			eo.patterns[k++] = *p;
		}
		if (!k) {
			ret = usage_error(o, "experiment", "--patterns: none given");
			goto out;
		}
	}
	if (eo.duration < 2 * eo.interval) {
		ret = usage_error(o, "experiment", "--duration is shorter than two bins");
		goto out;
	}
	if (eo.vm_cmd) {
		char buf[64];

		if (!eo.target) {
			ret = usage_error(o, "experiment", "--vm-cmd needs --target DEV: the host "
					  "device whose throughput is the target");
			goto out;
		}
		if (vnp_vm_cmd_expand(buf, sizeof(buf), eo.vm_cmd, 1, "start-traffic", "x", 1, 1,
				      1) == -EINVAL) {
			ret = usage_error(o, "experiment", "%s", vnp_errmsg());
			goto out;
		}
	} else if (eo.target) {
		ret = usage_error(o, "experiment", "--target goes with --vm-cmd (the testbed's "
				  "target is its NIC)");
		goto out;
	}
	if (geteuid() != 0) {
		ret = vnp_out_err(o, EXIT_FAIL, "experiments need root (namespaces, cgroups, "
				  "counters)");
		goto out;
	}
	if (!eo.run_prefix) {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(prefix, sizeof(prefix), "exp-%Y%m%d-%H%M%S", &tm);
		eo.run_prefix = prefix;
	}

	n = vnp_experiment_run(&eo, rows, (int)(sizeof(rows) / sizeof(rows[0])));
	if (n == -EINTR) {
		ret = vnp_out_err(o, 130, "interrupted: the workload was stopped%s; runs recorded "
				  "so far are in %s", eo.keep || eo.vm_cmd ? "" :
				  " and the testbed removed", eo.db);
		goto out;
	}
	if (n < 0) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(n));
		goto out;
	}
	/* one scale for both tables, by the largest value shown */
	for (int i = 0; i < n; i++)
		big = fmax(big, fmax(fmax(fabs(rows[i].p90), fabs(rows[i].median)),
				     fabs(rows[i].vm_max)));
	div = vnp_out_si(big, &si);
	vnp_out_open_object(o, NULL);
	vnp_out_str(o, "experiment", NULL, eo.staged ? "staged" : "patterns");
	vnp_out_str(o, "db", NULL, eo.db);
	/* the name columns as wide as their widest cell */
	for (int i = 0; i < n; i++) {
		if (strlen(rows[i].run) > wrun)
			wrun = strlen(rows[i].run);
		if (strlen(rows[i].label) > wlab)
			wlab = strlen(rows[i].label);
	}
	vnp_out_text(o, vnp_out_lcol(frun, sizeof(frun), wrun, " "), "RUN");
	vnp_out_text(o, vnp_out_lcol(flab, sizeof(flab), wlab, " "),
		     eo.staged ? "STEP" : "PATTERN");
	vnp_out_text(o, "%4s %4s %10s %10s %10s %18s\n", "COMM", "LOAD", "MEDIAN", "P10", "P90",
		     "PER-VM MEAN");
	vnp_out_open_array(o, "rows");
	for (int i = 0; i < n; i++) {
		struct vnp_experiment_row *r = &rows[i];

		vnp_out_open_object(o, NULL);
		vnp_out_str(o, "run", frun, r->run);
		vnp_out_str(o, eo.staged ? "step" : "pattern", flab, r->label);
		vnp_out_int(o, "comm", "%4lld ", r->comm);
		vnp_out_int(o, "load", "%4lld ", r->load);
		vnp_out_double(o, "median_bps", NULL, r->median);
		vnp_out_double(o, "p10_bps", NULL, r->p10);
		vnp_out_double(o, "p90_bps", NULL, r->p90);
		vnp_out_double(o, "vm_mean_min_bps", NULL, r->vm_min);
		vnp_out_double(o, "vm_mean_max_bps", NULL, r->vm_max);
		vnp_out_int(o, "intervals", NULL, r->n);
		if (eo.repeat > 1)
			vnp_out_int(o, "repeat", NULL, r->rep);
		vnp_out_double(o, NULL, "%10.2f ", r->median / div);
		vnp_out_double(o, NULL, "%10.2f ", r->p10 / div);
		vnp_out_double(o, NULL, "%10.2f ", r->p90 / div);
		vnp_out_double(o, NULL, "%8.2f", r->vm_min / div);
		vnp_out_double(o, NULL, "..%-8.2f\n", r->vm_max / div);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
	vnp_out_text(o, "(total receiver-side iperf3 throughput per 0.5 s interval, %sbit/s)\n",
		     si);
	if (eo.repeat > 1)
		print_repeated(o, rows, n, div, si);
	vnp_out_close_object(o);
out:
	vnp_out_free(o);
	return ret;
}
