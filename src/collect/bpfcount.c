// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * BPF counting of tracepoints (tp_btf, tp, raw_tp) and kernel functions
 * (fentry, kprobe): one instance of bpf/count.bpf.c per counted event, all
 * sharing two per-CPU maps, read each bin.
 *
 * Exact deltas. The maps are never cleared and no entry is ever deleted:
 * each counter is a per-CPU running total that only its own CPU increments.
 * A read takes every CPU's total and subtracts what the previous read saw
 * of the same CPU. An event is counted in exactly one per-CPU total, before
 * or after the moment that CPU's value is copied out; if before, this read
 * sees it, if after, the next one, and the deltas telescope to the final
 * total. bpftrace's print-then-clear() has an edge race instead: events
 * that land between the copy and the clear are wiped without being seen.
 * Entries inserted while the hash is being walked are found by the next
 * walk, with their whole total (their previous value is 0).
 *
 * Device keys are (network namespace inode, ifindex), read by the program
 * with CO-RE, so equal device names in two namespaces stay apart. Devices
 * are enumerated in every namespace at open to name the series; a key that
 * was not known then (a device created later, an event without a device,
 * or a hit the bounded map could not hold) is counted as dev="other".
 */
#include "collect/bpfcount.h"
#include "collect/collector.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/bpf/count.h"
#include "collect/bpf/count.skel.h"

#define DEVS_MIN 256	/* entries of the device hash, at least */
#define DEVS_MAX 16384	/* and at most (preallocated: entries x CPUs x 16 bytes) */
#define MAX_ARG 5	/* count.bpf.c reads arguments 0..5 */

enum backend { BE_TP_BTF, BE_TP, BE_RAW_TP, BE_FENTRY, BE_KPROBE, BE_NR };

static const char *const be_name[BE_NR] = { "tp_btf", "tp", "raw_tp", "fentry", "kprobe" };
static const char *const be_label[BE_NR] = { "bpf:tp_btf", "bpf:tp", "bpf:raw_tp", "bpf:fentry",
					     "bpf:kprobe" };

struct inst {
	struct vnp_bpf_spec spec;
	enum backend be;
	struct count_bpf *skel;
	struct bpf_link *link;
	int prog_fd;
	bool name_keyed;   /* tp: the program knows the device's name only */
	size_t base;	   /* first series */
	size_t nd, nc, nm; /* devices (with "other"), CPUs, metrics in its series */
	uint64_t *prev;	   /* vnp_totals: per CPU, hits and bytes */
	uint64_t misses;
};

/* what the user-space side remembers of one key of the device hash */
struct kent {
	struct vnp_bpf_key key;
	bool used;
	size_t d; /* device index in its instance's series */
	uint64_t *prev;
};

struct vnp_bpfcount {
	struct inst *in;
	size_t n;
	int ncpus;
	int totals_fd, devs_fd;
	__u32 devs_max;
	bool any_dev;
	struct vnp_ndev *dev; /* every namespace's devices, sorted by label */
	size_t ndev;
	char **names; /* distinct device names, sorted (for the tp backend) */
	size_t nnames;
	struct vnp_series_info *si;
	size_t ns;
	struct kent *kt;
	size_t kcap;
	uint64_t *kprev;
	struct vnp_bpf_val *vbuf;
	uint64_t recursion, map_full;
	bool warned_full, warned_miss, warned_keys;
};

/* ---- libbpf's messages: to our debug level; the last warning is kept ---- */

static __thread char last_libbpf[256];

static int libbpf_to_debug(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf = NULL;
	int len = vasprintf(&buf, fmt, ap);

	if (len < 0)
		return 0;
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	/* the verifier's log comes as one message: keep its last line */
	if (level == LIBBPF_WARN) {
		const char *l = strrchr(buf, '\n');

		snprintf(last_libbpf, sizeof(last_libbpf), "%s", l ? l + 1 : buf);
	}
	pr_debug("libbpf: %s\n", buf);
	free(buf);
	return 0;
}

/* ---- devices of every network namespace ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* every namespace's devices (devices.c), and their distinct names for tp */
static int list_devices(struct vnp_bpfcount *bc)
{
	struct vnp_netns *nsv;
	size_t nns;
	int err = vnp_netns_list(&nsv, &nns);

	if (!err)
		err = vnp_ndev_list(nsv, nns, &bc->dev, &bc->ndev);
	vnp_netns_free(nsv, nns);
	if (err)
		return err;
	for (size_t i = 0; i < bc->ndev; i++) {
		char **nv;
		bool seen = false;

		for (size_t j = 0; j < bc->nnames && !seen; j++)
			seen = !strcmp(bc->names[j], bc->dev[i].name);
		if (seen)
			continue;
		nv = realloc(bc->names, (bc->nnames + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		bc->names = nv;
		if (!(nv[bc->nnames] = strdup(bc->dev[i].name)))
			return -ENOMEM;
		bc->nnames++;
	}
	if (bc->nnames)
		qsort(bc->names, bc->nnames, sizeof(*bc->names), cmp_str);
	return 0;
}

/* ---- what a tracepoint offers: BTF arguments, format-file fields ---- */

/* events whose length is an argument of its own, not the skb's length now */
static const struct {
	const char *name;
	int len_arg;
} len_args[] = {
	{ "net_dev_xmit", 3 }, /* (skb, rc, dev, skb_len): the skb may be gone by now */
};

struct tp_opts {
	int dev_arg, skb_arg, len_arg;
	unsigned len_off, len_size, name_off;
};

/*
 * Find @name of @kind in the kernel's BTF: vmlinux first, then every loaded
 * module's. Return: its id, with *@btf (and *@base, to free after it) set,
 * or -ENOENT / -ENODATA (no kernel BTF at all).
 */
static int kernel_btf_find(const char *name, __u32 kind, struct btf **btf, struct btf **base)
{
	struct dirent *de;
	DIR *dir;
	int id;

	*btf = NULL;
	*base = btf__load_vmlinux_btf();
	if (!*base)
		return -ENODATA;
	id = btf__find_by_name_kind(*base, name, kind);
	if (id > 0) {
		*btf = *base;
		*base = NULL;
		return id;
	}
	dir = opendir("/sys/kernel/btf");
	while (dir && (de = readdir(dir))) {
		char path[300];
		struct btf *mod;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		mod = btf__parse_split(path, *base);
		if (!mod)
			continue;
		id = btf__find_by_name_kind(mod, name, kind);
		if (id > 0) {
			*btf = mod;
			closedir(dir);
			return id;
		}
		btf__free(mod);
	}
	if (dir)
		closedir(dir);
	return -ENOENT;
}

static int btf_args(const char *name, struct tp_opts *o)
{
	const struct btf_type *t;
	const struct btf_param *p;
	struct btf *btf, *base;
	char tn[200];
	int id, vlen;

	o->dev_arg = o->skb_arg = o->len_arg = -1;
	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	id = kernel_btf_find(tn, BTF_KIND_TYPEDEF, &btf, &base);
	if (id == -ENODATA)
		return vnp_fail(-ENOENT, "no kernel BTF (/sys/kernel/btf/vmlinux: "
				"CONFIG_DEBUG_INFO_BTF off)");
	t = id > 0 ? btf__type_by_id(btf, btf__resolve_type(btf, id)) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t)) {
		btf__free(btf);
		btf__free(base);
		return vnp_fail(-ENOENT, "the kernel's BTF has no tracepoint %s (%s)", name, tn);
	}
	p = btf_params(t);
	vlen = btf_vlen(t);
	/* parameter 0 is the tracepoint's data pointer; ctx[i] is parameter i + 1 */
	for (int i = 1; i < vlen && i - 1 <= MAX_ARG; i++) {
		const struct btf_type *a = btf__type_by_id(btf, btf__resolve_type(btf, p[i].type));
		const char *sn;

		if (!a || !btf_is_ptr(a))
			continue;
		a = btf__type_by_id(btf, btf__resolve_type(btf, a->type));
		if (!a || !btf_is_struct(a))
			continue;
		sn = btf__name_by_offset(btf, a->name_off);
		if (sn && !strcmp(sn, "net_device") && o->dev_arg < 0)
			o->dev_arg = i - 1;
		else if (sn && !strcmp(sn, "sk_buff") && o->skb_arg < 0)
			o->skb_arg = i - 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(len_args); i++)
		if (!strcmp(len_args[i].name, name) && len_args[i].len_arg + 1 < vlen)
			o->len_arg = len_args[i].len_arg;
	btf__free(btf);
	btf__free(base);
	return 0;
}

/* offset and size of @field in the event's raw record; *@loc: a __data_loc field */
static int tp_field(const char *sys, const char *name, const char *field, unsigned *off,
		    unsigned *size, bool *loc)
{
	const char *dir = vnp_tracefs_dir();
	char path[512], *buf, *line, *save = NULL;
	int len, err = -ENOENT;

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, sys, name);
	buf = malloc(16384);
	if (!buf)
		return -ENOMEM;
	len = vnp_read_file(path, buf, 16384);
	if (len < 0) {
		free(buf);
		return len;
	}
	for (line = strtok_r(buf, "\n", &save); line && err; line = strtok_r(NULL, "\n", &save)) {
		char *decl = strstr(line, "field:"), *end, *o, *s, *id, *br;

		if (!decl || !(end = strchr(decl, ';')) || !(o = strstr(end, "offset:")) ||
		    !(s = strstr(end, "size:")))
			continue;
		*end = '\0';
		/* the field's name: the last word of the declaration, without any [N] */
		id = strrchr(decl, ' ');
		id = id ? id + 1 : decl + 6;
		if ((br = strchr(id, '[')))
			*br = '\0';
		if (strcmp(id, field))
			continue;
		*off = (unsigned)strtoul(o + 7, NULL, 10);
		*size = (unsigned)strtoul(s + 5, NULL, 10);
		*loc = strstr(decl, "__data_loc") != NULL;
		err = 0;
	}
	free(buf);
	return err;
}

/* ---- one instance per spec ---- */

static const char *spec_str(const struct vnp_bpf_spec *s, char *buf, size_t size)
{
	if (s->func)
		snprintf(buf, size, "func:%s", s->name);
	else
		snprintf(buf, size, "%s:%s", s->sys, s->name);
	return buf;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static bool have_kprobes(void)
{
	const char *dir = vnp_tracefs_dir();
	char path[512];

	if (exists("/sys/bus/event_source/devices/kprobe/type"))
		return true;
	snprintf(path, sizeof(path), "%s/kprobe_events", dir ? dir : "/sys/kernel/tracing");
	return exists(path);
}

/* why loading or attaching failed, in words a user can act on */
static int load_error(const struct inst *in, const char *what, int err)
{
	const struct vnp_bpf_spec *s = &in->spec;
	const char *be = be_name[in->be];
	char sp[200];

	err = err < 0 ? err : -EINVAL;
	spec_str(s, sp, sizeof(sp));
	if (in->be == BE_KPROBE && !have_kprobes())
		return vnp_fail(-EOPNOTSUPP, "%s: kprobe: this kernel has no kprobes (CONFIG_KPROBES "
				"off: no kprobe PMU, no kprobe_events)", sp);
	if (err == -EACCES && !strcmp(what, "load"))
		return vnp_fail(err, "%s: %s: the verifier rejects the program: %s", sp, be,
				last_libbpf[0] ? last_libbpf : "(no log)");
	if (err == -EPERM || err == -EACCES) {
		if (getuid() && geteuid())
			return vnp_fail(err, "%s: %s: %s refused (EPERM): BPF needs root, or "
					"CAP_BPF and CAP_PERFMON", sp, be, what);
		if (in->be == BE_FENTRY)
			return vnp_fail(err, "%s: fentry: %s refused by the kernel's policy (EPERM): "
					"a lockdown or security module forbids BPF trampolines on "
					"kernel functions here", sp, what);
		return vnp_fail(err, "%s: %s: %s refused by the kernel's policy (EPERM): a lockdown "
				"or security module forbids it", sp, be, what);
	}
	if (err == -ENOENT || err == -ESRCH)
		return vnp_fail(err, "%s: %s: %s: no such %s in this kernel%s", sp, be, what,
				s->func ? "function" : "tracepoint",
				s->func && in->be == BE_FENTRY ? " (or not in its BTF)" : "");
	if (err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */)
		return vnp_fail(-EOPNOTSUPP, "%s: %s: %s: not supported by this kernel", sp, be, what);
	return vnp_fail(err, "%s: %s: %s failed: %s%s%s", sp, be, what, strerror(-err),
			last_libbpf[0] ? "; libbpf: " : "", last_libbpf);
}

static struct bpf_program *prog_of(struct count_bpf *skel, enum backend be)
{
	switch (be) {
	case BE_TP_BTF: return skel->progs.vnp_tp_btf;
	case BE_TP: return skel->progs.vnp_tp;
	case BE_RAW_TP: return skel->progs.vnp_raw_tp;
	case BE_FENTRY: return skel->progs.vnp_fentry;
	default: return skel->progs.vnp_kprobe;
	}
}

static void inst_unload(struct inst *in)
{
	bpf_link__destroy(in->link);
	in->link = NULL;
	count_bpf__destroy(in->skel);
	in->skel = NULL;
	in->prog_fd = -1;
}

/* prepare, load and attach instance @i on backend @be; undone on failure */
static int inst_load(struct vnp_bpfcount *bc, size_t i, enum backend be)
{
	struct inst *in = &bc->in[i];
	const struct vnp_bpf_spec *s = &in->spec;
	struct tp_opts o = { -1, -1, -1, 0, 0, 0 };
	struct bpf_program *prog, *p;
	char sp[200];
	int err;

	in->be = be;
	in->name_keyed = be == BE_TP;
	spec_str(s, sp, sizeof(sp));
	last_libbpf[0] = '\0';
	if (be == BE_TP_BTF || be == BE_RAW_TP) {
		err = btf_args(s->name, &o);
		if (err) {
			char why[256];

			snprintf(why, sizeof(why), "%s", vnp_errmsg());
			return vnp_fail(err, "%s: %s: %s", sp, be_name[be], why);
		}
		if (s->by_dev && o.dev_arg < 0 && o.skb_arg < 0)
			return vnp_fail(-EINVAL, "%s: %s: the tracepoint passes no device (neither a "
					"struct net_device * nor a struct sk_buff *)", sp, be_name[be]);
		if (s->bytes && o.len_arg < 0 && o.skb_arg < 0)
			return vnp_fail(-EINVAL, "%s: %s: the tracepoint passes no length (no "
					"struct sk_buff *)", sp, be_name[be]);
	} else if (be == BE_FENTRY) {
		struct btf *btf, *base;
		/* checked here: libbpf 1.1 leaks its BTF when set_attach_target() fails */
		int id = kernel_btf_find(s->name, BTF_KIND_FUNC, &btf, &base);

		btf__free(btf);
		btf__free(base);
		if (id == -ENODATA)
			return vnp_fail(-ENOENT, "%s: fentry: no kernel BTF (/sys/kernel/btf/vmlinux: "
					"CONFIG_DEBUG_INFO_BTF off)", sp);
		if (id < 0)
			return vnp_fail(-ENOENT, "%s: fentry: no such function in the kernel's BTF",
					sp);
	} else if (be == BE_TP) {
		const char *field = s->by_dev ? vnp_event_dev_field(s->sys, s->name) : NULL;
		unsigned size;
		bool loc;

		if (vnp_event_id(s->sys, s->name) < 0) {
			char why[256];

			snprintf(why, sizeof(why), "%s", vnp_errmsg());
			return vnp_fail(-ENOENT, "%s: tp: %s", sp, why);
		}
		if (s->by_dev && (!field || tp_field(s->sys, s->name, field, &o.name_off, &size,
						     &loc) || !loc))
			return vnp_fail(-EINVAL, "%s: tp: the event has no device name field", sp);
		if (s->bytes && (tp_field(s->sys, s->name, "len", &o.len_off, &o.len_size, &loc) ||
				 loc || (o.len_size != 2 && o.len_size != 4 && o.len_size != 8)))
			return vnp_fail(-EINVAL, "%s: tp: the event has no integer len field", sp);
	}

	in->skel = count_bpf__open();
	if (!in->skel)
		return vnp_fail(-errno, "%s: cannot open the BPF object: %s", sp, strerror(errno));
	in->skel->rodata->slot = (__u32)i;
	in->skel->rodata->mode = (s->by_dev ? VNP_BPF_BY_DEV : 0) | (s->bytes ? VNP_BPF_BYTES : 0);
	in->skel->rodata->dev_arg = o.dev_arg;
	in->skel->rodata->skb_arg = o.skb_arg;
	in->skel->rodata->len_arg = o.len_arg;
	in->skel->rodata->tp_len_off = o.len_off;
	in->skel->rodata->tp_len_size = o.len_size;
	in->skel->rodata->tp_name_off = o.name_off;
	err = bpf_map__reuse_fd(in->skel->maps.vnp_totals, bc->totals_fd);
	if (!err)
		err = bpf_map__reuse_fd(in->skel->maps.vnp_devs, bc->devs_fd);
	if (err) {
		inst_unload(in);
		return vnp_fail(err, "%s: cannot share the counting maps: %s", sp, strerror(-err));
	}
	prog = prog_of(in->skel, be);
	bpf_object__for_each_program(p, in->skel->obj)
		bpf_program__set_autoload(p, p == prog);
	if (be == BE_TP_BTF || be == BE_FENTRY) {
		err = bpf_program__set_attach_target(prog, 0, s->name);
		if (err) {
			err = load_error(in, "attach target", err);
			inst_unload(in);
			return err;
		}
	}
	err = count_bpf__load(in->skel);
	if (err) {
		err = load_error(in, "load", err);
		inst_unload(in);
		return err;
	}
	switch (be) {
	case BE_TP:
		in->link = bpf_program__attach_tracepoint(prog, s->sys, s->name);
		break;
	case BE_RAW_TP:
		in->link = bpf_program__attach_raw_tracepoint(prog, s->name);
		break;
	case BE_KPROBE:
		in->link = bpf_program__attach_kprobe(prog, false, s->name);
		break;
	default:
		in->link = bpf_program__attach(prog);
		break;
	}
	if (!in->link) {
		err = load_error(in, "attach", -errno);
		inst_unload(in);
		return err;
	}
	in->prog_fd = bpf_program__fd(prog);
	return 0;
}

static int parse_backend(const struct vnp_bpf_spec *s, enum backend *be)
{
	const char *b = s->backend;
	char sp[200];

	if (!strncmp(b, "bpf:", 4))
		b += 4;
	for (int i = 0; i < BE_NR; i++) {
		if (strcmp(b, be_name[i]))
			continue;
		if (s->func != (i == BE_FENTRY || i == BE_KPROBE))
			break;
		*be = (enum backend)i;
		return 0;
	}
	return vnp_fail(-EINVAL, "%s: unknown BPF backend '%s' (%s)", spec_str(s, sp, sizeof(sp)),
			s->backend, s->func ? "fentry or kprobe" : "tp_btf, tp or raw_tp");
}

/* the first backend that works, in the order of cost; or the one asked for */
static int inst_open(struct vnp_bpfcount *bc, size_t i)
{
	static const enum backend tp_order[] = { BE_TP_BTF, BE_TP, BE_RAW_TP };
	static const enum backend fn_order[] = { BE_FENTRY, BE_KPROBE };
	const struct vnp_bpf_spec *s = &bc->in[i].spec;
	const enum backend *order = s->func ? fn_order : tp_order;
	size_t norder = s->func ? ARRAY_SIZE(fn_order) : ARRAY_SIZE(tp_order);
	char why[900] = "", sp[200];
	size_t len = 0;
	int err = 0, first = 0;
	enum backend be;

	if (s->backend) {
		err = parse_backend(s, &be);
		return err ? err : inst_load(bc, i, be);
	}
	for (size_t k = 0; k < norder; k++) {
		err = inst_load(bc, i, order[k]);
		if (!err)
			return 0;
		if (!first)
			first = err;
		/* "spec: backend: reason" -> "backend: reason" */
		len += snprintf(why + len, sizeof(why) - len, "%s%s", k ? "; " : "",
				vnp_errmsg() + strlen(spec_str(s, sp, sizeof(sp))) + 2);
		if (len >= sizeof(why))
			len = sizeof(why) - 1;
	}
	return vnp_fail(first, "%s: no BPF backend works here: %s", sp, why);
}

/* ---- series ---- */

static size_t sidx(const struct inst *in, size_t metric, size_t d, size_t c)
{
	return in->base + (metric * in->nd + d) * in->nc + c;
}

static const char *dev_label(const struct vnp_bpfcount *bc, const struct inst *in, size_t d)
{
	if (d + 1 == in->nd)
		return "other";
	return in->name_keyed ? bc->names[d] : bc->dev[d].label;
}

static int add_series(struct vnp_bpfcount *bc, struct inst *in)
{
	const struct vnp_bpf_spec *s = &in->spec;
	static const char *const metric[2][2] = { { "tracepoint_hits", "events" },
						   { "tracepoint_bytes", "bytes" } };
	char event[200], cpu[24], name[512];
	struct vnp_series_info *nsi;
	size_t total;

	in->nd = s->by_dev ? (in->name_keyed ? bc->nnames : bc->ndev) + 1 : 1;
	in->nc = s->by_cpu ? (size_t)bc->ncpus : 1;
	in->nm = s->bytes ? 2 : 1;
	in->base = bc->ns;
	total = in->nd * in->nc * in->nm;
	nsi = realloc(bc->si, (bc->ns + total) * sizeof(*nsi));
	if (!nsi)
		return -ENOMEM;
	bc->si = nsi;
	memset(nsi + bc->ns, 0, total * sizeof(*nsi));
	snprintf(event, sizeof(event), "%s:%s", s->sys, s->name);
	for (size_t m = 0; m < in->nm; m++)
		for (size_t d = 0; d < in->nd; d++)
			for (size_t c = 0; c < in->nc; c++) {
				struct vnp_series_info *si = &bc->si[sidx(in, m, d, c)];
				struct vnp_label l[3];
				size_t nl = 0;

				if (s->func)
					l[nl++] = (struct vnp_label){ "function", s->name };
				else
					l[nl++] = (struct vnp_label){ "event", event };
				if (s->by_dev)
					l[nl++] = (struct vnp_label){ "dev", dev_label(bc, in, d) };
				snprintf(cpu, sizeof(cpu), "%zu", c);
				if (s->by_cpu)
					l[nl++] = (struct vnp_label){ "cpu", cpu };
				if (vnp_series_name(name, sizeof(name),
						    s->func ? "function_calls" : metric[m][0], l,
						    nl) < 0)
					return vnp_fail(-ENAMETOOLONG, "series name too long for %s",
							event);
				si->name = strdup(name);
				si->unit = strdup(s->func ? "calls" : metric[m][1]);
				si->backend = strdup(be_label[in->be]);
				si->kind = VNP_COUNTER;
				si->role = VNP_INDICATOR;
				bc->ns++;
				if (!si->name || !si->unit || !si->backend)
					return -ENOMEM;
			}
	return 0;
}

/* ---- the user-space table of device-hash keys ---- */

static size_t key_hash(const struct vnp_bpf_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)h;
}

/* which of the instance's devices a key is; the last one is "other" */
static size_t key_dev(const struct vnp_bpfcount *bc, const struct inst *in,
		      const struct vnp_bpf_key *k)
{
	char name[VNP_BPF_NAME_LEN + 1];

	memcpy(name, k->name, VNP_BPF_NAME_LEN);
	name[VNP_BPF_NAME_LEN] = '\0';
	if (in->name_keyed) {
		for (size_t d = 0; d < bc->nnames; d++)
			if (!strcmp(bc->names[d], name))
				return d;
		return in->nd - 1;
	}
	for (size_t d = 0; d < bc->ndev; d++) {
		const struct vnp_ndev *b = &bc->dev[d];

		if (k->netns ? b->netns == k->netns && b->ifindex == k->ifindex
			     : name[0] && b->own && !strcmp(b->name, name))
			return d;
	}
	return in->nd - 1;
}

static struct kent *key_find(struct vnp_bpfcount *bc, const struct vnp_bpf_key *k)
{
	size_t mask = bc->kcap - 1, h = key_hash(k) & mask;

	for (size_t i = 0; i < bc->kcap; i++, h = (h + 1) & mask) {
		struct kent *e = &bc->kt[h];

		if (!e->used) {
			const struct inst *in;

			if (k->slot >= bc->n)
				return NULL;
			in = &bc->in[k->slot];
			e->used = true;
			e->key = *k;
			e->d = key_dev(bc, in, k);
			e->prev = bc->kprev + h * 2 * (size_t)bc->ncpus;
			return e;
		}
		if (!memcmp(&e->key, k, sizeof(*k)))
			return e;
	}
	return NULL;
}

/* ---- open, read, close ---- */

struct vnp_bpfcount *vnp_bpfcount_open(const struct vnp_bpf_spec *specs, size_t n)
{
	libbpf_print_fn_t old_print = libbpf_set_print(libbpf_to_debug);
	struct vnp_bpfcount *bc = calloc(1, sizeof(*bc));
	char sp[200];
	int err = 0;

	if (!bc) {
		err = -ENOMEM;
		goto out;
	}
	bc->totals_fd = bc->devs_fd = -1;
	bc->ncpus = libbpf_num_possible_cpus();
	if (bc->ncpus <= 0) {
		err = vnp_fail(bc->ncpus < 0 ? bc->ncpus : -EIO, "cannot count the possible CPUs");
		goto out;
	}
	bc->in = calloc(n ? n : 1, sizeof(*bc->in));
	bc->vbuf = calloc((size_t)bc->ncpus, sizeof(*bc->vbuf));
	if (!bc->in || !bc->vbuf) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vnp_bpf_spec *s = &specs[i];

		spec_str(s, sp, sizeof(sp));
		if (!s->name[0] || (!s->func && !s->sys[0])) {
			err = vnp_fail(-EINVAL, "'%s': a BPF count needs sys:event or func:NAME", sp);
			goto out;
		}
		if (s->func && (s->by_dev || s->bytes)) {
			err = vnp_fail(-EINVAL, "%s: functions are counted by calls only (by CPU at "
				       "most); devices and bytes are for tracepoints", sp);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (specs[j].func == s->func && !strcmp(specs[j].sys, s->sys) &&
			    !strcmp(specs[j].name, s->name) && specs[j].by_dev == s->by_dev &&
			    specs[j].by_cpu == s->by_cpu) {
				err = vnp_fail(-EINVAL, "%s is given twice", sp);
				goto out;
			}
		bc->in[i].spec = *s;
		bc->in[i].spec.backend = NULL;
		if (s->backend && (err = parse_backend(s, &bc->in[i].be)))
			goto out;
		bc->in[i].spec.backend = s->backend ? be_name[bc->in[i].be] : NULL;
		bc->in[i].prog_fd = -1;
		bc->in[i].prev = calloc(2 * (size_t)bc->ncpus, sizeof(uint64_t));
		if (!bc->in[i].prev) {
			err = -ENOMEM;
			goto out;
		}
		bc->any_dev |= s->by_dev;
		bc->n++;
	}
	if (bc->any_dev) {
		err = list_devices(bc);
		if (err) {
			err = vnp_fail(err, "cannot list the network devices: %s", strerror(-err));
			goto out;
		}
	}
	/* room for every known device of every keyed event, twice over, bounded */
	{
		size_t want = 0;

		for (size_t i = 0; i < n; i++)
			want += specs[i].by_dev ? 2 * (bc->ndev + 8) : 0;
		bc->devs_max = !bc->any_dev ? 1 : want < DEVS_MIN ? DEVS_MIN
					  : want > DEVS_MAX ? DEVS_MAX : (__u32)want;
	}
	bc->totals_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "vnp_totals", sizeof(__u32),
				       sizeof(struct vnp_bpf_val), n ? (__u32)n : 1, NULL);
	if (bc->totals_fd >= 0)
		bc->devs_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "vnp_devs",
					     sizeof(struct vnp_bpf_key), sizeof(struct vnp_bpf_val),
					     bc->devs_max, NULL);
	if (bc->totals_fd < 0 || bc->devs_fd < 0) {
		int e = bc->totals_fd < 0 ? bc->totals_fd : bc->devs_fd;

		if ((e == -EPERM || e == -EACCES) && geteuid() == 0)
			err = vnp_fail(e, "BPF refused (%s) although we run as root: a security "
				       "policy (seccomp, an LSM, kernel lockdown) forbids it",
				       e == -EPERM ? "EPERM" : "EACCES");
		else if (e == -EPERM || e == -EACCES)
			err = vnp_fail(e, "BPF maps refused (EPERM): BPF counting needs root, or "
				       "CAP_BPF and CAP_PERFMON");
		else
			err = vnp_fail(e, "cannot create the BPF counting maps: %s", strerror(-e));
		goto out;
	}
	if (bc->any_dev) {
		bc->kcap = 1;
		while (bc->kcap < 2 * (size_t)bc->devs_max)
			bc->kcap <<= 1;
		bc->kt = calloc(bc->kcap, sizeof(*bc->kt));
		bc->kprev = calloc(bc->kcap * 2 * (size_t)bc->ncpus, sizeof(uint64_t));
		if (!bc->kt || !bc->kprev) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n && !err; i++) {
		err = inst_open(bc, i);
		if (!err)
			err = add_series(bc, &bc->in[i]);
	}
out:
	libbpf_set_print(old_print);
	if (err) {
		if (err == -ENOMEM)
			vnp_fail(err, "out of memory");
		vnp_bpfcount_close(bc);
		errno = -err;
		return NULL;
	}
	return bc;
}

void vnp_bpfcount_close(struct vnp_bpfcount *bc)
{
	if (!bc)
		return;
	for (size_t i = 0; bc->in && i < bc->n; i++) {
		inst_unload(&bc->in[i]);
		free(bc->in[i].prev);
	}
	if (bc->totals_fd >= 0)
		close(bc->totals_fd);
	if (bc->devs_fd >= 0)
		close(bc->devs_fd);
	for (size_t i = 0; i < bc->ns; i++) {
		free(bc->si[i].name);
		free(bc->si[i].unit);
		free(bc->si[i].backend);
	}
	for (size_t i = 0; i < bc->nnames; i++)
		free(bc->names[i]);
	free(bc->names);
	free(bc->si);
	free(bc->in);
	free(bc->dev);
	free(bc->kt);
	free(bc->kprev);
	free(bc->vbuf);
	free(bc);
}

size_t vnp_bpfcount_nseries(const struct vnp_bpfcount *bc)
{
	return bc->ns;
}

const struct vnp_series_info *vnp_bpfcount_series(const struct vnp_bpfcount *bc, size_t i)
{
	return i < bc->ns ? &bc->si[i] : NULL;
}

size_t vnp_bpfcount_spec_series(const struct vnp_bpfcount *bc, size_t spec, size_t *count)
{
	const struct inst *in = &bc->in[spec];

	*count = in->nd * in->nc * in->nm;
	return in->base;
}

const char *vnp_bpfcount_backend(const struct vnp_bpfcount *bc, size_t spec)
{
	return spec < bc->n ? be_label[bc->in[spec].be] : NULL;
}

void vnp_bpfcount_missed(const struct vnp_bpfcount *bc, uint64_t *recursion, uint64_t *map_full)
{
	*recursion = bc->recursion;
	*map_full = bc->map_full;
}

/* add the per-CPU deltas of one map value to device @d's series */
static void add_deltas(const struct vnp_bpfcount *bc, const struct inst *in, size_t d,
		       uint64_t *prev, double *values, uint64_t *sum)
{
	for (int c = 0; c < bc->ncpus; c++) {
		uint64_t dh = bc->vbuf[c].hits - prev[2 * c];
		uint64_t db = bc->vbuf[c].bytes - prev[2 * c + 1];
		size_t cc = in->nc > 1 ? (size_t)c : 0;

		prev[2 * c] = bc->vbuf[c].hits;
		prev[2 * c + 1] = bc->vbuf[c].bytes;
		values[sidx(in, 0, d, cc)] += (double)dh;
		if (in->nm > 1)
			values[sidx(in, 1, d, cc)] += (double)db;
		if (sum)
			*sum += dh;
	}
}

int vnp_bpfcount_read(struct vnp_bpfcount *bc, double *values, unsigned *flags)
{
	struct vnp_bpf_key key, next;
	bool first = true;
	int err;

	for (size_t i = 0; i < bc->n; i++) {
		struct inst *in = &bc->in[i];
		struct bpf_prog_info info;
		__u32 k = (__u32)i, len = sizeof(info);
		uint64_t full = 0;

		if (bpf_map_lookup_elem(bc->totals_fd, &k, bc->vbuf))
			return vnp_fail(-errno, "reading the BPF counts: %s", strerror(errno));
		/* keyed events land here only when the device hash was full */
		add_deltas(bc, in, in->nd - 1, in->prev, values, in->spec.by_dev ? &full : NULL);
		if (full) {
			bc->map_full += full;
			if (!bc->warned_full)
				pr_warn("BPF device map full (%u keys): %llu events of %s:%s counted "
					"as dev=\"other\"\n", bc->devs_max, (unsigned long long)full,
					in->spec.sys, in->spec.name);
			bc->warned_full = true;
		}
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(in->prog_fd, &info, &len) &&
		    info.recursion_misses > in->misses) {
			bc->recursion += info.recursion_misses - in->misses;
			in->misses = info.recursion_misses;
			*flags |= VNP_BIN_INCOMPLETE;
			if (!bc->warned_miss)
				pr_warn("the kernel skipped the BPF program of %s:%s (recursion): "
					"events are missing from this bin\n", in->spec.sys,
					in->spec.name);
			bc->warned_miss = true;
		}
	}
	if (!bc->any_dev)
		return 0;
	while (!(err = bpf_map_get_next_key(bc->devs_fd, first ? NULL : &key, &next))) {
		struct kent *e;

		first = false;
		key = next;
		if (bpf_map_lookup_elem(bc->devs_fd, &key, bc->vbuf))
			continue; /* entries are never deleted; cannot happen */
		e = key_find(bc, &key);
		if (!e) {
			if (!bc->warned_keys)
				pr_warn("BPF device map: a key the reader cannot place (slot %u)\n",
					key.slot);
			bc->warned_keys = true;
			continue;
		}
		add_deltas(bc, &bc->in[key.slot], e->d, e->prev, values, NULL);
	}
	if (err != -ENOENT)
		return vnp_fail(err, "walking the BPF device map: %s", strerror(-err));
	return 0;
}

/* ---- as a collector ---- */

static int bpf_coll_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx, unsigned *flags)
{
	int err;

	err = vnp_bpfcount_read(c->priv, c->v, flags);
	return err ? vnp_fail(err, "reading BPF counters: %s", strerror(-err)) : 0;
}

static void bpf_coll_close(struct vnp_collector *c)
{
	vnp_bpfcount_close(c->priv);
}

static const struct vnp_collector_ops bpf_ops = {
	.name = "bpf",
	.read = bpf_coll_read,
	.close = bpf_coll_close,
};

struct vnp_collector *vnp_bpf_collector(const struct vnp_bpf_spec *specs, size_t n)
{
	struct vnp_bpfcount *bc = vnp_bpfcount_open(specs, n);
	struct vnp_collector *c;

	if (!bc)
		return NULL;
	c = vnp_collector_new(&bpf_ops, bc);
	if (!c) {
		vnp_bpfcount_close(bc);
		return vnp_fail_null(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < vnp_bpfcount_nseries(bc); i++) {
		const struct vnp_series_info *si = vnp_bpfcount_series(bc, i);

		if (vnp_collector_add_infos(c, si, 1, false)) {
			vnp_collector_close(c);
			return vnp_fail_null(-ENOMEM, "out of memory");
		}
	}
	return c;
}
