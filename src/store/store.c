// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The run store: one SQLite file holds many runs.
 *
 * WAL journal, a schema versioned in PRAGMA user_version, one transaction
 * per flush. A run being recorded carries its owner (boot id, pid and the
 * process's start time); when that process is gone the run reads back as
 * interrupted, with every bin that was flushed.
 */
#include "vnetprof-local.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA_VERSION 1

static const char schema[] =
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  host TEXT, kernel TEXT, ncpus INTEGER,"
	"  start_wall REAL, origin REAL, origin_clock TEXT,"
	"  bin_s REAL NOT NULL,"
	"  status TEXT NOT NULL,"
	"  cmdline TEXT,"
	"  owner TEXT);"
	"CREATE TABLE run_labels ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL, value TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, key));"
	"CREATE TABLE series ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  name TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL,"
	"  role TEXT NOT NULL, backend TEXT NOT NULL,"
	"  UNIQUE (run_id, name));"
	"CREATE TABLE bins ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  k INTEGER NOT NULL, t_end REAL NOT NULL, flags INTEGER NOT NULL,"
	"  PRIMARY KEY (run_id, k)) WITHOUT ROWID;"
	"CREATE TABLE samples ("
	"  series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,"
	"  k INTEGER NOT NULL, value REAL NOT NULL,"
	"  PRIMARY KEY (series_id, k)) WITHOUT ROWID;";

struct vnp_store {
	sqlite3 *db;
	char *path;
	bool rdonly;
};

struct vnp_writer {
	struct vnp_store *st;
	int64_t run_id;
	int64_t *series_ids;
	size_t nseries;
	/* queued bins: nq rows of (k, t_end, flags, nseries values) */
	int64_t *qk;
	double *qt, *qv;
	unsigned *qf;
	size_t nq, qcap, qwidth;
	sqlite3_stmt *ins_bin, *ins_sample;
};

static int db_fail(struct vnp_store *st, int rc, const char *what)
{
	const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return vnp_fail(-EBADMSG,
				"%s: the store is damaged or not an SQLite file (%s); use another "
				"store file, or restore this one from a copy",
				st->path, msg);
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return vnp_fail(-EACCES, "%s: cannot write the store (%s); check its directory's "
				"permissions or use another store file", st->path, msg);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return vnp_fail(-EBUSY, "%s: the store is locked by another process (%s)", st->path,
				msg);
	case SQLITE_FULL:
		return vnp_fail(-ENOSPC, "%s: disk full while %s", st->path, what);
	default:
		return vnp_fail(-EIO, "%s: %s failed: %s", st->path, what, msg);
	}
}

static int exec(struct vnp_store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(st, rc, what);
}

/* boot id + pid + start time of a process: who owns a run being recorded */
static int owner_of(pid_t pid, char *buf, size_t size)
{
	char path[64], stat[1024], boot[64] = "";
	unsigned long long start = 0;
	const char *p;

	if (vnp_read_file("/proc/sys/kernel/random/boot_id", boot, sizeof(boot)) > 0)
		boot[strcspn(boot, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (vnp_read_file(path, stat, sizeof(stat)) <= 0)
		return -ESRCH;
	/* field 22 (starttime) counted after the ")" that ends the command */
	p = strrchr(stat, ')');
	if (!p)
		return -EINVAL;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	snprintf(buf, size, "%s:%d:%llu", boot, (int)pid, start);
	return 0;
}

static bool owner_alive(const char *owner)
{
	char now[128];
	const char *a, *b;
	long pid;

	if (!owner)
		return false;
	a = strchr(owner, ':');
	if (!a)
		return false;
	pid = strtol(a + 1, NULL, 10);
	b = pid > 0 ? strchr(a + 1, ':') : NULL;
	if (!b || owner_of((pid_t)pid, now, sizeof(now)))
		return false;
	return !strcmp(owner, now);
}

/* Runs whose recorder is gone are interrupted: say so in the file. */
static int mark_orphans(struct vnp_store *st)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(st->db, "SELECT id, owner FROM runs WHERE status = 'recording'", -1,
				&q, NULL);
	if (rc)
		return db_fail(st, rc, "reading runs");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char sql[128];

		if (owner_alive((const char *)sqlite3_column_text(q, 1)))
			continue;
		snprintf(sql, sizeof(sql), "UPDATE runs SET status = 'interrupted' WHERE id = %lld",
			 (long long)sqlite3_column_int64(q, 0));
		if (exec(st, sql, "marking an interrupted run")) {
			sqlite3_finalize(q);
			return -EIO;
		}
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : db_fail(st, rc, "reading runs");
}

static int check_schema(struct vnp_store *st)
{
	sqlite3_stmt *q;
	int version, rc, ntables;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL);
	if (rc)
		return db_fail(st, rc, "reading the schema version");
	rc = sqlite3_step(q);
	version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return db_fail(st, rc, "reading the schema version");
	if (version == SCHEMA_VERSION)
		return 0;
	if (version > SCHEMA_VERSION)
		return vnp_fail(-EPROTO, "%s: written by a newer vnetprof (schema %d, this one reads "
				"%d); use a newer vnetprof", st->path, version, SCHEMA_VERSION);
	rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL);
	if (rc)
		return db_fail(st, rc, "reading the schema");
	rc = sqlite3_step(q);
	ntables = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return db_fail(st, rc, "reading the schema");
	if (ntables)
		return vnp_fail(-EBADMSG, "%s: an SQLite file but not a vnetprof store; use "
				"another store file", st->path);
	if (st->rdonly)
		return vnp_fail(-ENOENT, "%s: empty store (no runs)", st->path);
	if (exec(st, "BEGIN IMMEDIATE", "creating the schema"))
		return -EIO;
	if (exec(st, schema, "creating the schema") ||
	    exec(st, "PRAGMA user_version = 1", "creating the schema")) {
		exec(st, "ROLLBACK", "creating the schema");
		return -EIO;
	}
	return exec(st, "COMMIT", "creating the schema");
}

struct vnp_store *vnp_store_open(const char *path, int flags)
{
	struct vnp_store *st;
	struct stat sb;
	int rc, oflags, err;

	vnp_errmsg_clear();
	if (!path || !*path)
		return vnp_fail_null(-EINVAL, "no store file given");
	if (!(flags & VNP_STORE_CREATE) && stat(path, &sb))
		return vnp_fail_null(-ENOENT, "%s: no such store; record a run first "
				     "(vnetprof record) or give the file", path);
	if (!stat(path, &sb) && !S_ISREG(sb.st_mode))
		return vnp_fail_null(-EINVAL, "%s: not a regular file", path);
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->path = strdup(path);
	st->rdonly = flags & VNP_STORE_RDONLY;
	oflags = st->rdonly ? SQLITE_OPEN_READONLY
			    : SQLITE_OPEN_READWRITE | (flags & VNP_STORE_CREATE ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc) {
		err = db_fail(st, rc, "opening");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 0);
	err = check_schema(st);
	if (err)
		goto fail;
	if (!st->rdonly) {
		err = exec(st, "PRAGMA journal_mode = WAL", "switching to WAL");
		if (!err)
			err = exec(st, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
				   "setting up");
		if (!err)
			err = mark_orphans(st);
		if (err)
			goto fail;
	}
	return st;
fail:
	vnp_store_close(st);
	errno = -err;
	return NULL;
}

void vnp_store_close(struct vnp_store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

static char *col_str(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? strdup((const char *)s) : NULL;
}

#define RUN_COLS                                                                                   \
	"r.id, r.name, r.host, r.kernel, r.ncpus, r.start_wall, r.origin, r.origin_clock, r.bin_s, " \
	"r.status, r.cmdline, r.owner, "                                                            \
	"(SELECT count(*) FROM bins b WHERE b.run_id = r.id), "                                     \
	"(SELECT count(*) FROM series s WHERE s.run_id = r.id)"

static int load_labels(struct vnp_store *st, struct vnp_run_info *ri)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT key, value FROM run_labels WHERE run_id = ? ORDER BY rowid", -1,
				&q, NULL);
	if (rc)
		return db_fail(st, rc, "reading labels");
	sqlite3_bind_int64(q, 1, ri->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		vnp_run_info_add_label(ri, (const char *)sqlite3_column_text(q, 0),
				       (const char *)sqlite3_column_text(q, 1));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : db_fail(st, rc, "reading labels");
}

static int row_to_info(struct vnp_store *st, sqlite3_stmt *q, struct vnp_run_info *ri)
{
	const char *status = (const char *)sqlite3_column_text(q, 9);

	memset(ri, 0, sizeof(*ri));
	ri->id = sqlite3_column_int64(q, 0);
	ri->name = col_str(q, 1);
	ri->host = col_str(q, 2);
	ri->kernel = col_str(q, 3);
	ri->ncpus = sqlite3_column_int(q, 4);
	ri->start_wall = sqlite3_column_double(q, 5);
	ri->origin = sqlite3_column_double(q, 6);
	ri->origin_clock = col_str(q, 7);
	ri->bin_s = sqlite3_column_double(q, 8);
	ri->cmdline = col_str(q, 10);
	ri->nbins = sqlite3_column_int64(q, 12);
	ri->nseries = sqlite3_column_int64(q, 13);
	if (status && !strcmp(status, "complete"))
		ri->status = VNP_RUN_COMPLETE;
	else if (status && !strcmp(status, "recording") &&
		 owner_alive((const char *)sqlite3_column_text(q, 11)))
		ri->status = VNP_RUN_RECORDING;
	else
		ri->status = VNP_RUN_INTERRUPTED;
	return load_labels(st, ri);
}

void vnp_run_infos_free(struct vnp_run_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		vnp_run_info_clear(&v[i]);
	free(v);
}

int vnp_store_runs(struct vnp_store *st, struct vnp_run_info **out, size_t *n)
{
	struct vnp_run_info *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *q;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(st->db, "SELECT " RUN_COLS " FROM runs r ORDER BY r.id", -1, &q,
				NULL);
	if (rc)
		return db_fail(st, rc, "listing runs");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (cnt == cap) {
			struct vnp_run_info *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
		}
		err = row_to_info(st, q, &v[cnt++]);
		if (err)
			break;
	}
	sqlite3_finalize(q);
	if (!err && rc != SQLITE_DONE)
		err = db_fail(st, rc, "listing runs");
	if (err) {
		vnp_run_infos_free(v, cnt);
		return err;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int vnp_store_find(struct vnp_store *st, const char *sel, struct vnp_run_info *out)
{
	sqlite3_stmt *q;
	int rc, err;

	if (!sel || !*sel)
		rc = sqlite3_prepare_v2(st->db,
					"SELECT " RUN_COLS " FROM runs r ORDER BY r.id DESC LIMIT 1",
					-1, &q, NULL);
	else
		rc = sqlite3_prepare_v2(st->db,
					"SELECT " RUN_COLS " FROM runs r WHERE r.name = ?1 OR "
					"CAST(r.id AS TEXT) = ?1 ORDER BY r.name = ?1 DESC LIMIT 1",
					-1, &q, NULL);
	if (rc)
		return db_fail(st, rc, "finding a run");
	if (sel && *sel)
		sqlite3_bind_text(q, 1, sel, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		err = row_to_info(st, q, out);
	} else if (rc == SQLITE_DONE) {
		err = sel && *sel ? vnp_fail(-ENOENT, "no run '%s' in %s; 'vnetprof runs %s' lists "
					     "them", sel, st->path, st->path)
				  : vnp_fail(-ENOENT, "%s holds no runs", st->path);
	} else {
		err = db_fail(st, rc, "finding a run");
	}
	sqlite3_finalize(q);
	return err;
}

struct vnp_run *vnp_store_load(struct vnp_store *st, const char *sel)
{
	struct vnp_run_info ri;
	struct vnp_run *run = NULL;
	sqlite3_stmt *q = NULL;
	int rc, err;

	err = vnp_store_find(st, sel, &ri);
	if (err) {
		errno = -err;
		return NULL;
	}
	run = vnp_run_new(&ri);
	vnp_run_info_clear(&ri);
	if (!run)
		return NULL;

	rc = sqlite3_prepare_v2(st->db,
				"SELECT name, kind, unit, role, backend FROM series WHERE run_id = ? "
				"ORDER BY idx",
				-1, &q, NULL);
	if (rc)
		goto dbfail;
	sqlite3_bind_int64(q, 1, vnp_run_info(run)->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vnp_series_info si = {
			.name = (char *)sqlite3_column_text(q, 0),
			.unit = (char *)sqlite3_column_text(q, 2),
			.backend = (char *)sqlite3_column_text(q, 4),
		};

		vnp_kind_parse((const char *)sqlite3_column_text(q, 1), &si.kind);
		vnp_role_parse((const char *)sqlite3_column_text(q, 3), &si.role);
		err = vnp_run_add_series(run, &si);
		if (err < 0)
			goto fail;
	}
	if (rc != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(q);

	rc = sqlite3_prepare_v2(st->db, "SELECT k, t_end, flags FROM bins WHERE run_id = ?", -1,
				&q, NULL);
	if (rc)
		goto dbfail;
	sqlite3_bind_int64(q, 1, vnp_run_info(run)->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		err = vnp_run_set_bin(run, sqlite3_column_int64(q, 0), sqlite3_column_double(q, 1),
				      (unsigned)sqlite3_column_int(q, 2));
		if (err)
			goto fail;
	}
	if (rc != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(q);

	rc = sqlite3_prepare_v2(st->db,
				"SELECT s.idx, m.k, m.value FROM samples m JOIN series s ON "
				"s.id = m.series_id WHERE s.run_id = ?",
				-1, &q, NULL);
	if (rc)
		goto dbfail;
	sqlite3_bind_int64(q, 1, vnp_run_info(run)->id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		err = vnp_run_set(run, (size_t)sqlite3_column_int64(q, 0),
				  sqlite3_column_int64(q, 1), sqlite3_column_double(q, 2));
		if (err)
			goto fail;
	}
	if (rc != SQLITE_DONE)
		goto dbfail;
	sqlite3_finalize(q);
	return run;

dbfail:
	err = db_fail(st, rc, "reading a run");
fail:
	sqlite3_finalize(q);
	vnp_run_free(run);
	errno = err < 0 ? -err : EIO;
	return NULL;
}

/* ---- writing ----------------------------------------------------------- */

static int insert_run(struct vnp_store *st, const struct vnp_run_info *ri, const char *status,
		      const char *owner, int64_t *id)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO runs (name, host, kernel, ncpus, start_wall, origin, "
				"origin_clock, bin_s, status, cmdline, owner) VALUES "
				"(?,?,?,?,?,?,?,?,?,?,?)",
				-1, &q, NULL);
	if (rc)
		return db_fail(st, rc, "creating a run");
	sqlite3_bind_text(q, 1, ri->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ri->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, ri->kernel, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, ri->ncpus);
	sqlite3_bind_double(q, 5, ri->start_wall);
	sqlite3_bind_double(q, 6, ri->origin);
	sqlite3_bind_text(q, 7, ri->origin_clock, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 8, ri->bin_s);
	sqlite3_bind_text(q, 9, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 10, ri->cmdline, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 11, owner, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_CONSTRAINT)
		return vnp_fail(-EEXIST, "a run named '%s' already exists in %s; choose another "
				"name with --run", ri->name, st->path);
	if (rc != SQLITE_DONE)
		return db_fail(st, rc, "creating a run");
	*id = sqlite3_last_insert_rowid(st->db);

	rc = sqlite3_prepare_v2(st->db, "INSERT INTO run_labels VALUES (?,?,?)", -1, &q, NULL);
	if (rc)
		return db_fail(st, rc, "writing labels");
	for (size_t i = 0; i < ri->nlabels; i++) {
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, *id);
		sqlite3_bind_text(q, 2, ri->labels[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, ri->labels[i].value, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(q);
			return db_fail(st, rc, "writing labels");
		}
	}
	sqlite3_finalize(q);
	return 0;
}

static int insert_series(struct vnp_store *st, int64_t run_id, size_t idx,
			 const struct vnp_series_info *si, int64_t *id)
{
	sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO series (run_id, idx, name, kind, unit, role, backend) "
				"VALUES (?,?,?,?,?,?,?)",
				-1, &q, NULL);
	if (rc)
		return db_fail(st, rc, "adding a series");
	sqlite3_bind_int64(q, 1, run_id);
	sqlite3_bind_int64(q, 2, (int64_t)idx);
	sqlite3_bind_text(q, 3, si->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, vnp_kind_str(si->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, si->unit ? si->unit : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, vnp_role_str(si->role), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, si->backend ? si->backend : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return db_fail(st, rc, "adding a series");
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int prepare_inserts(struct vnp_store *st, sqlite3_stmt **bin, sqlite3_stmt **sample)
{
	int rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO bins VALUES (?,?,?,?)", -1, bin,
				    NULL);

	if (!rc)
		rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO samples VALUES (?,?,?)", -1,
					sample, NULL);
	return rc ? db_fail(st, rc, "preparing inserts") : 0;
}

static int put_row(struct vnp_store *st, sqlite3_stmt *ib, sqlite3_stmt *is, int64_t run_id,
		   const int64_t *sids, size_t n, int64_t k, double t_end, unsigned flags,
		   const double *values, ptrdiff_t stride)
{
	int rc;

	sqlite3_reset(ib);
	sqlite3_bind_int64(ib, 1, run_id);
	sqlite3_bind_int64(ib, 2, k);
	sqlite3_bind_double(ib, 3, t_end);
	sqlite3_bind_int(ib, 4, (int)flags);
	rc = sqlite3_step(ib);
	if (rc != SQLITE_DONE)
		return db_fail(st, rc, "writing a bin");
	for (size_t i = 0; i < n; i++) {
		double v = values[(ptrdiff_t)i * stride];

		if (isnan(v))
			continue;
		sqlite3_reset(is);
		sqlite3_bind_int64(is, 1, sids[i]);
		sqlite3_bind_int64(is, 2, k);
		sqlite3_bind_double(is, 3, v);
		rc = sqlite3_step(is);
		if (rc != SQLITE_DONE)
			return db_fail(st, rc, "writing a sample");
	}
	return 0;
}

int vnp_store_save(struct vnp_store *st, struct vnp_run *run)
{
	struct vnp_run_info *ri = vnp_run_info_mut(run);
	size_t ns = vnp_run_nseries(run);
	int64_t *sids = calloc(ns + 1, sizeof(*sids)), run_id = 0;
	double *vals = calloc(ns + 1, sizeof(*vals));
	sqlite3_stmt *ib = NULL, *is = NULL;
	int err = -ENOMEM;

	if (!sids || !vals)
		goto out;
	err = exec(st, "BEGIN IMMEDIATE", "saving a run");
	if (err)
		goto out;
	err = insert_run(st, ri, ri->status == VNP_RUN_INTERRUPTED ? "interrupted" : "complete",
			 NULL, &run_id);
	for (size_t i = 0; !err && i < ns; i++)
		err = insert_series(st, run_id, i, vnp_run_series(run, i), &sids[i]);
	if (!err)
		err = prepare_inserts(st, &ib, &is);
	for (int64_t k = 0; !err && k < vnp_run_nbins(run); k++) {
		if (!vnp_run_bin_present(run, k))
			continue;
		for (size_t i = 0; i < ns; i++)
			vals[i] = vnp_run_get(run, i, k);
		err = put_row(st, ib, is, run_id, sids, ns, k, vnp_run_bin_end(run, k),
			      vnp_run_bin_flags(run, k), vals, 1);
	}
	sqlite3_finalize(ib);
	sqlite3_finalize(is);
	if (!err)
		err = exec(st, "COMMIT", "saving a run");
	if (err)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	else
		ri->id = run_id;
out:
	free(sids);
	free(vals);
	return err;
}

struct vnp_writer *vnp_writer_begin(struct vnp_store *st, const struct vnp_run_info *info)
{
	struct vnp_writer *w;
	char owner[128] = "";
	int err;

	if (st->rdonly)
		return vnp_fail_null(-EROFS, "%s: opened read-only", st->path);
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->st = st;
	owner_of(getpid(), owner, sizeof(owner));
	err = exec(st, "BEGIN IMMEDIATE", "creating a run");
	if (!err) {
		err = insert_run(st, info, "recording", owner, &w->run_id);
		if (err)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		else
			err = exec(st, "COMMIT", "creating a run");
	}
	if (!err)
		err = prepare_inserts(st, &w->ins_bin, &w->ins_sample);
	if (err) {
		sqlite3_finalize(w->ins_bin);
		sqlite3_finalize(w->ins_sample);
		free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

int vnp_writer_add_series(struct vnp_writer *w, const struct vnp_series_info *si)
{
	int64_t id, *ids;
	int err;

	if (w->nq)
		return vnp_fail(-EBUSY, "series must be added before bins are queued");
	if (vnp_series_check(si->name))
		return vnp_fail(-EINVAL, "'%s' is not a valid series name", si->name);
	ids = realloc(w->series_ids, (w->nseries + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	w->series_ids = ids;
	err = insert_series(w->st, w->run_id, w->nseries, si, &id);
	if (err)
		return err;
	ids[w->nseries] = id;
	return (int)w->nseries++;
}

int vnp_writer_add_series_fill(struct vnp_writer *w, const struct vnp_series_info *si,
			       double fill)
{
	sqlite3_stmt *q;
	int idx, err = vnp_writer_flush(w), rc;

	if (err)
		return err;
	/* the queue is empty: drop its buffers, sized for the old series count */
	free(w->qk);
	free(w->qt);
	free(w->qf);
	free(w->qv);
	w->qk = NULL;
	w->qt = NULL;
	w->qf = NULL;
	w->qv = NULL;
	w->qcap = 0;
	idx = vnp_writer_add_series(w, si);
	if (idx < 0 || isnan(fill))
		return idx;
	rc = sqlite3_prepare_v2(w->st->db,
				"INSERT INTO samples SELECT ?1, k, ?2 FROM bins WHERE run_id = ?3", -1,
				&q, NULL);
	if (rc)
		return db_fail(w->st, rc, "filling a new series");
	sqlite3_bind_int64(q, 1, w->series_ids[idx]);
	sqlite3_bind_double(q, 2, fill);
	sqlite3_bind_int64(q, 3, w->run_id);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? idx : db_fail(w->st, rc, "filling a new series");
}

int vnp_writer_put_bin(struct vnp_writer *w, int64_t k, double t_end, unsigned flags,
		       const double *values, size_t nvalues)
{
	if (nvalues != w->nseries)
		return -EINVAL;
	if (w->nq == w->qcap) {
		size_t cap = w->qcap ? w->qcap * 2 : 16;
		int64_t *qk = realloc(w->qk, cap * sizeof(*qk));

		if (!qk)
			return -ENOMEM;
		w->qk = qk;
		double *qt = realloc(w->qt, cap * sizeof(*qt));

		if (!qt)
			return -ENOMEM;
		w->qt = qt;
		unsigned *qf = realloc(w->qf, cap * sizeof(*qf));

		if (!qf)
			return -ENOMEM;
		w->qf = qf;
		double *qv = realloc(w->qv, cap * (w->nseries ? w->nseries : 1) * sizeof(*qv));

		if (!qv)
			return -ENOMEM;
		w->qv = qv;
		w->qcap = cap;
	}
	w->qk[w->nq] = k;
	w->qt[w->nq] = t_end;
	w->qf[w->nq] = flags;
	if (nvalues)
		memcpy(w->qv + w->nq * w->nseries, values, nvalues * sizeof(*values));
	w->nq++;
	return 0;
}

int vnp_writer_flush(struct vnp_writer *w)
{
	int err;

	if (!w->nq)
		return 0;
	err = exec(w->st, "BEGIN IMMEDIATE", "flushing bins");
	for (size_t i = 0; !err && i < w->nq; i++)
		err = put_row(w->st, w->ins_bin, w->ins_sample, w->run_id, w->series_ids,
			      w->nseries, w->qk[i], w->qt[i], w->qf[i], w->qv + i * w->nseries, 1);
	if (!err)
		err = exec(w->st, "COMMIT", "flushing bins");
	if (err) {
		sqlite3_exec(w->st->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	w->nq = 0;
	return 0;
}

int vnp_writer_end(struct vnp_writer *w, enum vnp_run_status status)
{
	char sql[128];
	int err, err2;

	if (!w)
		return 0;
	err = vnp_writer_flush(w);
	snprintf(sql, sizeof(sql), "UPDATE runs SET status = '%s', owner = NULL WHERE id = %lld",
		 vnp_run_status_str(status == VNP_RUN_RECORDING ? VNP_RUN_INTERRUPTED : status),
		 (long long)w->run_id);
	err2 = exec(w->st, sql, "closing the run");
	sqlite3_finalize(w->ins_bin);
	sqlite3_finalize(w->ins_sample);
	free(w->series_ids);
	free(w->qk);
	free(w->qt);
	free(w->qf);
	free(w->qv);
	free(w);
	return err ? err : err2;
}

int64_t vnp_writer_run_id(const struct vnp_writer *w)
{
	return w->run_id;
}

/* ---- adding series to a stored run (importers, issue 4) ---------------------- */

static int step_done(struct vnp_store *st, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);

	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_fail(st, rc, what);
}

/* run @sql with one int64 parameter (and an optional double) */
static int exec_id(struct vnp_store *st, const char *sql, int64_t id, double d, const char *what)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL), err;

	if (rc)
		return db_fail(st, rc, what);
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_double(q, 2, d);
	err = step_done(st, q, what);
	sqlite3_finalize(q);
	return err;
}

int vnp_writer_set_origin(struct vnp_writer *w, double origin, double start_wall)
{
	int err = exec_id(w->st, "UPDATE runs SET origin = ?2 WHERE id = ?1", w->run_id, origin,
			  "setting the origin");

	return err ? err
		   : exec_id(w->st, "UPDATE runs SET start_wall = ?2 WHERE id = ?1", w->run_id,
			     start_wall, "setting the origin");
}

/* move every bin of run @id up by @shift, keeping (run_id, k) unique on the way */
static int renumber(struct vnp_store *st, int64_t id, int64_t shift, double bin_s)
{
	static const char *const sql[] = {
		"UPDATE bins SET k = -(k + ?2) - 1, t_end = t_end + ?2 * ?3 WHERE run_id = ?1",
		"UPDATE bins SET k = -k - 1 WHERE run_id = ?1",
		"UPDATE samples SET k = -(k + ?2) - 1 WHERE series_id IN "
		"(SELECT id FROM series WHERE run_id = ?1)",
		"UPDATE samples SET k = -k - 1 WHERE series_id IN "
		"(SELECT id FROM series WHERE run_id = ?1)",
	};

	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		sqlite3_stmt *q;
		int rc = sqlite3_prepare_v2(st->db, sql[i], -1, &q, NULL), err;

		if (rc)
			return db_fail(st, rc, "renumbering bins");
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, shift);
		sqlite3_bind_double(q, 3, bin_s);
		err = step_done(st, q, "renumbering bins");
		sqlite3_finalize(q);
		if (err)
			return err;
	}
	return 0;
}

static int merge_in(struct vnp_store *st, const char *sel, const struct vnp_run *add)
{
	const struct vnp_run_info *ai = vnp_run_info(add);
	size_t ns = vnp_run_nseries(add);
	struct vnp_run_info ri = { 0 };
	sqlite3_stmt *q = NULL, *ib = NULL, *is = NULL;
	int64_t *sids = NULL, idx0, delta;
	double d;
	int rc, err;

	err = vnp_store_find(st, sel, &ri);
	if (err)
		return err;
	if (ri.status == VNP_RUN_RECORDING) {
		err = vnp_fail(-EBUSY, "run '%s' is still being recorded; add to it when it has "
			       "ended", ri.name);
		goto out;
	}
	if (!(ai->bin_s > 0) || fabs(ai->bin_s - ri.bin_s) > 1e-9 * ri.bin_s) {
		err = vnp_fail(-EINVAL, "run '%s' has bins of %g s, the series to add %g s",
			       ri.name, ri.bin_s, ai->bin_s);
		goto out;
	}
	d = (ai->origin - ri.origin) / ri.bin_s;
	delta = llround(d);
	if (fabs(d - (double)delta) > 1e-6 * (fabs(d) > 1 ? fabs(d) : 1)) {
		err = vnp_fail(-EINVAL, "the series to add are not on run '%s''s bins (origin "
			       "%.9f, theirs %.9f)", ri.name, ri.origin, ai->origin);
		goto out;
	}
	/* names first: a clash changes nothing */
	rc = sqlite3_prepare_v2(st->db, "SELECT 1 FROM series WHERE run_id = ? AND name = ?", -1,
				&q, NULL);
	if (rc) {
		err = db_fail(st, rc, "reading series");
		goto out;
	}
	for (size_t i = 0; i < ns; i++) {
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, ri.id);
		sqlite3_bind_text(q, 2, vnp_run_series(add, i)->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			err = vnp_fail(-EEXIST, "run '%s' already has the series %s; nothing was "
				       "added", ri.name, vnp_run_series(add, i)->name);
			goto out;
		}
		if (rc != SQLITE_DONE) {
			err = db_fail(st, rc, "reading series");
			goto out;
		}
	}
	sqlite3_finalize(q);
	rc = sqlite3_prepare_v2(st->db, "SELECT coalesce(max(idx) + 1, 0) FROM series WHERE "
				"run_id = ?", -1, &q, NULL);
	if (rc) {
		q = NULL;
		err = db_fail(st, rc, "reading series");
		goto out;
	}
	sqlite3_bind_int64(q, 1, ri.id);
	rc = sqlite3_step(q);
	idx0 = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (rc != SQLITE_ROW) {
		err = db_fail(st, rc, "reading series");
		goto out;
	}
	if (delta < 0) {
		/* the new series start earlier: the run's origin moves back */
		err = renumber(st, ri.id, -delta, ri.bin_s);
		if (!err)
			err = exec_id(st, "UPDATE runs SET origin = ?2 WHERE id = ?1", ri.id,
				      ai->origin, "moving the origin");
		if (!err && ri.start_wall != 0)
			err = exec_id(st, "UPDATE runs SET start_wall = ?2 WHERE id = ?1", ri.id,
				      ri.start_wall + (double)delta * ri.bin_s,
				      "moving the origin");
		if (err)
			goto out;
		delta = 0;
	}
	sids = calloc(ns + 1, sizeof(*sids));
	if (!sids) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ns; i++) {
		err = insert_series(st, ri.id, (size_t)idx0 + i, vnp_run_series(add, i), &sids[i]);
		if (err)
			goto out;
	}
	/*
	 * A bin the run has keeps its end; it gains the flags of the added bin,
	 * where "shorter than the bin" becomes "may miss events" since the run's
	 * other series cover all of it.
	 */
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO bins VALUES (?1, ?2, ?3, ?4) ON CONFLICT (run_id, k) "
				"DO UPDATE SET flags = flags | (CASE WHEN excluded.flags & ?5 "
				"THEN (excluded.flags & ~?5) | ?6 ELSE excluded.flags END)",
				-1, &ib, NULL);
	if (!rc)
		rc = sqlite3_prepare_v2(st->db, "INSERT INTO samples VALUES (?,?,?)", -1, &is,
					NULL);
	if (rc) {
		err = db_fail(st, rc, "preparing inserts");
		goto out;
	}
	for (int64_t k = 0; k < vnp_run_nbins(add); k++) {
		if (!vnp_run_bin_present(add, k))
			continue;
		sqlite3_reset(ib);
		sqlite3_bind_int64(ib, 1, ri.id);
		sqlite3_bind_int64(ib, 2, k + delta);
		sqlite3_bind_double(ib, 3, vnp_run_bin_end(add, k) + (double)delta * ri.bin_s);
		sqlite3_bind_int(ib, 4, (int)vnp_run_bin_flags(add, k));
		sqlite3_bind_int(ib, 5, VNP_BIN_PARTIAL);
		sqlite3_bind_int(ib, 6, VNP_BIN_INCOMPLETE);
		err = step_done(st, ib, "writing a bin");
		for (size_t i = 0; !err && i < ns; i++) {
			double v = vnp_run_get(add, i, k);

			if (isnan(v))
				continue;
			sqlite3_reset(is);
			sqlite3_bind_int64(is, 1, sids[i]);
			sqlite3_bind_int64(is, 2, k + delta);
			sqlite3_bind_double(is, 3, v);
			err = step_done(st, is, "writing a sample");
		}
		if (err)
			goto out;
	}
out:
	sqlite3_finalize(q);
	sqlite3_finalize(ib);
	sqlite3_finalize(is);
	free(sids);
	vnp_run_info_clear(&ri);
	return err;
}

int vnp_store_merge_run(struct vnp_store *st, const char *sel, const struct vnp_run *add)
{
	int err;

	if (st->rdonly)
		return vnp_fail(-EROFS, "%s: opened read-only", st->path);
	err = exec(st, "BEGIN IMMEDIATE", "adding to a run");
	if (err)
		return err;
	err = merge_in(st, sel, add);
	if (!err)
		err = exec(st, "COMMIT", "adding to a run");
	if (err)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}
