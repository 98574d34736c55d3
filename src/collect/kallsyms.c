// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/kallsyms, sorted once. kallsyms gives no sizes, so a symbol ends
 * where the next one starts; data symbols (when the kernel lists them) are
 * kept as bounds but never returned. Aliases (several names at one address)
 * are reduced to one, chosen as perf chooses, so that our names match perf's.
 */
#include "collect/kallsyms.h"

#include "vnetprof-local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vnp_ksyms {
	struct vnp_ksym *syms;
	size_t n;
	char *names; /* every name and module name, NUL-separated */
	size_t names_len, names_cap;
};

static bool is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

/* smaller is better: global text, weak, local text, local weak, then data */
static int type_rank(char type)
{
	switch (type) {
	case 'T':
		return 0;
	case 'W':
		return 1;
	case 't':
		return 2;
	case 'w':
		return 3;
	default:
		return 4;
	}
}

static size_t underscores(const char *s)
{
	size_t n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct vnp_ksym *x = a, *y = b;
	size_t ux, uy, lx, ly;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (type_rank(x->type) != type_rank(y->type))
		return type_rank(x->type) - type_rank(y->type);
	ux = underscores(x->name);
	uy = underscores(y->name);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	lx = strlen(x->name);
	ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* append @s (length @len) to the arena; returns its offset or -1 */
static long add_name(struct vnp_ksyms *ks, const char *s, size_t len)
{
	long off;

	if (ks->names_len + len + 1 > ks->names_cap) {
		size_t cap = ks->names_cap ? ks->names_cap * 2 : 1 << 20;
		char *p;

		while (cap < ks->names_len + len + 1)
			cap *= 2;
		p = realloc(ks->names, cap);
		if (!p)
			return -1;
		ks->names = p;
		ks->names_cap = cap;
	}
	off = (long)ks->names_len;
	memcpy(ks->names + off, s, len);
	ks->names[off + len] = '\0';
	ks->names_len += len + 1;
	return off;
}

struct vnp_ksyms *vnp_ksyms__load_file(const char *path)
{
	struct vnp_ksyms *ks;
	/* module name offsets, interned while loading (arena pointers move) */
	long *mod_off = NULL;
	size_t nmod = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	bool any_addr = false;
	FILE *fp;
	int err = 0;

	fp = fopen(path, "re");
	if (!fp)
		return vnp_fail_null(-errno, "cannot read %s: %s", path, strerror(errno));
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		goto nomem;
	while (getline(&line, &lcap, fp) > 0) {
		char *p = line, *end, *name, *mod = NULL;
		struct vnp_ksym *s;
		uint64_t addr;
		long off, moff = -1;
		char type;
		size_t nlen;

		addr = strtoull(p, &end, 16);
		if (end == p || *end != ' ' || !end[1] || end[2] != ' ')
			continue; /* not a symbol line */
		type = end[1];
		name = end + 3;
		nlen = strcspn(name, " \t\n");
		if (!nlen)
			continue;
		if (name[nlen] == '\t' || name[nlen] == ' ') {
			char *m = name + nlen + strspn(name + nlen, " \t");

			if (*m == '[') {
				mod = m + 1;
				mod[strcspn(mod, "]\n")] = '\0';
			}
		}
		name[nlen] = '\0';
		any_addr |= addr != 0;
		if (mod) {
			size_t i;

			for (i = 0; i < nmod; i++)
				if (!strcmp(ks->names + mod_off[i], mod))
					break;
			if (i == nmod) {
				long *q;

				q = realloc(mod_off, (nmod + 1) * sizeof(*mod_off));
				if (!q)
					goto nomem;
				mod_off = q;
				off = add_name(ks, mod, strlen(mod));
				if (off < 0)
					goto nomem;
				mod_off[nmod++] = off;
			}
			moff = mod_off[i];
		}
		off = add_name(ks, name, nlen);
		if (off < 0)
			goto nomem;
		if (ks->n == cap) {
			size_t ncap = cap ? cap * 2 : 65536;

			s = realloc(ks->syms, ncap * sizeof(*s));
			if (!s)
				goto nomem;
			ks->syms = s;
			cap = ncap;
		}
		s = &ks->syms[ks->n++];
		/* offsets for now: the arena may still move */
		s->addr = addr;
		s->name = (const char *)(uintptr_t)off;
		s->module = (const char *)(intptr_t)moff;
		s->type = type;
	}
	if (ferror(fp))
		err = vnp_fail(-EIO, "error reading %s", path);
	else if (!ks->n)
		err = vnp_fail(-ENOENT, "%s lists no symbols", path);
	else if (!any_addr)
		err = vnp_fail(-EACCES, "%s hides kernel addresses (kernel.kptr_restrict): run as "
			       "root, or set kernel.kptr_restrict = 0", path);
	if (err)
		goto fail;
	for (size_t i = 0; i < ks->n; i++) {
		struct vnp_ksym *s = &ks->syms[i];
		intptr_t m = (intptr_t)s->module;

		s->name = ks->names + (uintptr_t)s->name;
		s->module = m < 0 ? NULL : ks->names + m;
	}
	qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_sym);
	/* keep the best name of each address */
	{
		size_t w = 0;

		for (size_t i = 0; i < ks->n; i++)
			if (!w || ks->syms[w - 1].addr != ks->syms[i].addr)
				ks->syms[w++] = ks->syms[i];
		ks->n = w;
	}
	free(mod_off);
	free(line);
	fclose(fp);
	return ks;
nomem:
	err = vnp_fail(-ENOMEM, "out of memory loading %s", path);
fail:
	free(mod_off);
	free(line);
	fclose(fp);
	if (ks) {
		ks->n = 0; /* names are still offsets: nothing to fix up */
		vnp_ksyms__free(ks);
	}
	errno = -err;
	return NULL;
}

struct vnp_ksyms *vnp_ksyms__load(void)
{
	return vnp_ksyms__load_file("/proc/kallsyms");
}

const struct vnp_ksym *vnp_ksyms__map_addr(const struct vnp_ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	/* first symbol above @addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || !is_text(ks->syms[lo - 1].type))
		return NULL;
	return &ks->syms[lo - 1];
}

const struct vnp_ksym *vnp_ksyms__get_symbol(const struct vnp_ksyms *ks, const char *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (is_text(ks->syms[i].type) && !strcmp(ks->syms[i].name, name))
			return &ks->syms[i];
	return NULL;
}

size_t vnp_ksyms__count(const struct vnp_ksyms *ks)
{
	return ks->n;
}

size_t vnp_ksyms__index(const struct vnp_ksyms *ks, const struct vnp_ksym *sym)
{
	return (size_t)(sym - ks->syms);
}

const struct vnp_ksym *vnp_ksyms__at(const struct vnp_ksyms *ks, size_t i)
{
	return &ks->syms[i];
}

void vnp_ksyms__free(struct vnp_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->names);
	free(ks);
}
