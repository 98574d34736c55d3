// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof record: count kernel events and throughput on one time axis. */
#include "collect/collect.h"
#include "vnetprof-tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
	"Usage: vnetprof record [-e EVENT [--filter EXPR]]... [--by dev] [-T DEV]...\n"
	"                       [-i INTERVAL] [-d DURATION] [-o DB] [--run NAME]\n"
	"                       [--label K=V]... [-q] [--json] [-- COMMAND [ARGS]]\n"
	"\n"
	"Count tracepoint hits in the kernel (perf counters, one per CPU, no per-event\n"
	"records), the interface statistics of target devices, CPU time per mode and\n"
	"run-queue delay, in bins of INTERVAL, into a run of the store.\n"
	"\n"
	"  -e, --event SYS:EVENT  a tracepoint to count (repeatable); 'vnetprof list\n"
	"                         events' lists them\n"
	"  -f, --filter EXPR      kernel filter for the preceding -e, in the ftrace\n"
	"                         grammar, e.g. 'name == \"veth0\"' or 'name ~ \"tap*\"'\n"
	"  -b, --by dev           one series per network device for events that carry\n"
	"                         a device name, plus dev=\"other\" for the rest\n"
	"  -T, --target DEV       record DEV's rx/tx bytes, packets and drops per bin as\n"
	"                         the run's throughput target (repeatable)\n"
	"  -i, --interval D       bin width (default 100ms)\n"
	"  -d, --duration D       stop after D; otherwise COMMAND's end, SIGINT or\n"
	"                         SIGTERM stops the run\n"
	"  -o, --output DB        the store (default ./" DEFAULT_DB ")\n"
	"  -r, --run NAME         the run's name (default rec-DATE-TIME)\n"
	"  -l, --label K=V        a label for the run (repeatable)\n"
	"  -q, --quiet            no progress line\n"
	"  -j, --json             JSON summary (and errors) on stdout\n"
	"  -h, --help             this text\n"
	"\n"
	"With a COMMAND, record while it runs and exit with its status. Durations take\n"
	"ns, us, ms, s, m or h. Needs root (system-wide counters and tracefs).\n"
	"\n"
	"Examples:\n"
	"  vnetprof record -e net:net_dev_xmit --by dev -T eth0 -d 60s\n"
	"  vnetprof record -e net:netif_receive_skb --filter 'name ~ \"tap*\"' -i 500ms\n"
	"  vnetprof record -e irq:softirq_entry --filter 'vec == 3' -T br0 -- iperf3 -c 198.18.0.2\n";

static void cmdline_of(int argc, char **argv, char *buf, size_t size)
{
	size_t n = snprintf(buf, size, "vnetprof");

	for (int i = 0; i < argc && n < size; i++)
		n += snprintf(buf + n, size - n, " %s", argv[i]);
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "event", required_argument, NULL, 'e' },
		{ "filter", required_argument, NULL, 'f' },
		{ "by", required_argument, NULL, 'b' },
		{ "target", required_argument, NULL, 'T' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "run", required_argument, NULL, 'r' },
		{ "label", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vnp_out *o = vnp_out_new(wants_json(argc, argv) ? VNP_OUT_JSON : VNP_OUT_TEXT, stdout);
	struct vnp_run_info info = { 0 };
	struct vnp_record_opts ro = { .interval_s = 0.1, .db = DEFAULT_DB, .info = &info };
	struct vnp_record_result res;
	char cmdline[4096];
	bool quiet = false;
	int c, err, ret = EXIT_OK;

	ro.events = calloc(argc, sizeof(*ro.events));
	ro.targets = calloc(argc, sizeof(*ro.targets));
	if (!ro.events || !ro.targets) {
		ret = vnp_out_err(o, EXIT_FAIL, "out of memory");
		goto out;
	}
	cmdline_of(argc - 1, argv + 1, cmdline, sizeof(cmdline));
	info.cmdline = cmdline;
	opterr = 0;
	/* "+": options end at COMMAND even without "--" */
	while ((c = getopt_long(argc, argv, "+:e:f:b:T:i:d:o:r:l:qjh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			ro.events[ro.nevents++].spec = optarg;
			break;
		case 'f':
			if (!ro.nevents) {
				ret = usage_error(o, "record", "--filter applies to the -e before "
						  "it; give -e EVENT first");
				goto out;
			}
			if (ro.events[ro.nevents - 1].filter) {
				ret = usage_error(o, "record", "two filters for %s; join them "
						  "with && or ||", ro.events[ro.nevents - 1].spec);
				goto out;
			}
			ro.events[ro.nevents - 1].filter = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "dev")) {
				ret = usage_error(o, "record", "--by %s: this backend splits by "
						  "'dev' only", optarg);
				goto out;
			}
			ro.by_dev = true;
			break;
		case 'T':
			ro.targets[ro.ntargets++] = optarg;
			break;
		case 'i':
			if (vnp_parse_duration(optarg, &ro.interval_s)) {
				ret = usage_error(o, "record", "-i: %s", vnp_errmsg());
				goto out;
			}
			if (ro.interval_s < 0.001) {
				ret = usage_error(o, "record", "-i %s: bins shorter than 1ms cost "
						  "more than they tell", optarg);
				goto out;
			}
			break;
		case 'd':
			if (vnp_parse_duration(optarg, &ro.duration_s)) {
				ret = usage_error(o, "record", "-d: %s", vnp_errmsg());
				goto out;
			}
			break;
		case 'o':
			ro.db = optarg;
			break;
		case 'r':
			if (!*optarg) {
				ret = usage_error(o, "record", "--run needs a name");
				goto out;
			}
			info.name = optarg;
			break;
		case 'l':
			if (parse_label(&info, optarg)) {
				ret = usage_error(o, "record", "label '%s' is not KEY=VALUE", optarg);
				goto out;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'j':
			break;
		case 'h':
			ret = print_help(help);
			goto out;
		case ':':
			ret = usage_error(o, "record", "'%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			ret = usage_error(o, "record", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc)
		ro.command = argv + optind;
	if (ro.duration_s && ro.duration_s < ro.interval_s) {
		ret = usage_error(o, "record", "-d is shorter than one bin (-i)");
		goto out;
	}
	ro.progress = !quiet && !vnp_out_is_json(o) && isatty(STDERR_FILENO);
	ro.quiet = quiet;

	err = vnp_record(&ro, &res);
	if (err && !res.run_id) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
		goto out;
	}
	if (err)
		vnp_out_err(NULL, EXIT_FAIL, "%s (the run keeps what was flushed)", lib_err(err));
	vnp_out_open_object(o, NULL);
	vnp_out_str(o, "run", "recorded run %s", res.run_name);
	vnp_out_int(o, "id", " (id %lld)", (long long)res.run_id);
	vnp_out_str(o, "db", " in %s: ", ro.db);
	vnp_out_int(o, "bins", "%lld bins", (long long)res.bins);
	vnp_out_double(o, "bin_s", " of %g s", ro.interval_s);
	vnp_out_int(o, "series", ", %lld series", (long long)res.nseries);
	vnp_out_str(o, "status", ", %s", vnp_run_status_str(res.status));
	vnp_out_int(o, "flagged_bins", ", %lld bins flagged\n", (long long)res.flagged);
	if (res.command_status >= 0)
		vnp_out_int(o, "command_status", NULL, res.command_status);
	vnp_out_close_object(o);
	if (err)
		ret = EXIT_FAIL;
	else if (res.command_status >= 0)
		ret = res.command_status;
out:
	free(ro.events);
	free(ro.targets);
	info.cmdline = NULL;
	info.name = NULL;
	vnp_run_info_clear(&info);
	vnp_out_free(o);
	return ret;
}
