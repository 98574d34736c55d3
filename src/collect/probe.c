// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What this host supports, and why not. Every check that touches the kernel
 * undoes itself before it returns: fds are closed, BPF programs unloaded,
 * the private tracefs instance removed.
 */
#include "collect/collect.h"
#include "collect/procfs.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <tracefs.h>
#include <unistd.h>

struct probe_ctx {
	struct vnp_capability *caps;
	size_t n, max;
};

static void __printf(4, 5) cap(struct probe_ctx *p, const char *name, bool ok, const char *fmt, ...)
{
	struct vnp_capability *c;
	va_list ap;

	if (p->n == p->max)
		return;
	c = &p->caps[p->n++];
	c->name = name;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static bool exists(const char *fmt, const char *arg)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, arg);
	return access(path, F_OK) == 0;
}

static long perf_open(struct perf_event_attr *a)
{
	return syscall(SYS_perf_event_open, a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

static int tracepoint_fd(void)
{
	int id = vnp_event_id("sched", "sched_switch");
	struct perf_event_attr a = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(a),
				     .config = (uint64_t)id, .disabled = 1 };

	if (id < 0)
		return id;
	return (int)perf_open(&a);
}

static const char *errno_reason(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return "refused by the kernel's policy (EPERM): not root, or a lockdown or "
		       "security module forbids it";
	case ENOENT:
	case ENODEV:
	case EOPNOTSUPP:
		return "not built into this kernel";
	case EINVAL:
		return "the kernel rejects it (EINVAL)";
	default:
		return strerror(e);
	}
}

static void probe_tracefs(struct probe_ctx *p)
{
	const char *dir = vnp_tracefs_dir();
	char path[512];

	if (!dir) {
		cap(p, "tracefs", false, "%s", vnp_errmsg());
		return;
	}
	snprintf(path, sizeof(path), "%s/instances", dir);
	if (access(path, W_OK))
		cap(p, "tracefs", false, "mounted at %s, but private instances cannot be "
		    "created here (%s)", dir, strerror(errno));
	else
		cap(p, "tracefs", true, "mounted at %s, private instances allowed", dir);
}

static void probe_perf(struct probe_ctx *p)
{
	struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
				     .config = PERF_COUNT_SW_CPU_CLOCK, .sample_period = 1000000,
				     .sample_type = PERF_SAMPLE_IP, .disabled = 1 };
	char buf[16] = "?";
	int fd;

	vnp_read_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf));
	buf[strcspn(buf, "\n")] = '\0';
	fd = tracepoint_fd();
	if (fd >= 0) {
		cap(p, "perf tracepoint counting", true, "system-wide counters open "
		    "(perf_event_paranoid = %s)", buf);
		close(fd);
	} else {
		cap(p, "perf tracepoint counting", false, "%s (perf_event_paranoid = %s)",
		    fd == -1 ? errno_reason(errno) : vnp_errmsg(), buf);
	}
	fd = (int)perf_open(&a);
	if (fd >= 0) {
		char ks[8] = "?";

		vnp_read_file("/proc/sys/kernel/kptr_restrict", ks, sizeof(ks));
		ks[strcspn(ks, "\n")] = '\0';
		cap(p, "perf sampling", true, "cpu-clock sampling opens; kernel symbols %s "
		    "(kptr_restrict = %s)", access("/proc/kallsyms", R_OK) ? "unreadable" :
		    "readable", ks);
		close(fd);
	} else {
		cap(p, "perf sampling", false, "%s", errno_reason(errno));
	}
}

/* Opening set_ftrace_filter for writing (without O_TRUNC changes nothing)
 * in a private instance tells whether the function tracer may be set up. */
static void probe_function_tracer(struct probe_ctx *p)
{
	const char *dir = vnp_tracefs_dir();
	struct tracefs_instance *inst;
	char path[512], *tracers, name[64];
	sigset_t all, old;
	int fd, e;

	if (!dir) {
		cap(p, "function tracer", false, "no tracefs");
		return;
	}
	snprintf(path, sizeof(path), "%s/available_tracers", dir);
	tracers = malloc(4096);
	if (!tracers || vnp_read_file(path, tracers, 4096) < 0 || !strstr(tracers, "function")) {
		cap(p, "function tracer", false, "not in available_tracers "
		    "(CONFIG_FUNCTION_TRACER off)");
		free(tracers);
		return;
	}
	free(tracers);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	snprintf(name, sizeof(name), "vnetprof-%d-probe", (int)getpid());
	inst = tracefs_instance_create(name);
	if (!inst) {
		e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		cap(p, "function tracer", false, "cannot create a private tracefs instance: %s",
		    strerror(e));
		return;
	}
	snprintf(path, sizeof(path), "%s/instances/%s/set_ftrace_filter", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	e = errno;
	if (fd >= 0)
		close(fd);
	tracefs_instance_destroy(inst);
	tracefs_instance_free(inst);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd >= 0)
		cap(p, "function tracer", true, "available; set_ftrace_filter is writable in a "
		    "private instance");
	else
		cap(p, "function tracer", false, "listed, but set_ftrace_filter refuses writes "
		    "(%s): %s", strerror(e), e == EPERM ? "a kernel policy forbids function "
		    "tracing here" : errno_reason(e));
}

static void probe_ftrace_files(struct probe_ctx *p)
{
	const char *dir = vnp_tracefs_dir();

	if (dir && exists("%s/function_profile_enabled", dir))
		cap(p, "function profiler", true, "function_profile_enabled present");
	else
		cap(p, "function profiler", false, "function_profile_enabled absent "
		    "(CONFIG_FUNCTION_PROFILER off)");
	if (exists("%s", "/sys/bus/event_source/devices/kprobe") ||
	    (dir && exists("%s/kprobe_events", dir)))
		cap(p, "kprobes", true, "kprobe PMU present");
	else
		cap(p, "kprobes", false, "no kprobe PMU and no kprobe_events (CONFIG_KPROBES off)");
}

static int libbpf_quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static void probe_bpf(struct probe_ctx *p)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	libbpf_print_fn_t old = libbpf_set_print(libbpf_quiet);
	struct btf *btf;
	int prog, fd, id, e;

	/* tracepoint: load, and attach to sched:sched_switch through perf */
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "vnp_probe", "GPL", ret0, 2, NULL);
	if (prog < 0) {
		cap(p, "BPF tracepoint programs", false, "load: %s", errno_reason(-prog));
	} else {
		fd = tracepoint_fd();
		if (fd < 0) {
			cap(p, "BPF tracepoint programs", false, "loads, but no tracepoint to attach "
			    "to");
		} else {
			e = ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) ? errno : 0;
			cap(p, "BPF tracepoint programs", !e, e ? "attach: %s" : "load and attach",
			    errno_reason(e));
			close(fd);
		}
		close(prog);
	}

	/* kprobe: the program loads anywhere; attaching needs the kprobe PMU */
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "vnp_probe", "GPL", ret0, 2, NULL);
	if (prog < 0)
		cap(p, "BPF kprobe programs", false, "load: %s", errno_reason(-prog));
	else if (!exists("%s", "/sys/bus/event_source/devices/kprobe/type"))
		cap(p, "BPF kprobe programs", false, "load, but cannot attach: no kprobe PMU "
		    "(CONFIG_KPROBES off)");
	else
		cap(p, "BPF kprobe programs", true, "load; kprobe PMU present");
	if (prog >= 0)
		close(prog);

	/* fentry: needs BTF, a function to attach to, and a trampoline */
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		cap(p, "BPF fentry programs", false, "no kernel BTF (/sys/kernel/btf/vmlinux, "
		    "CONFIG_DEBUG_INFO_BTF)");
	} else {
		id = btf__find_by_name_kind(btf, "tcp_sendmsg", BTF_KIND_FUNC);
		btf__free(btf);
		o.expected_attach_type = BPF_TRACE_FENTRY;
		o.attach_btf_id = id > 0 ? id : 0;
		prog = id > 0 ? bpf_prog_load(BPF_PROG_TYPE_TRACING, "vnp_probe", "GPL", ret0, 2,
					      &o)
			      : -ENOENT;
		if (prog < 0) {
			cap(p, "BPF fentry programs", false, "load: %s", errno_reason(-prog));
		} else {
			fd = bpf_link_create(prog, 0, BPF_TRACE_FENTRY, NULL);
			if (fd < 0)
				cap(p, "BPF fentry programs", false, "load, but attach: %s",
				    errno_reason(-fd));
			else
				cap(p, "BPF fentry programs", true, "load and attach "
				    "(tcp_sendmsg, detached at once)");
			if (fd >= 0)
				close(fd);
			close(prog);
		}
	}
	libbpf_set_print(old);
}

static void probe_virt(struct probe_ctx *p)
{
	bool kvm_mod = exists("%s", "/sys/module/kvm");
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm >= 0) {
		/* KVM_GET_API_VERSION, then KVM_CREATE_VM (closed at once) */
		int api = ioctl(kvm, _IO(0xAE, 0x00), 0);
		int vm = ioctl(kvm, _IO(0xAE, 0x01), 0);

		if (vm >= 0)
			cap(p, "KVM", true, "/dev/kvm API %d; a VM can be created", api);
		else
			cap(p, "KVM", false, "/dev/kvm API %d, but KVM_CREATE_VM fails: %s", api,
			    strerror(errno));
		if (vm >= 0)
			close(vm);
		close(kvm);
	} else if (exists("%s", "/dev/kvm"))
		cap(p, "KVM", false, "/dev/kvm cannot be opened: %s", strerror(errno));
	else
		cap(p, "KVM", false, "no /dev/kvm%s", kvm_mod ? " (kvm module loaded, no "
		    "hardware virtualisation exposed)" : " (kvm module not loaded)");
	if (exists("%s", "/dev/vhost-net") || exists("%s", "/sys/module/vhost_net"))
		cap(p, "vhost-net", true, "present");
	else
		cap(p, "vhost-net", false, "no /dev/vhost-net (module vhost_net not loaded)");
	if (exists("%s", "/sys/module/openvswitch"))
		cap(p, "Open vSwitch", true, "kernel datapath module loaded");
	else if (!system("command -v ovs-vswitchd >/dev/null 2>&1"))
		cap(p, "Open vSwitch", true, "userspace only (ovs-vswitchd installed; no "
		    "kernel module: datapath_type=netdev)");
	else
		cap(p, "Open vSwitch", false, "neither the openvswitch module nor "
		    "ovs-vswitchd (apt-get install openvswitch-switch)");
}

static void probe_netns(struct probe_ctx *p)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) ? errno : 0);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		cap(p, "network namespaces", true, "a new namespace can be created");
	else
		cap(p, "network namespaces", false, "unshare(CLONE_NEWNET): %s",
		    pid > 0 && WIFEXITED(status) ? errno_reason(WEXITSTATUS(status)) :
		    "cannot fork");
}

/* what the default recording will read: the kernel's own counters */
static void probe_kcounters(struct probe_ctx *p)
{
	struct vnp_kcounters *kc = vnp_kcounters_open(NULL, 0);
	const struct vnp_series_info *si;
	size_t n, devs = 0, vecs = 0, softnet = 0;

	if (!kc) {
		cap(p, "kernel counters", false, "%s", vnp_errmsg());
		return;
	}
	si = vnp_kcounters_series(kc, &n);
	for (size_t i = 0; i < n; i++) {
		const char *name = si[i].name;

		devs += !strncmp(name, "netdev_bytes{", 13) && strstr(name, "dir=\"rx\"");
		vecs += !strncmp(name, "softirqs{", 9);
		softnet += !strncmp(name, "softnet_", 8);
	}
	vnp_kcounters_close(kc);
	cap(p, "kernel counters", devs > 0, "%zu devices (this namespace and the named ones, "
	    "no loopbacks), %zu softirq vectors, softnet %s; read per bin, no hook", devs, vecs,
	    softnet ? "yes" : "no");
}

static void probe_runq(struct probe_ctx *p)
{
	if (exists("%s", "/proc/schedstat"))
		cap(p, "run-queue delay", true, "/proc/schedstat");
	else if (exists("%s", "/proc/pressure/cpu"))
		cap(p, "run-queue delay", true, "/proc/pressure/cpu (PSI; no /proc/schedstat: "
		    "CONFIG_SCHEDSTATS off)");
	else
		cap(p, "run-queue delay", false, "neither /proc/schedstat nor /proc/pressure/cpu");
}

size_t vnp_probe(struct vnp_capability *caps, size_t max)
{
	struct probe_ctx p = { caps, 0, max };

	probe_tracefs(&p);
	probe_perf(&p);
	probe_function_tracer(&p);
	probe_ftrace_files(&p);
	probe_bpf(&p);
	probe_virt(&p);
	probe_netns(&p);
	probe_kcounters(&p);
	probe_runq(&p);
	return p.n;
}
