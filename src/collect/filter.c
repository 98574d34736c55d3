// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Kernel event filters for the series of one tracepoint. Written into a
 * memory stream: no buffer is sized by hand.
 */
#include "collect/filter.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* a string written through a stream that grows as it is written */
struct sb {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *sb_open(struct sb *b)
{
	b->buf = NULL;
	return b->f = open_memstream(&b->buf, &b->len);
}

/* the string (set by the close), or NULL if the stream ran out of memory */
static char *sb_close(struct sb *b)
{
	if (fclose(b->f)) {
		free(b->buf);
		return NULL;
	}
	return b->buf;
}

/* "(user) && " before the rest, or nothing */
static void user_and(FILE *f, const char *user)
{
	if (user)
		fprintf(f, "(%s) && ", user);
}

char *vnp_filter_dev(const char *user, const char *field, char *const *devs, size_t ndev,
		     const char *only)
{
	struct sb b;
	FILE *f = sb_open(&b);

	if (!f)
		return NULL;
	user_and(f, user);
	if (only) {
		fprintf(f, "%s == \"%s\"", field, only);
	} else {
		fputc('(', f);
		for (size_t i = 0; i < ndev; i++)
			fprintf(f, "%s%s != \"%s\"", i ? " && " : "", field, devs[i]);
		fputc(')', f);
	}
	return sb_close(&b);
}

char *vnp_filter_eq_any(const char *field, const char *const *values, size_t n)
{
	struct sb b;
	FILE *f = sb_open(&b);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s == \"%s\"", i ? " || " : "", field, values[i]);
	return sb_close(&b);
}

char *vnp_filter_pid_any(const pid_t *pids, size_t n)
{
	struct sb b;
	FILE *f = sb_open(&b);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%scommon_pid == %d", i ? " || " : "", (int)pids[i]);
	return sb_close(&b);
}

char *vnp_filter_vm(const char *user, const char *clause)
{
	struct sb b;
	FILE *f = sb_open(&b);

	if (!f)
		return NULL;
	user_and(f, user);
	fprintf(f, "(%s)", clause);
	return sb_close(&b);
}

char *vnp_filter_host(const char *user, const char *const *clauses, size_t n)
{
	struct sb b;
	FILE *f = sb_open(&b);

	if (!f)
		return NULL;
	if (!n) {
		fputs(user ? user : "", f);
		return sb_close(&b);
	}
	user_and(f, user);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s!(%s)", i ? " && " : "", clauses[i]);
	return sb_close(&b);
}
