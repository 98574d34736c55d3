// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udpsend [-b BURSTS -g GAP_MS] ADDR PORT COUNT [SIZE] [SECONDS]: send
 * exactly COUNT UDP datagrams of SIZE payload bytes to ADDR:PORT, then exit
 * and print COUNT. Bounded in count and time (default 10 s, gaps included):
 * a test load that stops by itself. Only for addresses the tests assign
 * inside namespaces they create (198.18.0.0/15) or loopback.
 *
 * With -b, the datagrams go out in BURSTS bursts (the first COUNT % BURSTS
 * bursts one datagram larger), each starting at least GAP_MS milliseconds
 * after the previous one ended, and for each burst one line is printed
 * before the count:
 *   burst I DATAGRAMS T_FIRST T_LAST
 * where T_FIRST is CLOCK_MONOTONIC (seconds) read before its first sendto()
 * and T_LAST after its last one returned: every datagram of burst I was
 * sent inside [T_FIRST, T_LAST].
 *
 * udpsend -l PORT SECONDS [COUNT]: receive on PORT (so that the sender gets
 * no ICMP "port unreachable" back) for SECONDS, or until COUNT datagrams
 * arrived, then print how many arrived.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BURSTS 1000
#define MAX_GAP_MS 10000

static int allowed(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return (h >> 24) == 127 || (h & 0xfffe0000u) == 0xc6120000u; /* 198.18.0.0/15 */
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int sink(int port, double seconds, long want)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	char buf[65536];
	long got = 0;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rcvbuf = 16 << 20;
	double t0;

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
	t0 = mono();
	for (;;) {
		if (recv(fd, buf, sizeof(buf), 0) >= 0)
			got++;
		if ((want > 0 && got >= want) || mono() - t0 > seconds)
			break;
	}
	printf("%ld\n", got);
	return 0;
}

/* a whole decimal number in [lo, hi], or -1 */
static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno || end == s || *end || v < lo || v > hi ? -1 : v;
}

static int usage(void)
{
	fprintf(stderr, "usage: udpsend [-b BURSTS -g GAP_MS] ADDR PORT COUNT [SIZE] [SECONDS]\n"
		"       udpsend -l PORT SECONDS [COUNT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static char buf[65536];
	long count, size = 64, sent = 0, bursts = 1, gap_ms = 0;
	double limit = 10, t0;
	int fd, opt, paced = 0;

	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "-l")) {
		long want = argc == 5 ? number(argv[4], 1, 1L << 40) : 0;

		if (want < 0)
			return usage();
		return sink(atoi(argv[2]), atof(argv[3]) > 0 && atof(argv[3]) <= 600 ? atof(argv[3]) : 10,
			    want);
	}
	while ((opt = getopt(argc, argv, "+b:g:")) != -1) {
		paced = 1;
		if (opt == 'b' && (bursts = number(optarg, 1, MAX_BURSTS)) > 0)
			continue;
		if (opt == 'g' && (gap_ms = number(optarg, 0, MAX_GAP_MS)) >= 0)
			continue;
		fprintf(stderr, "udpsend: -b takes 1..%d bursts, -g 0..%d ms\n", MAX_BURSTS,
			MAX_GAP_MS);
		return usage();
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 4 || argc > 6)
		return usage();
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
	if (bursts > 1 && (bursts > count || (double)(bursts - 1) * (double)gap_ms / 1000 >= limit)) {
		fprintf(stderr, "udpsend: %ld bursts need at least as many datagrams and their gaps "
			"less than %g s\n", bursts, limit);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpsend: socket");
		return 1;
	}
	t0 = mono();
	for (long b = 0; b < bursts; b++) {
		long want = count / bursts + (b < count % bursts), n = 0;
		double first, last;

		if (b) {
			struct timespec gap = { gap_ms / 1000, (gap_ms % 1000) * 1000000L };

			/* at least GAP_MS: a relative sleep that a signal does not cut short */
			while (clock_nanosleep(CLOCK_MONOTONIC, 0, &gap, &gap) == EINTR)
				;
		}
		first = last = mono();
		while (n < want) {
			if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&sa, sizeof(sa)) != size) {
				if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
					perror("udpsend: sendto");
					return 1;
				}
			} else {
				n++;
				sent++;
			}
			last = mono();
			if (last - t0 > limit) {
				fprintf(stderr, "udpsend: time limit after %ld datagrams\n", sent);
				return 1;
			}
		}
		if (paced)
			printf("burst %ld %ld %.9f %.9f\n", b, n, first, last);
	}
	close(fd);
	printf("%ld\n", sent);
	return 0;
}
