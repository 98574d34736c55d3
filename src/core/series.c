// SPDX-License-Identifier: LGPL-2.1-or-later
/* Series names in the Prometheus form metric{key="value",...}. */
#include "vnetprof-local.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool valid_ident(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
			return false;
	return true;
}

int vnp_series_name(char *buf, size_t size, const char *metric, const struct vnp_label *labels,
		    size_t nlabels)
{
	size_t n = 0;

#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (n + 1 >= size)                                                                 \
			return -ENAMETOOLONG;                                                      \
		buf[n++] = (c);                                                                    \
	} while (0)

	if (!metric || !valid_ident(metric, strlen(metric)))
		return -EINVAL;
	for (const char *p = metric; *p; p++)
		PUT(*p);
	if (nlabels) {
		PUT('{');
		for (size_t i = 0; i < nlabels; i++) {
			if (!valid_ident(labels[i].key, strlen(labels[i].key)) || !labels[i].value)
				return -EINVAL;
			if (i)
				PUT(',');
			for (const char *p = labels[i].key; *p; p++)
				PUT(*p);
			PUT('=');
			PUT('"');
			for (const char *p = labels[i].value; *p; p++) {
				if (*p == '\\' || *p == '"') {
					PUT('\\');
					PUT(*p);
				} else if (*p == '\n') {
					PUT('\\');
					PUT('n');
				} else {
					PUT(*p);
				}
			}
			PUT('"');
		}
		PUT('}');
	}
#undef PUT
	buf[n] = '\0';
	return (int)n;
}

/*
 * Walk the labels of @name; for each, call @fn with the key and the raw
 * (escaped) value. Returns -EINVAL if the name is malformed, or what @fn
 * returns when it is non-zero.
 */
static int walk_labels(const char *name,
		       int (*fn)(const char *k, size_t kn, const char *v, size_t vn, void *arg),
		       void *arg)
{
	const char *p = strchr(name, '{');
	size_t mlen = p ? (size_t)(p - name) : strlen(name);

	if (!valid_ident(name, mlen))
		return -EINVAL;
	if (!p)
		return 0;
	p++;
	if (*p == '}')
		return p[1] ? -EINVAL : 0;
	for (;;) {
		const char *k = p, *v;
		int r;

		while (*p && *p != '=')
			p++;
		if (*p != '=' || !valid_ident(k, p - k) || p[1] != '"')
			return -EINVAL;
		v = p + 2;
		for (p = v; *p && *p != '"'; p++)
			if (*p == '\\') {
				if (!p[1])
					return -EINVAL;
				p++;
			}
		if (*p != '"')
			return -EINVAL;
		r = fn(k, (size_t)(v - 2 - k), v, (size_t)(p - v), arg);
		if (r)
			return r;
		p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '}' && !p[1])
			return 0;
		return -EINVAL;
	}
}

static int nop_label(const char *k, size_t kn, const char *v, size_t vn, void *arg)
{
	(void)k, (void)kn, (void)v, (void)vn, (void)arg;
	return 0;
}

int vnp_series_check(const char *name)
{
	return name ? walk_labels(name, nop_label, NULL) : -EINVAL;
}

struct find_arg {
	const char *key;
	char *buf;
	size_t size;
};

static int find_label(const char *k, size_t kn, const char *v, size_t vn, void *arg)
{
	struct find_arg *fa = arg;
	size_t n = 0;

	if (strlen(fa->key) != kn || strncmp(k, fa->key, kn))
		return 0;
	for (size_t i = 0; i < vn; i++) {
		char c = v[i];

		if (c == '\\') {
			c = v[++i];
			if (c == 'n')
				c = '\n';
		}
		if (n + 1 < fa->size)
			fa->buf[n] = c;
		n++;
	}
	if (fa->size)
		fa->buf[n < fa->size ? n : fa->size - 1] = '\0';
	return (int)n + 1; /* non-zero stops the walk */
}

int vnp_series_label(const char *name, const char *key, char *buf, size_t size)
{
	struct find_arg fa = { key, buf, size };
	int r = walk_labels(name, find_label, &fa);

	if (r < 0)
		return r;
	return r ? r - 1 : -ENOENT;
}

/* What a metric name tells about its series, for files that carry only names. */
static const struct {
	const char *metric;
	enum vnp_kind kind;
	const char *unit;
	enum vnp_role role;
} known[] = {
	{ "tracepoint_hits", VNP_COUNTER, "events", VNP_INDICATOR },
	{ "tracepoint_bytes", VNP_COUNTER, "bytes", VNP_INDICATOR },
	{ "function_calls", VNP_COUNTER, "calls", VNP_INDICATOR },
	{ "netdev_bytes", VNP_COUNTER, "bytes", VNP_TARGET },
	{ "netdev_packets", VNP_COUNTER, "packets", VNP_CONTEXT },
	{ "netdev_drops", VNP_COUNTER, "packets", VNP_CONTEXT },
	{ "iperf3_bits", VNP_COUNTER, "bits", VNP_TARGET },
	{ "cpu_seconds", VNP_COUNTER, "seconds", VNP_CONTEXT },
	{ "runqueue_delay_seconds", VNP_COUNTER, "seconds", VNP_CONTEXT },
	{ "cpu_pressure_seconds", VNP_COUNTER, "seconds", VNP_CONTEXT },
	{ "cpu_share", VNP_SHARE, "ratio", VNP_INDICATOR },
	{ "trace_lost_events", VNP_COUNTER, "events", VNP_CONTEXT },
};

void vnp_series_guess(const char *name, enum vnp_kind *kind, const char **unit,
		      enum vnp_role *role)
{
	size_t mlen = strcspn(name, "{");

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strlen(known[i].metric) == mlen && !strncmp(name, known[i].metric, mlen)) {
			*kind = known[i].kind;
			*unit = known[i].unit;
			*role = known[i].role;
			return;
		}
	*kind = VNP_GAUGE;
	*unit = "";
	*role = VNP_INDICATOR;
}
