/* userops.h — the requests behind the user's `vcluster` command and the
 * node prologs' reports, answered by vlanallocd:
 *   node_phase {job,node,phase,detail?}  a node says how far it got;
 *                                        root and SlurmUser only
 *   status {job?}                        a cluster's VLANs, nodes and phase;
 *                                        a user sees only their own jobs (and
 *                                        "not yours" reads like "no such
 *                                        job"), admins and operators all
 * Without "job", status lists the caller's active clusters (every active
 * cluster for admins and operators).
 */
#ifndef VC_USEROPS_H
#define VC_USEROPS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct vc_alloc;

/* vc_userops_handle: the reply to op, or NULL when op is not one of these. */
json_t *vc_userops_handle(struct vc_alloc *a, const char *op, const json_t *req, uid_t uid, bool operator_,
                          bool admin);

#endif
