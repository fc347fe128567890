/* storage_step.h — the controller's journal steps for a job's storage, one
 * of each per storage host the job uses, in this order:
 *   storage.chap     the job's CHAP secret file (chap_file.h)
 *   storage.volumes  one volume per guest of the sites on that host
 *   storage.export   one target with a LUN per volume, the CHAP account and
 *                    the ACL of the job's nodes' initiator names
 * Undo runs in reverse: unexport, remove the volumes, remove the secret.
 * Args (copied from config at acquire, so undo never depends on it):
 *   {storage, host, agent: "HOST:PORT" | absent when the controller is the
 *    storage host, job, place:{backend, vg?, thin_pool?, dir?},
 *    volumes:[{name, bytes}]}                                 (volumes)
 *   {… , export:{backend, control}, iqn, user, secret_file, initiators:[…],
 *    luns:[{lun, name}]}                                       (export)
 * A remote step is one request to the agent ({op:"storage", do:OP,
 * args:ARGS, secret?:CRED}); the secret travels only inside a munge
 * credential that root alone can open (auth.h). A request that could not
 * be sent leaves the step untouched (no undo owed to an unreachable host).
 * Errors read "storage 'NAME' on HOST: …".
 */
#ifndef VC_STORAGE_STEP_H
#define VC_STORAGE_STEP_H

#include <jansson.h>

/* What every storage step needs from the controller: handed in as journal ctx. */
struct vc_storage_ctx {
        const char *munge_socket; /* NULL: libmunge's default */
};

/* The "storage.volumes" step. */
int vc_storage_volumes_do(void *ctx, json_t *args, char **err);
int vc_storage_volumes_undo(void *ctx, json_t *args, char **err);
/* The "storage.export" step. */
int vc_storage_export_do(void *ctx, json_t *args, char **err);
int vc_storage_export_undo(void *ctx, json_t *args, char **err);

#endif
