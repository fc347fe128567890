/* ovs_internal.h — shared by the two halves of the ovs driver: drv_ovs.c
 * (the session, its intent and commit) and ovs_read.c (reading the bridge:
 * vlan_read, vlan_list, and the Bridge row commit reads too).
 */
#ifndef VC_OVS_INTERNAL_H
#define VC_OVS_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "ovsdb.h"
#include "switch.h"

struct vc_ovs_op; /* one recorded operation; drv_ovs.c's business */

struct vc_ovs_sess {
        char *sw, *remote, *bridge, *owner;
        int timeout_ms;
        struct vc_ovsdb *db;
        struct vc_ovs_op *ops;
        size_t n_ops;
};

/* The Bridge row as read. */
struct vc_ovs_bridge {
        json_t *row;     /* raw row: _uuid, ports, external_ids */
        json_t *ids;     /* its external_ids as an object (commit changes it in place) */
        json_t *members; /* object: port uuid → true, the bridge's ports */
};

/* vc_ovs_fail: vc_fail with "switch 'SW': " before the text; returns r. */
#define vc_ovs_fail(s, err, r, fmt, ...) vc_fail((err), (r), "switch '%s': " fmt, (s)->sw, ##__VA_ARGS__)
/* vc_ovs_wrap: prefix a lower layer's *err (or strerror) with the switch's name; returns r. */
int vc_ovs_wrap(const struct vc_ovs_sess *s, char **err, int r);
/* vc_ovs_check_vlan: 0 when id is in 1-4094, else -EINVAL with *err. */
int vc_ovs_check_vlan(const struct vc_ovs_sess *s, int id, char **err);

/* vc_ovs_select: a "select" operation on table for the columns cols
 * (NULL-terminated); where is taken over. */
json_t *vc_ovs_select(const char *table, json_t *where, const char *const *cols);
/* vc_ovs_select_bridge: the select of the session's Bridge row, as
 * vc_ovs_bridge_parse wants it. */
json_t *vc_ovs_select_bridge(const struct vc_ovs_sess *s);
/* vc_ovs_rows: the "rows" of the select whose result is results[i] (borrowed). */
json_t *vc_ovs_rows(json_t *results, size_t i);
/* vc_ovs_bridge_parse: fill b from the rows of vc_ovs_select_bridge;
 * -ENOENT when the bridge does not exist, -EPROTO when malformed, with *err. */
int vc_ovs_bridge_parse(const struct vc_ovs_sess *s, json_t *rows, struct vc_ovs_bridge *b, char **err);
/* vc_ovs_bridge_clear: free what parse filled in (a zeroed b is fine). */
void vc_ovs_bridge_clear(struct vc_ovs_bridge *b);

/* The driver's vlan_read and vlan_list (switch.h), in ovs_read.c. */
int vc_ovs_vlan_read(void *sess, int id, struct vc_vlan_state *out, char **err);
int vc_ovs_vlan_list(void *sess, int **ids, size_t *n, char **err);

#endif
