/* l2ovs.c — the segment's port on the node's OVS bridge, spoken over OVSDB (ovsdb.h). */
#include "l2int.h"

#include <errno.h>

#include "log.h"
#include "ovsdb.h"
#include "util.h"

#define OVSDB_TIMEOUT_MS 10000

static int ovs_transact(const char *db, json_t *ops, json_t **res, char **err) {
        return vc_ovsdb_transact_at(db, OVSDB_TIMEOUT_MS, ops, res, err);
}

/* port_row: the Port row named port (new reference in *row, NULL when none). */
static int port_row(const char *db, const char *port, json_t **row, char **err) {
        *row = NULL;
        _cleanup_(json_decrefp) json_t *ops = json_pack("[{s:s, s:s, s:o, s:[s,s]}]", "op", "select", "table", "Port",
                                                        "where", vc_ovsdb_where_name(port), "columns", "_uuid",
                                                        "external_ids");
        _cleanup_(json_decrefp) json_t *res = NULL;
        int r = ovs_transact(db, ops, &res, err);
        if (r < 0)
                return r;
        *row = json_incref(json_array_get(json_object_get(json_array_get(res, 0), "rows"), 0));
        return 0;
}

/* row_job: the port row's external_ids:vcluster-job (malloc'd), or NULL. */
static char *row_job(json_t *row) {
        _cleanup_(json_decrefp) json_t *ids = vc_ovsdb_map_object(json_object_get(row, "external_ids"));
        const char *j = json_string_value(json_object_get(ids, VC_OVS_JOB_KEY));
        return j ? xstrdup(j) : NULL;
}

/* vc_l2_ovs_port_add: port is on bridge with tag vlan and the job's mark; *made when this call added it. */
int vc_l2_ovs_port_add(const struct l2args *a, bool *made, char **err) {
        _cleanup_free_ char *jid = xasprintf("%lld", (long long)a->job);
        for (int attempt = 0;; attempt++) {
                _cleanup_(json_decrefp) json_t *row = NULL;
                int r = port_row(a->ovs_db, a->port, &row, err);
                if (r < 0)
                        return r;
                _cleanup_(json_decrefp) json_t *ops = NULL;
                if (row) {
                        _cleanup_free_ char *owner = row_job(row);
                        if (!owner || !streq(owner, jid)) {
                                *err = xasprintf("OVS port %s already exists in %s and is not job %s's "
                                                 "(external_ids:%s=%s)",
                                                 a->port, a->ovs_db, jid, VC_OVS_JOB_KEY, owner ? owner : "none");
                                return -EEXIST;
                        }
                        /* ours from an earlier run: make it what it should be */
                        json_t *uuid = json_object_get(row, "_uuid");
                        ops = json_pack("[{s:s, s:s, s:o, s:{s:i}}, {s:s, s:s, s:o, s:[[s,s,[s,[O]]]]}]", "op",
                                        "update", "table", "Port", "where",
                                        json_pack("[[s,s,O]]", "_uuid", "==", uuid), "row", "tag", a->vlan, "op",
                                        "mutate", "table", "Bridge", "where", vc_ovsdb_where_name(a->ovs_bridge), "mutations",
                                        "ports", "insert", "set", uuid);
                } else {
                        ops = json_pack(
                                "[{s:s, s:s, s:o, s:[s], s:s, s:[], s:i},"
                                " {s:s, s:s, s:{s:s}, s:s},"
                                " {s:s, s:s, s:{s:s, s:[s,s], s:i, s:[s,[[s,s]]]}, s:s},"
                                " {s:s, s:s, s:o, s:[[s,s,[s,[[s,s]]]]]}]",
                                "op", "wait", "table", "Port", "where", vc_ovsdb_where_name(a->port), "columns", "name",
                                "until", "==", "rows", "timeout", 0,
                                "op", "insert", "table", "Interface", "row", "name", a->port, "uuid-name", "vciface",
                                "op", "insert", "table", "Port", "row", "name", a->port, "interfaces", "named-uuid",
                                "vciface", "tag", a->vlan, "external_ids", "map", VC_OVS_JOB_KEY, jid, "uuid-name", "vcport",
                                "op", "mutate", "table", "Bridge", "where", vc_ovsdb_where_name(a->ovs_bridge), "mutations",
                                "ports", "insert", "set", "named-uuid", "vcport");
                }
                if (!ops)
                        abort();
                _cleanup_(json_decrefp) json_t *res = NULL;
                r = ovs_transact(a->ovs_db, ops, &res, err);
                if (r == -EAGAIN && attempt == 0) {
                        free(*err); /* the port appeared meanwhile: look again */
                        *err = NULL;
                        continue;
                }
                if (r < 0)
                        return r;
                json_t *mut = json_array_get(res, json_array_size(res) - 1);
                if (json_integer_value(json_object_get(mut, "count")) < 1) {
                        /* a new Port nothing refers to is dropped by the commit */
                        *err = xasprintf("OVS bridge %s does not exist in %s", a->ovs_bridge, a->ovs_db);
                        return -ENODEV;
                }
                *made = !row;
                return 0;
        }
}

/* vc_l2_ovs_port_remove: port is on no bridge any more, when it is this job's. */
int vc_l2_ovs_port_remove(const struct l2args *a, char **err) {
        _cleanup_(json_decrefp) json_t *row = NULL;
        int r = port_row(a->ovs_db, a->port, &row, err);
        if (r < 0 || !row)
                return r;
        _cleanup_free_ char *owner = row_job(row), *jid = xasprintf("%lld", (long long)a->job);
        if (!owner || !streq(owner, jid)) {
                log_warning("OVS port %s in %s is not job %s's (external_ids:%s=%s): leaving it", a->port, a->ovs_db,
                            jid, VC_OVS_JOB_KEY, owner ? owner : "none");
                return 0;
        }
        json_t *uuid = json_object_get(row, "_uuid");
        /* Every bridge that has it lets it go; a Port nothing refers to is deleted. */
        _cleanup_(json_decrefp) json_t *ops =
                json_pack("[{s:s, s:s, s:[[s,s,[s,[O]]]], s:[[s,s,[s,[O]]]]}]", "op", "mutate", "table", "Bridge",
                          "where", "ports", "includes", "set", uuid, "mutations", "ports", "delete", "set", uuid);
        if (!ops)
                abort();
        _cleanup_(json_decrefp) json_t *res = NULL;
        if ((r = ovs_transact(a->ovs_db, ops, &res, err)) < 0)
                return r;
        log_debug("removed OVS port %s", a->port);
        return 0;
}
