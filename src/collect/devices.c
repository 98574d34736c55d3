// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The names of the network devices of every network namespace on the host
 * (ours, the named ones under /run/netns, and those of running processes),
 * for --by dev. Each namespace is entered by a short-lived child process, so
 * the recorder itself never changes namespace.
 */
#include "collect/collect.h"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct nsref {
	dev_t dev;
	ino_t ino;
	char path[300];
};

static int add_ns(struct nsref **v, size_t *n, const char *path)
{
	struct stat sb;
	struct nsref *nv;

	if (stat(path, &sb))
		return 0;
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].dev == sb.st_dev && (*v)[i].ino == sb.st_ino)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].dev = sb.st_dev;
	nv[*n].ino = sb.st_ino;
	snprintf(nv[*n].path, sizeof(nv[*n].path), "%s", path);
	(*n)++;
	return 0;
}

static int add_name(char ***names, size_t *n, const char *name)
{
	char **nv;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*names)[i], name))
			return 0;
	nv = realloc(*names, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*names = nv;
	nv[*n] = strdup(name);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* list the devices of one namespace through a child that enters it */
static int ns_devices(const char *nspath, char ***names, size_t *n)
{
	int pfd[2], status;
	char buf[8192];
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
		int fd = open(nspath, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(1);
		ifs = if_nameindex();
		if (!ifs)
			_exit(1);
		for (i = ifs; i->if_index; i++) {
			if (write(pfd[1], i->if_name, strlen(i->if_name)) < 0 ||
			    write(pfd[1], "\n", 1) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(pfd[1]);
	while (len < sizeof(buf) - 1 && (r = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	buf[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (add_name(names, n, line))
			return -ENOMEM;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vnp_netdev_names(char ***names, size_t *n)
{
	struct nsref *ns = NULL;
	size_t nns = 0;
	struct dirent *de;
	char path[300];
	DIR *d;
	int err = 0;

	*names = NULL;
	*n = 0;
	add_ns(&ns, &nns, "/proc/self/ns/net");
	d = opendir("/run/netns");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		add_ns(&ns, &nns, path);
	}
	if (d)
		closedir(d);
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		add_ns(&ns, &nns, path);
	}
	if (d)
		closedir(d);
	for (size_t i = 0; i < nns && !err; i++)
		err = ns_devices(ns[i].path, names, n);
	free(ns);
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
