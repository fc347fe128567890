/* Driver "ovs": an Open vSwitch bridge, configured through ovsdb-server's
 * JSON-RPC interface (RFC 7047) — never a shell, never ovs-vsctl.
 *
 * Options (SwitchName= line): Db=unix:PATH|tcp:HOST:PORT (required),
 * Bridge=NAME (required), Timeout=DURATION (default 5 s; seconds, or a
 * number with s, m, h or d, as vcluster.conf checks it) bounds a TCP connect,
 * every answer, and the wait for ovs-vswitchd after a write.
 *
 * A VLAN exists on the switch when the Bridge row has
 * external_ids:vcluster-vlan-ID=NAME; port membership and the marks we leave
 * on ports are described in ovs_port.h, including the all-VLANs gotcha: we
 * never leave a port with no tag and empty trunks (it would carry every
 * VLAN); such a result becomes trunks=[4095], which carries nothing.
 *
 * A session only records intent. commit reads the bridge and every port the
 * session touches, computes the new rows (ovs_port.c), and writes them in ONE
 * transaction that starts with "wait" operations asserting the rows read are
 * still unchanged; when someone changed them meanwhile it reads again and
 * retries. Everything is idempotent, because the journal replays undos after
 * a crash: removing a port that is not on the bridge (any more) is "already
 * gone", only adding one is an error.
 *
 * commit returns once ovs-vswitchd has applied the change, not merely when
 * the database holds it: like ovs-vsctl without --no-wait, the write bumps
 * Open_vSwitch:next_cfg and commit then polls until cur_cfg catches up (at
 * most Timeout). That is as far as OVSDB can tell: flows the datapath had
 * cached are revalidated right after, asynchronously (milliseconds), so a
 * packet sent at once may still take the old path. Reads (ovs_read.c) report
 * what the database holds.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>

#include "log.h"
#include "ovs_internal.h"
#include "ovs_port.h"
#include "util.h"

#define DEFAULT_TIMEOUT_S 5
#define COMMIT_TRIES 10
#define APPLIED_POLL_MAX_US 8000 /* the pause between polls of cur_cfg doubles from 1 ms up to this */

enum op_kind { OP_CREATE, OP_DELETE, OP_ADD, OP_REMOVE };

struct vc_ovs_op {
        enum op_kind kind;
        int id;
        enum vc_port_mode mode;
        char *name;   /* OP_CREATE */
        char **ports; /* OP_ADD, OP_REMOVE */
};

/* What one read of the switch returned for a commit. */
struct view {
        struct vc_ovs_bridge br;   /* br.ids is changed in place */
        json_t **raw;              /* raw Port rows, parallel to ports */
        struct vc_ovs_port *ports; /* the touched ports that are on the bridge */
        size_t n;
        json_int_t next_cfg, cur_cfg; /* the Open_vSwitch row's */
};


int vc_ovs_wrap(const struct vc_ovs_sess *s, char **err, int r) {
        _cleanup_free_ char *inner = *err;
        *err = NULL;
        return vc_ovs_fail(s, err, r, "%s", inner ? inner : strerror(-r));
}

int vc_ovs_check_vlan(const struct vc_ovs_sess *s, int id, char **err) {
        return id >= 1 && id <= 4094 ? 0 : vc_ovs_fail(s, err, -EINVAL, "VLAN %d is outside 1-4094", id);
}

static void op_clear(struct vc_ovs_op *o) {
        free(o->name);
        strv_free(o->ports);
}

static void ops_clear(struct vc_ovs_sess *s) {
        for (size_t i = 0; i < s->n_ops; i++)
                op_clear(&s->ops[i]);
        free(s->ops);
        s->ops = NULL;
        s->n_ops = 0;
}

static void ovs_close(void *sess) {
        struct vc_ovs_sess *s = sess;
        if (!s)
                return;
        ops_clear(s);
        vc_ovsdb_close(s->db);
        free(s->sw);
        free(s->remote);
        free(s->bridge);
        free(s->owner);
        free(s);
}

static const char *opt(const struct vc_switch_target *t, const char *key) {
        return json_string_value(json_object_get(t->opts, key));
}

static int ovs_open(const struct vc_switch_target *t, void **sessp, char **err) {
        struct vc_ovs_sess *s = xcalloc(1, sizeof(*s));
        s->sw = xstrdup(t->name ? t->name : "?");
        const char *db = opt(t, "Db"), *br = opt(t, "Bridge"), *to = opt(t, "Timeout");
        unsigned long long timeout = DEFAULT_TIMEOUT_S;
        int r = 0;
        if (!db || !*db)
                r = vc_ovs_fail(s, err, -EINVAL, "driver ovs needs Db=unix:PATH or Db=tcp:HOST:PORT");
        else if (!br || !*br)
                r = vc_ovs_fail(s, err, -EINVAL, "driver ovs needs Bridge=NAME");
        else if (to && (parse_duration(to, &timeout) < 0 || timeout < 1))
                r = vc_ovs_fail(s, err, -EINVAL, "Timeout=%s is not a duration of at least 1 s", to);
        else if (t->owner && (!*t->owner || strchr(t->owner, ',')))
                r = vc_ovs_fail(s, err, -EINVAL, "job '%s' cannot label ports (empty or has a comma)", t->owner);
        if (r == 0) {
                s->remote = xstrdup(db);
                s->bridge = xstrdup(br);
                s->owner = t->owner ? xstrdup(t->owner) : NULL;
                /* vcluster.conf accepts any duration; beyond ~24 days it is "forever" anyway. */
                if (timeout > INT_MAX / 1000)
                        timeout = INT_MAX / 1000;
                s->timeout_ms = (int)timeout * 1000;
                r = vc_ovsdb_open(db, s->timeout_ms, &s->db, err);
                if (r < 0)
                        vc_ovs_wrap(s, err, r);
        }
        if (r < 0) {
                ovs_close(s);
                return r;
        }
        *sessp = s;
        return 0;
}

static struct vc_ovs_op *push_op(struct vc_ovs_sess *s, enum op_kind kind, int id) {
        s->ops = xrealloc(s->ops, (s->n_ops + 1) * sizeof(*s->ops));
        struct vc_ovs_op *o = &s->ops[s->n_ops++];
        *o = (struct vc_ovs_op){.kind = kind, .id = id};
        return o;
}

static int ovs_vlan_create(void *sess, int id, const char *name, char **err) {
        int r = vc_ovs_check_vlan(sess, id, err);
        if (r == 0)
                push_op(sess, OP_CREATE, id)->name = xstrdup(name ? name : "");
        return r;
}

static int ovs_vlan_delete(void *sess, int id, char **err) {
        int r = vc_ovs_check_vlan(sess, id, err);
        if (r == 0)
                push_op(sess, OP_DELETE, id);
        return r;
}

static char **strv_copy(char *const *v) {
        char **c = xcalloc(1, sizeof(char *));
        for (; v && *v; v++)
                strv_push(&c, *v);
        return c;
}

static int ovs_ports_add(void *sess, int id, char *const *ports, enum vc_port_mode mode, char **err) {
        struct vc_ovs_sess *s = sess;
        int r = vc_ovs_check_vlan(s, id, err);
        if (r == 0 && !s->owner)
                r = vc_ovs_fail(s, err, -EINVAL, "adding ports needs the job they are for (no owner given)");
        if (r == 0) {
                struct vc_ovs_op *o = push_op(s, OP_ADD, id);
                o->mode = mode;
                o->ports = strv_copy(ports);
        }
        return r;
}

static int ovs_ports_remove(void *sess, int id, char *const *ports, char **err) {
        int r = vc_ovs_check_vlan(sess, id, err);
        if (r == 0)
                push_op(sess, OP_REMOVE, id)->ports = strv_copy(ports);
        return r;
}

static const char *const port_cols[] = {"_uuid", "name", "tag", "trunks", "vlan_mode", "external_ids", NULL};

static void view_clear(struct view *v) {
        for (size_t i = 0; i < v->n; i++) {
                vc_ovs_port_clear(&v->ports[i]);
                json_decref(v->raw[i]);
        }
        free(v->ports);
        free(v->raw);
        vc_ovs_bridge_clear(&v->br);
        *v = (struct view){0};
}

/* Every port name the session touches, once each, in first-seen order. */
static char **touched_ports(const struct vc_ovs_sess *s) {
        char **names = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < s->n_ops; i++)
                for (char **p = s->ops[i].ports; p && *p; p++) {
                        bool seen = false;
                        for (char **q = names; *q && !seen; q++)
                                seen = streq(*q, *p);
                        if (!seen)
                                strv_push(&names, *p);
                }
        return names;
}

/* Whether the session adds port name: only then must it be on the bridge.
 * A removal of a port that is not there is done already — the undo of a
 * step that failed because it named a nonexistent port must still succeed. */
static bool port_required(const struct vc_ovs_sess *s, const char *name) {
        for (size_t i = 0; i < s->n_ops; i++)
                for (char **p = s->ops[i].ports; s->ops[i].kind == OP_ADD && p && *p; p++)
                        if (streq(*p, name))
                                return true;
        return false;
}

/* The Open_vSwitch column col of the first row of rows, into *out. */
static int cfg_col(const struct vc_ovs_sess *s, json_t *rows, const char *col, json_int_t *out, char **err) {
        json_t *row = json_array_get(rows, 0);
        if (!row)
                return vc_ovs_fail(s, err, -ENOENT, "ovsdb %s has no Open_vSwitch row (not initialized?)",
                                   s->remote);
        json_t *v = json_object_get(row, col);
        if (!json_is_integer(v))
                return vc_ovs_fail(s, err, -EPROTO, "ovsdb %s: malformed Open_vSwitch row (%s)", s->remote, col);
        *out = json_integer_value(v);
        return 0;
}

/* Read the bridge, the Open_vSwitch row's cfg counters and the named ports
 * in one transaction. */
static int read_view(struct vc_ovs_sess *s, char *const *names, struct view *v, char **err) {
        static const char *const cfg_cols[] = {"next_cfg", "cur_cfg", NULL};
        json_auto_t *ops =
                json_pack("[o, o]", vc_ovs_select_bridge(s), vc_ovs_select("Open_vSwitch", json_array(), cfg_cols));
        for (char *const *n = names; *n; n++)
                json_array_append_new(ops, vc_ovs_select("Port", json_pack("[[sss]]", "name", "==", *n), port_cols));
        json_auto_t *res = NULL;
        int r = vc_ovsdb_transact(s->db, ops, &res, err);
        if (r < 0)
                return vc_ovs_wrap(s, err, r);
        r = vc_ovs_bridge_parse(s, vc_ovs_rows(res, 0), &v->br, err);
        if (r == 0)
                r = cfg_col(s, vc_ovs_rows(res, 1), "next_cfg", &v->next_cfg, err);
        if (r == 0)
                r = cfg_col(s, vc_ovs_rows(res, 1), "cur_cfg", &v->cur_cfg, err);
        if (r < 0)
                return r;
        size_t n = strv_len(names);
        v->ports = xcalloc(n + 1, sizeof(*v->ports));
        v->raw = xcalloc(n + 1, sizeof(*v->raw));
        for (size_t i = 0; i < n; i++) {
                json_t *row = json_array_get(vc_ovs_rows(res, i + 2), 0);
                const char *u = row ? vc_ovsdb_uuid_str(json_object_get(row, "_uuid")) : NULL;
                if (!u || !json_object_get(v->br.members, u)) {
                        if (port_required(s, names[i]))
                                return vc_ovs_fail(s, err, -ENOENT, "port '%s' is not on bridge '%s' of ovsdb %s",
                                                   names[i], s->bridge, s->remote);
                        log_debug("switch '%s': port '%s' is not on bridge '%s': nothing to remove, already gone",
                                  s->sw, names[i], s->bridge);
                        continue;
                }
                r = vc_ovs_port_parse(row, &v->ports[v->n], err);
                if (r < 0)
                        return vc_ovs_wrap(s, err, r);
                v->raw[v->n++] = json_incref(row);
        }
        return 0;
}

/* The port called name in the view; NULL when it is not on the bridge,
 * which read_view allowed only for removals. */
static struct vc_ovs_port *find_port(struct view *v, const char *name) {
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->ports[i].name, name))
                        return &v->ports[i];
        return NULL;
}

/* Apply the session's intent, in order, to the rows read. */
static int apply_ops(struct vc_ovs_sess *s, struct view *v, char **err) {
        char key[32];
        for (size_t i = 0; i < s->n_ops; i++) {
                struct vc_ovs_op *o = &s->ops[i];
                vc_ovs_vlan_key(key, o->id);
                if (o->kind == OP_CREATE)
                        json_object_set_new(v->br.ids, key, json_string(o->name));
                else if (o->kind == OP_DELETE)
                        json_object_del(v->br.ids, key);
                for (char **p = o->ports; p && *p; p++) {
                        struct vc_ovs_port *port = find_port(v, *p);
                        if (!port)
                                continue; /* a removal of a port already gone */
                        if (o->kind == OP_REMOVE) {
                                vc_ovs_port_remove(port, o->id);
                                continue;
                        }
                        int r = vc_ovs_port_add(port, o->id, o->mode, s->owner, err);
                        if (r < 0)
                                return vc_ovs_wrap(s, err, r);
                }
        }
        return 0;
}

/* {"op":"wait"} that holds only while the row still has the values read. */
static json_t *wait_op(const char *table, json_t *raw, const char *const *cols) {
        json_t *c = json_array(), *row = json_object();
        for (; *cols; cols++) {
                json_array_append_new(c, json_string(*cols));
                json_object_set(row, *cols, json_object_get(raw, *cols));
        }
        return json_pack("{s:s, s:s, s:i, s:o, s:o, s:s, s:[o]}", "op", "wait", "table", table, "timeout", 0, "where",
                         vc_ovsdb_where_uuid(vc_ovsdb_uuid_str(json_object_get(raw, "_uuid"))), "columns", c,
                         "until", "==", "rows", row);
}

static json_t *update_op(const char *table, const char *uuid, json_t *row) {
        return json_pack("{s:s, s:s, s:o, s:o}", "op", "update", "table", table, "where", vc_ovsdb_where_uuid(uuid),
                         "row", row);
}

static const char *const bridge_wait_cols[] = {"ports", "external_ids", NULL};
static const char *const port_wait_cols[] = {"tag", "trunks", "vlan_mode", "external_ids", NULL};
static const char *const next_cfg_cols[] = {"next_cfg", NULL};

/* The write transaction for the view (after apply_ops), or NULL when the
 * switch already holds everything asked. Its last operation selects the new
 * next_cfg: the configuration number ovs-vswitchd must reach. */
static json_t *build_txn(struct vc_ovs_sess *s, struct view *v, json_t *const *before, json_t *bridge_before) {
        json_t *waits = json_array(), *writes = json_array();
        bool bridge_changed = !json_equal(bridge_before, v->br.ids);
        for (size_t i = 0; i < v->n; i++) {
                json_t *row = vc_ovs_port_row(&v->ports[i]);
                if (json_equal(row, before[i])) {
                        json_decref(row);
                        continue;
                }
                json_array_append_new(waits, wait_op("Port", v->raw[i], port_wait_cols));
                json_array_append_new(writes, update_op("Port", v->ports[i].uuid, row));
        }
        if (!bridge_changed && json_array_size(writes) == 0) {
                json_decref(waits);
                json_decref(writes);
                return NULL;
        }
        /* The bridge's ports are asserted too: a port moved away meanwhile is not ours to touch. */
        json_array_insert_new(waits, 0, wait_op("Bridge", v->br.row, bridge_wait_cols));
        if (bridge_changed)
                json_array_append_new(writes,
                                      update_op("Bridge", vc_ovsdb_uuid_str(json_object_get(v->br.row, "_uuid")),
                                                json_pack("{s:o}", "external_ids", vc_ovsdb_map_datum(v->br.ids))));
        /* The comment lands in ovsdb-server's log: who changed the switch, and why. */
        _cleanup_free_ char *why = xasprintf("slurm-vcluster: job %s on switch %s", s->owner ? s->owner : "-", s->sw);
        json_array_append_new(waits, json_pack("{s:s, s:s}", "op", "comment", "comment", why));
        json_array_extend(waits, writes);
        json_decref(writes);
        /* What ovs-vsctl does without --no-wait: ask ovs-vswitchd to report
         * (in cur_cfg) when it has applied this. The table has one row. */
        json_array_append_new(waits, json_pack("{s:s, s:s, s:[], s:[[ssi]]}", "op", "mutate", "table", "Open_vSwitch",
                                               "where", "mutations", "next_cfg", "+=", 1));
        json_array_append_new(waits, vc_ovs_select("Open_vSwitch", json_array(), next_cfg_cols));
        return waits;
}

/* One read–compute–write round: 0 with *target (the configuration number
 * ovs-vswitchd must reach, or -1 when it has already), -EAGAIN when the rows
 * changed meanwhile, -errno. */
static int commit_once(struct vc_ovs_sess *s, char *const *names, json_int_t *target, char **err) {
        _cleanup_(view_clear) struct view v = {0};
        int r = read_view(s, names, &v, err);
        if (r < 0)
                return r;
        json_t **before = xcalloc(v.n + 1, sizeof(json_t *));
        for (size_t i = 0; i < v.n; i++)
                before[i] = vc_ovs_port_row(&v.ports[i]);
        json_auto_t *bridge_before = json_deep_copy(v.br.ids);
        r = apply_ops(s, &v, err);
        json_auto_t *txn = r == 0 ? build_txn(s, &v, before, bridge_before) : NULL;
        for (size_t i = 0; i < v.n; i++)
                json_decref(before[i]);
        free(before);
        if (r < 0)
                return r;
        if (!txn) {
                /* Nothing to write, but an earlier write (ours, retried after a
                 * timeout, or anyone's) may still be on its way to the datapath. */
                *target = v.cur_cfg >= v.next_cfg ? -1 : v.next_cfg;
                return 0;
        }
        json_auto_t *res = NULL;
        r = vc_ovsdb_transact(s->db, txn, &res, err);
        if (r < 0)
                return r == -EAGAIN ? r : vc_ovs_wrap(s, err, r);
        return cfg_col(s, vc_ovs_rows(res, json_array_size(txn) - 1), "next_cfg", target, err);
}

/* Writers that collided should not collide again in lockstep: sleep a
 * random 1..4*try ms before reading again. */
static void backoff(int try) {
        static __thread uint32_t seed;
        if (!seed)
                seed = (uint32_t)now_ms() ^ ((uint32_t)getpid() << 16) ^ 0x9e3779b9u;
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
        usleep((useconds_t)(1000 * (1 + seed % (uint32_t)(4 * try))));
}

/* Wait until ovs-vswitchd reports (Open_vSwitch:cur_cfg) that it applied
 * configuration number target, at most Timeout. Repeated selects rather than
 * a monitor: the client stays plain request/reply, and the wait is a few ms
 * when ovs-vswitchd runs. */
static int wait_applied(struct vc_ovs_sess *s, json_int_t target, char **err) {
        static const char *const cols[] = {"cur_cfg", NULL};
        uint64_t start = now_ms(), deadline = start + (uint64_t)s->timeout_ms;
        useconds_t pause = 1000;
        for (;;) {
                json_auto_t *ops = json_pack("[o]", vc_ovs_select("Open_vSwitch", json_array(), cols));
                json_auto_t *res = NULL;
                json_int_t cur;
                int r = vc_ovsdb_transact(s->db, ops, &res, err);
                if (r < 0)
                        return vc_ovs_wrap(s, err, r);
                r = cfg_col(s, vc_ovs_rows(res, 0), "cur_cfg", &cur, err);
                if (r < 0)
                        return r;
                uint64_t now = now_ms();
                if (cur >= target) {
                        log_debug("switch '%s': ovs-vswitchd applied configuration %" JSON_INTEGER_FORMAT
                                  " after %" PRIu64 " ms",
                                  s->sw, target, now - start);
                        return 0;
                }
                if (now >= deadline)
                        return vc_ovs_fail(s, err, -ETIMEDOUT,
                                           "ovs-vswitchd did not apply the change within %g s (is it running?)",
                                           s->timeout_ms / 1000.0);
                uint64_t left_us = (deadline - now) * 1000;
                usleep((useconds_t)(pause < left_us ? pause : left_us));
                if (pause < APPLIED_POLL_MAX_US)
                        pause *= 2;
        }
}

static int ovs_commit(void *sess, char **err) {
        struct vc_ovs_sess *s = sess;
        if (s->n_ops == 0)
                return 0;
        _cleanup_strv_ char **names = touched_ports(s);
        json_int_t target = -1;
        int r = -EAGAIN;
        for (int i = 0; i < COMMIT_TRIES && r == -EAGAIN; i++) {
                if (i > 0) {
                        log_debug("switch '%s': %s; reading again (try %d)", s->sw, *err, i + 1);
                        backoff(i);
                }
                free(*err);
                *err = NULL;
                r = commit_once(s, names, &target, err);
        }
        if (r == -EAGAIN) {
                _cleanup_free_ char *last = TAKE_PTR(*err);
                return vc_ovs_fail(s, err, r, "bridge '%s' kept changing under us (%d tries): %s", s->bridge,
                                   COMMIT_TRIES, last ? last : "");
        }
        if (r == 0 && target >= 0)
                r = wait_applied(s, target, err);
        /* Only now: a commit called again after a timeout finds nothing to
         * write and waits for ovs-vswitchd once more. */
        if (r == 0)
                ops_clear(s);
        return r;
}

const struct vc_switch_driver vc_drv_ovs = {
        .name = "ovs",
        .can_read = true,
        .open = ovs_open,
        .close = ovs_close,
        .vlan_create = ovs_vlan_create,
        .vlan_delete = ovs_vlan_delete,
        .ports_add = ovs_ports_add,
        .ports_remove = ovs_ports_remove,
        .commit = ovs_commit,
        .vlan_read = vc_ovs_vlan_read,
        .vlan_list = vc_ovs_vlan_list,
};
