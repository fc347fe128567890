#include "state.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "util.h"

struct vc_state {
        sqlite3 *db;
        pthread_mutex_t lock;
        pthread_cond_t cond;
};

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS jobs("
        " job INTEGER PRIMARY KEY, uid INTEGER NOT NULL, state TEXT NOT NULL, mode TEXT NOT NULL,"
        " vni INTEGER, spec TEXT NOT NULL, nodes TEXT NOT NULL, plan TEXT, lease INTEGER,"
        " since INTEGER NOT NULL, updated INTEGER NOT NULL, error TEXT);"
        "CREATE UNIQUE INDEX IF NOT EXISTS jobs_vni ON jobs(vni) WHERE vni IS NOT NULL;"
        "CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);"
        "CREATE TABLE IF NOT EXISTS holds("
        " site TEXT NOT NULL, vlan INTEGER NOT NULL, job INTEGER REFERENCES jobs(job),"
        " drained INTEGER NOT NULL DEFAULT 0, reason TEXT, since INTEGER NOT NULL,"
        " PRIMARY KEY(site, vlan));"
        "CREATE INDEX IF NOT EXISTS holds_job ON holds(job);"
        "CREATE TABLE IF NOT EXISTS steps("
        " job INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, args TEXT NOT NULL,"
        " state TEXT NOT NULL, PRIMARY KEY(job, seq));"
        "CREATE TABLE IF NOT EXISTS history("
        " id INTEGER PRIMARY KEY, job INTEGER NOT NULL, at INTEGER NOT NULL, event TEXT NOT NULL,"
        " detail TEXT);"
        "CREATE INDEX IF NOT EXISTS history_job ON history(job);"
        /* added with the Slurm hooks: each node's reported phase; epoch names the
         * acquisition (vc_state_acquisition), so a requeued job never shows its
         * last run's phases */
        "CREATE TABLE IF NOT EXISTS node_phases("
        " job INTEGER NOT NULL, node TEXT NOT NULL, epoch INTEGER NOT NULL, phase TEXT NOT NULL,"
        " detail TEXT, updated INTEGER NOT NULL, PRIMARY KEY(job, node));"
        /* added with the guests: each guest's phase, reported by its node */
        "CREATE TABLE IF NOT EXISTS guest_phases("
        " job INTEGER NOT NULL, guest TEXT NOT NULL, node TEXT NOT NULL, epoch INTEGER NOT NULL,"
        " phase TEXT NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY(job, guest));"
        /* added with pinning: the CPU ids each node pins the job's guests to */
        "CREATE TABLE IF NOT EXISTS node_cpus("
        " job INTEGER NOT NULL, node TEXT NOT NULL, epoch INTEGER NOT NULL, cpus TEXT NOT NULL,"
        " PRIMARY KEY(job, node));";

static int64_t now_s(void) { return (int64_t)time(NULL); }

/* bind: types is one char per argument — 'i' int64, 't' text (NULL binds NULL). */
static int bindv(sqlite3_stmt *s, const char *types, va_list ap) {
        for (int i = 0; types[i]; i++) {
                int rc;
                if (types[i] == 'i')
                        rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, int64_t));
                else {
                        const char *t = va_arg(ap, const char *);
                        rc = t ? sqlite3_bind_text(s, i + 1, t, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i + 1);
                }
                if (rc != SQLITE_OK)
                        return -EIO;
        }
        return 0;
}

static sqlite3_stmt *prep(struct vc_state *st, const char *sql, const char *types, ...) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
                log_error("sqlite: %s: %s", sql, sqlite3_errmsg(st->db));
                return NULL;
        }
        va_list ap;
        va_start(ap, types);
        int r = bindv(s, types, ap);
        va_end(ap);
        if (r < 0) {
                sqlite3_finalize(s);
                return NULL;
        }
        return s;
}

static void finalizep(sqlite3_stmt **s) { sqlite3_finalize(*s); }
#define _cleanup_stmt_ _cleanup_(finalizep)

/* exec: run a statement that returns no rows; changes ≥ 0, -EEXIST on a
 * constraint violation, else -EIO (logged). */
static int exec(struct vc_state *st, const char *sql, const char *types, ...) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
                log_error("sqlite: %s: %s", sql, sqlite3_errmsg(st->db));
                return -EIO;
        }
        va_list ap;
        va_start(ap, types);
        int r = bindv(s, types, ap);
        va_end(ap);
        if (r == 0) {
                int rc = sqlite3_step(s);
                if (rc == SQLITE_DONE)
                        r = sqlite3_changes(st->db);
                else if ((rc & 0xff) == SQLITE_CONSTRAINT)
                        r = -EEXIST;
                else {
                        log_error("sqlite: %s: %s", sql, sqlite3_errmsg(st->db));
                        r = -EIO;
                }
        }
        sqlite3_finalize(s);
        return r;
}

int vc_state_open(const char *dir, struct vc_state **out, char **err) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return vc_fail_errno(err, "StateDir %s", dir);
        _cleanup_free_ char *path = xasprintf("%s/vlanalloc.db", dir);
        struct vc_state *st = xcalloc(1, sizeof(*st));
        pthread_mutexattr_t ma;
        pthread_mutexattr_init(&ma);
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&st->lock, &ma);
        pthread_mutexattr_destroy(&ma);
        pthread_cond_init(&st->cond, NULL);
        /* The database holds who owns what: no one but root reads it. */
        mode_t old = umask(077);
        int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        umask(old);
        if (rc != SQLITE_OK) {
                *err = xasprintf("%s: %s", path, st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
                vc_state_close(st);
                return -EIO;
        }
        char *emsg = NULL;
        rc = sqlite3_exec(st->db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                          "PRAGMA busy_timeout=5000;",
                          NULL, NULL, &emsg);
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(st->db, schema, NULL, NULL, &emsg);
        if (rc != SQLITE_OK) {
                *err = xasprintf("%s: %s", path, emsg ? emsg : sqlite3_errstr(rc));
                sqlite3_free(emsg);
                vc_state_close(st);
                return -EIO;
        }
        *out = st;
        return 0;
}

void vc_state_close(struct vc_state *st) {
        if (!st)
                return;
        sqlite3_close(st->db);
        pthread_cond_destroy(&st->cond);
        pthread_mutex_destroy(&st->lock);
        free(st);
}

void vc_state_lock(struct vc_state *st) { pthread_mutex_lock(&st->lock); }
void vc_state_unlock(struct vc_state *st) { pthread_mutex_unlock(&st->lock); }
void vc_state_wait(struct vc_state *st) { pthread_cond_wait(&st->cond, &st->lock); }
void vc_state_broadcast(struct vc_state *st) { pthread_cond_broadcast(&st->cond); }

int vc_state_begin(struct vc_state *st) { return exec(st, "BEGIN IMMEDIATE", "") < 0 ? -EIO : 0; }
int vc_state_commit(struct vc_state *st) { return exec(st, "COMMIT", "") < 0 ? -EIO : 0; }
void vc_state_rollback(struct vc_state *st) {
        if (!sqlite3_get_autocommit(st->db))
                (void)exec(st, "ROLLBACK", "");
}

void vc_job_clear(struct vc_job *j) {
        free(j->state);
        free(j->mode);
        free(j->spec);
        free(j->nodes);
        free(j->plan);
        free(j->error);
        *j = (struct vc_job){0};
}

static char *col_text(sqlite3_stmt *s, int i) {
        const unsigned char *t = sqlite3_column_text(s, i);
        return t ? xstrdup((const char *)t) : NULL;
}

int vc_state_job_get(struct vc_state *st, int64_t job, struct vc_job *out) {
        _cleanup_stmt_ sqlite3_stmt *s =
                prep(st, "SELECT uid,state,mode,vni,spec,nodes,plan,lease,since,updated,error FROM jobs WHERE job=?",
                     "i", job);
        if (!s)
                return -EIO;
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return -EIO;
        *out = (struct vc_job){
                .job = job,
                .uid = sqlite3_column_int64(s, 0),
                .state = col_text(s, 1),
                .mode = col_text(s, 2),
                .vni = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 3),
                .spec = col_text(s, 4),
                .nodes = col_text(s, 5),
                .plan = col_text(s, 6),
                .lease = sqlite3_column_int64(s, 7),
                .since = sqlite3_column_int64(s, 8),
                .updated = sqlite3_column_int64(s, 9),
                .error = col_text(s, 10),
        };
        return 0;
}

int vc_state_job_put(struct vc_state *st, const struct vc_job *j) {
        int r = exec(st,
                     "INSERT OR REPLACE INTO jobs(job,uid,state,mode,vni,spec,nodes,plan,lease,since,updated,error)"
                     " VALUES(?,?,?,?,NULLIF(?,-1),?,?,?,NULLIF(?,0),?,?,?)",
                     "iittitttiiit", j->job, j->uid, j->state, j->mode, j->vni, j->spec, j->nodes, j->plan,
                     j->lease, j->since, now_s(), j->error);
        return r < 0 ? r : 0;
}

int vc_state_job_set(struct vc_state *st, int64_t job, const char *state, const char *error) {
        bool out_of_service = streq(state, JS_RELEASED) || streq(state, JS_FAILED);
        int r = exec(st,
                     out_of_service ? "UPDATE jobs SET state=?, error=?, updated=?, vni=NULL WHERE job=?"
                                    : "UPDATE jobs SET state=?, error=?, updated=? WHERE job=?",
                     "ttii", state, error, now_s(), job);
        return r < 0 ? r : 0;
}

static json_t *ids_of(sqlite3_stmt *s) {
        json_t *a = json_array();
        if (!s)
                return a;
        while (sqlite3_step(s) == SQLITE_ROW)
                json_array_append_new(a, json_integer(sqlite3_column_int64(s, 0)));
        return a;
}

json_t *vc_state_jobs_in(struct vc_state *st, const char *state) {
        _cleanup_stmt_ sqlite3_stmt *s = prep(st, "SELECT job FROM jobs WHERE state=? ORDER BY job", "t", state);
        return ids_of(s);
}

json_t *vc_state_jobs_expired(struct vc_state *st, int64_t now) {
        _cleanup_stmt_ sqlite3_stmt *s =
                prep(st, "SELECT job FROM jobs WHERE state='held' AND lease IS NOT NULL AND lease<=? ORDER BY job",
                     "i", now);
        return ids_of(s);
}

int vc_state_busy(struct vc_state *st, const char *site, struct vc_vlanset *busy) {
        _cleanup_stmt_ sqlite3_stmt *s = prep(st, "SELECT vlan FROM holds WHERE site=?", "t", site);
        if (!s)
                return -EIO;
        *busy = (struct vc_vlanset){{0}};
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
                vc_vlanset_add(busy, sqlite3_column_int(s, 0));
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int vc_state_hold(struct vc_state *st, const char *site, int vlan, int64_t job) {
        int r = exec(st, "INSERT INTO holds(site,vlan,job,since) VALUES(?,?,?,?)", "tiii", site,
                     (int64_t)vlan, job, now_s());
        return r < 0 ? r : 0;
}

int vc_state_unhold(struct vc_state *st, int64_t job) {
        int r = exec(st, "DELETE FROM holds WHERE job=? AND drained=0", "i", job);
        if (r >= 0)
                r = exec(st, "UPDATE holds SET job=NULL WHERE job=?", "i", job);
        return r < 0 ? r : 0;
}

int vc_state_drain(struct vc_state *st, const char *site, int vlan, const char *reason) {
        int r = exec(st, "UPDATE holds SET drained=1, reason=? WHERE site=? AND vlan=?", "tti", reason, site,
                     (int64_t)vlan);
        if (r == 0)
                r = exec(st, "INSERT INTO holds(site,vlan,drained,reason,since) VALUES(?,?,1,?,?)", "titi",
                         site, (int64_t)vlan, reason, now_s());
        return r < 0 ? r : 0;
}

int vc_state_undrain(struct vc_state *st, const char *site, int vlan) {
        int r = exec(st, "DELETE FROM holds WHERE site=? AND vlan=? AND job IS NULL", "ti", site, (int64_t)vlan);
        if (r == 0)
                r = exec(st, "UPDATE holds SET drained=0, reason=NULL WHERE site=? AND vlan=? AND drained=1", "ti",
                         site, (int64_t)vlan);
        if (r == 0)
                return -ENOENT;
        return r < 0 ? r : 0;
}

json_t *vc_state_holds(struct vc_state *st) {
        json_t *a = json_array();
        _cleanup_stmt_ sqlite3_stmt *s =
                prep(st,
                     "SELECT h.site, h.vlan, h.job, h.drained, h.reason, h.since, j.lease, j.state"
                     " FROM holds h LEFT JOIN jobs j ON j.job = h.job ORDER BY h.site, h.vlan",
                     "");
        if (!s)
                return a;
        while (sqlite3_step(s) == SQLITE_ROW) {
                json_t *o = json_pack("{s:s, s:i, s:b, s:I}", "site", sqlite3_column_text(s, 0), "vlan",
                                      sqlite3_column_int(s, 1), "drained", sqlite3_column_int(s, 3),
                                      "since", (json_int_t)sqlite3_column_int64(s, 5));
                if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
                        json_object_set_new(o, "job", json_integer(sqlite3_column_int64(s, 2)));
                        json_object_set_new(o, "job_state", json_string((const char *)sqlite3_column_text(s, 7)));
                        if (sqlite3_column_type(s, 6) != SQLITE_NULL)
                                json_object_set_new(o, "lease", json_integer(sqlite3_column_int64(s, 6)));
                }
                if (sqlite3_column_type(s, 4) != SQLITE_NULL)
                        json_object_set_new(o, "reason", json_string((const char *)sqlite3_column_text(s, 4)));
                json_array_append_new(a, o);
        }
        return a;
}

int vc_state_vnis(struct vc_state *st, uint32_t **out, size_t *n) {
        _cleanup_stmt_ sqlite3_stmt *s = prep(st, "SELECT vni FROM jobs WHERE vni IS NOT NULL ORDER BY vni", "");
        if (!s)
                return -EIO;
        size_t cap = 16;
        *n = 0;
        *out = xmalloc(cap * sizeof(uint32_t));
        while (sqlite3_step(s) == SQLITE_ROW) {
                if (*n == cap)
                        *out = xrealloc(*out, (cap *= 2) * sizeof(uint32_t));
                (*out)[(*n)++] = (uint32_t)sqlite3_column_int64(s, 0);
        }
        return 0;
}

int vc_state_history_add(struct vc_state *st, int64_t job, const char *event, const char *detail) {
        int r = exec(st, "INSERT INTO history(job,at,event,detail) VALUES(?,?,?,?)", "iitt", job, now_s(), event,
                     detail);
        return r < 0 ? r : 0;
}

json_t *vc_state_history(struct vc_state *st, int64_t job) {
        json_t *a = json_array();
        _cleanup_stmt_ sqlite3_stmt *s =
                prep(st, "SELECT at, event, detail FROM history WHERE job=? ORDER BY id", "i", job);
        while (s && sqlite3_step(s) == SQLITE_ROW) {
                json_t *o = json_pack("{s:I, s:s}", "at", (json_int_t)sqlite3_column_int64(s, 0), "event",
                                      sqlite3_column_text(s, 1));
                if (sqlite3_column_type(s, 2) != SQLITE_NULL)
                        json_object_set_new(o, "detail", json_string((const char *)sqlite3_column_text(s, 2)));
                json_array_append_new(a, o);
        }
        return a;
}

/* The controller's journal store: rows of the steps table. */
struct db_store {
        struct vc_state *st;
        int64_t job;
};

static int db_add(void *self, const struct vc_step *step) {
        struct db_store *d = self;
        _cleanup_free_ char *args = json_dumps(step->args, JSON_COMPACT);
        vc_state_lock(d->st);
        int r = exec(d->st, "INSERT INTO steps(job,seq,kind,args,state) VALUES(?,?,?,?,?)", "iittt", d->job,
                     (int64_t)step->seq, step->kind, args, vc_step_state_name(step->state));
        vc_state_unlock(d->st);
        return r < 0 ? r : 0;
}

static int db_mark(void *self, const struct vc_step *step, enum vc_step_state to) {
        struct db_store *d = self;
        vc_state_lock(d->st);
        int r = exec(d->st, "UPDATE steps SET state=? WHERE job=? AND seq=?", "tii", vc_step_state_name(to), d->job,
                     (int64_t)step->seq);
        vc_state_unlock(d->st);
        return r < 0 ? r : (r == 1 ? 0 : -EIO);
}

int vc_state_journal(struct vc_state *st, int64_t job, struct vc_journal *j) {
        struct db_store *d = xmalloc(sizeof(*d));
        *d = (struct db_store){st, job};
        j->steps = NULL;
        j->n = 0;
        j->store = (struct vc_journal_store){.add = db_add, .mark = db_mark, .self = d};
        _cleanup_stmt_ sqlite3_stmt *s =
                prep(st, "SELECT seq, kind, args, state FROM steps WHERE job=? ORDER BY seq", "i", job);
        if (!s)
                return -EIO;
        while (sqlite3_step(s) == SQLITE_ROW) {
                enum vc_step_state state;
                json_t *args = json_loads((const char *)sqlite3_column_text(s, 2), 0, NULL);
                if (!args || vc_step_state_parse((const char *)sqlite3_column_text(s, 3), &state) < 0) {
                        json_decref(args);
                        log_error("job %lld: corrupt journal step %d", (long long)job, sqlite3_column_int(s, 0));
                        return -EBADMSG;
                }
                j->steps = xrealloc(j->steps, (j->n + 1) * sizeof(*j->steps));
                j->steps[j->n++] = (struct vc_step){.seq = sqlite3_column_int(s, 0),
                                                    .kind = col_text(s, 1), .args = args, .state = state};
        }
        return 0;
}

void vc_state_journal_release(struct vc_journal *j) {
        free(j->store.self);
        j->store.self = NULL;
        vc_journal_clear(j);
}

int vc_state_steps_delete(struct vc_state *st, int64_t job) {
        int r = exec(st, "DELETE FROM steps WHERE job=?", "i", job);
        return r < 0 ? r : 0;
}

json_t *vc_state_jobs_active(struct vc_state *st, int64_t uid) {
        _cleanup_stmt_ sqlite3_stmt *s =
                uid < 0 ? prep(st, "SELECT job FROM jobs WHERE state IN ('acquiring','held','releasing') ORDER BY job", "")
                        : prep(st,
                               "SELECT job FROM jobs WHERE uid=? AND state IN ('acquiring','held','releasing') ORDER BY job",
                               "i", uid);
        return ids_of(s);
}

int64_t vc_state_acquisition(struct vc_state *st, int64_t job) {
        _cleanup_stmt_ sqlite3_stmt *s =
                prep(st, "SELECT MAX(id) FROM history WHERE job=? AND event='acquire'", "i", job);
        return s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
}

int vc_state_node_phase_set(struct vc_state *st, int64_t job, const char *node, int64_t epoch, const char *phase,
                            const char *detail) {
        int r = exec(st,
                     "INSERT OR REPLACE INTO node_phases(job,node,epoch,phase,detail,updated) VALUES(?,?,?,?,?,?)",
                     "ititti", job, node, epoch, phase, detail, now_s());
        return r < 0 ? r : 0;
}

int vc_state_guest_phase_set(struct vc_state *st, int64_t job, const char *guest, const char *node, int64_t epoch,
                             const char *phase) {
        int r = exec(st,
                     "INSERT OR REPLACE INTO guest_phases(job,guest,node,epoch,phase,updated) VALUES(?,?,?,?,?,?)",
                     "ittiti", job, guest, node, epoch, phase, now_s());
        return r < 0 ? r : 0;
}

int vc_state_node_cpus_set(struct vc_state *st, int64_t job, const char *node, int64_t epoch, const char *cpus) {
        int r = exec(st, "INSERT OR REPLACE INTO node_cpus(job,node,epoch,cpus) VALUES(?,?,?,?)", "itit", job, node,
                     epoch, cpus);
        return r < 0 ? r : 0;
}

json_t *vc_state_node_cpus(struct vc_state *st, int64_t job, int64_t epoch) {
        json_t *o = json_object();
        _cleanup_stmt_ sqlite3_stmt *s =
                prep(st, "SELECT node, cpus FROM node_cpus WHERE job=? AND epoch=?", "ii", job, epoch);
        while (s && sqlite3_step(s) == SQLITE_ROW)
                json_object_set_new(o, (const char *)sqlite3_column_text(s, 0),
                                    json_string((const char *)sqlite3_column_text(s, 1)));
        return o;
}

json_t *vc_state_guest_phases(struct vc_state *st, int64_t job, int64_t epoch) {
        json_t *o = json_object();
        _cleanup_stmt_ sqlite3_stmt *s =
                prep(st, "SELECT guest, phase FROM guest_phases WHERE job=? AND epoch=?", "ii", job, epoch);
        while (s && sqlite3_step(s) == SQLITE_ROW)
                json_object_set_new(o, (const char *)sqlite3_column_text(s, 0),
                                    json_string((const char *)sqlite3_column_text(s, 1)));
        return o;
}

json_t *vc_state_node_phases(struct vc_state *st, int64_t job, int64_t epoch) {
        json_t *o = json_object();
        _cleanup_stmt_ sqlite3_stmt *s = prep(
                st, "SELECT node, phase, detail, updated FROM node_phases WHERE job=? AND epoch=?", "ii", job, epoch);
        while (s && sqlite3_step(s) == SQLITE_ROW) {
                json_t *n = json_pack("{s:s, s:I}", "phase", sqlite3_column_text(s, 1), "updated",
                                      (json_int_t)sqlite3_column_int64(s, 3));
                if (sqlite3_column_type(s, 2) != SQLITE_NULL)
                        json_object_set_new(n, "detail", json_string((const char *)sqlite3_column_text(s, 2)));
                json_object_set_new(o, (const char *)sqlite3_column_text(s, 0), n);
        }
        return o;
}
