// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ftrace text: what /sys/kernel/tracing/trace (and trace-cmd report) prints.
 *
 * Every layout of the kernel (KERNEL-INTERFACES.md §4): irq-info on (4- or
 * 5-character flags) or off, record-tgid "(  pid)", latency-format
 * ("comm-pid  0b.s.. 1234us+: "), trace-cmd report's instance prefix and
 * "function: fn <-- parent", task names with spaces and dashes (anchored on
 * the last "-<pid>" before the CPU field), "##### CPU N buffer started ####"
 * and "CPU:N [LOST M EVENTS]". Function lines count into
 * function_calls{function=...}, event lines into tracepoint_hits{event=...}.
 *
 * function_graph text with funcgraph-abstime: every entry ("fn() {" or
 * "fn();") is a call at its timestamp; "[module]" tags become a label; the
 * caller (for --by parent) comes from the nesting, the task (for --by task)
 * from the context-switch markers or the funcgraph-proc column.
 */
#include "import-local.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAPH_MAX_DEPTH 64
#define GRAPH_NAME 96
#define MAX_TRACK_CPUS 4096

struct gcpu {
	char task[64];
	char stack[GRAPH_MAX_DEPTH][GRAPH_NAME];
	int depth;
};

/* one parsed line */
struct fline {
	const char *comm, *pid, *cpu, *body;
	size_t comm_len, pid_len, cpu_len, body_len;
	const char *task; /* comm-pid as printed */
	size_t task_len;
	const char *inst; /* trace-cmd report's instance prefix */
	size_t inst_len;
	int64_t ts;
	/* what the body holds */
	bool func;
	const char *name, *parent, *module, *payload;
	size_t name_len, parent_len, module_len, payload_len;
};

struct ftx {
	struct vnp_importer *im;
	struct lreader *lr;
	const char *file;
	bool graph, latency;
	struct skey key;
	uint64_t good, skipped;
	struct imp_bad bad;
	int64_t prev_ts, first_ts;
	bool have_prev;
	/* header: entries-in-buffer/entries-written */
	long long entries, written;
	/* buffer-started markers and lost events waiting for the next event's time */
	int pending_marker_cpu; /* a gap of unknown size on this CPU before the next event */
	long pending_marker_line;
	bool pending_wrapped;	/* the gap is the kernel's "buffer started" marker */
	int nmarkers, marker_cpu;
	int64_t marker_ts;
	int64_t *cpu_last; /* per CPU: time of its last event, INT64_MIN: none yet */
	size_t ncpu_last;
	char carry_inst[64]; /* trace-cmd: the instance of a "CPU:N [EVENTS DROPPED]" line */
	long long pending_lost;
	int pending_lost_cpu;
	long pending_lost_line;
	/* event name -> "sys:name" for the names seen last */
	struct evname {
		char raw[64], full[128];
		size_t raw_len, full_len;
	} ev[16];
	unsigned nev;
	/* function_graph: per-CPU task and call stack */
	struct gcpu **gcpus;
	size_t ngcpus;
	bool graph_no_abstime;
};

static const struct series_def def_func = { VNP_COUNTER, "calls", VNP_INDICATOR,
					    "import:ftrace", -1, false };
static const struct series_def def_event = { VNP_COUNTER, "events", VNP_INDICATOR,
					     "import:ftrace", -1, false };
static const struct series_def def_lost = { VNP_COUNTER, "events", VNP_CONTEXT,
					    "import:ftrace", -1, false };

static void note_bad(struct ftx *x, const char *line, size_t len, const char *why)
{
	imp_bad_line(x->im, &x->bad, x->lr, line, len, why);
}

/* strip "+0x1a/0x80" and " <ffffffff...>" from a symbol */
static size_t sym_len(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '+' || s[i] == ' ')
			return i;
	return n;
}

/* ---- context: "comm-pid (tgid) [cpu] flags ts: body" ------------------------ */

/* the task "comm-pid" and its two parts; false if it does not end in -<pid> */
static bool set_task(struct fline *fl, const char *t, size_t n)
{
	size_t cl;

	if (!split_task(t, n, &cl))
		return false;
	fl->task = fl->comm = t;
	fl->task_len = n;
	fl->comm_len = cl;
	fl->pid = t + cl + 1;
	fl->pid_len = n - cl - 1;
	return true;
}

static int parse_context(const char *s, size_t n, struct fline *fl)
{
	const char *end = s + n, *p = s, *q, *r, *ts;
	size_t tl;

	fl->inst = NULL;
	fl->inst_len = 0;
	/* trace-cmd report: "instance: " before the padded task */
	if (*p != ' ') {
		const char *c = p;

		while (c < end && *c != ' ' && *c != ':')
			c++;
		if (c + 2 < end && c[0] == ':' && c[1] == ' ' && c[2] == ' ') {
			fl->inst = s;
			fl->inst_len = c - s;
			p = c + 1;
		}
	}
	/* the CPU field: " [digits]" */
	for (q = p;; q++) {
		q = memchr(q, '[', end - q);
		if (!q)
			return 0;
		if (q > p && q[-1] == ' ' && q + 2 < end && is_digit(q[1])) {
			r = q + 1;
			while (r < end && is_digit(*r))
				r++;
			if (r < end && *r == ']')
				break;
		}
	}
	fl->cpu = q + 1;
	fl->cpu_len = r - q - 1;
	/* left: "comm-pid" and maybe "(tgid)" */
	{
		const char *l = q - 1, *pe, *ps;

		while (l > p && *l == ' ')
			l--;
		if (*l == ')') {
			while (l > p && *l != '(')
				l--;
			if (*l != '(' || l == p)
				return -1;
			l--;
			while (l > p && *l == ' ')
				l--;
		}
		pe = l + 1;
		ps = p;
		while (ps < pe && *ps == ' ')
			ps++;
		if (!set_task(fl, ps, pe - ps))
			return -1;
	}
	/* right: optional flags, then "ts:" */
	r++;
	while (r < end && *r == ' ')
		r++;
	ts = r;
	tl = parse_ts(ts, end - ts, &fl->ts);
	if (!tl || ts + tl >= end || ts[tl] != ':') {
		while (r < end && *r != ' ')
			r++;
		while (r < end && *r == ' ')
			r++;
		ts = r;
		tl = parse_ts(ts, end - ts, &fl->ts);
		if (!tl || ts + tl >= end || ts[tl] != ':')
			return -2;
	}
	if (!memchr(ts, '.', tl))
		return -3; /* a counter, not seconds */
	p = ts + tl + 1;
	while (p < end && *p == ' ')
		p++;
	fl->body = p;
	fl->body_len = end - p;
	return 1;
}

/* latency-format: "    bash-9383      0bNs.. 136014us+: body" (µs since the buffer's start) */
static int parse_latency(const char *s, size_t n, struct fline *fl)
{
	const char *end = s + n, *c, *us, *t, *l;

	for (c = s;; c++) {
		c = memchr(c, ':', end - c);
		if (!c || c + 1 >= end)
			return 0;
		if (c[1] != ' ' || c - s < 4)
			continue;
		us = c - 2;
		if (!(us[0] == 'u' && us[1] == 's'))
			us--;
		if (us[0] == 'u' && us[1] == 's' && is_digit(us[-1]))
			break;
	}
	t = us;
	while (t > s && is_digit(t[-1]))
		t--;
	if (t == s || t[-1] != ' ' || us - t > 15)
		return 0;
	{
		int64_t v = 0;

		for (const char *d = t; d < us; d++)
			v = v * 10 + (*d - '0');
		fl->ts = v * 1000;
	}
	/* before: "comm-pid <spaces> CPUflags " */
	l = t - 1;
	while (l > s && *l == ' ')
		l--;
	/* l is the last flag char; the CPU digits start the token */
	{
		const char *tok = l;

		while (tok > s && tok[-1] != ' ')
			tok--;
		if (!is_digit(*tok))
			return 0;
		fl->cpu = tok;
		fl->cpu_len = 0;
		while (is_digit(tok[fl->cpu_len]))
			fl->cpu_len++;
		if (tok == s)
			return 0;
		l = tok - 1;
	}
	while (l > s && *l == ' ')
		l--;
	{
		const char *pe = l + 1, *ps = s;

		while (ps < pe && *ps == ' ')
			ps++;
		if (!set_task(fl, ps, pe - ps))
			return 0;
	}
	c += 2;
	while (c < end && *c == ' ')
		c++;
	fl->body = c;
	fl->body_len = end - c;
	return 1;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* "name: payload" or "fn <-parent"; 1: understood, 0: skip silently, -1: malformed */
static int parse_body(const char *b, size_t n, struct fline *fl)
{
	const char *end = b + n, *sp = memchr(b, ' ', n), *te = sp ? sp : end;

	fl->func = false;
	fl->parent = fl->module = NULL;
	fl->parent_len = fl->module_len = 0;
	if (!n || te == b)
		return -1;
	if (*b == '<' && (n >= 13 && (!memcmp(b, "<stack trace>", 13) ||
				      !memcmp(b, "<user stack trace>", n < 18 ? n : 18))))
		return 0;
	if (te[-1] == ':' && te - 1 > b) {
		const char *p = te;

		fl->name = b;
		fl->name_len = te - 1 - b;
		for (size_t i = 0; i < fl->name_len; i++)
			if (!ident_char(b[i]))
				return -1;
		while (p < end && *p == ' ')
			p++;
		fl->payload = p;
		fl->payload_len = end - p;
		if (fl->name_len == 8 && !memcmp(b, "function", 8)) {
			/* trace-cmd report: "function: fn <-- parent" */
			b = p;
			n = end - p;
			sp = memchr(b, ' ', n);
			te = sp ? sp : end;
		} else if (fl->name_len == 15 && !memcmp(b, "funcgraph_entry", 15)) {
			const char *bar = memchr(p, '|', end - p), *f;

			if (!bar)
				return -1;
			f = bar + 1;
			while (f < end && *f == ' ')
				f++;
			fl->name = f;
			while (f < end && *f != '(' && *f != ' ')
				f++;
			fl->name_len = f - fl->name;
			fl->func = true;
			return fl->name_len ? 1 : -1;
		} else if (fl->name_len == 14 && !memcmp(b, "funcgraph_exit", 14)) {
			return 0;
		} else {
			return 1;
		}
	}
	/* function tracer: "fn <-parent", trace-cmd: "fn <-- parent" */
	{
		const char *arrow = sp && sp + 2 < end ? memmem(sp, end - sp, " <-", 3) : NULL;
		const char *pp;

		if (!arrow)
			return -1;
		fl->func = true;
		fl->name = b;
		fl->name_len = sym_len(b, te - b);
		pp = arrow + 3;
		if (pp < end && *pp == '-')
			pp++;
		while (pp < end && *pp == ' ')
			pp++;
		fl->parent = pp;
		fl->parent_len = sym_len(pp, end - pp);
		return fl->name_len ? 1 : -1;
	}
}

/* ---- counting ----------------------------------------------------------------- */

static const char *full_event_name(struct ftx *x, const char *name, size_t len, size_t *outlen)
{
	struct evname *e;
	const char *sys;
	size_t n = x->nev < ARRAY_SIZE(x->ev) ? x->nev : ARRAY_SIZE(x->ev);

	for (size_t i = 0; i < n; i++)
		if (x->ev[i].raw_len == len && !memcmp(name, x->ev[i].raw, len)) {
			*outlen = x->ev[i].full_len;
			return x->ev[i].full;
		}
	if (len >= sizeof(e->raw)) {
		*outlen = len;
		return name;
	}
	e = &x->ev[x->nev++ % ARRAY_SIZE(x->ev)];
	memcpy(e->raw, name, len);
	e->raw[len] = '\0';
	e->raw_len = len;
	sys = event_system(name, len);
	e->full_len = 0;
	if (sys) {
		/* system names are short: "net", "page_pool" */
		size_t sl = strlen(sys);

		memcpy(e->full, sys, sl);
		e->full[sl] = ':';
		e->full_len = sl + 1;
	}
	memcpy(e->full + e->full_len, name, len);
	e->full_len += len;
	e->full[e->full_len] = '\0';
	*outlen = e->full_len;
	return e->full;
}

static int count_line(struct ftx *x, struct fline *fl)
{
	struct vnp_importer *im = x->im;
	struct skey *k = &x->key;
	const char *v;
	size_t vl;
	int s, err;

	if (fl->func) {
		key_reset(k, "function_calls");
		key_add(k, "function", fl->name, fl->name_len);
		if (fl->module)
			key_add(k, "module", fl->module, fl->module_len);
	} else {
		v = full_event_name(x, fl->name, fl->name_len, &vl);
		key_reset(k, "tracepoint_hits");
		key_add(k, "event", v, vl);
	}
	for (size_t i = 0; i < im->nby; i++) {
		const char *by = im->by[i];

		v = NULL;
		vl = 0;
		if (!strcmp(by, "task")) {
			v = fl->task;
			vl = fl->task_len;
		} else if (!strcmp(by, "comm")) {
			v = fl->comm;
			vl = fl->comm_len;
		} else if (!strcmp(by, "pid")) {
			v = fl->pid;
			vl = fl->pid_len;
		} else if (!strcmp(by, "cpu")) {
			v = fl->cpu;
			vl = fl->cpu_len;
			if (v)
				trim_cpu(&v, &vl);
		} else if (!strcmp(by, "parent")) {
			v = fl->parent;
			vl = fl->parent_len;
		} else if (!strcmp(by, "instance")) {
			v = fl->inst;
			vl = fl->inst_len;
		} else if (!strcmp(by, "module")) {
			if (fl->func)
				continue; /* already there when the trace has it */
		} else if (!fl->func && fl->payload) {
			if (!payload_field(fl->payload, fl->payload_len, by, &v, &vl))
				v = NULL;
		}
		if (v)
			key_add(k, by, v, vl);
	}
	s = imp_series(im, k, fl->func ? &def_func : &def_event);
	if (s < 0)
		return vnp_fail(s, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg());
	err = imp_add(im, s, fl->ts, 1);
	if (err)
		return vnp_fail(err, "%s:%ld: %s", x->file, x->lr->lineno, vnp_errmsg());
	im->events++;
	return 0;
}

static int add_lost(struct ftx *x, int cpu, int64_t ts, double n)
{
	char c[16];
	int s;

	key_reset(&x->key, "trace_lost_events");
	if (cpu >= 0) {
		snprintf(c, sizeof(c), "%d", cpu);
		key_add(&x->key, "cpu", c, strlen(c));
	}
	s = imp_series(x->im, &x->key, &def_lost);
	return s < 0 ? s : imp_add(x->im, s, ts, n);
}

static int64_t cpu_last(struct ftx *x, int cpu)
{
	return cpu >= 0 && (size_t)cpu < x->ncpu_last ? x->cpu_last[cpu] : INT64_MIN;
}

static void note_cpu(struct ftx *x, const char *c, size_t n, int64_t ts)
{
	long cpu = 0;

	for (size_t i = 0; i < n && i < 6; i++)
		cpu = cpu * 10 + (c[i] - '0');
	if (!n || cpu >= MAX_TRACK_CPUS)
		return;
	if ((size_t)cpu >= x->ncpu_last) {
		int64_t *v = realloc(x->cpu_last, (cpu + 1) * sizeof(*v));

		if (!v)
			return;
		for (size_t i = x->ncpu_last; i <= (size_t)cpu; i++)
			v[i] = INT64_MIN;
		x->cpu_last = v;
		x->ncpu_last = cpu + 1;
	}
	x->cpu_last[cpu] = ts;
}

/* markers and lost events wait for the time of the event that follows them */
static int settle_pending(struct ftx *x, int64_t ts)
{
	int err = 0;

	if (x->pending_marker_cpu >= 0) {
		int cpu = x->pending_marker_cpu;
		int64_t from = cpu_last(x, cpu);

		if (from == INT64_MIN)
			from = x->first_ts;
		if (x->pending_wrapped)
			imp_warn(x->im, "%s:%ld: CPU %d's ring buffer wrapped: its events before "
				 "%.6f are missing; the bins up to there are flagged incomplete",
				 x->file, x->pending_marker_line, cpu, ts / 1e9);
		else
			imp_warn(x->im, "%s:%ld: CPU %d dropped events (how many is unknown) "
				 "between %.6f and %.6f; those bins are flagged incomplete",
				 x->file, x->pending_marker_line, cpu, from / 1e9, ts / 1e9);
		err = imp_flag_range(x->im, from, ts, VNP_BIN_INCOMPLETE);
		if (!x->pending_wrapped) {
			/* not the ring buffer's overwrite count */
		} else if (!x->nmarkers++) {
			x->marker_cpu = cpu;
			x->marker_ts = ts;
		} else if (x->marker_cpu != cpu) {
			x->marker_cpu = -1;
		}
		x->pending_marker_cpu = -1;
	}
	if (!err && x->pending_lost) {
		err = add_lost(x, x->pending_lost_cpu, ts, (double)x->pending_lost);
		x->pending_lost = 0;
	}
	return err;
}

static int check_time(struct ftx *x, int64_t ts)
{
	if (x->have_prev && ts < x->prev_ts)
		imp_warn(x->im, "%s:%ld: time goes back from %.6f to %.6f; counted in its own "
			 "bin", x->file, x->lr->lineno, x->prev_ts / 1e9, ts / 1e9);
	if (!x->have_prev) {
		x->first_ts = ts;
		x->have_prev = true;
	}
	if (ts > x->prev_ts || x->good == 0)
		x->prev_ts = ts;
	return 0;
}

/* "# ...", "#####", "CPU:N [LOST M EVENTS]", "cpus=N": 1 handled, 0 not one of them */
static int header_line(struct ftx *x, const char *s, size_t n)
{
	if (s[0] == '#') {
		int cpu;
		long long a, b;

		if (n > 10 && !memcmp(s, "##### CPU ", 10) && sscanf(s + 10, "%d", &cpu) == 1) {
			if (x->pending_marker_cpu < 0) {
				x->pending_marker_cpu = cpu;
				x->pending_marker_line = x->lr->lineno;
				x->pending_wrapped = true;
			}
			return 1;
		}
		if (n > 36 && !memcmp(s, "# entries-in-buffer/entries-written: ", 36) &&
		    sscanf(s + 36, "%lld/%lld", &a, &b) == 2) {
			const char *P = strstr(s, "#P:");

			x->entries = a;
			x->written = b;
			if (P && atoi(P + 3) > 0)
				x->im->ncpus = atoi(P + 3);
		}
		if (n > 10 && !memcmp(s, "# tracer: ", 10) && !x->graph &&
		    !strncmp(s + 10, "function_graph", 14))
			imp_warn(x->im, "%s:%ld: a function_graph trace read as ftrace text; give "
				 "--format function-graph", x->file, x->lr->lineno);
		return 1;
	}
	{
		/* trace-cmd report puts its instance before "CPU:N [EVENTS DROPPED]" */
		const char *c = memchr(s, ':', n);

		if (c && c > s && s[0] != ' ' && c + 6 < s + n && c[1] == ' ' &&
		    !memcmp(c + 2, "CPU:", 4) && !memchr(s, ' ', c - s)) {
			size_t il = c - s < (ptrdiff_t)sizeof(x->carry_inst) ? (size_t)(c - s)
									: sizeof(x->carry_inst) - 1;

			memcpy(x->carry_inst, s, il);
			x->carry_inst[il] = '\0';
			n -= c + 2 - s;
			s = c + 2;
		}
	}
	if (n > 4 && !memcmp(s, "CPU:", 4)) {
		int cpu, k = 0;
		long long m;

		if (sscanf(s, "CPU:%d [EVENTS DROPPED]%n", &cpu, &k) == 1 && k) {
			if (x->pending_marker_cpu < 0) {
				x->pending_marker_cpu = cpu;
				x->pending_marker_line = x->lr->lineno;
				x->pending_wrapped = false;
			}
			return 1;
		}
		if ((sscanf(s, "CPU:%d [LOST %lld EVENTS]", &cpu, &m) == 2 ||
		     sscanf(s, "CPU:%d [%lld EVENTS DROPPED]", &cpu, &m) == 2) && m >= 0) {
			imp_warn(x->im, "%s:%ld: CPU %d lost %lld events (the ring buffer was "
				 "full); counted in trace_lost_events", x->file, x->lr->lineno, cpu,
				 m);
			if (!x->pending_lost)
				x->pending_lost_cpu = cpu;
			else if (x->pending_lost_cpu != cpu)
				x->pending_lost_cpu = -1;
			x->pending_lost += m;
			x->pending_lost_line = x->lr->lineno;
			return 1;
		}
	}
	if (n > 5 && !memcmp(s, "cpus=", 5)) {
		if (atoi(s + 5) > 0)
			x->im->ncpus = atoi(s + 5);
		return 1;
	}
	return 0;
}

static int text_line(struct ftx *x, char *s, size_t n)
{
	struct fline fl;
	bool lat = false;
	int r;

	r = parse_context(s, n, &fl);
	if (r == 0) {
		r = parse_latency(s, n, &fl);
		lat = r == 1;
	}
	if (r == 0) {
		/* "name: payload" with nothing before it: context-info was off */
		struct fline b;

		if (!x->good && isalpha((unsigned char)*s) && parse_body(s, n, &b) == 1 && !b.func)
			return vnp_fail(-EINVAL, "%s:%ld: this trace has no timestamps: it was "
					"written with the context-info option off; record it again "
					"after 'echo 1 > options/context-info'", x->file,
					x->lr->lineno);
		note_bad(x, s, n, "not an ftrace line");
		return 0;
	}
	if (r == -3)
		return vnp_fail(-EINVAL, "%s:%ld: the timestamps are not seconds (trace_clock "
				"counter or x86-tsc); record with trace_clock local, global, "
				"mono or boot", x->file, x->lr->lineno);
	if (r < 0) {
		note_bad(x, s, n, "not an ftrace line");
		return 0;
	}
	if (x->good && lat != x->latency) {
		note_bad(x, s, n, lat ? "a latency-format line among normal ones"
				      : "a normal line in a latency-format trace");
		return 0;
	}
	r = parse_body(fl.body, fl.body_len, &fl);
	if (r == 0) {
		x->skipped++;
		return 0;
	}
	if (r < 0) {
		note_bad(x, s, n, "neither a function nor an event");
		return 0;
	}
	if (!x->good) {
		/* latency-format counts microseconds from the buffer's start */
		x->latency = lat;
		r = imp_set_clock(x->im, x->file, lat ? "ftrace-latency" : "trace");
		if (r)
			return r;
	}
	if (!fl.inst && x->carry_inst[0]) {
		fl.inst = x->carry_inst;
		fl.inst_len = strlen(x->carry_inst);
	}
	check_time(x, fl.ts);
	r = settle_pending(x, fl.ts);
	if (!r)
		r = count_line(x, &fl);
	if (!r)
		x->good++;
	note_cpu(x, fl.cpu, fl.cpu_len, fl.ts);
	x->carry_inst[0] = '\0';
	return r;
}

/* ---- function_graph ------------------------------------------------------------ */

static struct gcpu *gcpu(struct ftx *x, long cpu)
{
	if (cpu < 0 || cpu >= MAX_TRACK_CPUS)
		return NULL;
	if ((size_t)cpu >= x->ngcpus) {
		size_t n = (size_t)cpu + 1;
		struct gcpu **g = realloc(x->gcpus, n * sizeof(*g));

		if (!g)
			return NULL;
		memset(g + x->ngcpus, 0, (n - x->ngcpus) * sizeof(*g));
		x->gcpus = g;
		x->ngcpus = n;
	}
	if (!x->gcpus[cpu])
		x->gcpus[cpu] = calloc(1, sizeof(struct gcpu));
	return x->gcpus[cpu];
}

/* " 0) vhost-2-26292  => CPU 0/K-26296 " */
static bool graph_switch(struct ftx *x, const char *s, size_t n)
{
	const char *end = s + n, *p = s, *arrow;
	long cpu = 0;
	struct gcpu *g;

	while (p < end && *p == ' ')
		p++;
	if (p == end || !is_digit(*p))
		return false;
	while (p < end && is_digit(*p) && cpu < MAX_TRACK_CPUS)
		cpu = cpu * 10 + (*p++ - '0');
	if (p == end || *p != ')' || memchr(p, '|', end - p))
		return false;
	arrow = memmem(p, end - p, "=>", 2);
	if (!arrow)
		return false;
	p = arrow + 2;
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	g = gcpu(x, cpu);
	if (g)
		copy_str(g->task, sizeof(g->task), p, end - p);
	return true;
}

static int graph_line(struct ftx *x, char *s, size_t n)
{
	const char *end = s + n, *p = s, *f, *bar, *body;
	struct fline fl = { 0 };
	struct gcpu *g;
	long cpu = 0;
	size_t tl;
	int depth, r;

	if (graph_switch(x, s, n))
		return 0;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '-' && n > 10 && !memchr(p, '|', end - p))
		return 0; /* " -------" around a context switch */
	tl = parse_ts(p, end - p, &fl.ts);
	if (tl && p + tl < end && p[tl] == ')') {
		x->graph_no_abstime = true;
		return vnp_fail(-EINVAL, "%s:%ld: function_graph text without absolute "
				"timestamps; record it with the funcgraph-abstime option on "
				"('echo 1 > options/funcgraph-abstime')", x->file, x->lr->lineno);
	}
	if (!tl) {
		note_bad(x, s, n, "not a function_graph line");
		return 0;
	}
	p += tl;
	while (p < end && *p == ' ')
		p++;
	if (p == end || *p != '|') {
		note_bad(x, s, n, "not a function_graph line");
		return 0;
	}
	p++;
	while (p < end && *p == ' ')
		p++;
	f = p;
	while (p < end && is_digit(*p) && cpu < MAX_TRACK_CPUS)
		cpu = cpu * 10 + (*p++ - '0');
	if (p == f || p == end || *p != ')') {
		note_bad(x, s, n, "not a function_graph line (no CPU)");
		return 0;
	}
	fl.cpu = f;
	fl.cpu_len = p - f;
	g = gcpu(x, cpu);
	p++;
	/* "[proc |] duration |  body" */
	bar = memchr(p, '|', end - p);
	if (!bar) {
		if (memmem(p, end - p, "==========>", 11) || memmem(p, end - p, "<==========", 11))
			return 0;
		note_bad(x, s, n, "not a function_graph line (no duration column)");
		return 0;
	}
	{
		const char *c = p, *u;

		while (c < bar && *c == ' ')
			c++;
		u = memmem(c, bar - c, " us", 3);
		if (c < bar && !u && !memmem(c, bar - c, "=====", 5) &&
		    !(memchr("+!#*@$", *c, 6) && c + 1 < bar && c[1] == ' ')) {
			/* funcgraph-proc: "comm-pid |" */
			const char *e = bar;

			while (e > c && e[-1] == ' ')
				e--;
			if (!set_task(&fl, c, e - c)) {
				fl.task = c;
				fl.task_len = e - c;
			}
			if (g)
				copy_str(g->task, sizeof(g->task), c, e - c);
			p = bar + 1;
			bar = memchr(p, '|', end - p);
			if (!bar) {
				note_bad(x, s, n, "not a function_graph line (no duration column)");
				return 0;
			}
		}
	}
	body = bar + 1;
	depth = 0;
	while (body < end && *body == ' ') {
		body++;
		depth++;
	}
	depth = depth >= 2 ? (depth - 2) / 2 : 0;
	if (body == end || *body == '}' ||
	    (end - body >= 10 && !memcmp(body, "==========", 10)) ||
	    (body[0] == '<' && body + 1 < end && body[1] == '=')) {
		x->skipped++;
		return 0;
	}
	if (!fl.task && g && g->task[0] && !set_task(&fl, g->task, strlen(g->task))) {
		fl.task = g->task;
		fl.task_len = strlen(g->task);
	}
	if (body[0] == '/' && body + 1 < end && body[1] == '*') {
		/* an event printed inside the graph, as a comment: net_dev_xmit: dev=... */
		const char *b = body + 2, *e = end;

		while (b < e && *b == ' ')
			b++;
		if (e - b >= 2 && e[-1] == '/' && e[-2] == '*')
			e -= 2;
		while (e > b && e[-1] == ' ')
			e--;
		r = parse_body(b, e - b, &fl);
		if (r != 1 || fl.func) {
			x->skipped++;
			return 0;
		}
	} else {
		/* "fn [module]() {" or "fn();" */
		const char *q = body;

		while (q < end && *q != '(' && *q != ' ')
			q++;
		if (q == body || q == end) {
			note_bad(x, s, n, "not a function entry");
			return 0;
		}
		fl.func = true;
		fl.name = body;
		fl.name_len = q - body;
		if (*q == ' ' && q + 1 < end && q[1] == '[') {
			const char *m = q + 2, *me = memchr(m, ']', end - m);

			if (me) {
				fl.module = m;
				fl.module_len = me - m;
			}
		}
		if (!memchr(q, '(', end - q)) {
			note_bad(x, s, n, "not a function entry");
			return 0;
		}
		if (g && depth < GRAPH_MAX_DEPTH) {
			copy_str(g->stack[depth], GRAPH_NAME, fl.name, fl.name_len);
			g->depth = depth;
			if (depth > 0 && g->stack[depth - 1][0]) {
				fl.parent = g->stack[depth - 1];
				fl.parent_len = strlen(fl.parent);
			}
			if (depth + 1 < GRAPH_MAX_DEPTH)
				g->stack[depth + 1][0] = '\0';
		}
	}
	check_time(x, fl.ts);
	r = settle_pending(x, fl.ts);
	if (!r)
		r = count_line(x, &fl);
	if (!r)
		x->good++;
	note_cpu(x, fl.cpu, fl.cpu_len, fl.ts);
	return r;
}

/* ---- the file -------------------------------------------------------------------- */

static int ftrace_text(struct vnp_importer *im, struct lreader *lr, bool graph)
{
	struct ftx x = { .im = im, .lr = lr, .file = lr->name, .graph = graph,
			 .pending_marker_cpu = -1, .entries = -1, .written = -1,
			 .marker_cpu = -1 };
	char *line;
	size_t len;
	int r, err = 0;

	/* text: the clock is set at the first event (latency-format has its own) */
	if (graph) {
		err = imp_set_clock(im, x.file, "trace");
		if (err)
			return err;
	}
	while (!err && (r = lr_next(lr, &line, &len)) > 0) {
		const char *p = line;

		im->lines++;
		if (lr->too_long) {
			note_bad(&x, "", 0, "line longer than 64 KiB");
			continue;
		}
		if (!len)
			continue;
		if (header_line(&x, line, len))
			continue;
		while (*p == ' ')
			p++;
		if (p[0] == '=' && p[1] == '>') {
			x.skipped++; /* a stack trace frame */
			continue;
		}
		if (!*p)
			continue;
		if (graph) {
			err = graph_line(&x, line, len);
			continue;
		}
		err = text_line(&x, line, len);
	}
	if (!err && r < 0)
		err = r;
	if (!err && lr->truncated)
		imp_warn(im, "%s: the gzip data ends early (the file was cut); read what it held",
			 x.file);
	if (!err && x.pending_lost && x.have_prev)
		err = add_lost(&x, x.pending_lost_cpu, x.prev_ts, (double)x.pending_lost);
	if (!err && x.written > x.entries && x.entries >= 0 && x.have_prev) {
		long long lost = x.written - x.entries;

		imp_warn(im, "%s: the ring buffer overwrote %lld events before this trace was "
			 "read (entries-in-buffer/entries-written: %lld/%lld); counted in "
			 "trace_lost_events", x.file, lost, x.entries, x.written);
		if (x.nmarkers)
			err = add_lost(&x, x.marker_cpu, x.marker_ts, (double)lost);
		else
			err = add_lost(&x, -1, x.first_ts, (double)lost);
	}
	if (!err && !x.good) {
		if (x.bad.n)
			err = vnp_fail(-EINVAL, "%s:%ld: not %s text: '%s' (and %llu more lines "
				       "like it, no events)", x.file, x.bad.first_line,
				       graph ? "function_graph" : "ftrace", x.bad.first_text,
				       (unsigned long long)x.bad.n - 1);
		else
			imp_warn(im, "%s: no events in this trace", x.file);
	}
	if (!err)
		imp_note_end(im, x.prev_ts, false);
	key_free(&x.key);
	free(x.cpu_last);
	for (size_t i = 0; i < x.ngcpus; i++)
		free(x.gcpus[i]);
	free(x.gcpus);
	return err;
}

int imp_ftrace(struct vnp_importer *im, struct lreader *lr, const char *path)
{
	(void)path;
	return ftrace_text(im, lr, false);
}

int imp_function_graph(struct vnp_importer *im, struct lreader *lr, const char *path)
{
	(void)path;
	return ftrace_text(im, lr, true);
}

/* ---- detection ------------------------------------------------------------------ */

/* ftrace or function_graph text (@graph): how many lines read as either */
static int sniff_text(const char *data, size_t len, bool *graph)
{
	const char *p = data, *end = data + len;
	int bonus = 0, text = 0, fgraph = 0, lines = 0;

	while (p < end && lines < 200) {
		const char *nl = memchr(p, '\n', end - p), *q;
		size_t n;
		struct fline fl;

		if (!nl) {
			if (len >= LR_PEEK_SIZE)
				break; /* a line the window cut */
			nl = end;
		}
		n = nl - p;
		q = p;
		while (q < nl && *q == ' ')
			q++;
		if (n >= 24 && !memcmp(p, "# tracer: function_graph", 24)) {
			*graph = true;
			bonus += 5;
		} else if (n >= 10 && !memcmp(p, "# tracer: ", 10)) {
			bonus += 5;
		} else if ((n > 5 && !memcmp(p, "cpus=", 5)) || (n > 4 && !memcmp(p, "CPU:", 4))) {
			bonus += 1;
		} else if (q == nl || p[0] == '#' || (nl - q >= 10 && !memcmp(q, "----------", 10)) ||
			   (nl - q > 2 && q[0] == '=' && q[1] == '>')) {
			/* blank, comment, graph banner, stack frame: neither for nor against */
		} else {
			char buf[512];
			size_t m = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
			int64_t ts;
			size_t tl;

			lines++;
			memcpy(buf, p, m);
			buf[m] = '\0';
			tl = parse_ts(q, nl - q, &ts);
			if (tl && q + tl < nl && q[tl] == ')' && memmem(q, nl - q, "=>", 2)) {
				fgraph++; /* a context switch banner */
			} else if (tl && q + tl < nl && memchr(q, '|', nl - q) &&
				   (q[tl] == ' ' || q[tl] == ')')) {
				fgraph++;
			} else if ((parse_context(buf, m, &fl) == 1 ||
				    parse_latency(buf, m, &fl) == 1) &&
				   parse_body(fl.body, fl.body_len, &fl) >= 0 &&
				   (fl.func ||
				    (fl.name_len && !memchr(fl.name, ':', fl.name_len)))) {
				text++;
			} else if (parse_context(buf, m, &fl) == -3) {
				text++; /* a clock that counts cycles: the importer explains */
			} else if (isalpha((unsigned char)buf[0]) && parse_body(buf, m, &fl) == 1 &&
				   !fl.func && !memchr(fl.name, ':', fl.name_len) &&
				   memchr(buf, '=', m)) {
				text++; /* no context info: the importer explains */
			}
		}
		p = nl + 1;
	}
	/* most lines must read: a stray match in binary data is not a trace */
	if ((text + fgraph) * 2 < lines || text + fgraph + bonus == 0)
		return 0;
	if (fgraph > text)
		*graph = true;
	return text + fgraph + bonus;
}

int sniff_ftrace(const char *data, size_t len)
{
	bool graph = false;
	int score = sniff_text(data, len, &graph);

	return graph ? 0 : score;
}

int sniff_function_graph(const char *data, size_t len)
{
	bool graph = false;
	int score = sniff_text(data, len, &graph);

	return graph ? score : 0;
}
