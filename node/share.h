/* share.h — what the node's plan says of the job's user and directory for
 * its guests, found once by the prolog before any step runs:
 *   "gid"    the job's user's primary group: with "uid", the DAC label QEMU
 *            runs under (domxml.h) and the owner of the job's files
 *   "share"  the job's working directory (Slurm's WorkDir, sbatch -D), which
 *            every guest mounts at the same path over virtio-9p: only for a
 *            Context=cloud-init image (cloud-init mounts it) and unless the
 *            spec says share=no
 * The directory must be there on the node, a directory: a node where it is
 * not fails the prolog saying so (and that share=no runs without it).
 */
#ifndef VC_SHARE_H
#define VC_SHARE_H

#include <jansson.h>

#include "conf.h"
#include "hook.h"
#include "nodeplan.h"

/* vc_bringup_share: plan's gid and, when the job has one, share; 0, or
 * -errno with *err naming what is missing. */
int vc_bringup_share(const struct vc_hook_env *e, const struct vc_conf *c, struct vc_nodeplan *plan, char **err);

#endif
