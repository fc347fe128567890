/* l2int.h — what the files of the three l2 steps share (l2ext.h is their
 * contract): the args every step reads, the links of the cluster
 * namespace, the segment's port on the OVS bridge.
 */
#ifndef VC_L2INT_H
#define VC_L2INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "l2ext.h"
#include "nl.h"

/* What every step's args name; which members are used depends on the step. */
struct l2args {
        const char *kind;
        int64_t job;
        const char *netns, *ovs_db, *ovs_bridge, *ovs_netns, *port, *address;
        int vlan;
        const char *wan_netns, *local, *remote, *dev, *dir;
        bool hub;       /* l2.openvpn: the TLS server of the star */
        long long spoke; /* l2.openvpn: which spoke this tunnel joins (1…); 0 when not given */
        char **remotes;
        int family; /* of local */
        long long vni, udp_port;
};

/* vc_l2args_done: free what an args parser filled in. */
void vc_l2args_done(struct l2args *a);
/* vc_l2_segment_args: l2.segment's args into *a; -EINVAL with *err naming the bad one. */
int vc_l2_segment_args(const json_t *args, struct l2args *a, char **err);
/* vc_l2_vxlan_args: l2.vxlan's args likewise. */
int vc_l2_vxlan_args(const json_t *args, struct l2args *a, char **err);
/* vc_l2_openvpn_args: l2.openvpn's args likewise (role and spoke optional: undo does without them). */
int vc_l2_openvpn_args(const json_t *args, struct l2args *a, char **err);
/* vc_l2_need_ns: namespace ns exists, else -ENOENT with *err (what names the argument). */
int vc_l2_need_ns(const struct l2args *a, const char *ns, const char *what, char **err);

/* vc_l2_link_up: name (in c's namespace, must exist) is up. */
int vc_l2_link_up(struct vc_nl *c, const char *name, char **err);
/* vc_l2_link_delete: name is gone from c's namespace; only a link of kind
 * (NULL: any) is deleted, another is left with a warning. 0 when it is not there. */
int vc_l2_link_delete(struct vc_nl *c, const char *name, const char *kind, char **err);
/* vc_l2_join_bridge: link (in c's namespace) is a port of br0 and up. */
int vc_l2_join_bridge(struct vc_nl *c, const char *link, char **err);

/* vc_l2_ovs_port_add: a's port is on its OVS bridge with tag vlan and the
 * job's mark; *made when this call added it. */
int vc_l2_ovs_port_add(const struct l2args *a, bool *made, char **err);
/* vc_l2_ovs_port_remove: a's port is on no bridge any more, when it is this job's. */
int vc_l2_ovs_port_remove(const struct l2args *a, char **err);

#endif
