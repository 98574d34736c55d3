// SPDX-License-Identifier: LGPL-2.1-or-later
/* What every collector shares: its series table, the read of one bin, the list of a run's. */
#include "collect/collector.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct vnp_collector *vnp_collector_new(const struct vnp_collector_ops *ops, void *priv)
{
	struct vnp_collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ops = ops;
	c->priv = priv;
	return c;
}

int vnp_collector_add_series(struct vnp_collector *c, const char *name, enum vnp_kind kind,
			     const char *unit, enum vnp_role role, const char *backend,
			     bool cumulative)
{
	struct vnp_cseries *s;

	if (c->ns == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		double *v;

		s = realloc(c->s, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		c->s = s;
		v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	s = &c->s[c->ns];
	*s = (struct vnp_cseries){ .name = strdup(name), .kind = kind, .unit = unit, .role = role,
				   .backend = backend, .cumulative = cumulative };
	if (!s->name)
		return -ENOMEM;
	c->v[c->ns] = 0;
	return (int)c->ns++;
}

int vnp_collector_add_infos(struct vnp_collector *c, const struct vnp_series_info *si, size_t n,
			    bool cumulative)
{
	for (size_t i = 0; i < n; i++) {
		int s = vnp_collector_add_series(c, si[i].name, si[i].kind, si[i].unit, si[i].role,
						 si[i].backend, cumulative);

		if (s < 0)
			return s;
	}
	return 0;
}

int vnp_collector_find(const struct vnp_collector *c, const char *name, size_t from)
{
	for (size_t i = from; i < c->ns; i++)
		if (!strcmp(c->s[i].name, name))
			return (int)i;
	return -1;
}

struct vnp_series_info vnp_collector_info(const struct vnp_collector *c, size_t i)
{
	const struct vnp_cseries *s = &c->s[i];

	return (struct vnp_series_info){ .name = s->name, .kind = s->kind,
					 .unit = (char *)s->unit, .role = s->role,
					 .backend = (char *)s->backend };
}

int vnp_collector_read(struct vnp_collector *c, const struct vnp_bin_ctx *ctx, unsigned *flags)
{
	int err;

	/* a total that a read leaves alone has not grown */
	for (size_t i = 0; i < c->ns; i++)
		c->v[i] = c->s[i].cumulative ? c->s[i].prev : 0;
	err = c->ops->read(c, ctx, flags);
	if (err)
		return err;
	for (size_t i = 0; i < c->ns; i++) {
		struct vnp_cseries *s = &c->s[i];
		double tot = c->v[i];

		if (!s->cumulative)
			continue;
		/* a total that is gone (NAN) stays gone: NAN - anything */
		c->v[i] = tot - s->prev;
		s->prev = tot;
	}
	for (size_t i = 0; ctx->baseline && i < c->ns; i++)
		c->v[i] = 0;
	return 0;
}

void vnp_collector_close(struct vnp_collector *c)
{
	if (!c)
		return;
	if (c->ops->close)
		c->ops->close(c);
	for (size_t i = 0; i < c->ns; i++)
		free(c->s[i].name);
	free(c->s);
	free(c->v);
	free(c);
}

int vnp_collectors_add(struct vnp_collectors *l, struct vnp_collector *c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct vnp_collector **v = realloc(l->c, cap * sizeof(*v));

		if (!v) {
			vnp_collector_close(c);
			return -ENOMEM;
		}
		l->c = v;
		l->cap = cap;
	}
	l->c[l->n++] = c;
	return 0;
}

struct vnp_collector *vnp_collectors_new(struct vnp_collectors *l,
					 const struct vnp_collector_ops *ops, void *priv)
{
	struct vnp_collector *c = vnp_collector_new(ops, priv);

	if (!c) {
		struct vnp_collector tmp = { .ops = ops, .priv = priv };

		ops->close(&tmp);
		return vnp_fail_null(-ENOMEM, "out of memory");
	}
	if (vnp_collectors_add(l, c))
		return vnp_fail_null(-ENOMEM, "out of memory");
	return c;
}

int vnp_collectors_new_of(struct vnp_collectors *l, const struct vnp_collector_ops *ops,
			  void *priv, const struct vnp_series_info *si, size_t n, bool cumulative)
{
	struct vnp_collector *c = vnp_collectors_new(l, ops, priv);

	return c ? vnp_collector_add_infos(c, si, n, cumulative) : -errno;
}

bool vnp_collectors_have(const struct vnp_collectors *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (vnp_collector_find(l->c[i], name, 0) >= 0)
			return true;
	return false;
}

void vnp_collectors_close(struct vnp_collectors *l)
{
	for (size_t i = 0; i < l->n; i++)
		vnp_collector_close(l->c[i]);
	free(l->c);
	*l = (struct vnp_collectors){ 0 };
}
