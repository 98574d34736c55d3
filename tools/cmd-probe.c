// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof probe: what this host supports, one line each, and why not. */
#include "collect/collect.h"
#include "vnetprof-tool.h"

#include <stdio.h>

static const char help[] =
	"Usage: vnetprof probe [--json]\n"
	"\n"
	"Say what this host supports for profiling its virtual network, one line\n"
	"each, with the reason when not: tracefs, perf tracepoint counting, perf\n"
	"sampling, function tracer, function profiler, kprobes, BPF program types\n"
	"(tracepoint, kprobe, fentry), KVM, vhost-net, Open vSwitch, network\n"
	"namespaces, the kernel counters a recording reads by default, run-queue\n"
	"delay. Every check undoes what it did.\n"
	"\n"
	"  -j, --json   JSON output\n"
	"  -h, --help   this text\n";

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	struct vnp_capability caps[32];
	size_t n;
	int c, ret = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			return print_help(help);
		default:
			ret = usage_error(o, "probe", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		ret = usage_error(o, "probe", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	n = vnp_probe(caps, sizeof(caps) / sizeof(caps[0]));
	vnp_out_open_array(o, NULL);
	for (size_t i = 0; i < n; i++) {
		vnp_out_open_object(o, NULL);
		vnp_out_str(o, "name", "%-26s ", caps[i].name);
		vnp_out_bool(o, "ok", "%-4s", caps[i].ok);
		vnp_out_str(o, "detail", "%s\n", caps[i].detail);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
out:
	vnp_out_free(o);
	return ret;
}
