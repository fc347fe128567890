/* iscsi.h — how a node attaches its guests' volumes (plan entry "volume" of
 * a guest, guestplan.h): LUN n of the job's target, logged in with the
 * job's CHAP account and the node's own initiator name of the job.
 *
 * IscsiAttach=qemu (default): QEMU logs in itself (libiscsi). The CHAP
 * secret goes to libvirt as a secret object (step "storage.secret",
 * secret.c): ephemeral (never written to disk by libvirtd), private (no API
 * reads it back), looked up by its usage name "vcluster-JOB-NODE" — unique
 * per libvirtd even when several slurmd of one job share a host. libvirt
 * hands it to QEMU encrypted with the domain's master key (-object secret
 * with data=, keyid=), never in clear on a command line.
 *
 * IscsiAttach=host: open-iscsi on the node (step "storage.iscsi", iscsi.c):
 * an iface "vc-JOB-NODE" carrying the initiator name, a node record per
 * target bound to it (portal group tag 1: tgt's and LIO's first TPG), CHAP
 * settings; the password is written into the record file (root-only, as
 * iscsiadm keeps it) by us, never passed to iscsiadm on a command line; one
 * login per record unless a session is already there; the guest gets the
 * udev by-path block device. Needs iscsid and the iscsi_tcp kernel module.
 */
#ifndef VC_NODE_ISCSI_H
#define VC_NODE_ISCSI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The target portal group tag node records name: tgt's and LIO's first TPG. */
#define VC_ISCSI_TPGT 1
/* The longest CHAP secret initiators accept (open-iscsi's AUTH_STR_MAX_LEN - 1). */
#define VC_ISCSI_SECRET_MAX 255

/* vc_iscsi_secret_usage: the libvirt secret's usage name for job on node, "vcluster-JOB-NODE" (malloc'd). */
char *vc_iscsi_secret_usage(int64_t job, const char *node);
/* vc_iscsi_iface_name: the open-iscsi iface of job on node, "vc-JOB-NODE" with
 * the node lowered and [^a-z0-9.-] made '-' (malloc'd); NULL when longer
 * than open-iscsi allows (64). */
char *vc_iscsi_iface_name(int64_t job, const char *node);
/* vc_iscsi_by_path: the udev name of LUN lun of iqn at portal,
 * "/dev/disk/by-path/ip-PORTAL-iscsi-IQN-lun-N" (malloc'd). */
char *vc_iscsi_by_path(const char *portal, const char *iqn, long long lun);
/* vc_iscsi_secret_ok: whether s can be a CHAP secret here: 1..VC_ISCSI_SECRET_MAX
 * printable characters without blanks (so a record line carries it as is). */
bool vc_iscsi_secret_ok(const char *s);
/* vc_iscsi_session_listed: whether the output of `iscsiadm -m session -P 1`
 * lists a session of target iqn at portal (ADDR:PORT) on iface. */
bool vc_iscsi_session_listed(const char *listing, const char *iqn, const char *portal, const char *iface);
/* vc_iscsi_record_with_password: the node record text with exactly one line
 * "node.session.auth.password = SECRET" (before "# END RECORD" when there is
 * one), every other password line dropped (malloc'd; wipe it after use). */
char *vc_iscsi_record_with_password(const char *record, const char *secret);
/* vc_iscsi_record_password: store secret in the node record of iqn at portal
 * on iface (found under the open-iscsi database, /etc/iscsi or
 * /var/lib/iscsi), rewritten atomically with mode 0600; 0 or -errno with
 * *err naming the record, never the secret. */
int vc_iscsi_record_password(const char *iqn, const char *portal, const char *iface, const char *secret,
                             char **err);

/* The steps (args documented in iscsi.c and secret.c). The secret both
 * need comes from the journal's ctx (struct vc_node_ctx, chap). */
int vc_storage_secret_do(void *ctx, json_t *args, char **err);
int vc_storage_secret_undo(void *ctx, json_t *args, char **err);
int vc_storage_iscsi_do(void *ctx, json_t *args, char **err);
int vc_storage_iscsi_undo(void *ctx, json_t *args, char **err);

#endif
