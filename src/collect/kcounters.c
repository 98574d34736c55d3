// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's own counters, read once per bin: they cost nothing per packet.
 *
 * The kernel already counts much of what a per-event hook would count: every
 * network device keeps packets, bytes and drops (in its namespace's
 * /proc/net/dev), every CPU counts the softirqs it ran per vector
 * (/proc/softirqs), its context switches and interrupts (/proc/stat) and
 * what its network backlog processed, dropped and cut short
 * (/proc/net/softnet_stat). Reading them costs a few file reads per bin,
 * however fast the traffic is; no hook is attached anywhere.
 *
 * Devices are those, at open, of our namespace and of the named ones
 * (/run/netns: ip netns, the testbed, OpenStack's routers), not loopbacks,
 * labelled as --by dev labels them. Unnamed namespaces (containers) are left
 * out: their host-side veth peers are in our namespace and carry the same
 * counts, and a host with thousands of containers would cost a read of each
 * per bin. Another namespace's /proc/net/dev is opened inside it at each
 * read and closed again: an open file would hold the namespace, and the
 * devices in it, alive after 'ip netns del'. A device or namespace that goes
 * away reads NAN from then on.
 */
#include "collect/procfs.h"
#include "collect/collector.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_VEC 16
#define MAX_NAMED 128 /* named namespaces read, at most: each costs two setns() per bin */

struct kc_dev {
	char name[16];
	size_t first; /* its first series: bytes rx/tx, packets rx/tx, drops rx/tx */
	bool seen;
};

struct kc_ns {
	char path[300]; /* /run/netns/NAME; "" for ours */
	ino_t ino;
	int fd;		    /* our own namespace's /proc/net/dev, kept open */
	struct kc_dev *dev; /* sorted by name */
	size_t ndev;
};

struct vnp_kcounters {
	struct kc_ns *ns;
	size_t nns;
	int softirqs_fd, stat_fd, softnet_fd;
	char vec[MAX_VEC][16];
	size_t nvec, vec_first, stat_first, softnet_first;
	struct vnp_series_info *si;
	size_t nsi;
	char buf[65536];
};

static int add(struct vnp_kcounters *kc, const char *name, const char *unit, enum vnp_role role)
{
	struct vnp_series_info *nv = realloc(kc->si, (kc->nsi + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	kc->si = nv;
	nv += kc->nsi;
	memset(nv, 0, sizeof(*nv));
	nv->name = strdup(name);
	nv->unit = (char *)unit;
	nv->kind = VNP_COUNTER;
	nv->role = role;
	nv->backend = (char *)VNP_BACKEND_PROCFS;
	if (!nv->name)
		return -ENOMEM;
	kc->nsi++;
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct kc_dev *)a)->name, ((const struct kc_dev *)b)->name);
}

/* loopbacks, and -T's devices: DEV (ours) or DEV@NETNS, which have series already */
static bool skipped(const struct vnp_ndev *d, const struct vnp_netns *ns, const char *const *skip,
		    size_t nskip)
{
	size_t len = strlen(d->name);

	if (!strcmp(d->name, "lo"))
		return true;
	for (size_t i = 0; i < nskip; i++) {
		if (strncmp(skip[i], d->name, len) || (skip[i][len] && skip[i][len] != '@'))
			continue;
		if (skip[i][len] ? ns->name && !strcmp(skip[i] + len + 1, ns->name) : d->own)
			return true;
	}
	return false;
}

static int open_devices(struct vnp_kcounters *kc, const char *const *skip, size_t nskip)
{
	struct vnp_netns *nsv;
	struct vnp_ndev *d = NULL;
	size_t nns, nd = 0, named = 0, keep = 0;
	char name[128];
	int err;

	err = vnp_netns_list(&nsv, &nns);
	/* keep ours and the first MAX_NAMED named ones, in place */
	for (size_t i = 0; !err && i < nns; i++) {
		if (nsv[i].own || (nsv[i].name && named++ < MAX_NAMED))
			nsv[keep++] = nsv[i];
		else
			free(nsv[i].name);
	}
	nns = err ? 0 : keep;
	if (named > MAX_NAMED)
		pr_warn("kernel counters: %zu named network namespaces; the devices of the first "
			"%d are read\n", named, MAX_NAMED);
	if (!err)
		err = vnp_ndev_list(nsv, nns, &d, &nd);
	if (!err && !(kc->ns = calloc(nns ? nns : 1, sizeof(*kc->ns))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < nns; i++)
		kc->ns[i].fd = -1;
	kc->nns = err ? 0 : nns;
	/* series in label order, as the BPF counts' */
	for (size_t i = 0; !err && i < nd; i++) {
		struct kc_ns *ns = &kc->ns[d[i].nsi];
		struct kc_dev *nv;

		if (skipped(&d[i], &nsv[d[i].nsi], skip, nskip))
			continue;
		if (!ns->ndev && nsv[d[i].nsi].own) {
			ns->fd = open("/proc/self/net/dev", O_RDONLY | O_CLOEXEC);
			if (ns->fd < 0) {
				err = -errno;
				break;
			}
		} else if (!ns->ndev) {
			snprintf(ns->path, sizeof(ns->path), "%s", nsv[d[i].nsi].path);
			ns->ino = nsv[d[i].nsi].ino;
		}
		nv = realloc(ns->dev, (ns->ndev + 1) * sizeof(*nv));
		if (!nv) {
			err = -ENOMEM;
			break;
		}
		ns->dev = nv;
		nv += ns->ndev++;
		snprintf(nv->name, sizeof(nv->name), "%s", d[i].name);
		nv->first = kc->nsi;
		for (int st = 0; st < NETDEV_NSTATS && !err; st++) {
			const char *unit = vnp_netdev_series(name, sizeof(name), st, d[i].label);

			err = unit ? add(kc, name, unit, VNP_INDICATOR) : -ENAMETOOLONG;
		}
	}
	for (size_t i = 0; i < kc->nns; i++)
		if (kc->ns[i].ndev)
			qsort(kc->ns[i].dev, kc->ns[i].ndev, sizeof(*kc->ns[i].dev), cmp_dev);
	free(d);
	vnp_netns_free(nsv, nns);
	return err;
}

/* the vector names of /proc/softirqs: "NET_RX:" at the start of each row */
static int open_softirqs(struct vnp_kcounters *kc)
{
	char name[64], *save = NULL;
	int n;

	kc->softirqs_fd = open("/proc/softirqs", O_RDONLY | O_CLOEXEC);
	if (kc->softirqs_fd < 0)
		return 0; /* without it, only its series are missing */
	n = vnp_pread_all(kc->softirqs_fd, kc->buf, sizeof(kc->buf));
	if (n <= 0)
		return 0;
	kc->vec_first = kc->nsi;
	for (char *line = strtok_r(kc->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		struct vnp_label l = { "vec", kc->vec[kc->nvec] };
		int err;

		if (!colon || kc->nvec == MAX_VEC)
			continue;
		*colon = '\0';
		while (*line == ' ')
			line++;
		if (!*line || strlen(line) >= sizeof(kc->vec[0]))
			continue;
		snprintf(kc->vec[kc->nvec], sizeof(kc->vec[0]), "%s", line);
		err = vnp_series_name(name, sizeof(name), "softirqs", &l, 1);
		if (err < 0)
			return vnp_fail(err, "softirq vector %s: no series name", line);
		err = add(kc, name, "events", VNP_INDICATOR);
		if (err)
			return err;
		kc->nvec++;
	}
	return 0;
}

struct vnp_kcounters *vnp_kcounters_open(const char *const *skip, size_t nskip)
{
	struct vnp_kcounters *kc = calloc(1, sizeof(*kc));
	int err;

	if (!kc)
		return NULL;
	kc->softirqs_fd = kc->stat_fd = kc->softnet_fd = -1;
	err = open_devices(kc, skip, nskip);
	if (!err)
		err = open_softirqs(kc);
	if (!err) {
		kc->stat_fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
		kc->stat_first = kc->nsi;
		if (kc->stat_fd >= 0 && !(err = add(kc, "context_switches", "events", VNP_INDICATOR)))
			err = add(kc, "interrupts", "events", VNP_INDICATOR);
	}
	if (!err) {
		kc->softnet_fd = open("/proc/net/softnet_stat", O_RDONLY | O_CLOEXEC);
		kc->softnet_first = kc->nsi;
		if (kc->softnet_fd >= 0 &&
		    !(err = add(kc, "softnet_processed", "packets", VNP_INDICATOR)) &&
		    !(err = add(kc, "softnet_dropped", "packets", VNP_INDICATOR)))
			err = add(kc, "softnet_time_squeeze", "events", VNP_INDICATOR);
	}
	if (err) {
		vnp_kcounters_close(kc);
		return vnp_fail_null(err, "cannot read the kernel's counters: %s", strerror(-err));
	}
	return kc;
}

const struct vnp_series_info *vnp_kcounters_series(const struct vnp_kcounters *kc, size_t *n)
{
	*n = kc->nsi;
	return kc->si;
}

/* "  eth0: rx_bytes rx_packets errs drop fifo frame compressed multicast tx_bytes ..." */
static void read_devices(struct vnp_kcounters *kc, struct kc_ns *ns, double *tot)
{
	int n = vnp_netdev_file(ns->fd, ns->path, ns->ino, kc->buf, sizeof(kc->buf));
	char *save = NULL;

	for (size_t i = 0; i < ns->ndev; i++)
		ns->dev[i].seen = false;
	for (char *line = n > 0 ? strtok_r(kc->buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		struct kc_dev key, *d;

		if (!colon)
			continue;
		*colon = '\0';
		while (*line == ' ')
			line++;
		snprintf(key.name, sizeof(key.name), "%s", line);
		d = bsearch(&key, ns->dev, ns->ndev, sizeof(*d), cmp_dev);
		if (d && !vnp_netdev_parse(colon + 1, tot + d->first))
			d->seen = true;
	}
	for (size_t i = 0; i < ns->ndev; i++)
		if (!ns->dev[i].seen)
			for (int j = 0; j < NETDEV_NSTATS; j++)
				tot[ns->dev[i].first + j] = NAN;
}

/* sum the per-CPU columns of each vector's row */
static void read_softirqs(struct vnp_kcounters *kc, double *tot)
{
	char *save = NULL;
	int n = vnp_pread_all(kc->softirqs_fd, kc->buf, sizeof(kc->buf));

	for (size_t i = 0; i < kc->nvec; i++)
		tot[kc->vec_first + i] = NAN;
	for (char *line = n > 0 ? strtok_r(kc->buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *p, *end;
		double sum = 0;

		if (!colon)
			continue;
		*colon = '\0';
		while (*line == ' ')
			line++;
		for (size_t i = 0; i < kc->nvec; i++) {
			if (strcmp(kc->vec[i], line))
				continue;
			for (p = colon + 1;; p = end) {
				unsigned long long v = strtoull(p, &end, 10);

				if (end == p)
					break;
				sum += (double)v;
			}
			tot[kc->vec_first + i] = sum;
			break;
		}
	}
}

static void read_stat(struct vnp_kcounters *kc, double *tot)
{
	int n = vnp_pread_all(kc->stat_fd, kc->buf, sizeof(kc->buf));
	char *p;

	tot[kc->stat_first] = tot[kc->stat_first + 1] = NAN;
	if (n <= 0)
		return;
	if ((p = strstr(kc->buf, "\nctxt ")))
		tot[kc->stat_first] = (double)strtoull(p + 6, NULL, 10);
	if ((p = strstr(kc->buf, "\nintr ")))
		tot[kc->stat_first + 1] = (double)strtoull(p + 6, NULL, 10);
}

/* one row per CPU, hexadecimal: processed, dropped, time_squeeze, ... */
static void read_softnet(struct vnp_kcounters *kc, double *tot)
{
	int n = vnp_pread_all(kc->softnet_fd, kc->buf, sizeof(kc->buf));
	double sum[3] = { 0, 0, 0 };
	char *save = NULL;

	for (char *line = n > 0 ? strtok_r(kc->buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *end;

		for (int i = 0; i < 3; i++, p = end) {
			unsigned long long v = strtoull(p, &end, 16);

			if (end == p)
				break;
			sum[i] += (double)v;
		}
	}
	for (int i = 0; i < 3; i++)
		tot[kc->softnet_first + i] = n > 0 ? sum[i] : NAN;
}

int vnp_kcounters_read(struct vnp_kcounters *kc, double *tot)
{
	for (size_t i = 0; i < kc->nns; i++)
		if (kc->ns[i].ndev)
			read_devices(kc, &kc->ns[i], tot);
	if (kc->nvec)
		read_softirqs(kc, tot);
	if (kc->stat_fd >= 0)
		read_stat(kc, tot);
	if (kc->softnet_fd >= 0)
		read_softnet(kc, tot);
	return 0;
}

void vnp_kcounters_close(struct vnp_kcounters *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->nns; i++) {
		if (kc->ns[i].fd >= 0)
			close(kc->ns[i].fd);
		free(kc->ns[i].dev);
	}
	free(kc->ns);
	if (kc->softirqs_fd >= 0)
		close(kc->softirqs_fd);
	if (kc->stat_fd >= 0)
		close(kc->stat_fd);
	if (kc->softnet_fd >= 0)
		close(kc->softnet_fd);
	for (size_t i = 0; i < kc->nsi; i++)
		free(kc->si[i].name);
	free(kc->si);
	free(kc);
}

/* ---- as a collector ---- */

static int kcounters_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx,
			       unsigned *flags)
{
	vnp_kcounters_read(c->priv, c->v);
	return 0;
}

static void kcounters_coll_close(struct vnp_collector *c)
{
	vnp_kcounters_close(c->priv);
}

static const struct vnp_collector_ops kcounters_ops = {
	.name = "kcounters",
	.read = kcounters_coll_read,
	.close = kcounters_coll_close,
};

int vnp_kcounters_collect(const struct vnp_record_opts *o, struct vnp_collectors *l)
{
	const struct vnp_series_info *si;
	struct vnp_kcounters *kc;
	size_t n;

	if (o->no_kcounters)
		return 0;
	kc = vnp_kcounters_open(o->targets, o->ntargets);
	if (!kc)
		return -errno;
	si = vnp_kcounters_series(kc, &n);
	return vnp_collectors_new_of(l, &kcounters_ops, kc, si, n, true);
}
