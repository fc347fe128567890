/* node.h — what a compute node does for its guests, as journal steps.
 *
 * Every step is a (do, undo) pair over the node's journal (nodestate.h);
 * its args hold everything both need (URIs, names, paths), never re-read
 * from the config, so an epilog under a changed config still undoes what
 * was done. The kinds, in the order a prolog adds them:
 *   node.plan     the node's part of the plan (lib/nodestate.c)
 *   net.ovs       HostNet=ovs: the bridge must exist; undo removes every
 *                 port of the job that is still on it (libvirt removes its
 *                 own; this catches what a lost libvirtd left)
 *   net.bridge    HostNet=bridge: TRUNK.VLAN and vcbrVLAN (bridge.h)
 *   storage.secret  IscsiAttach=qemu, guests with volumes: the job's CHAP
 *                 secret as an ephemeral libvirt secret (iscsi.h, secret.c)
 *   storage.iscsi   IscsiAttach=host: the open-iscsi iface, node record and
 *                 session of the job's target (iscsi.h, iscsi.c)
 *   (a site's gateway adds its own steps here: gateway/gateway.h)
 *   user.keys     cloud-init images: the job's key pair for its user (seed.h)
 *   guest.seed    cloud-init images: a guest's NoCloud volume (seed.h)
 *   net.access    guests on HostNet=ovs: the user's way to the
 *                 guests' sshd, a namespace and a forwarder (accesspath.h)
 *   guest.define  a guest's disk overlay and libvirt domain (parallel)
 *   guest.start   the domain started, its OVS port marked with the job
 *                 (parallel); undo destroys it
 *   user.console  with an access path: the guests' console logs given to
 *                 the job's user, linked into its access dir (accesspath.h)
 * Steps of one node share one libvirt connection per URI (struct vc_node_ctx,
 * the journal's ctx). Storage steps come before guest.define, so undo (in
 * reverse) destroys the domains before their secret or session goes.
 */
#ifndef VC_NODE_H
#define VC_NODE_H

#include <pthread.h>
#include <libvirt/libvirt.h>

#include "chap.h"
#include "journal.h"

struct vc_node_ctx {
        /* First, so that the gateway's steps see it as their own ctx (chap.h):
         * the job's tunnel key while the l2.openvpn step runs. */
        struct vc_gateway_ctx gw;
        pthread_mutex_t lock;
        char *uri;
        virConnectPtr conn;
        /* The job's CHAP secret while the storage steps run (never in step
         * args, which are journaled): set by the prolog, wiped right after. */
        char *chap;
        /* The job's SSH seed (sshkey.h) while guest.seed and user.keys run,
         * and the user's own user-data (user-data=, from sbatch), the same way. */
        char *ssh_seed;
        char *user_data;
        size_t user_data_len;
};

/* Every node step kind, {NULL}-terminated (a host's journal takes these and
 * the gateway's, vc_gateway_step_kinds, joined: vc_step_kinds_join). */
extern const struct vc_step_kind vc_node_step_kinds[];

/* vc_node_ctx_init: an empty context (no connection yet). */
void vc_node_ctx_init(struct vc_node_ctx *c);
/* vc_node_ctx_done: close the connection, wipe the secret, free the context's members. */
void vc_node_ctx_done(struct vc_node_ctx *c);
/* vc_node_ctx_chap_clear: wipe (explicit_bzero) and free the context's CHAP
 * secret, tunnel key, SSH seed and user-data. */
void vc_node_ctx_chap_clear(struct vc_node_ctx *c);
/* vc_node_conn: the context's connection to uri, opened on first use
 * (thread-safe); 0 with *conn borrowed, or -errno with *err naming uri. */
int vc_node_conn(struct vc_node_ctx *c, const char *uri, virConnectPtr *conn, char **err);
/* The guest steps (virt.c); args are documented there. */
int vc_guest_define_do(void *ctx, json_t *args, char **err);
int vc_guest_define_undo(void *ctx, json_t *args, char **err);
int vc_guest_start_do(void *ctx, json_t *args, char **err);
int vc_guest_start_undo(void *ctx, json_t *args, char **err);
/* vc_virt_error: libvirt's last error message of this thread (static text, never NULL). */
const char *vc_virt_error(void);

#endif
