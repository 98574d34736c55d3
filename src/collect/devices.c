// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network namespaces of the host (ours, the named ones under /run/netns,
 * and those of running processes) and their devices, for --by dev, the BPF
 * device keys and the kernel counters. A namespace's devices are listed by a
 * short-lived child that enters it; a file is opened in a namespace by the
 * calling thread, which enters it and comes straight back.
 */
#include "collect/collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int add_ns(struct vnp_netns **v, size_t *n, const char *path, const char *name, bool own)
{
	struct vnp_netns *nv;
	struct stat sb;

	if (stat(path, &sb))
		return 0; /* gone meanwhile, or not ours to see */
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].dev == sb.st_dev && (*v)[i].ino == sb.st_ino)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv += *n;
	memset(nv, 0, sizeof(*nv));
	nv->dev = sb.st_dev;
	nv->ino = sb.st_ino;
	nv->own = own;
	snprintf(nv->path, sizeof(nv->path), "%s", path);
	if (name && !(nv->name = strdup(name)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

int vnp_netns_list(struct vnp_netns **v, size_t *n)
{
	struct dirent *de;
	char path[300];
	DIR *dir;
	int err;

	*v = NULL;
	*n = 0;
	err = add_ns(v, n, "/proc/self/ns/net", NULL, true);
	dir = opendir("/run/netns");
	while (!err && dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		err = add_ns(v, n, path, de->d_name, false);
	}
	if (dir)
		closedir(dir);
	dir = opendir("/proc");
	while (!err && dir && (de = readdir(dir))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		err = add_ns(v, n, path, NULL, false);
	}
	if (dir)
		closedir(dir);
	if (err) {
		vnp_netns_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return err;
}

void vnp_netns_free(struct vnp_netns *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

int vnp_open_in_netns(const char *nspath, ino_t ino, const char *file)
{
	int self, target, fd, e;
	struct stat sb;

	if (!nspath)
		return open(file, O_RDONLY | O_CLOEXEC);
	target = open(nspath, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -1;
	if (ino && (fstat(target, &sb) || sb.st_ino != ino)) {
		/* /proc/PID/ns/net of another process by now: not that namespace */
		close(target);
		errno = ENOENT;
		return -1;
	}
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(target, CLONE_NEWNET)) {
		e = errno;
		close(target);
		if (self >= 0)
			close(self);
		errno = e;
		return -1;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	e = errno;
	if (setns(self, CLONE_NEWNET))
		abort(); /* cannot return to our own namespace: nothing sane is left */
	close(self);
	close(target);
	errno = e;
	return fd;
}

/* "ifindex name" lines of one namespace, from a child that enters it */
static int ns_devices(const struct vnp_netns *ns, size_t nsi, struct vnp_ndev **v, size_t *n)
{
	int pfd[2], status;
	char buf[65536], *save = NULL;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		struct if_nameindex *ifs, *i;
		int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		char line[64];

		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(1);
		ifs = if_nameindex();
		if (!ifs)
			_exit(1);
		for (i = ifs; i->if_index; i++) {
			int l = snprintf(line, sizeof(line), "%u %s\n", i->if_index, i->if_name);

			if (write(pfd[1], line, l) != l)
				_exit(1);
		}
		_exit(0);
	}
	close(pfd[1]);
	while (len < sizeof(buf) - 1 && (r = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		len += r;
	}
	buf[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct vnp_ndev *nv, *d;
		unsigned idx;
		char name[IFNAMSIZ];

		if (sscanf(line, "%u %15s", &idx, name) != 2)
			continue;
		nv = realloc(*v, (*n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		d = &nv[(*n)++];
		memset(d, 0, sizeof(*d));
		d->netns = (uint32_t)ns->ino;
		d->ifindex = idx;
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->own = ns->own;
		d->nsi = nsi;
	}
	return 0;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct vnp_ndev *)a)->label, ((const struct vnp_ndev *)b)->label);
}

/*
 * Our own namespace's devices keep their plain name, as do names that occur
 * once on the host; a name that several namespaces share is qualified with
 * the namespace (its /run/netns name, else net:[inode]), like -T's DEV@NS.
 */
int vnp_ndev_list(const struct vnp_netns *ns, size_t nns, struct vnp_ndev **v, size_t *n)
{
	int err = 0;

	*v = NULL;
	*n = 0;
	for (size_t i = 0; i < nns && !err; i++)
		err = ns_devices(&ns[i], i, v, n);
	if (err) {
		free(*v);
		*v = NULL;
		*n = 0;
		return err;
	}
	for (size_t i = 0; i < *n; i++) {
		struct vnp_ndev *d = &(*v)[i];
		const char *nsname = ns[d->nsi].name;
		bool shared = false;

		for (size_t j = 0; j < *n && !shared; j++)
			shared = j != i && !strcmp((*v)[j].name, d->name);
		if (d->own || !shared)
			snprintf(d->label, sizeof(d->label), "%s", d->name);
		else if (nsname)
			snprintf(d->label, sizeof(d->label), "%s@%s", d->name, nsname);
		else
			snprintf(d->label, sizeof(d->label), "%s@net:[%u]", d->name, d->netns);
	}
	if (*n)
		qsort(*v, *n, sizeof(**v), cmp_label);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vnp_netdev_names(char ***names, size_t *n)
{
	struct vnp_netns *ns;
	struct vnp_ndev *d = NULL;
	size_t nns, nd = 0;
	int err;

	*names = NULL;
	*n = 0;
	err = vnp_netns_list(&ns, &nns);
	if (!err)
		err = vnp_ndev_list(ns, nns, &d, &nd);
	for (size_t i = 0; i < nd && !err; i++) {
		bool seen = false;
		char **nv;

		for (size_t j = 0; j < *n && !seen; j++)
			seen = !strcmp((*names)[j], d[i].name);
		if (seen)
			continue;
		nv = realloc(*names, (*n + 1) * sizeof(*nv));
		if (!nv || !(nv[*n] = strdup(d[i].name))) {
			if (nv)
				*names = nv;
			err = -ENOMEM;
			break;
		}
		*names = nv;
		(*n)++;
	}
	free(d);
	vnp_netns_free(ns, nns);
	if (err) {
		vnp_strv_free(*names, *n);
		*names = NULL;
		*n = 0;
		return err;
	}
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return 0;
}

void vnp_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}
