/* ops.h — the storage operations a job needs, run on the host that has the
 * storage: by vlanallocd itself when the storage host is the controller,
 * else by the storage agent (vcluster-storaged) on that host. Both call
 * vc_storage_op with the journal step's args, so the two paths cannot drift.
 *   volumes.create  args.place, args.volumes [{name, bytes}]: create each
 *   volumes.remove  the same volumes, removed (gone is fine), all attempted
 *   export.add      args.export {backend, control}, args.iqn, args.user,
 *                   args.initiators, args.luns [{lun, name}] served from
 *                   args.place; secret: the CHAP secret
 *   export.remove   args.iqn, args.user (gone is fine)
 * Errors say which volume or target and the tool's own words; the caller
 * adds the storage host.
 */
#ifndef VC_STORAGE_OPS_H
#define VC_STORAGE_OPS_H

#include <jansson.h>
#include <stdbool.h>

#include "volume.h"

/* vc_storage_op: run op with args here; 0 or -errno with *err. */
int vc_storage_op(const char *op, const json_t *args, const char *secret, char **err);
/* vc_storage_op_known: whether op is one of the operations above. */
bool vc_storage_op_known(const char *op);
/* vc_volume_path: where backend place keeps volume name (malloc'd): what an export serves. */
char *vc_volume_path(const struct vc_volume_place *p, const char *name);

#endif
