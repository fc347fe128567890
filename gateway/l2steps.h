/* l2steps.h — the steps a stitched job's gateway node adds for its site:
 * the cluster's namespace and its port on the site's switch (l2.segment),
 * the tunnel to the other sites (one l2.vxlan, or one l2.openvpn per peer:
 * the first site's gateway is the hub, each other site's a spoke), and at a
 * site other than the first, the cluster's squid (cache.squid). Built from
 * the node's plan ("l2": what vlanallocd decided for every site) and the
 * node's NodeName= settings; the step contracts are in l2ext.h and cache.h.
 */
#ifndef VC_L2STEPS_H
#define VC_L2STEPS_H

#include <jansson.h>

#include "conf.h"
#include "jobplan.h"
#include "journal.h"
#include "nodeplan.h"

/* vc_node_l2_plan: a gateway's tunnel for the node plan (nodeplan.h) from
 * the job (as vlanallocd's show returns it) and the gateway's site index,
 * into *out (malloc'd: vc_nodeplan_l2_free; NULL when the job is not
 * stitched over a tunnel); -EINVAL with *err when its plan lacks the
 * tunnel's port or a gateway's WAN address. */
int vc_node_l2_plan(const struct vc_jobplan *job, size_t index, struct vc_nodeplan_l2 **out, char **err);
/* vc_node_l2_tunnels: how many tunnel steps the gateway's plan asks for (0: none, not a gateway of a stitched job). */
size_t vc_node_l2_tunnels(const struct vc_nodeplan *plan);
/* vc_node_l2_openvpn: whether plan's tunnels are OpenVPN (they need the job's key in the ctx). */
bool vc_node_l2_openvpn(const struct vc_nodeplan *plan);
/* vc_node_add_l2: the gateway's steps for plan (none when it asks for no
 * tunnel); dir is the node's job dir (OpenVPN's files, the cache). -EINVAL
 * with *err for a plan or config these steps cannot be built from. */
int vc_node_add_l2(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodecfg *nc,
                   const struct vc_nodeplan *plan, const char *dir, char **err);

#endif
