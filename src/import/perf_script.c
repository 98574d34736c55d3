// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * perf script output (default fields):
 *
 *     comm  pid [cpu] time: net:net_dev_xmit: dev=lo skbaddr=... len=106 rc=0
 *     comm  pid [cpu] time:    period cpu-clock:  ip sym+off (dso)
 *
 * A tracepoint (sys:name) counts into tracepoint_hits{event="sys:name"}. A
 * sample of any other event counts for its function: kernel samples by
 * symbol, user samples as "user:<binary>" (or "user:<comm>" when perf did not
 * know the binary); cpu_share{function=...} is that count over all samples
 * of the event in the bin, and cpu_samples{event=...} holds that total.
 * With callchains (-g) the first frame under the sample line is its
 * function. The comm may hold spaces: the line is anchored on "time:".
 */
#include "import-local.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pscript {
	struct vnp_importer *im;
	struct lreader *lr;
	const char *file;
	struct skey key, tkey;
	uint64_t good, frames;
	struct imp_bad bad;
	int64_t prev_ts;
	bool have_prev;
	/* a sample whose function is on the next (callchain) line */
	bool want_frame;
	struct {
		int64_t ts;
		char comm[64], pid[16], cpu[8], event[64];
	} pending;
};

struct pline {
	const char *comm, *pid, *cpu, *event, *rest;
	size_t comm_len, pid_len, cpu_len, event_len, rest_len;
	int64_t ts;
	bool period;
};

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* "comm pid[/tid] [cpu] ts: [period] event: rest"; 1 or 0 */
static int parse_header(const char *s, size_t n, struct pline *pl)
{
	const char *end = s + n, *c, *t, *l, *p;
	size_t tl;

	memset(pl, 0, sizeof(*pl));
	for (c = s;; c++) {
		c = memchr(c, ':', end - c);
		if (!c || c + 1 >= end)
			return 0;
		if (c[1] != ' ' || c == s || !is_digit(c[-1]))
			continue;
		t = c;
		while (t > s && (is_digit(t[-1]) || t[-1] == '.'))
			t--;
		if (t > s && t[-1] == ' ' && memchr(t, '.', c - t))
			break;
	}
	tl = parse_ts(t, c - t, &pl->ts);
	if (tl != (size_t)(c - t))
		return 0;
	/* before the time: [cpu], pid or pid/tid, comm */
	l = t - 1;
	while (l > s && *l == ' ')
		l--;
	if (*l == ']') {
		const char *b = l;

		while (b > s && *b != '[')
			b--;
		if (*b != '[' || b == s)
			return 0;
		pl->cpu = b + 1;
		pl->cpu_len = l - b - 1;
		l = b - 1;
		while (l > s && *l == ' ')
			l--;
	}
	{
		const char *pe = l + 1;

		while (l > s && (is_digit(*l) || *l == '/'))
			l--;
		if (l + 1 == pe || *l != ' ' || !is_digit(l[1]))
			return 0;
		pl->pid = l + 1;
		pl->pid_len = pe - l - 1;
	}
	p = s;
	while (p < l && *p == ' ')
		p++;
	while (l > p && *l == ' ')
		l--;
	pl->comm = p;
	pl->comm_len = l + 1 - p;
	/* after: optional period, then the event */
	p = c + 1;
	while (p < end && *p == ' ')
		p++;
	if (p < end && is_digit(*p)) {
		const char *q = p;

		while (q < end && is_digit(*q))
			q++;
		if (q < end && *q == ' ') {
			pl->period = true;
			p = q;
			while (p < end && *p == ' ')
				p++;
		}
	}
	{
		const char *q = p;

		while (q < end && *q != ' ')
			q++;
		if (q == p || q[-1] != ':')
			return 0;
		pl->event = p;
		pl->event_len = q - 1 - p;
		while (q < end && *q == ' ')
			q++;
		pl->rest = q;
		pl->rest_len = end - q;
	}
	return pl->event_len ? 1 : 0;
}

static void note_bad(struct pscript *x, const char *line, size_t len, const char *why)
{
	imp_bad_line(x->im, &x->bad, x->lr, line, len, why);
}

static void add_by(struct pscript *x, struct skey *k, const char *comm, size_t cl,
		   const char *pid, size_t pidl, const char *cpu, size_t cpul,
		   const char *payload, size_t payl, bool totals)
{
	struct vnp_importer *im = x->im;
	char task[96];

	for (size_t i = 0; i < im->nby; i++) {
		const char *by = im->by[i], *v = NULL;
		size_t vl = 0;

		if (!strcmp(by, "cpu")) {
			v = cpu;
			vl = cpul;
			if (v)
				trim_cpu(&v, &vl);
		} else if (totals) {
			continue; /* shares are of all the CPU's samples */
		} else if (!strcmp(by, "task")) {
			int n = snprintf(task, sizeof(task), "%.*s-%.*s", (int)cl, comm, (int)pidl,
					 pid);

			v = task;
			vl = n < (int)sizeof(task) ? (size_t)n : sizeof(task) - 1;
		} else if (!strcmp(by, "comm")) {
			v = comm;
			vl = cl;
		} else if (!strcmp(by, "pid")) {
			v = pid;
			vl = pidl;
		} else if (payload) {
			if (!payload_field(payload, payl, by, &v, &vl))
				v = NULL;
		}
		if (v)
			key_add(k, by, v, vl);
	}
}

static int count_event(struct pscript *x, const struct pline *pl)
{
	static const struct series_def def = { VNP_COUNTER, "events", VNP_INDICATOR,
					       "import:perf-script", -1, false };
	int s, err;

	key_reset(&x->key, "tracepoint_hits");
	key_add(&x->key, "event", pl->event, pl->event_len);
	add_by(x, &x->key, pl->comm, pl->comm_len, pl->pid, pl->pid_len, pl->cpu, pl->cpu_len,
	       pl->rest, pl->rest_len, false);
	s = imp_series(x->im, &x->key, &def);
	if (s < 0)
		return vnp_fail(s, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg());
	err = imp_add(x->im, s, pl->ts, 1);
	return err ? vnp_fail(err, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg()) : 0;
}

/* the function of a sample: "ip sym+off (dso)" */
static int count_sample(struct pscript *x, int64_t ts, const char *comm, size_t cl,
			const char *pid, size_t pidl, const char *cpu, size_t cpul,
			const char *event, size_t el, const char *frame, size_t fl)
{
	static const struct series_def def_total = { VNP_COUNTER, "samples", VNP_CONTEXT,
						     "import:perf-script", -1, false };
	struct series_def def = { VNP_SHARE, "ratio", VNP_INDICATOR, "import:perf-script", -1,
				  false };
	const char *end = frame + fl, *ip = frame, *sym, *se, *dso = NULL, *de = NULL;
	char fn[256];
	unsigned long long addr;
	bool kernel, plain_clock;
	int n, s, t, err;

	while (ip < end && *ip == ' ')
		ip++;
	sym = ip;
	while (sym < end && is_hex(*sym))
		sym++;
	if (sym == ip || (sym < end && *sym != ' '))
		return -1;
	addr = strtoull(ip, NULL, 16);
	while (sym < end && *sym == ' ')
		sym++;
	se = end;
	while (se > sym && se[-1] == ' ')
		se--;
	if (se > sym && se[-1] == ')') {
		/* "(dso)", which may itself hold parentheses: "(/memfd:x (deleted))" */
		int depth = 0;

		de = se - 1;
		for (const char *p = se - 1; p >= sym; p--) {
			depth += *p == ')';
			depth -= *p == '(';
			if (!depth) {
				dso = p + 1;
				se = p;
				break;
			}
		}
		if (!dso)
			de = NULL;
	}
	while (se > sym && se[-1] == ' ')
		se--;
	for (const char *p = sym; p < se; p++)
		if (*p == '+' && p + 2 < se && p[1] == '0' && p[2] == 'x') {
			se = p;
			break;
		}
	kernel = addr >= 0xffff800000000000ull ||
		 (dso && de - dso >= 7 && !memcmp(dso, "[kernel", 7));
	if (kernel) {
		if (se == sym || (se - sym == 9 && !memcmp(sym, "[unknown]", 9)))
			n = snprintf(fn, sizeof(fn), "kernel:[unknown]");
		else
			n = snprintf(fn, sizeof(fn), "%.*s", (int)(se - sym), sym);
	} else if (dso && de > dso && !(de - dso == 9 && !memcmp(dso, "[unknown]", 9))) {
		const char *b = dso;

		for (const char *p = dso; p < de; p++)
			if (*p == '/')
				b = p + 1;
		n = snprintf(fn, sizeof(fn), "user:%.*s", (int)(de - b), b);
	} else {
		n = snprintf(fn, sizeof(fn), "user:%.*s", (int)cl, comm);
	}
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(fn))
		n = sizeof(fn) - 1;
	plain_clock = (el == 9 && !memcmp(event, "cpu-clock", 9)) ||
		      (el == 10 && !memcmp(event, "task-clock", 10));
	/* the total of the bin */
	key_reset(&x->tkey, "cpu_samples");
	key_add(&x->tkey, "event", event, el);
	add_by(x, &x->tkey, comm, cl, pid, pidl, cpu, cpul, NULL, 0, true);
	t = imp_series(x->im, &x->tkey, &def_total);
	if (t < 0)
		return vnp_fail(t, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg());
	key_reset(&x->key, "cpu_share");
	key_add(&x->key, "function", fn, (size_t)n);
	if (!plain_clock)
		key_add(&x->key, "event", event, el);
	add_by(x, &x->key, comm, cl, pid, pidl, cpu, cpul, NULL, 0, false);
	def.total = t;
	s = imp_series(x->im, &x->key, &def);
	if (s < 0)
		return vnp_fail(s, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg());
	err = imp_add(x->im, t, ts, 1);
	if (!err)
		err = imp_add(x->im, s, ts, 1);
	return err ? vnp_fail(err, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg()) : 0;
}

static int line_(struct pscript *x, char *s, size_t n)
{
	struct pline pl;
	int r;

	if (!parse_header(s, n, &pl)) {
		const char *p = s;

		while (*p == ' ' || *p == '\t')
			p++;
		if (is_hex(*p)) {
			/* a callchain frame */
			if (x->want_frame) {
				x->want_frame = false;
				r = count_sample(x, x->pending.ts, x->pending.comm,
						 strlen(x->pending.comm), x->pending.pid,
						 strlen(x->pending.pid), x->pending.cpu,
						 strlen(x->pending.cpu), x->pending.event,
						 strlen(x->pending.event), p, n - (p - s));
				if (r == -1) {
					note_bad(x, s, n, "not a callchain frame");
					return 0;
				}
				if (!r) {
					x->good++;
					x->im->events++;
				}
				return r;
			}
			x->frames++;
			return 0;
		}
		note_bad(x, s, n, "not a perf script line");
		return 0;
	}
	if (x->want_frame) {
		note_bad(x, s, n, "a sample without its callchain before this line");
		x->want_frame = false;
	}
	if (x->have_prev && pl.ts < x->prev_ts)
		imp_warn(x->im, "%s:%ld: time goes back from %.6f to %.6f; counted in its own "
			 "bin", x->file, x->lr->lineno, x->prev_ts / 1e9, pl.ts / 1e9);
	if (!x->have_prev || pl.ts > x->prev_ts)
		x->prev_ts = pl.ts;
	x->have_prev = true;
	if (is_tracepoint(pl.event, pl.event_len) && !(pl.rest_len && is_hex(pl.rest[0]) &&
						       pl.period)) {
		r = count_event(x, &pl);
	} else if (!pl.rest_len) {
		/* the function is on the first frame of the callchain */
		x->want_frame = true;
		x->pending.ts = pl.ts;
		copy_str(x->pending.comm, sizeof(x->pending.comm), pl.comm, pl.comm_len);
		copy_str(x->pending.pid, sizeof(x->pending.pid), pl.pid, pl.pid_len);
		copy_str(x->pending.cpu, sizeof(x->pending.cpu), pl.cpu ? pl.cpu : "", pl.cpu_len);
		copy_str(x->pending.event, sizeof(x->pending.event), pl.event, pl.event_len);
		return 0;
	} else {
		r = count_sample(x, pl.ts, pl.comm, pl.comm_len, pl.pid, pl.pid_len, pl.cpu,
				 pl.cpu_len, pl.event, pl.event_len, pl.rest, pl.rest_len);
		if (r == -1) {
			note_bad(x, s, n, "a sample without an address");
			return 0;
		}
	}
	if (!r) {
		x->good++;
		x->im->events++;
	}
	return r;
}

int imp_perf_script(struct vnp_importer *im, struct lreader *lr, const char *path)
{
	struct pscript x = { .im = im, .lr = lr, .file = lr->name };
	char *line;
	size_t len;
	int r, err;

	(void)path;
	err = imp_set_clock(im, x.file, "trace");
	while (!err && (r = lr_next(lr, &line, &len)) > 0) {
		im->lines++;
		if (lr->too_long) {
			note_bad(&x, "", 0, "line longer than 64 KiB");
			continue;
		}
		if (!len || line[0] == '#') {
			x.want_frame = false;
			continue;
		}
		err = line_(&x, line, len);
	}
	if (!err && r < 0)
		err = r;
	if (!err && lr->truncated)
		imp_warn(im, "%s: the gzip data ends early (the file was cut); read what it held",
			 x.file);
	if (!err && !x.good && x.bad.n)
		err = vnp_fail(-EINVAL, "%s:%ld: not perf script output: '%s' (and %llu more "
			       "lines like it)", x.file, x.bad.first_line, x.bad.first_text,
			       (unsigned long long)x.bad.n - 1);
	if (!err && !x.good)
		imp_warn(im, "%s: no samples or events", x.file);
	if (!err && x.have_prev)
		imp_note_end(im, x.prev_ts, false);
	key_free(&x.key);
	key_free(&x.tkey);
	return err;
}

int sniff_perf_script(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	int score = 0, lines = 0;

	while (p < end && lines < 200) {
		const char *nl = memchr(p, '\n', end - p), *q;
		struct pline pl;

		if (!nl) {
			if (len >= LR_PEEK_SIZE)
				break;
			nl = end;
		}
		q = p;
		while (q < nl && (*q == ' ' || *q == '\t'))
			q++;
		if (q == nl || *p == '#') {
			/* blank, comment */
		} else if (*p == '\t' && is_hex(*q) && nl[-1] == ')') {
			/* a callchain frame: "\t  ffffffff81c80c2a sym+0xa ([kernel.kallsyms])" */
		} else {
			lines++;
			if (parse_header(p, nl - p, &pl) &&
			    (is_tracepoint(pl.event, pl.event_len) || pl.period || !pl.rest_len))
				score++;
		}
		p = nl + 1;
	}
	return score * 2 >= lines ? score : 0;
}
