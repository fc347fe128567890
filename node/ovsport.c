#include "ovsport.h"

#include <errno.h>

#include "journal.h"
#include "log.h"
#include "ovsdb.h"
#include "util.h"

#define OVSDB_TIMEOUT_MS 10000

static int transact(const char *db, json_t *ops, json_t **res, char **err) {
        return vc_ovsdb_transact_at(db, OVSDB_TIMEOUT_MS, ops, res, err);
}


int vc_ovs_bridge_check(const char *db, const char *bridge, char **err) {
        _cleanup_(json_decrefp) json_t *ops = json_pack("[{s:s, s:s, s:o, s:[s]}]", "op", "select", "table",
                                                        "Bridge", "where", vc_ovsdb_where_name(bridge), "columns", "name");
        _cleanup_(json_decrefp) json_t *res = NULL;
        int r = transact(db, ops, &res, err);
        if (r < 0)
                return r;
        if (json_array_size(json_object_get(json_array_get(res, 0), "rows")) == 0) {
                *err = xasprintf("OVS bridge %s does not exist in %s (OvsBridge=)", bridge, db);
                return -ENODEV;
        }
        return 0;
}

int vc_ovs_port_mark(const char *db, const char *port, int64_t job, char **err) {
        _cleanup_free_ char *jid = xasprintf("%lld", (long long)job);
        _cleanup_(json_decrefp) json_t *ops =
                json_pack("[{s:s, s:s, s:o, s:[[s, s, [s, [[s, s]]]]]}]", "op", "mutate", "table", "Port", "where",
                          vc_ovsdb_where_name(port), "mutations", "external_ids", "insert", "map", VC_OVS_JOB_KEY, jid);
        _cleanup_(json_decrefp) json_t *res = NULL;
        int r = transact(db, ops, &res, err);
        if (r < 0)
                return r;
        if (json_integer_value(json_object_get(json_array_get(res, 0), "count")) < 1) {
                *err = xasprintf("OVS port %s does not exist in %s: libvirt did not add the guest's port", port, db);
                return -ENODEV;
        }
        return 0;
}

int vc_ovs_ports_remove(const char *db, const char *bridge, char *const *taps, unsigned *removed, char **err) {
        *removed = 0;
        _cleanup_(json_decrefp) json_t *ops = json_pack(
                "[{s:s, s:s, s:o, s:[s]}, {s:s, s:s, s:[], s:[s, s, s]}]", "op", "select", "table", "Bridge",
                "where", vc_ovsdb_where_name(bridge), "columns", "ports", "op", "select", "table", "Port", "where",
                "columns", "_uuid", "name", "external_ids");
        _cleanup_(json_decrefp) json_t *res = NULL;
        int r = transact(db, ops, &res, err);
        if (r < 0)
                return r;
        json_t *brows = json_object_get(json_array_get(res, 0), "rows");
        if (json_array_size(brows) == 0)
                return 0; /* no bridge, no port on it */
        _cleanup_(json_decrefp) json_t *on_bridge =
                vc_ovsdb_set_elems(json_object_get(json_array_get(brows, 0), "ports"));
        json_t *gone = json_array(), *row;
        size_t i, k;
        json_array_foreach(json_object_get(json_array_get(res, 1), "rows"), i, row) {
                const char *uuid = vc_ovsdb_uuid_str(json_object_get(row, "_uuid"));
                const char *name = json_string_value(json_object_get(row, "name"));
                bool ours = name && strv_contains(taps, name);
                json_t *u;
                bool present = false;
                json_array_foreach(on_bridge, k, u) {
                        const char *us = vc_ovsdb_uuid_str(u);
                        present |= uuid && us && streq(us, uuid);
                }
                if (ours && present) {
                        json_array_append_new(gone, json_pack("[s,s]", "uuid", uuid));
                        log_info("OVS port %s left on %s: removing it", name, bridge);
                }
        }
        *removed = (unsigned)json_array_size(gone);
        if (*removed == 0) {
                json_decref(gone);
                return 0;
        }
        _cleanup_(json_decrefp) json_t *del = json_pack("[{s:s, s:s, s:o, s:[[s, s, [s, o]]]}]", "op", "mutate",
                                                        "table", "Bridge", "where", vc_ovsdb_where_name(bridge), "mutations",
                                                        "ports", "delete", "set", gone);
        _cleanup_(json_decrefp) json_t *res2 = NULL;
        return transact(db, del, &res2, err);
}

/* net.ovs — args {db, bridge, taps: [string]}, parsed once for do and undo. */
struct net_ovs_args {
        const char *db, *bridge; /* borrowed from the step's args */
        char **taps;             /* the guests' ports (strv: net_ovs_clear) */
};

static void net_ovs_clear(struct net_ovs_args *a) { strv_free(TAKE_PTR(a->taps)); }

static int net_ovs_parse(const json_t *args, struct net_ovs_args *a, char **err) {
        *a = (struct net_ovs_args){.db = vc_step_arg(args, "db"), .bridge = vc_step_arg(args, "bridge")};
        json_t *taps = json_object_get(args, "taps"), *t;
        if (!a->db || !a->bridge || (taps && !json_is_array(taps)))
                return vc_fail(err, -EINVAL, "net.ovs: needs \"db\", \"bridge\" and \"taps\" (an array of names)");
        size_t i;
        json_array_foreach(taps, i, t) {
                if (!json_is_string(t)) {
                        net_ovs_clear(a);
                        return vc_fail(err, -EINVAL, "net.ovs: taps[%zu] is not a string", i);
                }
                strv_push(&a->taps, json_string_value(t));
        }
        return 0;
}

int vc_net_ovs_do(void *ctx, json_t *args, char **err) {
        _cleanup_(net_ovs_clear) struct net_ovs_args a = {0};
        int r = net_ovs_parse(args, &a, err);
        if (r < 0)
                return vc_step_untouched(r);
        /* Only a check: nothing changed, so a failure owes no undo. */
        r = vc_ovs_bridge_check(a.db, a.bridge, err);
        return r < 0 ? vc_step_untouched(r) : 0;
}

int vc_net_ovs_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(net_ovs_clear) struct net_ovs_args a = {0};
        int r = net_ovs_parse(args, &a, err);
        if (r < 0)
                return r;
        unsigned n;
        return vc_ovs_ports_remove(a.db, a.bridge, a.taps, &n, err);
}

int vc_ovs_job_port_add(const char *db, const char *bridge, const char *port, int tag, int64_t job, char **err) {
        _cleanup_free_ char *jid = xasprintf("%lld", (long long)job);
        /* wait: a port of that name must not exist (another's, or a lost run's: undo removes it first) */
        _cleanup_(json_decrefp) json_t *ops = json_pack(
                "[{s:s, s:s, s:o, s:[s], s:s, s:[], s:i},"
                " {s:s, s:s, s:{s:s}, s:s},"
                " {s:s, s:s, s:{s:s, s:[s,s], s:i, s:[s,[[s,s]]]}, s:s},"
                " {s:s, s:s, s:o, s:[[s,s,[s,[[s,s]]]]]}]",
                "op", "wait", "table", "Port", "where", vc_ovsdb_where_name(port), "columns", "name", "until", "==",
                "rows", "timeout", 0, "op", "insert", "table", "Interface", "row", "name", port, "uuid-name", "vciface",
                "op", "insert", "table", "Port", "row", "name", port, "interfaces", "named-uuid", "vciface", "tag", tag,
                "external_ids", "map", VC_OVS_JOB_KEY, jid, "uuid-name", "vcport", "op", "mutate", "table", "Bridge",
                "where", vc_ovsdb_where_name(bridge), "mutations", "ports", "insert", "set", "named-uuid", "vcport");
        if (!ops)
                abort();
        _cleanup_(json_decrefp) json_t *res = NULL;
        int r = transact(db, ops, &res, err);
        if (r == -EAGAIN) {
                free(*err);
                return vc_fail(err, -EEXIST, "OVS port %s already exists in %s", port, db);
        }
        if (r < 0)
                return r;
        if (json_integer_value(json_object_get(json_array_get(res, 3), "count")) < 1)
                return vc_fail(err, -ENODEV, "OVS bridge %s does not exist in %s (OvsBridge=)", bridge, db);
        return 0;
}
