// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which network devices and threads belong to which VM, for --by vm.
 *
 * On a KVM host, each QEMU process names its VM (-name guest=NAME or
 * -name NAME) and its tap devices (-netdev tap,ifname=TAP, or a tap fd
 * passed by libvirt: /proc/PID/fdinfo/FD says "iff: TAP"); its threads (the
 * vCPUs) and the vhost workers "vhost-<qemu pid>" run the VM's work. On the
 * emulated testbed, the host side of VM N's veth is vnptb-tapN.
 */
#include "collect/collect.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add(struct vnp_vm_dev **v, size_t *n, const char *dev, const char *vm, pid_t pid)
{
	struct vnp_vm_dev *nv;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].dev, dev))
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	snprintf(nv[*n].dev, sizeof(nv[*n].dev), "%s", dev);
	snprintf(nv[*n].vm, sizeof(nv[*n].vm), "%s", vm);
	nv[*n].pid = pid;
	(*n)++;
	return 0;
}

/* the value of KEY=VALUE among comma-separated options (or JSON "KEY":"VALUE") */
static bool opt_value(const char *opts, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);

	for (const char *p = opts; (p = strstr(p, key)); p += kl) {
		const char *v = NULL;

		if ((p == opts || p[-1] == ',') && p[kl] == '=')
			v = p + kl + 1;
		else if (p > opts && p[-1] == '"' && !strncmp(p + kl, "\":", 2))
			v = p + kl + 2 + (p[kl + 2] == '"');
		if (!v)
			continue;
		size_t n = strcspn(v, ",\"}");

		if (n >= size)
			n = size - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return n > 0;
	}
	return false;
}

/* the tap behind QEMU's fd, from the tun driver's fdinfo */
static bool tap_of_fd(pid_t pid, const char *fd, char *out, size_t size)
{
	char path[128], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, fd);
	if (vnp_read_file(path, buf, sizeof(buf)) <= 0 || !(p = strstr(buf, "iff:")))
		return false;
	p += 4;
	while (*p == ' ' || *p == '\t')
		p++;
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
	return *out != '\0';
}

static int scan_qemu(pid_t pid, struct vnp_vm_dev **v, size_t *n)
{
	char path[64], buf[32768], name[64] = "", *args[512];
	int len, argc = 0;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	len = vnp_read_file(path, buf, sizeof(buf));
	if (len <= 0 || !strstr(buf, "qemu"))
		return 0;
	for (int i = 0; i < len && argc < 512; i += (int)strlen(buf + i) + 1)
		args[argc++] = buf + i;
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(args[i], "-name") &&
		    !opt_value(args[i + 1], "guest", name, sizeof(name)))
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(args[i + 1], ","),
				 args[i + 1]);
	if (!*name)
		snprintf(name, sizeof(name), "qemu-%d", (int)pid);
	for (int i = 0; i + 1 < argc; i++) {
		char tap[32], fd[16];

		if (strcmp(args[i], "-netdev") || !strstr(args[i + 1], "tap"))
			continue;
		if (opt_value(args[i + 1], "ifname", tap, sizeof(tap)) ||
		    (opt_value(args[i + 1], "fd", fd, sizeof(fd)) &&
		     tap_of_fd(pid, fd, tap, sizeof(tap))))
			if (add(v, n, tap, name, pid))
				return -ENOMEM;
	}
	/* a VM without a tap still has threads: keep it, keyed by no device */
	return add(v, n, "", name, pid) == 0 ? 0 : -ENOMEM;
}

int vnp_vm_devices(struct vnp_vm_dev **out, size_t *nout)
{
	struct vnp_vm_dev *v = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int err = 0;

	d = opendir("/proc");
	while (d && !err && (de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]))
			err = scan_qemu(atoi(de->d_name), &v, &n);
	if (d)
		closedir(d);
	/* the emulated testbed */
	d = opendir("/sys/class/net");
	while (d && !err && (de = readdir(d))) {
		int vm;
		char name[32];

		if (sscanf(de->d_name, "vnptb-tap%d", &vm) == 1) {
			snprintf(name, sizeof(name), "vm%d", vm);
			err = add(&v, &n, de->d_name, name, 0);
		}
	}
	if (d)
		closedir(d);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*nout = n;
	return 0;
}

int vnp_vhost_kthreads(pid_t qemu, pid_t *out, int max)
{
	char want[32];

	snprintf(want, sizeof(want), "vhost-%d", (int)qemu);
	return vnp_pids_named(want, false, out, max);
}

int vnp_vm_threads(pid_t qemu, pid_t **out, size_t *n)
{
	pid_t kt[64], *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	char path[64];
	DIR *d;
	int nk, ki = 0;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)qemu);
	d = opendir(path);
	nk = vnp_vhost_kthreads(qemu, kt, (int)ARRAY_SIZE(kt));
	for (;;) {
		pid_t t;

		if (d && (de = readdir(d))) {
			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			t = (pid_t)strtol(de->d_name, NULL, 10);
		} else if (ki < nk) {
			t = kt[ki++];
		} else {
			break;
		}
		if (*n == cap) {
			pid_t *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!nv) {
				free(v);
				if (d)
					closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = t;
	}
	if (d)
		closedir(d);
	*out = v;
	return 0;
}
