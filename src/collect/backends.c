// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one table of counting backends that --backend (and a preset's event)
 * names: what each counts and which collector takes it.
 */
#include "collect/collector.h"
#include "collect/ftracefunc.h"

#include <stdio.h>
#include <string.h>

static const struct vnp_backend backends[] = {
	{ "perf", VNP_BACKEND_PERF, false, 0 },
	{ "bpf", VNP_BACKEND_BPF, true, 0 },
	{ "tp_btf", VNP_BACKEND_BPF, false, 0 },
	{ "tp", VNP_BACKEND_BPF, false, 0 },
	{ "raw_tp", VNP_BACKEND_BPF, false, 0 },
	{ "ftrace", VNP_BACKEND_FTRACE, false, 0 },
	{ "fentry", VNP_BACKEND_BPF, true, 0 },
	{ "kprobe", VNP_BACKEND_BPF, true, 0 },
	/* for a tracepoint, the function backends leave it to perf */
	{ "function-profiler", VNP_BACKEND_FUNC_FTRACE, true, VNP_FTRACE_PROFILER },
	{ "function-tracer", VNP_BACKEND_FUNC_FTRACE, true, VNP_FTRACE_TRACER },
};

static const char *list_names(bool functions, char *buf, size_t size)
{
	size_t n = 0, len = 0, k = 0;

	for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
		n += !functions || (backends[i].functions && strcmp(backends[i].name, "bpf"));
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(backends) && len < size; i++) {
		/* "bpf" for a function is fentry, then kprobe: those two are named */
		if (functions && (!backends[i].functions || !strcmp(backends[i].name, "bpf")))
			continue;
		k++;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					k == 1 ? "" : k == n ? " or " : ", ", backends[i].name);
	}
	return buf;
}

const char *vnp_backend_names(bool functions)
{
	static char all[256], funcs[256];

	return functions ? list_names(true, funcs, sizeof(funcs))
			 : list_names(false, all, sizeof(all));
}

const struct vnp_backend *vnp_backend_find(const char *name)
{
	const char *n = name;

	if (!strncmp(n, "bpf:", 4))
		n += 4;
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++)
		if (!strcmp(n, backends[i].name) &&
		    (n == name || backends[i].cls == VNP_BACKEND_BPF))
			return &backends[i];
	return vnp_fail_null(-EINVAL, "backend '%s': %s", name, vnp_backend_names(false));
}

const char *vnp_backend_bpf_type(const struct vnp_backend *b)
{
	if (!b || !strcmp(b->name, "bpf"))
		return NULL;
	return b->name;
}
