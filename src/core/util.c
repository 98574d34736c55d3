// SPDX-License-Identifier: LGPL-2.1-or-later
/* Durations, number formatting that round-trips, and small file helpers. */
#include "vnetprof-local.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int vnp_parse_duration(const char *s, double *out)
{
	static const struct {
		const char *suffix;
		double scale;
	} units[] = {
		{ "ns", 1e-9 }, { "us", 1e-6 }, { "ms", 1e-3 }, { "s", 1 },
		{ "m", 60 },	{ "min", 60 },	{ "h", 3600 },
	};
	char *end;
	double v;

	if (!s || !*s)
		return vnp_fail(-EINVAL, "empty duration; give a number with a unit, e.g. 100ms or 2s");
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return vnp_fail(-EINVAL, "'%s' is not a duration; use e.g. 100ms, 1.5s, 2m", s);
	if (*end) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (!strcmp(end, units[i].suffix))
				break;
		if (i == ARRAY_SIZE(units))
			return vnp_fail(-EINVAL, "'%s': unknown unit '%s'; use ns, us, ms, s, m or h", s,
					end);
		v *= units[i].scale;
	}
	if (!(v > 0) || !isfinite(v))
		return vnp_fail(-EINVAL, "'%s': a duration must be greater than zero", s);
	*out = v;
	return 0;
}

int vnp_fmt_double(char *buf, size_t size, double v)
{
	if (isnan(v))
		return snprintf(buf, size, "%s", "");
	if (isinf(v))
		return snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
	if (v == 0)
		return snprintf(buf, size, "0");
	/* shortest of %.15g .. %.17g that reads back exactly */
	for (int prec = 15; prec <= 17; prec++) {
		int n = snprintf(buf, size, "%.*g", prec, v);

		if (prec == 17 || strtod(buf, NULL) == v)
			return n;
	}
	return -1;
}

int vnp_fmt_seconds(char *buf, size_t size, double s)
{
	int n = snprintf(buf, size, "%.9f", s);

	if (n <= 0 || (size_t)n >= size)
		return n;
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	if (!strcmp(buf, "-0"))
		n = snprintf(buf, size, "0");
	return n;
}

char *vnp_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int vnp_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return (int)total;
}

static double ts_sec(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double vnp_now_mono(void)
{
	return ts_sec(CLOCK_MONOTONIC);
}

double vnp_now_wall(void)
{
	return ts_sec(CLOCK_REALTIME);
}

/* "0-3,5,7-8" -> set[cpu] = 1; returns highest cpu + 1, or -EINVAL */
int vnp_parse_cpulist(const char *s, unsigned char *set, int max)
{
	int top = 0;

	memset(set, 0, max);
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0 || a >= max)
			return -EINVAL;
		b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= max)
				return -EINVAL;
			s = end;
		}
		for (long c = a; c <= b; c++)
			set[c] = 1;
		if (b + 1 > top)
			top = (int)b + 1;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return top;
}

int vnp_cpus_online(unsigned char *set, int max)
{
	char buf[4096];
	int n = vnp_read_file("/sys/devices/system/cpu/online", buf, sizeof(buf));

	return n < 0 ? n : vnp_parse_cpulist(buf, set, max);
}

int vnp_pids_named(const char *name, bool prefix, pid_t *pids, int max)
{
	char path[300], comm[32];
	size_t len = strlen(name);
	struct dirent *de;
	DIR *d = opendir("/proc");
	int n = 0;

	while (d && n < max && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (vnp_read_file(path, comm, sizeof(comm)) <= 0)
			continue;
		comm[strcspn(comm, "\n")] = '\0';
		if (prefix ? !strncmp(comm, name, len) : !strcmp(comm, name))
			pids[n++] = (pid_t)atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return n;
}
