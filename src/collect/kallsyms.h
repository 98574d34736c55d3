/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel symbols from /proc/kallsyms: loaded and sorted once, then an
 * address is mapped to the function that holds it by binary search
 * (libbpf-tools' ksyms__load() / ksyms__map_addr() shape).
 */
#ifndef VNP_KALLSYMS_H
#define VNP_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

struct vnp_ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* "veth", "bpf", ... or NULL for the kernel image */
	char type;	    /* kallsyms type letter: t T w W (text); others bound text */
};

struct vnp_ksyms;

/*
 * vnp_ksyms__load() - load /proc/kallsyms
 *
 * Return: the table, or NULL with errno set and vnp_errmsg() saying why
 * (e.g. addresses hidden by kernel.kptr_restrict).
 */
struct vnp_ksyms *vnp_ksyms__load(void);

/*
 * vnp_ksyms__load_file() - load symbols in kallsyms format from @path
 *
 * Lines are "ADDR TYPE NAME [MODULE]". Every symbol bounds the one before it;
 * only text symbols (t, T, w, W) are returned by lookups.
 * Return: the table, or NULL with errno set and vnp_errmsg() saying why.
 */
struct vnp_ksyms *vnp_ksyms__load_file(const char *path);

/*
 * vnp_ksyms__map_addr() - the text symbol that holds @addr
 *
 * The symbol with the highest address at or below @addr, if it is a text
 * symbol. Where several share an address, a global one wins over a weak one,
 * a weak one over a local one, then fewer leading underscores, then the
 * shorter name (as perf chooses).
 * Return: the symbol, or NULL if @addr lies before every symbol or in a
 * non-text one.
 */
const struct vnp_ksym *vnp_ksyms__map_addr(const struct vnp_ksyms *ks, uint64_t addr);

/* vnp_ksyms__get_symbol() - the first text symbol called @name, or NULL */
const struct vnp_ksym *vnp_ksyms__get_symbol(const struct vnp_ksyms *ks, const char *name);

/* vnp_ksyms__count() - how many symbols were loaded */
size_t vnp_ksyms__count(const struct vnp_ksyms *ks);

/*
 * vnp_ksyms__index() - the position of @sym in the sorted table, 0 .. count-1
 * (for per-symbol counters indexed by symbol)
 */
size_t vnp_ksyms__index(const struct vnp_ksyms *ks, const struct vnp_ksym *sym);

/* vnp_ksyms__at() - the symbol at position @i (< count) */
const struct vnp_ksym *vnp_ksyms__at(const struct vnp_ksyms *ks, size_t i);

/* vnp_ksyms__free() - free the table; NULL is accepted */
void vnp_ksyms__free(struct vnp_ksyms *ks);

#endif
