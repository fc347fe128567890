/* steps.h — the journal steps that bring a node's guests up, built from the
 * node's plan (plan.json: its guests from guestplan.h, the site's VLAN, the
 * spec) and the config (image catalog, the node's NodeName= settings).
 * The prolog adds and runs them stage by stage (network, define, start) so
 * it can report each guest's phase between stages; the epilog undoes them.
 */
#ifndef VC_STEPS_H
#define VC_STEPS_H

#include <jansson.h>

#include "conf.h"
#include "journal.h"
#include "nodeplan.h"

/* The files of a guest in the node's job dir. */
struct vc_guest_files {
        char *console, *agent, *overlay; /* overlay NULL when the image has no disk */
};

/* vc_guest_files_get: the paths for guest name in dir; -ENAMETOOLONG with
 * *err when the agent socket path would not fit a unix socket address. */
int vc_guest_files_get(const char *dir, const char *name, bool disk, struct vc_guest_files *f, char **err);
/* vc_guest_files_clear: free the paths. */
void vc_guest_files_clear(struct vc_guest_files *f);

/* vc_node_add_net: the host network step of plan on this node. */
int vc_node_add_net(struct vc_journal *j, const struct vc_nodecfg *nc, const struct vc_nodeplan *plan, char **err);
/* vc_node_add_storage: the steps that make plan's volumes attachable on this
 * node, to run before guest.define with the job's CHAP secret in the
 * journal's ctx: IscsiAttach=qemu one storage.secret, IscsiAttach=host one
 * storage.iscsi; none without volumes. -EINVAL with *err when the volumes
 * cannot be attached as planned (host mode: several targets on one node, an
 * iface name too long). */
int vc_node_add_storage(struct vc_journal *j, const struct vc_nodecfg *nc, const struct vc_nodeplan *plan, char **err);
/* vc_node_add_define: one guest.define per guest of plan; -EINVAL with *err
 * for an unknown image or a guest whose paths or XML cannot be built. */
int vc_node_add_define(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodecfg *nc,
                       const struct vc_nodeplan *plan, const char *dir, char **err);
/* vc_node_add_start: one guest.start per guest of plan. */
int vc_node_add_start(struct vc_journal *j, const struct vc_nodecfg *nc, const struct vc_nodeplan *plan, char **err);

#endif
