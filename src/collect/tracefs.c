// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tracefs: where it is, event ids and fields, and the kernel's reason for a
 * rejected filter. The top-level instance is never touched; the only
 * instance we create (to read a filter error back) is removed at once.
 */
#include "collect/collect.h"

#include <ctype.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tracefs.h>
#include <unistd.h>

static char tracefs_path[256];

const char *vnp_tracefs_dir(void)
{
	struct mntent *m;
	FILE *fp;

	if (tracefs_path[0])
		return tracefs_path;
	fp = setmntent("/proc/self/mounts", "r");
	if (!fp)
		return vnp_fail_null(-ENOENT, "cannot read /proc/self/mounts: is /proc mounted?");
	while ((m = getmntent(fp))) {
		if (!strcmp(m->mnt_type, "tracefs")) {
			/* the canonical mount point wins over others */
			if (!tracefs_path[0] || !strcmp(m->mnt_dir, "/sys/kernel/tracing"))
				snprintf(tracefs_path, sizeof(tracefs_path), "%s", m->mnt_dir);
		}
	}
	endmntent(fp);
	if (!tracefs_path[0])
		return vnp_fail_null(-ENOENT, "tracefs is not mounted; mount it with "
				     "'mount -t tracefs nodev /sys/kernel/tracing' (as root)");
	return tracefs_path;
}

int vnp_event_split(const char *spec, char *sys, size_t ssize, char *name, size_t nsize)
{
	size_t n = strcspn(spec, ":/");

	if (!spec[n] || !n || !spec[n + 1] || strchr(spec + n + 1, ':') ||
	    strchr(spec + n + 1, '/') || n >= ssize || strlen(spec + n + 1) >= nsize)
		return vnp_fail(-EINVAL, "'%s' is not an event; write SYSTEM:EVENT, e.g. "
				"net:net_dev_xmit", spec);
	for (const char *p = spec; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == ':' || *p == '/' ||
		      *p == '-'))
			return vnp_fail(-EINVAL, "'%s' is not an event name; write SYSTEM:EVENT",
					spec);
	memcpy(sys, spec, n);
	sys[n] = '\0';
	strcpy(name, spec + n + 1);
	return 0;
}

int vnp_event_id(const char *sys, const char *name)
{
	const char *dir = vnp_tracefs_dir();
	char path[512], buf[32];
	int n;

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", dir, sys, name);
	n = vnp_read_file(path, buf, sizeof(buf));
	if (n == -ENOENT)
		return vnp_fail(-ENOENT, "unknown event '%s:%s'; 'vnetprof list events \"%s:*\"' "
				"lists the events of that system", sys, name, sys);
	if (n == -EACCES || n == -EPERM)
		return vnp_fail(-EACCES, "cannot read %s: recording needs root", path);
	if (n < 0)
		return vnp_fail(n, "cannot read %s: %s", path, strerror(-n));
	return atoi(buf);
}

/* the event's format file, or NULL */
static char *event_format(const char *sys, const char *name)
{
	const char *dir = vnp_tracefs_dir();
	char path[512], *buf;

	if (!dir)
		return NULL;
	buf = malloc(16384);
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, sys, name);
	if (buf && vnp_read_file(path, buf, 16384) <= 0) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

bool vnp_event_has_field(const char *sys, const char *name, const char *field)
{
	char *buf = event_format(sys, name), pat[80];
	bool found;

	snprintf(pat, sizeof(pat), " %s;", field);
	found = buf && strstr(buf, pat);
	free(buf);
	return found;
}

const char *vnp_event_dev_field(const char *sys, const char *name)
{
	/* string fields that carry a net_device's name, in order of preference */
	static const char *const fields[] = { "name", "dev_name", "devname", "dev", "device" };
	char *buf = event_format(sys, name);
	const char *found = NULL;

	for (size_t i = 0; buf && i < ARRAY_SIZE(fields) && !found; i++) {
		char pat[64], pat2[64];

		/* "__data_loc char[] name;" or "char name[16];" */
		snprintf(pat, sizeof(pat), "char[] %s;", fields[i]);
		snprintf(pat2, sizeof(pat2), "char %s[", fields[i]);
		if (strstr(buf, pat) || strstr(buf, pat2))
			found = fields[i];
	}
	free(buf);
	return found;
}

int vnp_filter_explain(const char *sys, const char *name, const char *filter, char *out,
		       size_t size)
{
	struct tracefs_instance *inst;
	char iname[64], *text = NULL, *reason = NULL, *caret;
	sigset_t all, old;
	int col = -1, ret;

	if (!vnp_tracefs_dir()) {
		snprintf(out, size, "%s", vnp_errmsg());
		return -ENOENT;
	}
	/* no signal may leave the instance behind between create and destroy */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	snprintf(iname, sizeof(iname), "vnetprof-%d-filter", (int)getpid());
	inst = tracefs_instance_create(iname);
	if (!inst) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		snprintf(out, size, "the kernel rejects it (no private tracefs instance to ask why: "
			 "%s)", strerror(errno));
		return -EINVAL;
	}
	ret = tracefs_event_file_write(inst, sys, name, "filter", filter);
	if (ret < 0)
		text = tracefs_event_file_read(inst, sys, name, "filter", NULL);
	tracefs_instance_destroy(inst);
	tracefs_instance_free(inst);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret >= 0) {
		snprintf(out, size, "accepted");
		return 0;
	}
	/* "FILTER\n    ^\nparse_error: REASON\n" */
	if (text) {
		reason = strstr(text, "parse_error: ");
		caret = strchr(text, '^');
		if (caret) {
			char *line = caret;

			while (line > text && line[-1] != '\n')
				line--;
			col = (int)(caret - line);
		}
		if (reason) {
			reason += strlen("parse_error: ");
			reason[strcspn(reason, "\n")] = '\0';
		}
	}
	if (reason && col >= 0)
		snprintf(out, size, "%s (at column %d)", reason, col + 1);
	else if (reason)
		snprintf(out, size, "%s", reason);
	else
		snprintf(out, size, "the kernel rejects it without a reason");
	free(text);
	return -EINVAL;
}
