// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udpsend ADDR PORT COUNT [SIZE] [SECONDS]: send exactly COUNT UDP datagrams
 * of SIZE payload bytes to ADDR:PORT, then exit. Bounded in count and time
 * (default 10 s): a test load that stops by itself. Only for addresses the
 * tests assign inside namespaces they create (198.18.0.0/15) or loopback.
 *
 * udpsend -l PORT SECONDS: receive on PORT for SECONDS (so that the sender
 * gets no ICMP "port unreachable" back), then print how many arrived.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int allowed(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return (h >> 24) == 127 || (h & 0xfffe0000u) == 0xc6120000u; /* 198.18.0.0/15 */
}

static int sink(int port, double seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	struct timespec t0, t;
	char buf[65536];
	long got = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	int rcvbuf = 16 << 20;

	/* a large receive buffer: the sender may burst faster than we read */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("udpsend: sink");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (recv(fd, buf, sizeof(buf), 0) >= 0)
			got++;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) * 1e-9 > seconds)
			break;
	}
	printf("%ld\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char buf[65536] = { 0 };
	long count, size = 64, sent = 0;
	double limit = 10;
	struct timespec t0, t;
	int fd;

	if (argc == 4 && !strcmp(argv[1], "-l"))
		return sink(atoi(argv[2]), atof(argv[3]) > 0 && atof(argv[3]) <= 600 ? atof(argv[3]) : 10);
	if (argc < 4) {
		fprintf(stderr, "usage: udpsend ADDR PORT COUNT [SIZE] [SECONDS]\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || !allowed(sa.sin_addr)) {
		fprintf(stderr, "udpsend: %s is not loopback or in 198.18.0.0/15\n", argv[1]);
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	count = atol(argv[3]);
	if (argc > 4)
		size = atol(argv[4]);
	if (argc > 5)
		limit = atof(argv[5]);
	if (count < 0 || size < 0 || size > (long)sizeof(buf) || !(limit > 0 && limit <= 600)) {
		fprintf(stderr, "udpsend: bad count, size or time\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpsend: socket");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < count) {
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&sa, sizeof(sa)) != size) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("udpsend: sendto");
			return 1;
		}
		sent++;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) * 1e-9 > limit) {
			fprintf(stderr, "udpsend: time limit after %ld datagrams\n", sent);
			return 1;
		}
	}
	close(fd);
	printf("%ld\n", sent);
	return 0;
}
