// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The table of live sources. Each entry builds its collectors from the
 * record options (none where the options do not ask for it); the order is
 * the order of the run's series and of the reads of each bin. A new source
 * is its own file with such a function, and one line here.
 */
#include "collect/collector.h"

static int (*const sources[])(const struct vnp_record_opts *o, struct vnp_collectors *l) = {
	vnp_events_collect,    /* -e, presets: perf counters, BPF, ftrace */
	vnp_netdev_collect,    /* -T: /proc/net/dev of each target */
	vnp_kcounters_collect, /* every device, softirqs, softnet, ... */
	vnp_vmcpu_collect,     /* CPU time per VM */
	vnp_cpustat_collect,   /* /proc/stat */
	vnp_runq_collect,      /* /proc/schedstat or PSI */
	vnp_sampler_collect,   /* CPU share per kernel function; adds series as it goes */
};

int vnp_collectors_open(const struct vnp_record_opts *o, struct vnp_collectors *l)
{
	for (size_t i = 0; i < ARRAY_SIZE(sources); i++) {
		int err = sources[i](o, l);

		if (err) {
			vnp_collectors_close(l);
			return err;
		}
	}
	return 0;
}
