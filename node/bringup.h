/* bringup.h — a node's part of a virtual-cluster job, brought up and torn
 * down as one unit: the prolog (node context) calls vc_node_bringup, and
 * both its failure path and the epilog call vc_node_teardown, so a node is
 * undone one way whoever undoes it.
 *
 * Bring-up, stage by stage through the node's journal (node.h, steps.h):
 * this node's plan recorded (node.plan), on a stitched job's gateway the
 * tunnel to the other sites and the cache (the caller's links), then, when
 * the job names an image, the host network, the guests' volumes, their
 * cloud-init seeds, the domains defined, started and waited for, reporting
 * every guest's phase to vlanallocd on the way.
 *
 * node/ does not see the gateway's folder: the caller, which links both,
 * passes the gateway's steps in (struct vc_node_links).
 */
#ifndef VC_BRINGUP_H
#define VC_BRINGUP_H

#include <jansson.h>

#include "conf.h"
#include "hook.h"
#include "jobplan.h"
#include "journal.h"
#include "nodeplan.h"

/* The gateway's part (gateway/l2steps.h, gateway/gateway.h), as its caller links it. */
struct vc_node_links {
        /* the gateway's step kinds, joined to the node's in the node's journal */
        const struct vc_step_kind *kinds;
        /* the node plan's tunnel for the job's site at index (*out NULL: none); -EINVAL with *err */
        int (*plan)(const struct vc_jobplan *job, size_t index, struct vc_nodeplan_l2 **out, char **err);
        /* how many tunnel steps plan asks for (0: not a stitched job's gateway) */
        size_t (*tunnels)(const struct vc_nodeplan *plan);
        /* whether they are OpenVPN (the job's key must be in the ctx) */
        bool (*openvpn)(const struct vc_nodeplan *plan);
        /* journal the gateway's steps for plan */
        int (*add)(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodecfg *nc,
                   const struct vc_nodeplan *plan, const char *dir, char **err);
};

/* vc_node_bringup: bring this node's part of job (vlanallocd's plan, already
 * checked against c: plancheck.h) up; 0 with the node reported ready, or 1
 * when it failed: logged, reported failed, and this node's journal undone
 * (vc_node_teardown). */
int vc_node_bringup(const struct vc_hook_env *e, const struct vc_conf *c, const struct vc_node_links *links,
                    const json_t *job);

/* vc_node_teardown: undo node's journal of job (steps of the node's kinds
 * and more_kinds, the gateway's) in reverse and remove its state dir; 0
 * (also when nothing was recorded), or -errno with *err: the node is left
 * as it is for an admin (the journal keeps what is left). */
int vc_node_teardown(const struct vc_conf *c, const char *node, int64_t job,
                     const struct vc_step_kind *more_kinds, char **err);

/* vc_node_report: tell vlanallocd this node's phase of job (detail and
 * guests, {name: phase}, taken, may be NULL); best effort: a lost report
 * only keeps `vcluster wait` waiting, it must not fail a working node. */
void vc_node_report(const struct vc_hook_env *e, const struct vc_conf *c, const char *phase, const char *detail,
                    json_t *guests, const char *cpus);

/* vc_node_call_patiently: vc_client_call for this node's hook, tried again
 * while vlanallocd cannot be reached or is busy for a while (a node prolog
 * that fails drains its node, which a moment's outage should not do). */
int vc_node_call_patiently(const struct vc_hook_env *e, const struct vc_conf *c, const json_t *req, json_t **reply,
                           char **err);

#endif
