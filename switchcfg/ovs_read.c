/* The read side of the ovs driver: what the switch holds, never the
 * session's pending intent. Reads are single read-only transactions, so they
 * neither bump next_cfg nor wait for ovs-vswitchd: the database is what we
 * compare against, and commit is what waits for the datapath. */
#include <errno.h>

#include "ovs_internal.h"
#include "ovs_port.h"
#include "util.h"

json_t *vc_ovs_select(const char *table, json_t *where, const char *const *cols) {
        json_t *c = json_array();
        for (; *cols; cols++)
                json_array_append_new(c, json_string(*cols));
        return json_pack("{s:s, s:s, s:o, s:o}", "op", "select", "table", table, "where", where, "columns", c);
}

json_t *vc_ovs_select_bridge(const struct vc_ovs_sess *s) {
        static const char *const cols[] = {"_uuid", "ports", "external_ids", NULL};
        return vc_ovs_select("Bridge", json_pack("[[sss]]", "name", "==", s->bridge), cols);
}

json_t *vc_ovs_rows(json_t *results, size_t i) { return json_object_get(json_array_get(results, i), "rows"); }

int vc_ovs_bridge_parse(const struct vc_ovs_sess *s, json_t *rows, struct vc_ovs_bridge *b, char **err) {
        json_t *row = json_array_get(rows, 0);
        if (!row)
                return vc_ovs_fail(s, err, -ENOENT, "bridge '%s' does not exist in ovsdb %s", s->bridge, s->remote);
        json_auto_t *ports = vc_ovsdb_set_elems(json_object_get(row, "ports"));
        b->ids = vc_ovsdb_map_object(json_object_get(row, "external_ids"));
        if (!ports || !b->ids || !vc_ovsdb_uuid_str(json_object_get(row, "_uuid")))
                return vc_ovs_fail(s, err, -EPROTO, "ovsdb %s: malformed Bridge row", s->remote);
        b->row = json_incref(row);
        b->members = json_object();
        size_t i;
        json_t *p;
        json_array_foreach(ports, i, p) {
                const char *u = vc_ovsdb_uuid_str(p);
                if (u)
                        json_object_set_new(b->members, u, json_true());
        }
        return 0;
}

void vc_ovs_bridge_clear(struct vc_ovs_bridge *b) {
        json_decref(b->row);
        json_decref(b->ids);
        json_decref(b->members);
        *b = (struct vc_ovs_bridge){0};
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The names of the rows whose uuid is one of the bridge's ports, sorted:
 * a select on Port sees every bridge's ports. */
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

int vc_ovs_vlan_read(void *sess, int id, struct vc_vlan_state *out, char **err) {
        struct vc_ovs_sess *s = sess;
        *out = (struct vc_vlan_state){0};
        int r = vc_ovs_check_vlan(s, id, err);
        if (r < 0)
                return r;
        static const char *const cols[] = {"_uuid", "name", NULL};
        json_auto_t *ops = json_pack(
                "[o, o, o]", vc_ovs_select_bridge(s),
                vc_ovs_select("Port", json_pack("[[ss[s[i]]]]", "trunks", "includes", "set", id), cols),
                vc_ovs_select("Port", json_pack("[[ssi]]", "tag", "==", id), cols));
        json_auto_t *res = NULL;
        r = vc_ovsdb_transact(s->db, ops, &res, err);
        if (r < 0)
                return vc_ovs_wrap(s, err, r);
        _cleanup_(vc_ovs_bridge_clear) struct vc_ovs_bridge b = {0};
        r = vc_ovs_bridge_parse(s, vc_ovs_rows(res, 0), &b, err);
        if (r < 0)
                return r;
        char key[32];
        const char *name = json_string_value(json_object_get(b.ids, vc_ovs_vlan_key(key, id)));
        out->exists = name != NULL;
        out->name = name ? xstrdup(name) : NULL;
        out->tagged = member_names(vc_ovs_rows(res, 1), b.members);
        out->untagged = member_names(vc_ovs_rows(res, 2), b.members);
        return 0;
}

int vc_ovs_vlan_list(void *sess, int **ids, size_t *n, char **err) {
        struct vc_ovs_sess *s = sess;
        *ids = NULL;
        *n = 0;
        json_auto_t *ops = json_pack("[o]", vc_ovs_select_bridge(s));
        json_auto_t *res = NULL;
        int r = vc_ovsdb_transact(s->db, ops, &res, err);
        if (r < 0)
                return vc_ovs_wrap(s, err, r);
        _cleanup_(vc_ovs_bridge_clear) struct vc_ovs_bridge b = {0};
        r = vc_ovs_bridge_parse(s, vc_ovs_rows(res, 0), &b, err);
        if (r == 0)
                vc_ovs_vlan_ids(b.ids, ids, n);
        return r;
}
