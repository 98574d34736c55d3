// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * evcost: a fixed amount of kernel work that hits known tracepoints, timed,
 * for bench/event-cost.sh. It measures what a tool that watches those
 * tracepoints adds to each hit, with far less noise than a throughput test.
 *
 *   evcost udp OPS CPU    OPS 64-byte UDP datagrams over loopback, each sent
 *                         and read back by this thread: per op one
 *                         net:net_dev_xmit, one net:netif_receive_skb, one
 *                         irq:softirq_entry/exit on lo
 *   evcost pingpong OPS CPU
 *                         OPS round trips of one byte between two threads
 *                         over pipes: per op two sched:sched_switch and two
 *                         sched:sched_wakeup
 *
 * Everything runs on CPU (both threads of pingpong too, so that every round
 * trip switches). Prints: ns of wall time per op, ns of CPU time per op.
 * Only loopback is used.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("evcost: sched_setaffinity");
		exit(1);
	}
}

static int udp(long ops)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char buf[64] = { 0 };
	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);

	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(rx, (struct sockaddr *)&sa, &len) ||
	    connect(tx, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("evcost: udp socket");
		return 1;
	}
	for (long i = 0; i < ops; i++) {
		if (send(tx, buf, sizeof(buf), 0) != sizeof(buf) ||
		    recv(rx, buf, sizeof(buf), 0) != sizeof(buf)) {
			perror("evcost: udp");
			return 1;
		}
	}
	close(rx);
	close(tx);
	return 0;
}

static int p2c[2], c2p[2];
static long pp_ops;

static void *ponger(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0; i < pp_ops; i++)
		if (read(p2c[0], &c, 1) != 1 || write(c2p[1], &c, 1) != 1)
			break;
	return NULL;
}

static int pingpong(long ops)
{
	pthread_t t;
	char c = 'x';

	pp_ops = ops;
	if (pipe(p2c) || pipe(c2p) || pthread_create(&t, NULL, ponger, NULL)) {
		perror("evcost: pingpong");
		return 1;
	}
	for (long i = 0; i < ops; i++)
		if (write(p2c[1], &c, 1) != 1 || read(c2p[0], &c, 1) != 1) {
			perror("evcost: pingpong");
			return 1;
		}
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	double w0, c0, w1, c1;
	struct rusage ru;
	long ops;
	int err;

	if (argc != 4 || (strcmp(argv[1], "udp") && strcmp(argv[1], "pingpong")) ||
	    (ops = atol(argv[2])) <= 0 || ops > 100000000) {
		fprintf(stderr, "usage: evcost udp|pingpong OPS CPU\n");
		return 2;
	}
	pin(atoi(argv[3]));
	w0 = now(CLOCK_MONOTONIC);
	getrusage(RUSAGE_SELF, &ru);
	c0 = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	err = !strcmp(argv[1], "udp") ? udp(ops) : pingpong(ops);
	w1 = now(CLOCK_MONOTONIC);
	getrusage(RUSAGE_SELF, &ru);
	c1 = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (err)
		return 1;
	printf("%.1f %.1f\n", (w1 - w0) * 1e9 / ops, (c1 - c0) * 1e9 / ops);
	return 0;
}
