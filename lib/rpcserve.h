/* rpcserve.h — the one request loop of our daemons (vlanallocd, the storage
 * agent): accept under gate.h's limits, and for each connection receive →
 * unwrap the envelope (rpc.h) → verify its munge credential (auth.h) →
 * admit the caller → parse the request → answer, every reply after the
 * unwrap sealed for that request (vc_gate_reply_sealed). What differs
 * between the daemons is in struct vc_rpc_service: who is privileged, who
 * is admitted at all, and the answer.
 *
 * Every refusal gets a reply and is logged here, once: an oversized,
 * late or malformed message, a bad credential, a caller over its budget or
 * not admitted, a request that is not a JSON object.
 */
#ifndef VC_RPCSERVE_H
#define VC_RPCSERVE_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "gate.h"

/* Who asked, as munge says. */
struct vc_rpc_caller {
        const char *peer;      /* the connection, for logs (gate.h) */
        uid_t uid;
        gid_t gid;
        struct in_addr origin; /* the host whose munged encoded the credential (0.0.0.0: unknown) */
};

struct vc_rpc_service {
        /* The whole request must arrive within this, and the whole reply leave within as long again. */
        unsigned io_timeout_s;
        /* munge_socket: the munge socket to verify and seal with (malloc'd: the configuration may be reloaded meanwhile). */
        char *(*munge_socket)(void *ctx);
        /* peer_privileged: a local peer (SO_PEERCRED uid) is root or SlurmUser, before a byte is read; NULL: nobody. */
        bool (*peer_privileged)(void *ctx, uid_t uid);
        /* privileged: the authenticated caller counts against the privileged pool (gate.h). */
        bool (*privileged)(void *ctx, const struct vc_rpc_caller *who);
        /* admit: NULL to go on, or the refusal to send (logged by the callee); NULL member: everyone. */
        json_t *(*admit)(void *ctx, const struct vc_rpc_caller *who);
        /* answer: the reply (new reference) to req, a JSON object. */
        json_t *(*answer)(void *ctx, const json_t *req, const struct vc_rpc_caller *who);
        /* on_signal: a signal arrived on sigfd; true to go on serving, false to stop. NULL: stop. */
        bool (*on_signal)(void *ctx, uint32_t signo);
};

/* vc_rpc_serve: serve svc (with ctx) on the listeners lfds under limits lim
 * until on_signal says stop, then wait for the requests in flight; 0, or
 * -errno when polling failed (logged). */
int vc_rpc_serve(const struct vc_rpc_service *svc, void *ctx, const struct vc_gate_limits *lim, const int *lfds,
                 size_t n_lfds, int sigfd);

#endif
