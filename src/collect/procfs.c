// SPDX-License-Identifier: LGPL-2.1-or-later
#include "collect/procfs.h"
#include "collect/collector.h"

#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* read a whole small file through an open fd, from the start */
int vnp_pread_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1) {
		n = pread(fd, buf + len, size - 1 - len, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return (int)len;
}

/* ---- interface statistics ---- */

/*
 * From /proc/net/dev of the device's namespace, opened inside it, so
 * DEV@NETNS works without the recorder living there. Another namespace's
 * file is opened for each read and closed again: an open file would keep
 * the namespace alive after 'ip netns del'. The counters are those of the
 * device's statistics in sysfs (dev_get_stats()); "drop" also holds rx_missed.
 */
struct vnp_netdev {
	int fd;		/* ours: kept open */
	char nspath[300]; /* another namespace: /run/netns/NAME, opened per read */
	ino_t ino;
	char key[24]; /* "name:" */
	char buf[65536];
};

struct vnp_netdev *vnp_netdev_open(const char *spec)
{
	char dev[64], *at, netns[256] = "";
	struct vnp_netdev *nd;
	double v[NETDEV_NSTATS];
	int err;

	snprintf(dev, sizeof(dev), "%s", spec);
	at = strchr(dev, '@');
	if (at) {
		*at = '\0';
		snprintf(netns, sizeof(netns), "%s", strchr(spec, '@') + 1);
	}
	if (!*dev || strchr(dev, '/') || strchr(dev, ':') || strlen(dev) >= 16)
		return vnp_fail_null(-EINVAL, "'%s' is not a network device name (DEV or "
				     "DEV@NETNS)", spec);
	nd = calloc(1, sizeof(*nd));
	if (!nd)
		return NULL;
	nd->fd = -1;
	if (at && (strchr(netns, '/') || !*netns)) {
		errno = EINVAL;
	} else if (at) {
		struct stat sb;

		snprintf(nd->nspath, sizeof(nd->nspath), "/run/netns/%s", netns);
		if (!stat(nd->nspath, &sb)) {
			nd->ino = sb.st_ino;
			nd->fd = vnp_open_in_netns(nd->nspath, nd->ino, "/proc/self/net/dev");
		}
	} else {
		nd->fd = open("/proc/self/net/dev", O_RDONLY | O_CLOEXEC);
	}
	if (nd->fd < 0) {
		err = errno;
		free(nd);
		if (at && (err == ENOENT || err == EINVAL))
			return vnp_fail_null(-ENOENT, "unknown network namespace '%s'; 'ip netns' "
					     "lists them", netns);
		return vnp_fail_null(-err, "cannot open the interface statistics of %s: %s", spec,
				     strerror(err));
	}
	snprintf(nd->key, sizeof(nd->key), "%.15s:", dev); /* checked: under 16 */
	if (at) {
		close(nd->fd);
		nd->fd = -1;
	}
	if (vnp_netdev_read(nd, v)) {
		vnp_netdev_close(nd);
		return vnp_fail_null(-ENODEV, "unknown device '%s'; 'ip %slink' lists the devices "
				     "of %s%s", dev, at ? "-n NETNS " : "",
				     at ? "namespace " : "this network namespace", at ? netns : "");
	}
	return nd;
}

int vnp_netdev_file(int fd, const char *nspath, ino_t ino, char *buf, size_t size)
{
	int n, own = fd;

	if (fd < 0)
		fd = vnp_open_in_netns(nspath, ino, "/proc/self/net/dev");
	if (fd < 0)
		return -ENODEV;
	n = vnp_pread_all(fd, buf, size);
	if (fd != own)
		close(fd);
	return n;
}

const char *vnp_netdev_series(char *buf, size_t size, int stat, const char *dev)
{
	static const char *const metric[3] = { "netdev_bytes", "netdev_packets", "netdev_drops" };
	static const char *const unit[3] = { "bytes", "packets", "packets" };
	struct vnp_label l[2] = { { "dev", dev }, { "dir", stat % 2 ? "tx" : "rx" } };

	if (vnp_series_name(buf, size, metric[stat / 2], l, 2) < 0) {
		vnp_fail(-ENAMETOOLONG, "device %s: its series name does not fit %zu bytes", dev, size);
		return NULL;
	}
	return unit[stat / 2];
}

int vnp_netdev_parse(const char *p, double out[NETDEV_NSTATS])
{
	/* columns after "name:": rx bytes packets errs drop ..., tx from the 9th */
	static const int col[NETDEV_NSTATS] = { 0, 8, 1, 9, 3, 11 };
	unsigned long long v[16];

	for (int i = 0; i < 16; i++) {
		char *end;

		v[i] = strtoull(p, &end, 10);
		if (end == p)
			return -EIO;
		p = end;
	}
	for (int i = 0; i < NETDEV_NSTATS; i++)
		out[i] = (double)v[col[i]];
	return 0;
}

int vnp_netdev_read(struct vnp_netdev *nd, double out[NETDEV_NSTATS])
{
	size_t klen = strlen(nd->key);
	int n = vnp_netdev_file(nd->fd, nd->nspath, nd->ino, nd->buf, sizeof(nd->buf));
	char *p;

	if (n <= 0)
		return n < 0 ? n : -ENODEV;
	for (p = nd->buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		while (*p == ' ')
			p++;
		if (!strncmp(p, nd->key, klen))
			break;
	}
	if (!p)
		return -ENODEV;
	return vnp_netdev_parse(p + klen, out);
}

void vnp_netdev_close(struct vnp_netdev *nd)
{
	if (!nd)
		return;
	if (nd->fd >= 0)
		close(nd->fd);
	free(nd);
}

/* ---- CPU time per mode ---- */

/* /proc/stat's order; "user" includes "guest" there (and so here) */
const char *const vnp_cpustat_modes[CPUSTAT_NMODES] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest",
};

struct vnp_cpustat {
	int fd;
	double tick;
	char buf[4096];
};

struct vnp_cpustat *vnp_cpustat_open(void)
{
	struct vnp_cpustat *cs = calloc(1, sizeof(*cs));
	long hz = sysconf(_SC_CLK_TCK);

	if (!cs)
		return NULL;
	cs->fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (cs->fd < 0) {
		free(cs);
		return vnp_fail_null(-errno, "cannot open /proc/stat: %s", strerror(errno));
	}
	cs->tick = 1.0 / (hz > 0 ? hz : 100);
	return cs;
}

int vnp_cpustat_read(struct vnp_cpustat *cs, double out[CPUSTAT_NMODES])
{
	char *p;
	int n;

	/* the aggregate "cpu " line comes first; 4 KiB always holds it */
	n = pread(cs->fd, cs->buf, sizeof(cs->buf) - 1, 0);
	if (n < 5 || strncmp(cs->buf, "cpu ", 4))
		return -EIO;
	cs->buf[n] = '\0';
	p = cs->buf + 4;
	for (int i = 0; i < CPUSTAT_NMODES; i++) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p)
			return -EIO;
		out[i] = (double)v * cs->tick;
		p = end;
	}
	return 0;
}

void vnp_cpustat_close(struct vnp_cpustat *cs)
{
	if (!cs)
		return;
	close(cs->fd);
	free(cs);
}

/* ---- run-queue delay ---- */

struct vnp_runq {
	int fd;
	bool psi;
	char buf[65536];
};

struct vnp_runq *vnp_runq_open(void)
{
	struct vnp_runq *rq = calloc(1, sizeof(*rq));
	double v;

	if (!rq)
		return NULL;
	rq->fd = open("/proc/schedstat", O_RDONLY | O_CLOEXEC);
	if (rq->fd < 0) {
		rq->psi = true;
		rq->fd = open("/proc/pressure/cpu", O_RDONLY | O_CLOEXEC);
	}
	if (rq->fd < 0 || vnp_runq_read(rq, &v)) {
		if (rq->fd >= 0)
			close(rq->fd);
		free(rq);
		return vnp_fail_null(-ENOENT, "no run-queue delay: the kernel has neither "
				     "/proc/schedstat (CONFIG_SCHEDSTATS) nor CPU pressure "
				     "(CONFIG_PSI, boot with psi=1)");
	}
	return rq;
}

const char *vnp_runq_series(const struct vnp_runq *rq)
{
	return rq->psi ? "cpu_pressure_seconds{level=\"some\"}" : "runqueue_delay_seconds";
}

int vnp_runq_read(struct vnp_runq *rq, double *seconds)
{
	int n = vnp_pread_all(rq->fd, rq->buf, sizeof(rq->buf));
	double total = 0;
	char *p;

	if (n <= 0)
		return -EIO;
	if (rq->psi) {
		/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=USEC" */
		p = strstr(rq->buf, "total=");
		if (strncmp(rq->buf, "some", 4) || !p)
			return -EIO;
		*seconds = strtoull(p + 6, NULL, 10) * 1e-6;
		return 0;
	}
	/* per CPU: "cpuN f1 .. f9": field 8 is the time tasks waited to run (ns) */
	for (p = strstr(rq->buf, "\ncpu"); p; p = strstr(p + 1, "\ncpu")) {
		char *q = p + 4;
		unsigned long long v = 0;

		while (*q && *q != ' ')
			q++;
		for (int f = 1; f <= 8; f++)
			v = strtoull(q, &q, 10);
		total += (double)v;
	}
	*seconds = total * 1e-9;
	return 0;
}

void vnp_runq_close(struct vnp_runq *rq)
{
	if (!rq)
		return;
	close(rq->fd);
	free(rq);
}

/* ---- as collectors ---- */

struct netdev_coll {
	struct vnp_netdev *nd;
	const char *dev; /* the -T argument */
	bool gone;
};

static int netdev_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx,
			    unsigned *flags)
{
	struct netdev_coll *p = c->priv;
	double nd[NETDEV_NSTATS];

	if (p->gone || vnp_netdev_read(p->nd, nd)) {
		if (!p->gone)
			pr_warn("device %s went away; its series stop here\n", p->dev);
		p->gone = true;
		for (int j = 0; j < NETDEV_NSTATS; j++)
			c->v[j] = NAN;
		return 0;
	}
	for (int j = 0; j < NETDEV_NSTATS; j++)
		c->v[j] = nd[j];
	return 0;
}

/* the busier direction of the device */
static double netdev_coll_target(const struct vnp_collector *c)
{
	return isnan(c->v[NETDEV_RX_BYTES]) ? NAN
					    : fmax(c->v[NETDEV_RX_BYTES], c->v[NETDEV_TX_BYTES]);
}

static void netdev_coll_close(struct vnp_collector *c)
{
	struct netdev_coll *p = c->priv;

	vnp_netdev_close(p->nd);
	free(p);
}

static const struct vnp_collector_ops netdev_ops = {
	.name = "netdev",
	.read = netdev_coll_read,
	.target_bytes = netdev_coll_target,
	.close = netdev_coll_close,
};

/* one -T device: its bytes are the target; packets and drops, context */
static int netdev_collector(struct vnp_collectors *l, const char *dev)
{
	struct netdev_coll *p = calloc(1, sizeof(*p));
	struct vnp_collector *c;
	char name[256];

	if (!p)
		return vnp_fail(-ENOMEM, "out of memory");
	c = vnp_collectors_new(l, &netdev_ops, p);
	if (!c)
		return -errno;
	p->dev = dev;
	p->nd = vnp_netdev_open(dev);
	if (!p->nd)
		return -errno;
	for (int st = 0; st < NETDEV_NSTATS; st++) {
		const char *unit = vnp_netdev_series(name, sizeof(name), st, dev);
		int s;

		if (!unit)
			return -ENAMETOOLONG;
		s = vnp_collector_add_series(c, name, VNP_COUNTER, unit,
					     st < NETDEV_RX_PACKETS ? VNP_TARGET : VNP_CONTEXT,
					     VNP_BACKEND_PROCFS, true);
		if (s < 0)
			return s;
	}
	return 0;
}

int vnp_netdev_collect(const struct vnp_record_opts *o, struct vnp_collectors *l)
{
	for (size_t i = 0; i < o->ntargets; i++) {
		int err = netdev_collector(l, o->targets[i]);

		if (err)
			return err;
	}
	return 0;
}

static int cpustat_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx,
			     unsigned *flags)
{
	double cpu[CPUSTAT_NMODES];

	if (!vnp_cpustat_read(c->priv, cpu))
		for (int m = 0; m < CPUSTAT_NMODES; m++)
			c->v[m] = cpu[m];
	return 0;
}

static void cpustat_coll_close(struct vnp_collector *c)
{
	vnp_cpustat_close(c->priv);
}

static const struct vnp_collector_ops cpustat_ops = {
	.name = "cpustat",
	.read = cpustat_coll_read,
	.close = cpustat_coll_close,
};

int vnp_cpustat_collect(const struct vnp_record_opts *o, struct vnp_collectors *l)
{
	struct vnp_cpustat *cs = vnp_cpustat_open();
	struct vnp_collector *c;
	char name[256];

	if (!cs)
		return -errno;
	c = vnp_collectors_new(l, &cpustat_ops, cs);
	if (!c)
		return -errno;
	for (int m = 0; m < CPUSTAT_NMODES; m++) {
		struct vnp_label lb = { "mode", vnp_cpustat_modes[m] };
		int s;

		if (vnp_series_name(name, sizeof(name), "cpu_seconds", &lb, 1) < 0)
			return vnp_fail(-EINVAL, "no series name for CPU mode %s", lb.value);
		s = vnp_collector_add_series(c, name, VNP_COUNTER, "seconds", VNP_CONTEXT,
					     VNP_BACKEND_PROCFS, true);
		if (s < 0)
			return s;
	}
	return 0;
}

static int runq_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx, unsigned *flags)
{
	double rq;

	if (!vnp_runq_read(c->priv, &rq))
		c->v[0] = rq;
	return 0;
}

static void runq_coll_close(struct vnp_collector *c)
{
	vnp_runq_close(c->priv);
}

static const struct vnp_collector_ops runq_ops = {
	.name = "runq",
	.read = runq_coll_read,
	.close = runq_coll_close,
};

int vnp_runq_collect(const struct vnp_record_opts *o, struct vnp_collectors *l)
{
	struct vnp_runq *rq = vnp_runq_open();
	struct vnp_collector *c;
	int s;

	if (!rq) {
		/* context only: the run goes on without it */
		if (!o->quiet)
			pr_warn("%s\n", vnp_errmsg());
		return 0;
	}
	c = vnp_collectors_new(l, &runq_ops, rq);
	if (!c)
		return -errno;
	s = vnp_collector_add_series(c, vnp_runq_series(rq), VNP_COUNTER, "seconds", VNP_CONTEXT,
				     VNP_BACKEND_PROCFS, true);
	return s < 0 ? s : 0;
}
