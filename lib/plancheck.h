/* plancheck.h — a node's check that a job plan fits vcluster.conf.
 *
 * The node prolog acts as root on what vlanallocd's `show` returns: which
 * VLAN its guests' ports get, which addresses its tunnels talk to. A reply
 * authenticated as coming from the controller is still checked against the
 * node's own copy of the configuration, so that neither an impostor on the
 * controller's port nor a controller bug can make a node configure a VLAN,
 * a tunnel peer or a node the site never declared. Pure logic; no I/O.
 */
#ifndef VC_PLANCHECK_H
#define VC_PLANCHECK_H

#include <jansson.h>
#include <stdint.h>

#include "conf.h"

/* vc_plan_check: 0 when plan (a `show` reply's "job") is job's, every site
 * of it is a configured site whose VLAN lies in its VlanIds=, its nodes are
 * that site's and (when job_nodes, a hostlist, is given) the job's, its
 * gateway is one of them, the VNI lies in VniRange= and each gateway's WAN
 * address is its WanAddr=; else -EINVAL and *err says which field is wrong. */
int vc_plan_check(const struct vc_conf *c, const json_t *plan, int64_t job, const char *job_nodes, char **err);

#endif
