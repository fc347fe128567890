/* ovs_port.h — what the ovs driver does to one Port row, as pure functions
 * over its tag, trunks and external_ids (no I/O, so unit tests see every
 * rule).
 *
 * Open vSwitch has no VLAN objects. A VLAN is a member of a port when:
 *   tagged   — the port trunks it: ID in `trunks`;
 *   untagged — the port is its access port: `tag=ID`.
 * Our marks on the port's external_ids say what is ours to undo:
 *   vcluster-vlan-ID=JOB      the job that put VLAN ID on this port
 *   vcluster-job=J1,J2        every job using the port (uplinks carry several)
 *   vcluster-prev-tag=T|none  the tag the port had before we made it an access port
 *   vcluster-kept-ID=trunk    ID was already in the admin's trunks: keep it on removal
 *
 * THE OVS GOTCHA: a port with no tag and an empty `trunks` carries EVERY VLAN.
 * Adding a VLAN to such a port makes it trunks={ID}, so it carries only that
 * VLAN. Removing restores what the admin had, except that a result of "no
 * tag, empty trunks" becomes trunks={4095}: 4095 is reserved by 802.1Q, so
 * the port then carries nothing, instead of silently carrying everything.
 * Adding to a port whose trunks are exactly {4095} drops the 4095 again.
 * Example: admin trunks=[10] → add 101 → [10,101] → remove 101 → [10];
 * trunks=[] → add 101 → [101] → remove 101 → [4095].
 *
 * A port is an access port of one of our VLANs or a trunk of ours, never
 * both: OVS ignores `trunks` on a port with a tag, so mixing would silently
 * drop a VLAN. Such requests, and tagging a port the admin made an access
 * port (or the reverse), are refused with -EBUSY and a reason.
 */
#ifndef VC_OVS_PORT_H
#define VC_OVS_PORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "switch.h"

#define VC_OVS_NO_VLAN 4095 /* reserved by 802.1Q: trunks={4095} carries nothing */

struct vc_ovs_port {
        char *name, *uuid;
        char *vlan_mode;        /* NULL when unset (OVS picks access or trunk) */
        int tag;                /* -1: no tag */
        uint64_t trunks[4096 / 64];
        json_t *ids;            /* external_ids, an object of strings */
};

/* vc_ovs_port_parse: fill p from a Port row with columns _uuid, name, tag,
 * trunks, vlan_mode, external_ids; -EPROTO with *err when malformed. */
int vc_ovs_port_parse(json_t *row, struct vc_ovs_port *p, char **err);
/* vc_ovs_port_clear: free what parse filled in. */
void vc_ovs_port_clear(struct vc_ovs_port *p);
/* vc_ovs_port_row: the columns we write (tag, trunks, external_ids) as OVSDB datums. */
json_t *vc_ovs_port_row(const struct vc_ovs_port *p);

/* vc_ovs_port_add: make the port a tagged or untagged member of VLAN id for
 * job; already a member the same way: no change, 0. -EBUSY with *err when the
 * port's configuration does not allow it. */
int vc_ovs_port_add(struct vc_ovs_port *p, int id, enum vc_port_mode mode, const char *job, char **err);
/* vc_ovs_port_remove: undo what vc_ovs_port_add did for VLAN id (found from
 * our marks); nothing of ours for id: no change. */
void vc_ovs_port_remove(struct vc_ovs_port *p, int id);
/* vc_ovs_port_carries_all: whether the port carries every VLAN (the gotcha). */
bool vc_ovs_port_carries_all(const struct vc_ovs_port *p);

/* vc_ovs_trunk_has / vc_ovs_trunk_set: one bit of a trunks bitmap. */
bool vc_ovs_trunk_has(const struct vc_ovs_port *p, int id);
void vc_ovs_trunk_set(struct vc_ovs_port *p, int id, bool on);

/* vc_ovs_vlan_key: "vcluster-vlan-ID" into buf (at least 32 bytes). */
const char *vc_ovs_vlan_key(char *buf, int id);
/* vc_ovs_vlan_ids: the ids of the vcluster-vlan-ID keys of an external_ids
 * object, ascending (*ids malloc'd, may be NULL when *n is 0). */
void vc_ovs_vlan_ids(json_t *ids_obj, int **ids, size_t *n);

#endif
