/* gateway.h — what a site's gateway node does for a multi-site (stitched)
 * cluster, as journal steps, added by the prolog after the node's storage
 * steps and before its guests (l2steps.h builds them from the plan):
 *   l2.segment    namespace vcl-JOB-NODE with bridge br0, its veth lan0 ⇄
 *                 vcgJOB.SITE an access port (the site's VLAN) of the
 *                 node's OVS bridge (l2ext.h)
 *   l2.vxlan      the VXLAN tunnel to the other sites' gateways, in br0
 *   l2.openvpn    an OpenVPN tap to one peer gateway, in br0 (the job's
 *                 tunnel key from the ctx, struct vc_gateway_ctx in chap.h)
 *   cache.squid   at a remote site: the cluster's squid in vcl-JOB-NODE
 *                 intercepting the local guests' HTTP (cache.h)
 * The contracts of the steps are in l2ext.h and cache.h.
 */
#ifndef VC_GATEWAY_H
#define VC_GATEWAY_H

#include "journal.h"

/* Every gateway step kind, {NULL}-terminated. */
extern const struct vc_step_kind vc_gateway_step_kinds[];

#endif
