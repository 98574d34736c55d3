// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof testbed up|down|status: the emulated host. */
#include "testbed/testbed.h"
#include "vnetprof-tool.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help[] =
	"Usage: vnetprof testbed up [--vms N] [--switch bridge|ovs] [--host-cpus N]\n"
	"                           [--link-rate RATE]\n"
	"       vnetprof testbed down\n"
	"       vnetprof testbed status [--json]\n"
	"\n"
	"An emulated virtualisation host, without VMs: each VM is a network namespace\n"
	"(" VNP_TB_PREFIX "-vmN, 198.18.0.(10+N)) with a veth (" VNP_TB_PREFIX "-tapN on the host)\n"
	"into a software switch (" VNP_TB_BRIDGE "), and a CPU cgroup of 2 CPUs' worth; a\n"
	"remote host (" VNP_TB_REMOTE_NS ", " VNP_TB_REMOTE_IP ") sits behind the NIC " VNP_TB_NIC ".\n"
	"Links carry 9000-byte frames; each VM's traffic is moved by kernel (NAPI)\n"
	"threads placed in the VM's cgroup, as vhost-net's worker is, so CPU load\n"
	"slows it (docs/experiments.md).\n"
	"\n"
	"  --vms N            VMs (default 8)\n"
	"  --switch S         bridge (Linux bridge, default) or ovs (Open vSwitch,\n"
	"                     userspace datapath, private daemons)\n"
	"  --host-cpus N      restrict the testbed's processes to CPUs 0..N-1 (cpuset)\n"
	"  --link-rate RATE   shape the NIC with tbf, e.g. 10gbit (default: unshaped)\n"
	"  -j, --json         JSON output (status)\n"
	"\n"
	"'up' is idempotent; 'down' removes everything with the " VNP_TB_PREFIX " prefix, also\n"
	"after a crash; nothing else is touched. Needs root.\n";

static int status(struct vnp_out *o)
{
	struct vnp_testbed_object v[128];
	struct vnp_testbed_opts st;
	char sw[16], rate[32];
	int n = vnp_testbed_inventory(v, 128);
	int state = vnp_testbed_state(&st, sw, sizeof(sw), rate, sizeof(rate));
	bool up = !state;

	vnp_out_open_object(o, NULL);
	vnp_out_bool(o, "up", "testbed up: %s", up);
	vnp_out_bool(o, "half_built", NULL, state == -EINPROGRESS);
	if (state == -EINPROGRESS)
		vnp_out_text(o, " (half-built: its 'up' has not finished; 'vnetprof testbed down' "
				"removes it, 'up' builds it again)");
	if (up) {
		vnp_out_int(o, "vms", ", %lld VMs", st.vms);
		vnp_out_str(o, "switch", ", %s", sw);
		vnp_out_int(o, "host_cpus", ", host CPUs %lld", st.host_cpus);
		vnp_out_str(o, "link_rate", ", link %s", *rate ? rate : "unshaped");
	}
	vnp_out_nl(o);
	vnp_out_open_array(o, "objects");
	for (int i = 0; i < n; i++) {
		vnp_out_open_object(o, NULL);
		vnp_out_str(o, "kind", "  %-8s", v[i].kind);
		vnp_out_str(o, "name", " %s\n", v[i].name);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
	vnp_out_close_object(o);
	return EXIT_OK;
}

int cmd_testbed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vms", required_argument, NULL, 'v' },
		{ "switch", required_argument, NULL, 's' },
		{ "host-cpus", required_argument, NULL, 'c' },
		{ "link-rate", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":v:s:c:r:jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	struct vnp_testbed_opts to = { .vms = 8, .sw = "bridge" };
	const char *verb;
	sigset_t mask, old;
	char *end;
	int c, ret = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			to.vms = (int)strtol(optarg, &end, 10);
			if (*end || to.vms < 1 || to.vms > VNP_TB_MAX_VMS) {
				ret = usage_error(o, "testbed", "--vms %s: a number from 1 to %d",
						  optarg, VNP_TB_MAX_VMS);
				goto out;
			}
			break;
		case 's':
			if (strcmp(optarg, "bridge") && strcmp(optarg, "ovs")) {
				ret = usage_error(o, "testbed", "--switch %s: bridge or ovs", optarg);
				goto out;
			}
			to.sw = optarg;
			break;
		case 'c':
			to.host_cpus = (int)strtol(optarg, &end, 10);
			if (*end || to.host_cpus < 1 || to.host_cpus > 4096) {
				ret = usage_error(o, "testbed", "--host-cpus %s: a number of CPUs",
						  optarg);
				goto out;
			}
			break;
		case 'r':
			to.link_rate = optarg;
			break;
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			return print_help(help);
		default: /* ':' or an unknown option */
			ret = option_error(o, "testbed", c, argv);
			goto out;
		}
	}
	if (optind != argc - 1) {
		ret = usage_error(o, "testbed", "give one of up, down, status");
		goto out;
	}
	verb = argv[optind];
	if (strcmp(verb, "status") && geteuid() != 0) {
		ret = vnp_out_err(o, EXIT_FAIL, "testbed %s needs root (namespaces, links, cgroups)",
				  verb);
		goto out;
	}
	/* no signal may stop us halfway: it is handled once the verb is done */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old);
	if (!strcmp(verb, "up")) {
		bool was_up;
		int err = vnp_testbed_up(&to, &was_up);
		struct timespec zero = { 0 };

		if (sigtimedwait(&mask, NULL, &zero) > 0) {
			vnp_testbed_down();
			ret = vnp_out_err(o, 130, "interrupted: the testbed was removed");
		} else if (err) {
			ret = vnp_out_err(o, EXIT_FAIL, "%s", lib_err(err));
		} else {
			vnp_out_open_object(o, NULL);
			vnp_out_bool(o, "already_up", NULL, was_up);
			vnp_out_int(o, "vms", "testbed of %lld VMs ", to.vms);
			vnp_out_text(o, "%s", was_up ? "was already up\n" : "is up\n");
			vnp_out_close_object(o);
		}
	} else if (!strcmp(verb, "down")) {
		int n = vnp_testbed_down();

		vnp_out_open_object(o, NULL);
		vnp_out_int(o, "removed", "testbed down: %lld objects removed\n", n);
		vnp_out_close_object(o);
	} else if (!strcmp(verb, "status")) {
		ret = status(o);
	} else {
		ret = usage_error(o, "testbed", "'%s': give one of up, down, status", verb);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	vnp_out_free(o);
	return ret;
}
