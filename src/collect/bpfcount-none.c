// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * BPF counting, for a vnetprof built without it: the build machine had no
 * kernel BTF (/sys/kernel/btf/vmlinux), so no vmlinux.h and no BPF object
 * (src/collect/bpf/meson.build). Every open fails with one line that says
 * so; where no backend was asked for, the recorder counts with perf instead.
 */
#include "collect/bpfcount.h"
#include "collect/collector.h"
#include "vnetprof-local.h"

#include <errno.h>

struct vnp_bpfcount *vnp_bpfcount_open(const struct vnp_bpf_spec *specs, size_t n)
{
	(void)specs;
	(void)n;
	return vnp_fail_null(-ENOTSUP, "this vnetprof was built without BPF counting (-Dbpf, or "
				       "no kernel BTF, clang or bpftool where it was built); rebuild "
				       "it on a host with /sys/kernel/btf/vmlinux, or count with -B perf");
}

size_t vnp_bpfcount_nseries(const struct vnp_bpfcount *bc)
{
	(void)bc;
	return 0;
}

const struct vnp_series_info *vnp_bpfcount_series(const struct vnp_bpfcount *bc, size_t i)
{
	(void)bc;
	(void)i;
	return NULL;
}

size_t vnp_bpfcount_spec_series(const struct vnp_bpfcount *bc, size_t spec, size_t *count)
{
	(void)bc;
	(void)spec;
	*count = 0;
	return 0;
}

const char *vnp_bpfcount_backend(const struct vnp_bpfcount *bc, size_t spec)
{
	(void)bc;
	(void)spec;
	return "bpf:none";
}

int vnp_bpfcount_read(struct vnp_bpfcount *bc, double *values, unsigned *flags)
{
	(void)bc;
	(void)values;
	(void)flags;
	return -ENOTSUP;
}

void vnp_bpfcount_missed(const struct vnp_bpfcount *bc, uint64_t *recursion, uint64_t *map_full)
{
	(void)bc;
	*recursion = *map_full = 0;
}

void vnp_bpfcount_close(struct vnp_bpfcount *bc)
{
	(void)bc;
}

struct vnp_collector *vnp_bpf_collector(const struct vnp_bpf_spec *specs, size_t n)
{
	vnp_bpfcount_open(specs, n); /* NULL, with the error said */
	return NULL;
}
