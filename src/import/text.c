// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Text helpers the formats share: timestamps, "key=value" payload fields and
 * the "comm-pid" task split. They call nothing else of the importer.
 */
#include "import-local.h"

#include <ctype.h>
#include <string.h>

size_t parse_ts(const char *s, size_t n, int64_t *ns)
{
	int64_t sec = 0, frac = 0;
	size_t i = 0;
	int nd = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9') {
		sec = sec * 10 + (s[i] - '0');
		if (++i > 10)
			return 0;
	}
	if (!i || sec > 9000000000ll)
		return 0;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (nd < 9) {
				frac = frac * 10 + (s[i] - '0');
				nd++;
			}
			i++;
		}
	}
	while (nd++ < 9)
		frac *= 10;
	*ns = sec * 1000000000ll + frac;
	return i;
}

bool payload_field(const char *p, size_t n, const char *key, const char **v, size_t *vlen)
{
	size_t kl = strlen(key);
	const char *end = p + n, *q = p;

	while (q + kl < end) {
		const char *hit = memmem(q, end - q, key, kl);

		if (!hit || hit + kl >= end)
			return false;
		if (hit[kl] == '=' &&
		    (hit == p || hit[-1] == ' ' || hit[-1] == '[' || hit[-1] == ',')) {
			const char *s = hit + kl + 1, *e = s;

			while (e < end && *e != ' ')
				e++;
			if (e > s && hit > p && hit[-1] == '[' && e[-1] == ']')
				e--;
			if (e > s && e[-1] == ',')
				e--;
			*v = s;
			*vlen = e - s;
			return true;
		}
		q = hit + 1;
	}
	return false;
}


bool split_task(const char *s, size_t n, size_t *comm_len)
{
	size_t i = n;

	while (i > 0 && is_digit(s[i - 1]))
		i--;
	if (i == n || i == 0 || s[i - 1] != '-')
		return false;
	*comm_len = i - 1;
	return true;
}

void trim_cpu(const char **c, size_t *n)
{
	while (*n > 1 && **c == '0') {
		(*c)++;
		(*n)--;
	}
}

bool is_tracepoint(const char *e, size_t n)
{
	const char *c = memchr(e, ':', n);

	if (!c || c == e || c == e + n - 1 || memchr(c + 1, ':', e + n - c - 1))
		return false;
	for (size_t i = 0; i < n; i++)
		if (e + i != c && !(isalnum((unsigned char)e[i]) || e[i] == '_'))
			return false;
	return true;
}

void copy_str(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}
