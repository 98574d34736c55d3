// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * trace-cmd's trace.dat through libtracecmd: every CPU of the top buffer and
 * of every buffer instance, in time order per buffer. Events count into
 * tracepoint_hits{event="sys:name"}; function tracer records
 * (ftrace:function) into function_calls{function=...} with the parent from
 * parent_ip; function_graph entries (ftrace:funcgraph_entry) likewise. Lost
 * events (a record's missed_events) go to trace_lost_events{cpu=...}.
 *
 * --by FIELD for an event field reads the event's printed payload (what
 * trace-cmd report shows, "dev=lo ..."), so that the same --by works on the
 * text of the same trace.
 */
#include "import-local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd.h>

struct tdat {
	struct vnp_importer *im;
	const char *file;
	const char *instance;
	struct tep_handle *tep;
	struct trace_seq seq;
	struct skey key;
	bool want_payload;
	int err;
	uint64_t good, unknown, lost_unknown;
	/* event id -> kind, cached: 1 function, 2 graph entry, 3 skip, 4 event */
	struct tep_event *last_ev;
	int last_kind;
	char last_name[192];
	size_t last_name_len;
	/* per CPU: time of its last record, to place events lost before the next one */
	int64_t *cpu_last;
	int ncpu_last;
	int64_t first_ts;
	bool have_first;
};

static const struct series_def def_func = { VNP_COUNTER, "calls", VNP_INDICATOR,
					    "import:trace-dat", -1, false };
static const struct series_def def_event = { VNP_COUNTER, "events", VNP_INDICATOR,
					     "import:trace-dat", -1, false };
static const struct series_def def_lost = { VNP_COUNTER, "events", VNP_CONTEXT,
					    "import:trace-dat", -1, false };

static int kind_of(struct tdat *x, struct tep_event *ev)
{
	if (ev == x->last_ev)
		return x->last_kind;
	x->last_ev = ev;
	if (!strcmp(ev->system, "ftrace") && !strcmp(ev->name, "function"))
		x->last_kind = 1;
	else if (!strcmp(ev->system, "ftrace") && !strcmp(ev->name, "funcgraph_entry"))
		x->last_kind = 2;
	else if (!strcmp(ev->system, "ftrace") && !strcmp(ev->name, "funcgraph_exit"))
		x->last_kind = 3;
	else
		x->last_kind = 4;
	x->last_name_len = (size_t)snprintf(x->last_name, sizeof(x->last_name), "%s:%s",
					    ev->system, ev->name);
	if (x->last_name_len >= sizeof(x->last_name))
		x->last_name_len = sizeof(x->last_name) - 1;
	return x->last_kind;
}

static const char *func_name(struct tdat *x, struct tep_event *ev, struct tep_record *rec,
			     const char *field)
{
	struct tep_format_field *f = tep_find_field(ev, field);
	unsigned long long ip;

	if (!f || tep_read_number_field(f, rec->data, &ip))
		return NULL;
	return tep_find_function(x->tep, ip);
}

static int lost(struct tdat *x, int cpu, int64_t ts, double n)
{
	char c[16];
	int s;

	snprintf(c, sizeof(c), "%d", cpu);
	key_reset(&x->key, "trace_lost_events");
	key_add(&x->key, "cpu", c, strlen(c));
	s = imp_series(x->im, &x->key, &def_lost);
	return s < 0 ? s : imp_add(x->im, s, ts, n);
}

static int record_cb(struct tracecmd_input *h, struct tep_record *rec, int cpu, void *data)
{
	struct tdat *x = data;
	struct vnp_importer *im = x->im;
	struct tep_event *ev = tep_find_event_by_record(x->tep, rec);
	const char *fn = NULL, *parent = NULL, *comm = NULL;
	char pidbuf[16], cpubuf[16], task[96];
	int kind, pid = -1, s;
	int64_t ts = (int64_t)rec->ts;

	(void)h;
	if (!x->have_first || ts < x->first_ts) {
		x->first_ts = ts;
		x->have_first = true;
	}
	if (cpu >= 0 && cpu < 4096 && cpu >= x->ncpu_last) {
		int64_t *c = realloc(x->cpu_last, (cpu + 1) * sizeof(*c));

		if (!c) {
			x->err = -ENOMEM;
			return -1;
		}
		for (int i = x->ncpu_last; i <= cpu; i++)
			c[i] = INT64_MIN;
		x->cpu_last = c;
		x->ncpu_last = cpu + 1;
	}
	if (rec->missed_events) {
		/* lost between this CPU's previous record (or the trace's start) and this one */
		int64_t from = cpu >= 0 && cpu < x->ncpu_last && x->cpu_last[cpu] != INT64_MIN
				       ? x->cpu_last[cpu]
				       : x->first_ts;

		if (rec->missed_events > 0) {
			imp_warn(im, "%s: CPU %d lost %lld events before %.6f; counted in "
				 "trace_lost_events", x->file, cpu, rec->missed_events, ts / 1e9);
			x->err = lost(x, cpu, ts, (double)rec->missed_events);
		} else {
			imp_warn(im, "%s: CPU %d lost events (how many is unknown) between %.6f "
				 "and %.6f; those bins are flagged incomplete", x->file, cpu,
				 from / 1e9, ts / 1e9);
		}
		if (!x->err)
			x->err = imp_flag_range(im, from, ts, VNP_BIN_INCOMPLETE);
		if (x->err)
			return -1;
	}
	if (cpu >= 0 && cpu < x->ncpu_last)
		x->cpu_last[cpu] = ts;
	if (!ev) {
		x->unknown++;
		return 0;
	}
	kind = kind_of(x, ev);
	if (kind == 3)
		return 0;
	if (kind == 1) {
		fn = func_name(x, ev, rec, "ip");
		parent = func_name(x, ev, rec, "parent_ip");
	} else if (kind == 2) {
		fn = func_name(x, ev, rec, "func");
	}
	if (kind != 4 && !fn) {
		x->unknown++;
		return 0;
	}
	if (kind == 4) {
		key_reset(&x->key, "tracepoint_hits");
		key_add(&x->key, "event", x->last_name, x->last_name_len);
	} else {
		key_reset(&x->key, "function_calls");
		key_add(&x->key, "function", fn, strlen(fn));
	}
	if (im->nby) {
		pid = tep_data_pid(x->tep, rec);
		comm = tep_data_comm_from_pid(x->tep, pid);
		if (!comm)
			comm = "<...>";
		if (x->want_payload && kind == 4) {
			trace_seq_reset(&x->seq);
			tep_print_event(x->tep, &x->seq, rec, "%s", TEP_PRINT_INFO);
			trace_seq_terminate(&x->seq);
		}
	}
	for (size_t i = 0; i < im->nby; i++) {
		const char *by = im->by[i], *v = NULL;
		size_t vl = 0;

		if (!strcmp(by, "task")) {
			snprintf(task, sizeof(task), "%s-%d", comm, pid);
			v = task;
		} else if (!strcmp(by, "comm")) {
			v = comm;
		} else if (!strcmp(by, "pid")) {
			snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
			v = pidbuf;
		} else if (!strcmp(by, "cpu")) {
			snprintf(cpubuf, sizeof(cpubuf), "%d", cpu);
			v = cpubuf;
		} else if (!strcmp(by, "parent")) {
			v = parent;
		} else if (!strcmp(by, "instance")) {
			v = x->instance;
		} else if (!strcmp(by, "module")) {
			v = NULL;
		} else if (kind == 4 && x->seq.buffer) {
			if (payload_field(x->seq.buffer, x->seq.len, by, &v, &vl))
				key_add(&x->key, by, v, vl);
			continue;
		}
		if (v)
			key_add(&x->key, by, v, strlen(v));
	}
	s = imp_series(im, &x->key, kind == 4 ? &def_event : &def_func);
	if (s < 0 || (x->err = imp_add(im, s, ts, 1))) {
		x->err = s < 0 ? s : x->err;
		x->err = vnp_fail(x->err, "%s: %s", x->file, vnp_errmsg());
		return -1;
	}
	im->events++;
	x->good++;
	imp_note_end(im, ts, false);
	return 0;
}

static bool want_payload(const struct vnp_importer *im)
{
	static const char *const builtin[] = { "task", "comm", "pid", "cpu", "parent",
					       "instance", "module" };

	for (size_t i = 0; i < im->nby; i++) {
		size_t j;

		for (j = 0; j < ARRAY_SIZE(builtin); j++)
			if (!strcmp(im->by[i], builtin[j]))
				break;
		if (j == ARRAY_SIZE(builtin))
			return true;
	}
	return false;
}

static int iterate(struct tdat *x, struct tracecmd_input *h, const char *instance)
{
	x->tep = tracecmd_get_tep(h);
	x->instance = instance;
	x->last_ev = NULL;
	if (tracecmd_iterate_events(h, NULL, 0, record_cb, x) < 0 && !x->err)
		x->err = vnp_fail(-EIO, "%s%s%s: libtracecmd could not read the events", x->file,
				  instance ? " instance " : "", instance ? instance : "");
	return x->err;
}

static const char tracedat_magic[] = "\x17\x08\x44tracing";

int sniff_trace_dat(const char *data, size_t len)
{
	return len >= sizeof(tracedat_magic) - 1 &&
			       !memcmp(data, tracedat_magic, sizeof(tracedat_magic) - 1)
		       ? IMP_SNIFF_SURE
		       : 0;
}

int imp_trace_dat(struct vnp_importer *im, struct lreader *lr, const char *path)
{
	struct tdat x = { .im = im, .file = path };
	struct tracecmd_input *h;
	const char *p;
	size_t len;
	int err, n;

	if (!path)
		return vnp_fail(-EINVAL, "%s: trace.dat is read from a file, not from "
				"standard input or memory", lr->name);
	if (lr->gz)
		return vnp_fail(-EINVAL, "%s: a compressed trace.dat; decompress it first "
				"(libtracecmd reads files)", lr->name);
	err = lr_peek(lr, &p, &len);
	if (!err && !sniff_trace_dat(p, len))
		err = vnp_fail(-EINVAL, "%s: not a trace.dat file (no trace-cmd magic)", lr->name);
	if (!err)
		err = imp_set_clock(im, path, "trace");
	if (err)
		return err;
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	h = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS | TRACECMD_FL_LOAD_NO_SYSTEM_PLUGINS);
	if (!h)
		return vnp_fail(-EINVAL, "%s: libtracecmd cannot open it (a damaged or cut "
				"trace.dat?)", path);
	trace_seq_init(&x.seq);
	x.want_payload = want_payload(im);
	if (tep_get_cpus(tracecmd_get_tep(h)) > 0)
		im->ncpus = tep_get_cpus(tracecmd_get_tep(h));
	err = iterate(&x, h, NULL);
	n = tracecmd_buffer_instances(h);
	for (int i = 0; !err && i < n; i++) {
		struct tracecmd_input *ih = tracecmd_buffer_instance_handle(h, i);
		const char *name = tracecmd_buffer_instance_name(h, i);

		if (!ih) {
			err = vnp_fail(-EIO, "%s: cannot open buffer instance %s", path,
				       name ? name : "?");
			break;
		}
		err = iterate(&x, ih, name);
		tracecmd_close(ih);
	}
	if (!err && x.unknown)
		imp_warn(im, "%s: %llu records of events without a format (or functions without "
			 "a symbol) skipped", path, (unsigned long long)x.unknown);
	if (!err && !x.good)
		imp_warn(im, "%s: no events in any buffer", path);
	trace_seq_destroy(&x.seq);
	key_free(&x.key);
	free(x.cpu_last);
	tracecmd_close(h);
	return err;
}
