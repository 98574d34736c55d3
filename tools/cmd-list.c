// SPDX-License-Identifier: GPL-2.0-or-later
/* vnetprof list events [GLOB]: the tracepoints this kernel has. */
#include "collect/collect.h"
#include "vnetprof-tool.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"Usage: vnetprof list events [GLOB] [--json]\n"
	"\n"
	"List the tracepoints of this kernel as SYSTEM:EVENT, sorted, optionally\n"
	"those matching GLOB (e.g. 'net:*', '*xmit*'), with the field that names a\n"
	"network device where the event has one (what --by dev splits on).\n"
	"\n"
	"  -j, --json   JSON output\n"
	"  -h, --help   this text\n"
	"\n"
	"Examples:\n"
	"  vnetprof list events 'net:*'\n"
	"  vnetprof list events '*softirq*' --json\n";

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(const char *dir, const char *glob, char ***out, size_t *n)
{
	char path[512], **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *s, *e;
	DIR *ds, *de;

	snprintf(path, sizeof(path), "%s/events", dir);
	ds = opendir(path);
	if (!ds)
		return -errno;
	while ((s = readdir(ds))) {
		if (s->d_name[0] == '.' || s->d_type != DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/events/%s", dir, s->d_name);
		de = opendir(path);
		while (de && (e = readdir(de))) {
			char name[600];

			if (e->d_name[0] == '.' || e->d_type != DT_DIR)
				continue;
			snprintf(name, sizeof(name), "%s:%s", s->d_name, e->d_name);
			if (glob && fnmatch(glob, name, 0))
				continue;
			if (cnt == cap) {
				char **nv = realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*v));

				if (!nv)
					break;
				v = nv;
			}
			v[cnt] = strdup(name);
			if (v[cnt])
				cnt++;
		}
		if (de)
			closedir(de);
	}
	closedir(ds);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*out = v;
	*n = cnt;
	return 0;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char shortopts[] = ":jh";
	struct vnp_out *o = cmd_output(argc, argv, shortopts, opts);
	const char *glob = NULL, *dir;
	char **names = NULL;
	size_t n = 0;
	int c, err, ret = EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			break;
		case 'h':
			vnp_out_free(o);
			return print_help(help);
		default:
			ret = usage_error(o, "list", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "events")) {
		ret = usage_error(o, "list", "what to list? 'vnetprof list events [GLOB]'");
		goto out;
	}
	if (++optind < argc)
		glob = argv[optind++];
	if (optind < argc) {
		ret = usage_error(o, "list", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	dir = vnp_tracefs_dir();
	if (!dir) {
		ret = vnp_out_err(o, EXIT_FAIL, "%s", vnp_errmsg());
		goto out;
	}
	err = collect(dir, glob, &names, &n);
	if (err) {
		ret = vnp_out_err(o, EXIT_FAIL, "cannot read %s/events: %s%s", dir, strerror(-err),
				  err == -EACCES ? " (run as root)" : "");
		goto out;
	}
	if (!n && glob) {
		ret = vnp_out_err(o, EXIT_FAIL, "no event matches '%s'", glob);
		goto out;
	}
	vnp_out_open_array(o, NULL);
	for (size_t i = 0; i < n; i++) {
		char sys[64], ev[128];
		const char *field = NULL;

		if (!vnp_event_split(names[i], sys, sizeof(sys), ev, sizeof(ev)))
			field = vnp_event_dev_field(sys, ev);
		vnp_out_open_object(o, NULL);
		vnp_out_str(o, "event", "%s", names[i]);
		if (field)
			vnp_out_str(o, "dev_field", "  [device: %s]", field);
		vnp_out_nl(o);
		vnp_out_close_object(o);
	}
	vnp_out_close_array(o);
out:
	vnp_strv_free(names, n);
	vnp_out_free(o);
	return ret;
}
