// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof: the command table. Exact names only: no prefix matching. */
#include "vnetprof-tool.h"

#include <stdio.h>
#include <string.h>

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "record", cmd_record, "count kernel events and throughput into the store" },
	{ "runs", cmd_runs, "list the runs in a store" },
	{ "show", cmd_show, "summarise one run: metadata and every series" },
	{ "export", cmd_export, "write a run as CSV (long form) or JSON" },
	{ "import", cmd_import, "read traces of other tools (ftrace, trace.dat, perf, iperf3, CSV)" },
	{ "analyze", cmd_analyze, "rank indicators against throughput; cut the run where it changes" },
	{ "compare", cmd_compare, "summarise runs side by side: throughput CDF, indicator means" },
	{ "probe", cmd_probe, "say what this host supports, and why not" },
	{ "list", cmd_list, "list tracepoints (list events [GLOB])" },
	{ "testbed", cmd_testbed, "an emulated host: namespaces, a switch, CPU cgroups" },
	{ "experiment", cmd_experiment, "the paper's experiments on the testbed, recorded" },
};

static void usage(FILE *fp)
{
	fprintf(fp, "Usage: vnetprof [--json] COMMAND [OPTIONS]\n\n"
		    "Diagnose software virtual networks by profiling the host kernel,\n"
		    "without capturing packets.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(fp, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(fp, "\n'vnetprof COMMAND --help' describes each; man vnetprof for all.\n");
}

int main(int argc, char **argv)
{
	/* options of vnetprof itself, before the command: only --json */
	while (argc >= 2 && (!strcmp(argv[1], "--json") || !strcmp(argv[1], "-j"))) {
		global_json = true;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("vnetprof %s\n", VNETPROF_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "vnetprof: '%s' is not a command; 'vnetprof --help' lists them\n",
		argv[1]);
	return EXIT_USAGE;
}
