/* iscsiname.h — the names a job's storage goes by, computed the same way on
 * the controller (which creates and exports them) and on the nodes (which
 * attach them), from the storage's IqnBase, the job id, node and guest names:
 *   target     BASE:target.JOB        one per job and storage host
 *   initiator  BASE:JOB.NODE          per job and node: the target's ACL
 *                                     names exactly the job's nodes, so one
 *                                     job's initiator never sees another's target
 *   user       vcluster-JOB           the job's CHAP account
 *   volume     vc-JOB-GUEST           the guest's logical volume or file
 * Node names are lowered and any character an IQN cannot carry becomes '-'.
 */
#ifndef VC_ISCSINAME_H
#define VC_ISCSINAME_H

#include <stdint.h>

/* vc_iqn_target: the job's target IQN (malloc'd). */
char *vc_iqn_target(const char *base, int64_t job);
/* vc_iqn_initiator: the initiator IQN node uses for job (malloc'd). */
char *vc_iqn_initiator(const char *base, int64_t job, const char *node);
/* vc_chap_user: the job's CHAP user name (malloc'd). */
char *vc_chap_user(int64_t job);
/* vc_volume_name: the volume of guest in job (malloc'd). */
char *vc_volume_name(int64_t job, const char *guest);

#endif
