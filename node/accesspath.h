/* accesspath.h — the step net.access: the job's access path on this
 * node (lib/access.h): the access namespace on the job's VLAN and the
 * forwarder in it, running as the job's user. Args are documented in
 * accesspath.c; vc_node_add_access builds them from the node's plan.
 */
#ifndef VC_NODE_ACCESSPATH_H
#define VC_NODE_ACCESSPATH_H

#include <jansson.h>

#include "conf.h"
#include "journal.h"
#include "nodeplan.h"

/* vc_access_do: the namespace, its port on the bridge, the user's socket directory and the forwarder; 0 or -errno with *err. */
int vc_access_do(void *ctx, json_t *args, char **err);
/* vc_access_undo: the forwarder stopped, the directory, port, veth and namespace gone; 0 also when already gone. */
int vc_access_undo(void *ctx, json_t *args, char **err);
/* vc_node_add_access: the net.access step of plan (HostNet=ovs, a cloud-init
 * image) for the user uid/gid, with the node's job dir dir; -EINVAL or
 * -ERANGE with *err when the plan leaves no address or name for it. */
int vc_node_add_access(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodecfg *nc,
                       const struct vc_nodeplan *plan, const char *dir, json_int_t uid, json_int_t gid,
                       char **err);

/* vc_console_do: each guest's console log given to the job's user and linked into the access dir (accesspath.c). */
int vc_console_do(void *ctx, json_t *args, char **err);
/* vc_console_undo: the links gone; 0 also when they are. */
int vc_console_undo(void *ctx, json_t *args, char **err);
/* vc_node_add_console: the user.console step for plan's guests on this node,
 * whose logs are in the node's job dir dir (after guest.start). */
int vc_node_add_console(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodeplan *plan, const char *dir,
                        char **err);

#endif
