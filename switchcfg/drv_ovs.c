/* Driver "ovs": an Open vSwitch bridge, configured through ovsdb-server's
 * JSON-RPC interface (RFC 7047) — never a shell, never ovs-vsctl.
 *
 * Options (SwitchName= line): Db=unix:PATH|tcp:HOST:PORT (required),
 * Bridge=NAME (required), Timeout=SECONDS for every answer (default 5).
 *
 * A VLAN exists on the switch when the Bridge row has
 * external_ids:vcluster-vlan-ID=NAME; port membership and the marks we leave
 * on ports are described in ovs_port.h (including the all-VLANs gotcha).
 *
 * A session only records intent. commit reads the bridge and every port the
 * session touches, computes the new rows (ovs_port.c), and writes them in ONE
 * transaction that starts with "wait" operations asserting the rows read are
 * still unchanged; when someone changed them meanwhile it reads again and
 * retries. Everything is idempotent, because the journal replays undos after
 * a crash. vlan_read and vlan_list report what the switch holds, not the
 * session's pending intent.
 */
#include <errno.h>

#include "log.h"
#include "ovs_port.h"
#include "ovsdb.h"
#include "switch.h"
#include "util.h"

#define DEFAULT_TIMEOUT_S 5
#define COMMIT_TRIES 10

enum op_kind { OP_CREATE, OP_DELETE, OP_ADD, OP_REMOVE };

struct op {
        enum op_kind kind;
        int id;
        enum vc_port_mode mode;
        char *name;   /* OP_CREATE */
        char **ports; /* OP_ADD, OP_REMOVE */
};

struct ovs_sess {
        char *sw, *remote, *bridge, *owner;
        struct vc_ovsdb *db;
        struct op *ops;
        size_t n_ops;
};

/* What one read of the switch returned for a commit. */
struct view {
        json_t *bridge;      /* raw row: _uuid, ports, external_ids */
        json_t *bridge_ids;  /* its external_ids as an object, changed in place */
        json_t *members;     /* object: port uuid → true, the bridge's ports */
        json_t **raw;        /* raw Port rows, parallel to ports */
        struct vc_ovs_port *ports;
        size_t n;
};

static int sw_fail(const struct ovs_sess *s, char **err, int r, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int sw_fail(const struct ovs_sess *s, char **err, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *what = xvasprintf(fmt, ap);
        va_end(ap);
        free(*err);
        *err = xasprintf("switch '%s': %s", s->sw, what);
        return r;
}

/* Prefix a lower layer's message with the switch's name. */
static int sw_wrap(const struct ovs_sess *s, char **err, int r) {
        _cleanup_free_ char *inner = *err;
        *err = NULL;
        return sw_fail(s, err, r, "%s", inner ? inner : strerror(-r));
}

static void op_clear(struct op *o) {
        free(o->name);
        strv_free(o->ports);
}

static void ops_clear(struct ovs_sess *s) {
        for (size_t i = 0; i < s->n_ops; i++)
                op_clear(&s->ops[i]);
        free(s->ops);
        s->ops = NULL;
        s->n_ops = 0;
}

static void ovs_close(void *sess) {
        struct ovs_sess *s = sess;
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
        struct ovs_sess *s = xcalloc(1, sizeof(*s));
        s->sw = xstrdup(t->name ? t->name : "?");
        const char *db = opt(t, "Db"), *br = opt(t, "Bridge"), *to = opt(t, "Timeout");
        unsigned long long timeout = DEFAULT_TIMEOUT_S;
        int r = 0;
        if (!db || !*db)
                r = sw_fail(s, err, -EINVAL, "driver ovs needs Db=unix:PATH or Db=tcp:HOST:PORT");
        else if (!br || !*br)
                r = sw_fail(s, err, -EINVAL, "driver ovs needs Bridge=NAME");
        else if (to && parse_uint(to, 1, 3600, &timeout) < 0)
                r = sw_fail(s, err, -EINVAL, "Timeout=%s is not a number of seconds in 1-3600", to);
        else if (t->owner && (!*t->owner || strchr(t->owner, ',')))
                r = sw_fail(s, err, -EINVAL, "job '%s' cannot label ports (empty or has a comma)", t->owner);
        if (r == 0) {
                s->remote = xstrdup(db);
                s->bridge = xstrdup(br);
                s->owner = t->owner ? xstrdup(t->owner) : NULL;
                r = vc_ovsdb_open(db, (int)timeout * 1000, &s->db, err);
                if (r < 0)
                        sw_wrap(s, err, r);
        }
        if (r < 0) {
                ovs_close(s);
                return r;
        }
        *sessp = s;
        return 0;
}

static int check_vlan(struct ovs_sess *s, int id, char **err) {
        return id >= 1 && id <= 4094 ? 0 : sw_fail(s, err, -EINVAL, "VLAN %d is outside 1-4094", id);
}

static struct op *push_op(struct ovs_sess *s, enum op_kind kind, int id) {
        s->ops = xrealloc(s->ops, (s->n_ops + 1) * sizeof(*s->ops));
        struct op *o = &s->ops[s->n_ops++];
        *o = (struct op){.kind = kind, .id = id};
        return o;
}

static int ovs_vlan_create(void *sess, int id, const char *name, char **err) {
        int r = check_vlan(sess, id, err);
        if (r == 0)
                push_op(sess, OP_CREATE, id)->name = xstrdup(name ? name : "");
        return r;
}

static int ovs_vlan_delete(void *sess, int id, char **err) {
        int r = check_vlan(sess, id, err);
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
        struct ovs_sess *s = sess;
        int r = check_vlan(s, id, err);
        if (r == 0 && !s->owner)
                r = sw_fail(s, err, -EINVAL, "adding ports needs the job they are for (no owner given)");
        if (r == 0) {
                struct op *o = push_op(s, OP_ADD, id);
                o->mode = mode;
                o->ports = strv_copy(ports);
        }
        return r;
}

static int ovs_ports_remove(void *sess, int id, char *const *ports, char **err) {
        int r = check_vlan(sess, id, err);
        if (r == 0)
                push_op(sess, OP_REMOVE, id)->ports = strv_copy(ports);
        return r;
}

static json_t *select_op(const char *table, json_t *where, const char *const *cols) {
        json_t *c = json_array();
        for (; *cols; cols++)
                json_array_append_new(c, json_string(*cols));
        return json_pack("{s:s, s:s, s:o, s:o}", "op", "select", "table", table, "where", where, "columns", c);
}

static const char *const bridge_cols[] = {"_uuid", "ports", "external_ids", NULL};
static const char *const port_cols[] = {"_uuid", "name", "tag", "trunks", "vlan_mode", "external_ids", NULL};

static json_t *select_bridge(const struct ovs_sess *s) {
        return select_op("Bridge", json_pack("[[sss]]", "name", "==", s->bridge), bridge_cols);
}

/* The rows of the select at results[i]. */
static json_t *rows_of(json_t *results, size_t i) { return json_object_get(json_array_get(results, i), "rows"); }

/* Take the Bridge row out of a select result; fills v->bridge, bridge_ids, members. */
static int parse_bridge(struct ovs_sess *s, json_t *rows, struct view *v, char **err) {
        json_t *row = json_array_get(rows, 0);
        if (!row)
                return sw_fail(s, err, -ENOENT, "bridge '%s' does not exist in ovsdb %s", s->bridge, s->remote);
        json_auto_t *ports = vc_ovsdb_set_elems(json_object_get(row, "ports"));
        v->bridge_ids = vc_ovsdb_map_object(json_object_get(row, "external_ids"));
        if (!ports || !v->bridge_ids || !vc_ovsdb_uuid_str(json_object_get(row, "_uuid")))
                return sw_fail(s, err, -EPROTO, "ovsdb %s: malformed Bridge row", s->remote);
        v->bridge = json_incref(row);
        v->members = json_object();
        size_t i;
        json_t *p;
        json_array_foreach(ports, i, p) {
                const char *u = vc_ovsdb_uuid_str(p);
                if (u)
                        json_object_set_new(v->members, u, json_true());
        }
        return 0;
}

static void view_clear(struct view *v) {
        for (size_t i = 0; i < v->n; i++) {
                vc_ovs_port_clear(&v->ports[i]);
                json_decref(v->raw[i]);
        }
        free(v->ports);
        free(v->raw);
        json_decref(v->bridge);
        json_decref(v->bridge_ids);
        json_decref(v->members);
        *v = (struct view){0};
}

/* Every port name the session touches, once each, in first-seen order. */
static char **touched_ports(const struct ovs_sess *s) {
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

/* Read the bridge and the named ports in one transaction. */
static int read_view(struct ovs_sess *s, char *const *names, struct view *v, char **err) {
        json_auto_t *ops = json_pack("[o]", select_bridge(s));
        for (char *const *n = names; *n; n++)
                json_array_append_new(ops, select_op("Port", json_pack("[[sss]]", "name", "==", *n), port_cols));
        json_auto_t *res = NULL;
        int r = vc_ovsdb_transact(s->db, ops, &res, err);
        if (r < 0)
                return sw_wrap(s, err, r);
        r = parse_bridge(s, rows_of(res, 0), v, err);
        if (r < 0)
                return r;
        size_t n = strv_len(names);
        v->ports = xcalloc(n + 1, sizeof(*v->ports));
        v->raw = xcalloc(n + 1, sizeof(*v->raw));
        for (size_t i = 0; i < n; i++) {
                json_t *row = json_array_get(rows_of(res, i + 1), 0);
                const char *u = row ? vc_ovsdb_uuid_str(json_object_get(row, "_uuid")) : NULL;
                if (!u || !json_object_get(v->members, u))
                        return sw_fail(s, err, -ENOENT, "port '%s' is not on bridge '%s' of ovsdb %s", names[i],
                                       s->bridge, s->remote);
                r = vc_ovs_port_parse(row, &v->ports[i], err);
                if (r < 0)
                        return sw_wrap(s, err, r);
                v->raw[i] = json_incref(row);
                v->n = i + 1;
        }
        return 0;
}

static struct vc_ovs_port *find_port(struct view *v, const char *name) {
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->ports[i].name, name))
                        return &v->ports[i];
        return NULL; /* read_view refused missing ports already */
}

/* Apply the session's intent, in order, to the rows read. */
static int apply_ops(struct ovs_sess *s, struct view *v, char **err) {
        char key[32];
        for (size_t i = 0; i < s->n_ops; i++) {
                struct op *o = &s->ops[i];
                vc_ovs_vlan_key(key, o->id);
                if (o->kind == OP_CREATE)
                        json_object_set_new(v->bridge_ids, key, json_string(o->name));
                else if (o->kind == OP_DELETE)
                        json_object_del(v->bridge_ids, key);
                for (char **p = o->ports; p && *p; p++) {
                        struct vc_ovs_port *port = find_port(v, *p);
                        if (o->kind == OP_REMOVE) {
                                vc_ovs_port_remove(port, o->id);
                                continue;
                        }
                        int r = vc_ovs_port_add(port, o->id, o->mode, s->owner, err);
                        if (r < 0)
                                return sw_wrap(s, err, r);
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

/* The write transaction for the view (after apply_ops), or NULL when the
 * switch already holds everything asked. */
static json_t *build_txn(struct ovs_sess *s, struct view *v, json_t *const *before, json_t *bridge_before) {
        json_t *waits = json_array(), *writes = json_array();
        bool bridge_changed = !json_equal(bridge_before, v->bridge_ids);
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
        json_array_insert_new(waits, 0, wait_op("Bridge", v->bridge, bridge_wait_cols));
        if (bridge_changed)
                json_array_append_new(writes,
                                      update_op("Bridge", vc_ovsdb_uuid_str(json_object_get(v->bridge, "_uuid")),
                                                json_pack("{s:o}", "external_ids", vc_ovsdb_map_datum(v->bridge_ids))));
        /* The comment lands in ovsdb-server's log: who changed the switch, and why. */
        _cleanup_free_ char *why = xasprintf("slurm-vcluster: job %s on switch %s", s->owner ? s->owner : "-", s->sw);
        json_array_append_new(waits, json_pack("{s:s, s:s}", "op", "comment", "comment", why));
        json_array_extend(waits, writes);
        json_decref(writes);
        return waits;
}

/* One read–compute–write round: 0, -EAGAIN when the rows changed meanwhile, -errno. */
static int commit_once(struct ovs_sess *s, char *const *names, char **err) {
        _cleanup_(view_clear) struct view v = {0};
        int r = read_view(s, names, &v, err);
        if (r < 0)
                return r;
        json_t **before = xcalloc(v.n + 1, sizeof(json_t *));
        for (size_t i = 0; i < v.n; i++)
                before[i] = vc_ovs_port_row(&v.ports[i]);
        json_auto_t *bridge_before = json_deep_copy(v.bridge_ids);
        r = apply_ops(s, &v, err);
        json_auto_t *txn = r == 0 ? build_txn(s, &v, before, bridge_before) : NULL;
        for (size_t i = 0; i < v.n; i++)
                json_decref(before[i]);
        free(before);
        if (r < 0 || !txn)
                return r;
        json_auto_t *res = NULL;
        r = vc_ovsdb_transact(s->db, txn, &res, err);
        return r < 0 && r != -EAGAIN ? sw_wrap(s, err, r) : r;
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

static int ovs_commit(void *sess, char **err) {
        struct ovs_sess *s = sess;
        if (s->n_ops == 0)
                return 0;
        _cleanup_strv_ char **names = touched_ports(s);
        int r = -EAGAIN;
        for (int i = 0; i < COMMIT_TRIES && r == -EAGAIN; i++) {
                if (i > 0) {
                        log_debug("switch '%s': %s; reading again (try %d)", s->sw, *err, i + 1);
                        backoff(i);
                }
                free(*err);
                *err = NULL;
                r = commit_once(s, names, err);
        }
        if (r == -EAGAIN)
                return sw_fail(s, err, r, "bridge '%s' kept changing under us (%d tries): %s", s->bridge, COMMIT_TRIES,
                               *err ? *err : "");
        if (r == 0)
                ops_clear(s);
        return r;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The names of the rows whose uuid is one of the bridge's ports, sorted. */
static char **member_names(json_t *rows, json_t *members) {
        char **names = xcalloc(1, sizeof(char *));
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
                const char *u = vc_ovsdb_uuid_str(json_object_get(row, "_uuid"));
                const char *n = json_string_value(json_object_get(row, "name"));
                if (u && n && json_object_get(members, u))
                        strv_push(&names, n);
        }
        qsort(names, strv_len(names), sizeof(char *), cmp_str);
        return names;
}

static int ovs_vlan_read(void *sess, int id, struct vc_vlan_state *out, char **err) {
        struct ovs_sess *s = sess;
        *out = (struct vc_vlan_state){0};
        int r = check_vlan(s, id, err);
        if (r < 0)
                return r;
        static const char *const cols[] = {"_uuid", "name", NULL};
        json_auto_t *ops = json_pack(
                "[o, o, o]", select_bridge(s),
                select_op("Port", json_pack("[[ss[s[i]]]]", "trunks", "includes", "set", id), cols),
                select_op("Port", json_pack("[[ssi]]", "tag", "==", id), cols));
        json_auto_t *res = NULL;
        r = vc_ovsdb_transact(s->db, ops, &res, err);
        if (r < 0)
                return sw_wrap(s, err, r);
        _cleanup_(view_clear) struct view v = {0};
        r = parse_bridge(s, rows_of(res, 0), &v, err);
        if (r < 0)
                return r;
        char key[32];
        const char *name = json_string_value(json_object_get(v.bridge_ids, vc_ovs_vlan_key(key, id)));
        out->exists = name != NULL;
        out->name = name ? xstrdup(name) : NULL;
        out->tagged = member_names(rows_of(res, 1), v.members);
        out->untagged = member_names(rows_of(res, 2), v.members);
        return 0;
}

static int ovs_vlan_list(void *sess, int **ids, size_t *n, char **err) {
        struct ovs_sess *s = sess;
        *ids = NULL;
        *n = 0;
        json_auto_t *ops = json_pack("[o]", select_bridge(s));
        json_auto_t *res = NULL;
        int r = vc_ovsdb_transact(s->db, ops, &res, err);
        if (r < 0)
                return sw_wrap(s, err, r);
        _cleanup_(view_clear) struct view v = {0};
        r = parse_bridge(s, rows_of(res, 0), &v, err);
        if (r == 0)
                vc_ovs_vlan_ids(v.bridge_ids, ids, n);
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
        .vlan_read = ovs_vlan_read,
        .vlan_list = ovs_vlan_list,
};
