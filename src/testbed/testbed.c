// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The emulated host (see testbed.h). Built with iproute2, tc and, for
 * --switch ovs, Open vSwitch's own tools with private run and database
 * directories: never a system instance. The state file is written before
 * the first object is created, and `down` does not need it: it sweeps every
 * namespace, link and cgroup that carries the testbed's prefix.
 */
#include "testbed/testbed.h"

#include <dirent.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CG_NAME "vnetprof-tb"
#define OVS_DIR VNP_TB_STATE_DIR "/ovs"
#define STATE_FILE VNP_TB_STATE_DIR "/state"

/* ---- running commands ---- */

int vnp_run_cmd(const char *const argv[])
{
	int pfd[2], status = 0, e;
	char err[512] = "";
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return vnp_fail(-e, "cannot start '%s': fork: %s", argv[0], strerror(e));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		sigset_t none;

		/* the child's stderr is the pipe: a failure here is the error line */
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(pfd[1], 2) < 0) {
			dprintf(pfd[1], "%s: cannot redirect to /dev/null: %s", argv[0], strerror(errno));
			_exit(127);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "%s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while (len < sizeof(err) - 1 && (n = read(pfd[0], err + len, sizeof(err) - 1 - len)) > 0)
		len += n;
	err[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno == EINTR)
			continue;
		e = errno;
		return vnp_fail(-e, "cannot wait for '%s': %s", argv[0], strerror(e));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	err[strcspn(err, "\n")] = '\0';
	{
		char cmd[512];
		size_t c = 0;

		for (int i = 0; argv[i] && c < sizeof(cmd) - 1; i++)
			c += snprintf(cmd + c, sizeof(cmd) - c, "%s%s", i ? " " : "", argv[i]);
		return vnp_fail(-EIO, "'%s' failed: %s", cmd, *err ? err : "non-zero exit");
	}
}

int vnp_run_cmdf(const char *fmt, ...)
{
	char buf[1024], *argv[64], *save;
	int argc = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 63; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	return vnp_run_cmd((const char *const *)argv);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

/* ---- names ---- */

void vnp_testbed_vm_ns(int vm, char *buf, size_t size)
{
	snprintf(buf, size, VNP_TB_PREFIX "-vm%d", vm);
}

void vnp_testbed_vm_tap(int vm, char *buf, size_t size)
{
	snprintf(buf, size, VNP_TB_PREFIX "-tap%d", vm);
}

void vnp_testbed_vm_ip(int vm, char *buf, size_t size)
{
	snprintf(buf, size, "198.18.0.%d", 10 + vm);
}

/* ---- cgroups: v1 (cpu, cpuset hierarchies) or v2 ---- */

struct cgroups {
	bool v2;
	char cpu[256];	  /* the testbed's cpu cgroup directory */
	char cpuset[256]; /* the testbed's cpuset directory (v1), or "" */
};

static bool cg_find(struct cgroups *cg)
{
	char buf[256];

	memset(cg, 0, sizeof(*cg));
	if (!access("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", F_OK)) {
		snprintf(cg->cpu, sizeof(cg->cpu), "/sys/fs/cgroup/cpu/" CG_NAME);
		if (!access("/sys/fs/cgroup/cpuset/cpuset.cpus", F_OK))
			snprintf(cg->cpuset, sizeof(cg->cpuset), "/sys/fs/cgroup/cpuset/" CG_NAME);
		return true;
	}
	if (vnp_read_file("/sys/fs/cgroup/cgroup.subtree_control", buf, sizeof(buf)) > 0 &&
	    strstr(buf, "cpu")) {
		cg->v2 = true;
		snprintf(cg->cpu, sizeof(cg->cpu), "/sys/fs/cgroup/" CG_NAME);
		return true;
	}
	return false;
}

/* the hierarchy's root: the testbed's directory without its last part */
static const char *cg_root(const char *dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s", dir);
	*strrchr(buf, '/') = '\0';
	return buf;
}

static int cg_join(const char *dir, pid_t pid)
{
	char path[320], s[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(s, sizeof(s), "%d", (int)pid);
	return write_str(path, s);
}

static int cg_setup(struct cgroups *cg, int vms, int host_cpus)
{
	char path[320], val[64];
	int err;

	if (mkdir(cg->cpu, 0755) && errno != EEXIST)
		return vnp_fail(-errno, "cannot create cgroup %s: %s", cg->cpu, strerror(errno));
	if (cg->v2) {
		/* let the VMs' cgroups have a cpu controller */
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg->cpu);
		write_str(path, "+cpu +cpuset");
		if (host_cpus) {
			snprintf(path, sizeof(path), "%s/cpuset.cpus", cg->cpu);
			snprintf(val, sizeof(val), "0-%d", host_cpus - 1);
			write_str(path, val);
		}
	} else if (cg->cpuset[0]) {
		char mems[64] = "0";

		if (mkdir(cg->cpuset, 0755) && errno != EEXIST)
			return vnp_fail(-errno, "cannot create cgroup %s: %s", cg->cpuset,
					strerror(errno));
		vnp_read_file("/sys/fs/cgroup/cpuset/cpuset.mems", mems, sizeof(mems));
		mems[strcspn(mems, "\n")] = '\0';
		snprintf(path, sizeof(path), "%s/cpuset.mems", cg->cpuset);
		write_str(path, mems);
		if (host_cpus)
			snprintf(val, sizeof(val), "0-%d", host_cpus - 1);
		else
			vnp_read_file("/sys/fs/cgroup/cpuset/cpuset.cpus", val, sizeof(val));
		val[strcspn(val, "\n")] = '\0';
		snprintf(path, sizeof(path), "%s/cpuset.cpus", cg->cpuset);
		err = write_str(path, val);
		if (err)
			return vnp_fail(err, "cpuset.cpus = %s: %s", val, strerror(-err));
	}
	for (int i = 1; i <= vms; i++) {
		snprintf(path, sizeof(path), "%s/vm%d", cg->cpu, i);
		if (mkdir(path, 0755) && errno != EEXIST)
			return vnp_fail(-errno, "cannot create cgroup %s: %s", path, strerror(errno));
		/* a 2-vCPU VM: 200 ms of CPU per 100 ms period */
		if (cg->v2) {
			snprintf(path, sizeof(path), "%s/vm%d/cpu.max", cg->cpu, i);
			err = write_str(path, "200000 100000");
		} else {
			snprintf(path, sizeof(path), "%s/vm%d/cpu.cfs_period_us", cg->cpu, i);
			write_str(path, "100000");
			snprintf(path, sizeof(path), "%s/vm%d/cpu.cfs_quota_us", cg->cpu, i);
			err = write_str(path, "200000");
		}
		if (err)
			return vnp_fail(err, "cannot limit %s/vm%d: %s", cg->cpu, i, strerror(-err));
	}
	/*
	 * The remote host stands for another machine: it must not compete with
	 * the emulated host's VMs for CPU on equal terms, or the receiver, not
	 * the host, becomes the bottleneck. Its cgroup gets 16 times a VM's
	 * weight, so it takes what it needs first and the VMs share the rest.
	 */
	snprintf(path, sizeof(path), "%s/remote", cg->cpu);
	if (mkdir(path, 0755) && errno != EEXIST)
		return vnp_fail(-errno, "cannot create cgroup %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/remote/%s", cg->cpu, cg->v2 ? "cpu.weight" : "cpu.shares");
	err = write_str(path, cg->v2 ? "1600" : "16384");
	if (err)
		return vnp_fail(err, "cannot weight %s: %s", path, strerror(-err));
	return 0;
}

/* a kernel thread (PF_KTHREAD in /proc/PID/stat's flags): not ours to kill */
static bool is_kthread(int pid)
{
	char path[64], buf[512], *p;
	unsigned long flags = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (vnp_read_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return false;
	/* after "pid (comm)": state ppid pgrp session tty_nr tpgid flags */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x00200000;
}

/* kill what a cgroup directory (and its children) holds; returns count */
static int cg_kill(const char *dir)
{
	char path[400], buf[8192];
	struct dirent *de;
	int killed = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (vnp_read_file(path, buf, sizeof(buf)) > 0)
		for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
			if (!is_kthread(atoi(p)))
				killed += kill(atoi(p), SIGKILL) == 0;
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			killed += cg_kill(path);
		}
	if (d)
		closedir(d);
	return killed;
}

/*
 * remove a cgroup tree (children first); waits for killed tasks to leave.
 * Kernel threads we moved in (the VMs' NAPI threads) go back to @root.
 */
static int cg_remove(const char *dir, const char *root)
{
	char path[400], buf[8192], procs[300];
	struct dirent *de;
	int removed = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			removed += cg_remove(path, root);
		}
	closedir(d);
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", root);
	if (vnp_read_file(path, buf, sizeof(buf)) > 0)
		for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
			if (is_kthread(atoi(p)))
				write_str(procs, p);
	for (int i = 0; i < 50; i++) {
		if (!rmdir(dir))
			return removed + 1;
		if (errno != EBUSY)
			break;
		usleep(20000);
	}
	return removed;
}

/* ---- processes inside our namespaces ---- */

static int netns_kill(const char *ns)
{
	char path[300];
	struct stat nsb, sb;
	struct dirent *de;
	int killed = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/run/netns/%.63s", ns);
	if (stat(path, &nsb))
		return 0;
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (!stat(path, &sb) && sb.st_ino == nsb.st_ino && sb.st_dev == nsb.st_dev)
			killed += kill(atoi(de->d_name), SIGKILL) == 0;
	}
	if (d)
		closedir(d);
	return killed;
}

static int our_netns(char names[][64], int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/run/netns");

	while (d && (de = readdir(d)) && n < max)
		if (!strncmp(de->d_name, VNP_TB_PREFIX "-", strlen(VNP_TB_PREFIX) + 1))
			snprintf(names[n++], 64, "%.63s", de->d_name);
	if (d)
		closedir(d);
	return n;
}

static int our_links(char names[][64], int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/sys/class/net");

	while (d && (de = readdir(d)) && n < max)
		if (!strncmp(de->d_name, VNP_TB_PREFIX, strlen(VNP_TB_PREFIX)))
			snprintf(names[n++], 64, "%.63s", de->d_name);
	if (d)
		closedir(d);
	return n;
}

int vnp_testbed_kill_workload(void)
{
	struct cgroups cg;
	char ns[VNP_TB_MAX_VMS + 8][64];
	int n = our_netns(ns, VNP_TB_MAX_VMS + 8), killed = 0;

	if (cg_find(&cg)) {
		killed += cg_kill(cg.cpu);
		if (cg.cpuset[0])
			killed += cg_kill(cg.cpuset);
	}
	for (int i = 0; i < n; i++)
		killed += netns_kill(ns[i]);
	/* let them go, so that cgroups can be removed and ports reused */
	if (killed)
		usleep(100000);
	return killed;
}

/* ---- Open vSwitch, private instance ---- */

static void ovs_env(void)
{
	setenv("OVS_RUNDIR", OVS_DIR, 1);
	setenv("OVS_DBDIR", OVS_DIR, 1);
	setenv("OVS_LOGDIR", OVS_DIR, 1);
	setenv("OVS_SYSCONFDIR", OVS_DIR, 1);
}

static int ovs_stop(void)
{
	static const char *const daemons[] = { "ovs-vswitchd", "ovsdb-server" };
	int stopped = 0;

	for (size_t i = 0; i < ARRAY_SIZE(daemons); i++) {
		char path[300], buf[32];
		pid_t pid;

		snprintf(path, sizeof(path), OVS_DIR "/%s.pid", daemons[i]);
		if (vnp_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		pid = atoi(buf);
		if (pid <= 1 || kill(pid, SIGTERM))
			continue;
		stopped++;
		for (int t = 0; t < 50 && !kill(pid, 0); t++)
			usleep(50000);
		kill(pid, SIGKILL);
	}
	return stopped;
}

static int ovs_start(int vms)
{
	char db[300], sock[320];
	int err;

	if (access("/usr/sbin/ovs-vswitchd", X_OK) && system("command -v ovs-vswitchd >/dev/null"))
		return vnp_fail(-ENOENT, "--switch ovs needs Open vSwitch: apt-get install "
				"openvswitch-switch");
	ovs_env();
	mkdir(OVS_DIR, 0700);
	snprintf(db, sizeof(db), OVS_DIR "/conf.db");
	snprintf(sock, sizeof(sock), "unix:" OVS_DIR "/db.sock");
	unlink(db);
	err = vnp_run_cmdf("ovsdb-tool create %s /usr/share/openvswitch/vswitch.ovsschema", db);
	if (!err)
		err = vnp_run_cmdf("ovsdb-server %s --remote=p%s --pidfile=" OVS_DIR
				   "/ovsdb-server.pid --detach --no-chdir --log-file=" OVS_DIR
				   "/ovsdb-server.log --unixctl=" OVS_DIR "/ovsdb-server.ctl",
				   db, sock);
	if (!err)
		err = vnp_run_cmdf("ovs-vsctl --db=%s --no-wait init", sock);
	if (!err)
		err = vnp_run_cmdf("ovs-vswitchd %s --pidfile=" OVS_DIR "/ovs-vswitchd.pid --detach "
				   "--no-chdir --log-file=" OVS_DIR "/ovs-vswitchd.log --unixctl="
				   OVS_DIR "/ovs-vswitchd.ctl", sock);
	if (!err)
		err = vnp_run_cmdf("ovs-vsctl --db=%s --timeout=20 add-br " VNP_TB_BRIDGE
				   " -- set bridge " VNP_TB_BRIDGE " datapath_type=netdev", sock);
	if (!err)
		err = vnp_run_cmdf("ovs-vsctl --db=%s --timeout=20 add-port " VNP_TB_BRIDGE
				   " " VNP_TB_NIC, sock);
	for (int i = 1; !err && i <= vms; i++) {
		char tap[32];

		vnp_testbed_vm_tap(i, tap, sizeof(tap));
		err = vnp_run_cmdf("ovs-vsctl --db=%s --timeout=20 add-port " VNP_TB_BRIDGE " %s",
				   sock, tap);
	}
	if (!err)
		err = vnp_run_cmdf("ip link set " VNP_TB_BRIDGE " up");
	return err;
}

/* ---- up, down, state ---- */

/* the settings, the pid of 'up', and whether it finished (complete=1) */
static int write_state(const struct vnp_testbed_opts *o, bool complete)
{
	FILE *fp;

	if (mkdir(VNP_TB_STATE_DIR, 0700) && errno != EEXIST)
		return vnp_fail(-errno, "cannot create " VNP_TB_STATE_DIR ": %s", strerror(errno));
	fp = fopen(STATE_FILE, "w");
	if (!fp)
		return vnp_fail(-errno, "cannot write " STATE_FILE ": %s", strerror(errno));
	fprintf(fp, "vms=%d\nswitch=%s\nhost_cpus=%d\nlink_rate=%s\npid=%d\ncomplete=%d\n", o->vms,
		o->sw, o->host_cpus, o->link_rate ? o->link_rate : "", (int)getpid(), complete);
	return fclose(fp) ? -EIO : 0;
}

/* the state file's settings; -EINPROGRESS (and the pid of its 'up') if unfinished */
static int read_state(struct vnp_testbed_opts *o, char *sw, size_t swsize, char *rate,
		      size_t ratesize, pid_t *pid)
{
	char buf[512], *p;
	bool complete = true; /* a state file of an older vnetprof has no complete= */

	*pid = 0;
	if (vnp_read_file(STATE_FILE, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	memset(o, 0, sizeof(*o));
	sw[0] = rate[0] = '\0';
	for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n")) {
		if (!strncmp(p, "vms=", 4))
			o->vms = atoi(p + 4);
		else if (!strncmp(p, "switch=", 7))
			snprintf(sw, swsize, "%s", p + 7);
		else if (!strncmp(p, "host_cpus=", 10))
			o->host_cpus = atoi(p + 10);
		else if (!strncmp(p, "link_rate=", 10))
			snprintf(rate, ratesize, "%s", p + 10);
		else if (!strncmp(p, "pid=", 4))
			*pid = (pid_t)atoi(p + 4);
		else if (!strncmp(p, "complete=", 9))
			complete = atoi(p + 9) == 1;
	}
	o->sw = sw;
	o->link_rate = *rate ? rate : NULL;
	return complete ? 0 : -EINPROGRESS;
}

int vnp_testbed_state(struct vnp_testbed_opts *o, char *sw, size_t swsize, char *rate,
		      size_t ratesize)
{
	pid_t pid;

	return read_state(o, sw, swsize, rate, ratesize, &pid);
}

/*
 * Give @dev (in @ns, or the host's for NULL) a NAPI kernel thread of its own
 * and move that thread into @cgdir (and the testbed's cpuset). A veth whose
 * peer sends without TSO queues frames to this thread instead of processing
 * them in whichever task's softirq happens to run: the switching work of a
 * VM is then done by a thread in the VM's cgroup, as vhost-net's handle_tx
 * and handle_rx run in a worker the host schedules with the VM's threads.
 * Kernels without threaded NAPI (before 5.12) leave it in softirq; the
 * testbed still works, load just hurts its throughput less.
 */
static void napi_own_thread(const char *ns, const char *dev, const char *cgdir,
			    const struct cgroups *cg)
{
	pid_t before[1024], after[1024];
	int nb, na, err;
	char path[300], want[64], comm[32];

	nb = vnp_pids_named("napi/", true, before, (int)ARRAY_SIZE(before));
	snprintf(path, sizeof(path), "echo 1 > /sys/class/net/%s/threaded", dev);
	if (ns) {
		/* sysfs shows a namespace's devices to a process inside it */
		const char *argv[] = { "ip", "netns", "exec", ns, "sh", "-c", path, NULL };

		err = vnp_run_cmd(argv);
	} else {
		snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", dev);
		err = write_str(path, "1");
	}
	if (err) {
		static bool told;

		if (!told)
			pr_warn("no threaded NAPI on this kernel: the VMs' network work stays in "
				 "softirq, where CPU load slows it less than on a KVM host\n");
		told = true;
		return;
	}
	na = vnp_pids_named("napi/", true, after, (int)ARRAY_SIZE(after));
	if (nb == (int)ARRAY_SIZE(before) || na == (int)ARRAY_SIZE(after))
		return; /* cannot tell ours from the host's: touch none */
	/* new since the write, and named for this device: "napi/DEV-ID" */
	snprintf(want, sizeof(want), "napi/%s-", dev);
	for (int i = 0; i < na; i++) {
		bool old = false;

		for (int j = 0; j < nb && !old; j++)
			old = after[i] == before[j];
		snprintf(path, sizeof(path), "/proc/%d/comm", after[i]);
		if (old || vnp_read_file(path, comm, sizeof(comm)) <= 0)
			continue;
		/* older kernels cut a task's name to 15 characters */
		comm[strcspn(comm, "\n")] = '\0';
		if (strncmp(comm, want, strlen(comm) < strlen(want) ? strlen(comm) : strlen(want)))
			continue;
		cg_join(cgdir, after[i]);
		if (cg->cpuset[0])
			cg_join(cg->cpuset, after[i]);
	}
}

/*
 * One end of the testbed: namespace @ns with eth0, its host side @hostdev on
 * the switch. @vm 0 is the remote host. Every link carries jumbo frames
 * (VNP_TB_MTU) and the senders into the switch do not use TSO, so that each
 * frame costs the thread that moves it; see napi_own_thread().
 */
static int add_endpoint(const char *ns, const char *hostdev, const char *ip, bool ovs, int vm,
			const struct cgroups *cg)
{
	char cgdir[300];
	int err = vnp_run_cmdf("ip netns add %s", ns);

	if (vm)
		snprintf(cgdir, sizeof(cgdir), "%s/vm%d", cg->cpu, vm);
	else
		snprintf(cgdir, sizeof(cgdir), "%s/remote", cg->cpu);
	if (!err)
		err = vnp_run_cmdf("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
				   "net.ipv6.conf.default.disable_ipv6=1", ns);
	if (!err)
		err = vnp_run_cmdf("ip link add %s mtu %d type veth peer name eth0 mtu %d netns %s",
				   hostdev, VNP_TB_MTU, VNP_TB_MTU, ns);
	if (!err)
		err = vnp_run_cmdf("ip -n %s addr add %s/24 dev eth0", ns, ip);
	if (!err)
		err = vnp_run_cmdf("ip -n %s link set eth0 up", ns);
	if (!err)
		err = vnp_run_cmdf("ip -n %s link set lo up", ns);
	if (!err && !ovs)
		err = vnp_run_cmdf("ip link set %s master " VNP_TB_BRIDGE, hostdev);
	if (!err)
		err = vnp_run_cmdf("ip link set %s up", hostdev);
	/* the userspace datapath does not fill in checksums a veth left for offload */
	if (!err && ovs)
		err = vnp_run_cmdf("ip netns exec %s ethtool -K eth0 tx off", ns);
	/*
	 * Toward the switch and toward the VM: one frame at a time, into a
	 * thread. Not on the switch's side with OvS: its userspace datapath
	 * reads the host sides with packet sockets, and GRO would hand it
	 * frames larger than the MTU, which it drops.
	 */
	if (!err)
		err = vnp_run_cmdf("ethtool -K %s tso off%s", hostdev, vm && !ovs ? " gro on" : "");
	if (!err)
		err = vnp_run_cmdf("ip netns exec %s ethtool -K eth0 gro on%s", ns,
				   vm ? " tso off" : "");
	if (!err && vm && !ovs)
		napi_own_thread(NULL, hostdev, cgdir, cg);
	if (!err)
		napi_own_thread(ns, "eth0", cgdir, cg);
	return err;
}

/* tbf needs a bucket of at least one timer tick at the rate */
static int shape(const char *rate)
{
	char *end;
	double r = strtod(rate, &end), mult = 1, burst;

	if (end == rate || r <= 0)
		return vnp_fail(-EINVAL, "--link-rate '%s': give a rate such as 10gbit or 500mbit",
				rate);
	if (!strcmp(end, "gbit"))
		mult = 1e9;
	else if (!strcmp(end, "mbit"))
		mult = 1e6;
	else if (!strcmp(end, "kbit"))
		mult = 1e3;
	else if (strcmp(end, "bit") && *end)
		return vnp_fail(-EINVAL, "--link-rate '%s': units are bit, kbit, mbit, gbit", rate);
	burst = r * mult / 8 / 100; /* 10 ms worth */
	if (burst < 64 * 1024)
		burst = 64 * 1024;
	return vnp_run_cmdf("tc qdisc add dev " VNP_TB_NIC " root tbf rate %s burst %.0f "
			    "latency 50ms", rate, burst);
}

int vnp_testbed_up(const struct vnp_testbed_opts *o, bool *was_up)
{
	struct vnp_testbed_opts cur;
	char sw[16], rate[32];
	struct cgroups cg;
	bool ovs = !strcmp(o->sw, "ovs");
	pid_t builder;
	int err;

	*was_up = false;
	if (o->vms < 1 || o->vms > VNP_TB_MAX_VMS)
		return vnp_fail(-EINVAL, "--vms %d: between 1 and %d", o->vms, VNP_TB_MAX_VMS);
	if (strcmp(o->sw, "bridge") && !ovs)
		return vnp_fail(-EINVAL, "--switch %s: bridge or ovs", o->sw);
	err = read_state(&cur, sw, sizeof(sw), rate, sizeof(rate), &builder);
	if (err == -EINPROGRESS) {
		/* an 'up' that did not finish: still at work, or killed half-way */
		if (builder > 0 && builder != getpid() && !kill(builder, 0))
			return vnp_fail(-EBUSY, "another 'vnetprof testbed up' (pid %d) is building "
					"the testbed; wait for it, or 'vnetprof testbed down'",
					(int)builder);
		vnp_testbed_down();
	} else if (!err) {
		if (cur.vms == o->vms && !strcmp(sw, o->sw) && cur.host_cpus == o->host_cpus &&
		    !strcmp(rate, o->link_rate ? o->link_rate : "") &&
		    !access("/run/netns/" VNP_TB_REMOTE_NS, F_OK)) {
			*was_up = true;
			return 0;
		}
		return vnp_fail(-EBUSY, "a testbed with other settings is up (%d VMs, %s); "
				"'vnetprof testbed down' first", cur.vms, sw);
	}
	if (!cg_find(&cg))
		return vnp_fail(-ENOTSUP, "no cgroup cpu controller (v1 /sys/fs/cgroup/cpu or v2 "
				"with +cpu): cannot give each VM its 2 CPUs");
	/* the state first: whatever happens next, 'down' finds it */
	err = write_state(o, false);
	if (!err)
		err = cg_setup(&cg, o->vms, o->host_cpus);
	if (!err && !ovs) {
		err = vnp_run_cmdf("ip link add " VNP_TB_BRIDGE " mtu %d type bridge", VNP_TB_MTU);
		if (!err)
			err = vnp_run_cmdf("ip link set " VNP_TB_BRIDGE " up");
	}
	if (!err)
		err = add_endpoint(VNP_TB_REMOTE_NS, VNP_TB_NIC, VNP_TB_REMOTE_IP, ovs, 0, &cg);
	for (int i = 1; !err && i <= o->vms; i++) {
		char ns[32], tap[32], ip[32];

		vnp_testbed_vm_ns(i, ns, sizeof(ns));
		vnp_testbed_vm_tap(i, tap, sizeof(tap));
		vnp_testbed_vm_ip(i, ip, sizeof(ip));
		err = add_endpoint(ns, tap, ip, ovs, i, &cg);
	}
	if (!err && ovs)
		err = ovs_start(o->vms);
	if (!err && o->link_rate)
		err = shape(o->link_rate);
	if (!err)
		err = write_state(o, true);
	if (err) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", vnp_errmsg());
		vnp_testbed_down();
		return vnp_fail(err, "testbed up failed, and was removed again: %s", msg);
	}
	return 0;
}

int vnp_testbed_down(void)
{
	char names[VNP_TB_MAX_VMS * 2 + 8][64], root[256];
	struct cgroups cg;
	int n, removed = 0;
	bool ran_ovs;

	removed += vnp_testbed_kill_workload();
	ovs_env();
	ran_ovs = !access(OVS_DIR, F_OK);
	removed += ovs_stop();
	/*
	 * The userspace datapath leaves its own tap, ovs-netdev, behind; it is
	 * ours to remove when our private daemons ran and no other OvS runs.
	 */
	if (ran_ovs && !access("/sys/class/net/ovs-netdev", F_OK) &&
	    system("pgrep -x ovs-vswitchd >/dev/null 2>&1"))
		removed += vnp_run_cmdf("ip link del ovs-netdev") == 0;
	n = our_netns(names, (int)ARRAY_SIZE(names));
	for (int i = 0; i < n; i++)
		removed += vnp_run_cmdf("ip netns del %s", names[i]) == 0;
	/* host sides of veths go with their peers; the bridge and leftovers here */
	n = our_links(names, (int)ARRAY_SIZE(names));
	for (int i = 0; i < n; i++)
		removed += vnp_run_cmdf("ip link del %s", names[i]) == 0;
	if (cg_find(&cg)) {
		removed += cg_remove(cg.cpu, cg_root(cg.cpu, root, sizeof(root)));
		if (cg.cpuset[0])
			removed += cg_remove(cg.cpuset, cg_root(cg.cpuset, root, sizeof(root)));
	}
	if (!access(VNP_TB_STATE_DIR, F_OK)) {
		removed += vnp_run_cmdf("rm -rf " VNP_TB_STATE_DIR) == 0;
	}
	return removed;
}

int vnp_testbed_inventory(struct vnp_testbed_object *v, int max)
{
	char names[VNP_TB_MAX_VMS * 2 + 8][64];
	struct cgroups cg;
	int n = 0, k;

#define ADD(kd, ...)                                                                               \
	do {                                                                                       \
		if (n < max) {                                                                     \
			snprintf(v[n].kind, sizeof(v[n].kind), "%s", kd);                          \
			snprintf(v[n].name, sizeof(v[n].name), __VA_ARGS__);                       \
			n++;                                                                       \
		}                                                                                  \
	} while (0)
	if (!access(STATE_FILE, F_OK))
		ADD("state", "%s", STATE_FILE);
	k = our_netns(names, (int)ARRAY_SIZE(names));
	for (int i = 0; i < k; i++)
		ADD("netns", "%.63s", names[i]);
	k = our_links(names, (int)ARRAY_SIZE(names));
	for (int i = 0; i < k; i++)
		ADD("link", "%.63s", names[i]);
	if (cg_find(&cg)) {
		if (!access(cg.cpu, F_OK))
			ADD("cgroup", "%s", cg.cpu);
		if (cg.cpuset[0] && !access(cg.cpuset, F_OK))
			ADD("cgroup", "%s", cg.cpuset);
	}
	for (int i = 0; i < 2; i++) {
		char path[300], buf[32];
		const char *d = i ? "ovs-vswitchd" : "ovsdb-server";

		snprintf(path, sizeof(path), OVS_DIR "/%s.pid", d);
		if (vnp_read_file(path, buf, sizeof(buf)) > 0 && !kill(atoi(buf), 0))
			ADD("process", "%s (pid %d)", d, atoi(buf));
	}
#undef ADD
	return n;
}

pid_t vnp_testbed_spawn(int vm, char *const argv[], const char *out, int gate)
{
	char ns[32], path[300], cgdir[300];
	struct cgroups cg;
	bool have_cg = cg_find(&cg);
	pid_t pid;

	if (vm)
		vnp_testbed_vm_ns(vm, ns, sizeof(ns));
	else
		snprintf(ns, sizeof(ns), VNP_TB_REMOTE_NS);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int nsfd = open(path, O_RDONLY | O_CLOEXEC), fd;
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0); /* Ctrl-C reaches the experiment, which stops everything */
		if (have_cg) {
			if (vm)
				snprintf(cgdir, sizeof(cgdir), "%s/vm%d", cg.cpu, vm);
			else
				snprintf(cgdir, sizeof(cgdir), "%s/remote", cg.cpu);
			cg_join(cgdir, getpid());
			if (cg.cpuset[0])
				cg_join(cg.cpuset, getpid());
		}
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {
			fprintf(stderr, "vnetprof: cannot enter %s: %s\n", ns, strerror(errno));
			_exit(126);
		}
		fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			if (!out)
				dup2(fd, 2);
		}
		if (gate >= 0) {
			char c;

			if (read(gate, &c, 1) != 1)
				_exit(0);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "vnetprof: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}
