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
	"Usage: vnetprof record [-e EVENT [--filter EXPR]]... [--preset NAME] [--by dev] [-T DEV]...\n"
	"                       [-i INTERVAL] [-d DURATION] [-o DB] [--run NAME]\n"
	"                       [--label K=V]... [-q] [--json] [-- COMMAND [ARGS]]\n"
	"\n"
	"Read the kernel's own counters (every network device, softirqs, context\n"
	"switches), CPU time per mode and run-queue delay, and count the hits of\n"
	"tracepoints and functions you name in the kernel (BPF or perf counters, no\n"
	"per-event records), in bins of INTERVAL, into a run of the store.\n"
	"\n"
	"  -e, --event SYS:EVENT  a tracepoint to count (repeatable); 'vnetprof list\n"
	"                         events' lists them; func:NAME counts calls of a\n"
	"                         kernel function ('vnetprof probe' says how, here)\n"
	"  -p, --preset NAME      the indicator set of a kind of host: vhost (KVM with\n"
	"                         vhost-net and taps: the paper's), bridge, ovs, netns\n"
	"                         (the emulated testbed); see docs/indicators.md\n"
	"  -f, --filter EXPR      kernel filter for the preceding -e, in the ftrace\n"
	"                         grammar, e.g. 'name == \"veth0\"' or 'name ~ \"tap*\"'\n"
	"  -B, --backend NAME     how to count every -e: bpf (BPF programs with per-device\n"
	"                         keys and byte sums: tp_btf, else tp, else raw_tp; or\n"
	"                         name one of them), perf (per-CPU counters, in-kernel\n"
	"                         filters); default: bpf where it loads, perf for events\n"
	"                         with --filter or when BPF cannot load; for func:NAME\n"
	"                         fentry, kprobe, function-profiler, function-tracer\n"
	"                         (default: the cheapest that works); ftrace records\n"
	"                         every hit with its timestamp (the paper's way)\n"
	"  -P, --profile[=HZ]     the CPU-share profiler: cpu-clock samples on every CPU\n"
	"                         (default 99 Hz), per bin each function's share as\n"
	"                         cpu_share{function=...}; lost samples are recorded\n"
	"  -R, --realtime[=PRIO]  read the counters as a SCHED_FIFO thread (default\n"
	"                         priority 1), so that a saturated host cannot delay\n"
	"                         the bins; what COMMAND starts keeps normal priority\n"
	"  -b, --by dev|vm        dev: one series per network device for events that\n"
	"                         carry a device name, plus dev=\"other\" for the rest;\n"
	"                         vm: one series per VM (QEMU's -name and its taps, or\n"
	"                         its threads for events without a device; testbed VMs)\n"
	"                         plus vm=\"host\"; and each VM's CPU time as\n"
	"                         vm_cpu_seconds{vm=...}\n"
	"  -T, --target DEV       record DEV's rx/tx bytes, packets and drops per bin as\n"
	"                         the run's throughput target (repeatable)\n"
	"  --no-kernel-counters   not the kernel's own counters, which are read every\n"
	"                         bin by default at no cost per packet: bytes, packets\n"
	"                         and drops of every device of this namespace and\n"
	"                         of the named ones (ip netns)\n"
	"                         (netdev_*{dev=...}), softirqs per vector, context\n"
	"                         switches, interrupts, softnet processed/dropped\n"
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

/* an optional integer argument: @def when absent, else MIN..MAX; -1 if it is not */
static int opt_int(const char *arg, int def, long min, long max, int *out)
{
	char *end;
	long v = arg ? strtol(arg, &end, 10) : def;

	if ((arg && (!*arg || *end)) || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "event", required_argument, NULL, 'e' },
		{ "preset", required_argument, NULL, 'p' },
		{ "backend", required_argument, NULL, 'B' },
		{ "profile", optional_argument, NULL, 'P' },
		{ "realtime", optional_argument, NULL, 'R' },
		{ "filter", required_argument, NULL, 'f' },
		{ "by", required_argument, NULL, 'b' },
		{ "target", required_argument, NULL, 'T' },
		{ "no-kernel-counters", no_argument, NULL, 'K' },
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
	static const char shortopts[] = "+:e:p:B:P::R::f:b:T:i:d:o:r:l:qjh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	struct vnp_run_info info = { 0 };
	struct vnp_record_opts ro = { .interval_s = 0.1, .db = DEFAULT_DB, .info = &info };
	struct vnp_record_result res;
	struct vnp_event_opt *events;
	size_t nevents = 0, cap = argc, from_preset = 0;
	char cmdline[4096];
	bool quiet = false;
	int c, err, ret = EXIT_OK;

	/* room for every -e, and for every preset named */
	for (size_t i = 0; vnp_preset_at(i); i++)
		cap += vnp_preset_at(i)->nevents * (size_t)argc;
	events = calloc(cap, sizeof(*events));
	ro.events = events;
	ro.targets = calloc(argc, sizeof(*ro.targets));
	if (!events || !ro.targets) {
		ret = vnp_out_err(o, EXIT_FAIL, "out of memory");
		goto out;
	}
	command_line(argc, argv, cmdline, sizeof(cmdline));
	info.cmdline = cmdline;
	opterr = 0;
	/* "+": options end at COMMAND even without "--" */
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			events[nevents++].spec = optarg;
			break;
		case 'p': {
			const struct vnp_preset *p = vnp_preset_find(optarg);

			if (!p) {
				ret = usage_error(o, "record", "--preset %s: one of vhost, bridge, "
						  "ovs, netns", optarg);
				goto out;
			}
			memcpy(events + nevents, p->events, p->nevents * sizeof(*events));
			nevents += p->nevents;
			/* a --filter after --preset would apply to its last event: refuse */
			from_preset = nevents;
			break;
		}
		case 'f':
			if (!nevents || from_preset == nevents) {
				ret = usage_error(o, "record", "--filter applies to the -e before "
						  "it; give -e EVENT first");
				goto out;
			}
			if (events[nevents - 1].filter) {
				ret = usage_error(o, "record", "two filters for %s; join them "
						  "with && or ||", events[nevents - 1].spec);
				goto out;
			}
			events[nevents - 1].filter = optarg;
			break;
		case 'B':
			ro.backend = optarg;
			break;
		case 'P':
			if (opt_int(optarg, 99, 1, 100000, &ro.profile_hz)) {
				ret = usage_error(o, "record", "--profile=%s: samples per second, "
						  "e.g. 99 or 999", optarg);
				goto out;
			}
			break;
		case 'R':
			if (opt_int(optarg, 1, 1, 99, &ro.rt_prio)) {
				ret = usage_error(o, "record", "--realtime=%s: a SCHED_FIFO priority "
						  "from 1 to 99", optarg);
				goto out;
			}
			break;
		case 'b':
			if (!strcmp(optarg, "dev")) {
				ro.by_dev = true;
			} else if (!strcmp(optarg, "vm")) {
				ro.by_vm = true;
			} else {
				ret = usage_error(o, "record", "--by %s: dev or vm", optarg);
				goto out;
			}
			break;
		case 'T':
			ro.targets[ro.ntargets++] = optarg;
			break;
		case 'K':
			ro.no_kcounters = true;
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
		default: /* ':' or an unknown option */
			ret = option_error(o, "record", c, argv);
			goto out;
		}
	}
	if (optind < argc)
		ro.command = argv + optind;
	ro.nevents = nevents;
	if (ro.duration_s && ro.duration_s < ro.interval_s) {
		ret = usage_error(o, "record", "-d is shorter than one bin (-i)");
		goto out;
	}
	if (!quiet && !vnp_out_is_json(o) && isatty(STDERR_FILENO)) {
		ro.on_progress = vnp_out_progress;
		ro.progress_arg = stderr;
	}
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
	free(events);
	free(ro.targets);
	info.cmdline = NULL;
	info.name = NULL;
	vnp_run_info_clear(&info);
	vnp_out_free(o);
	return ret;
}
