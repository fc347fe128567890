/* gate.h — admission to a daemon that speaks rpc.h (vlanallocd, the storage
 * agent): one thread per connection, one request each, and limits that no
 * unprivileged peer can use to lock root and SlurmUser out.
 *
 * A connection is in one of three pools:
 *   privileged  a Unix-socket peer the kernel says is root or SlurmUser
 *               (SO_PEERCRED), or any peer once munge said so; no other
 *               peer can take this pool's capacity
 *   pre-auth    everything else until its request has arrived and munge
 *               has named its uid. Budgeted per key (the source address, or
 *               "uid:N" on the Unix socket) and in total; a newcomer over
 *               either budget is never refused: the oldest pre-auth
 *               connection of that key (or of all) is cut instead. A real
 *               client sends its whole request at once, so only the slow
 *               ones (tricklers, idlers) are ever old.
 *   users       authenticated unprivileged uids, at most per_uid each and
 *               users_max together; over that the request gets a "busy"
 *               reply (VC_ERR_BUSY) that the caller may retry.
 * Every connection has one deadline for its whole request; the reply has
 * its own. Pools are sized from RLIMIT_NOFILE so the daemon runs out of
 * slots before it runs out of file descriptors; if it runs out anyway,
 * accepting pauses instead of spinning (a reserve descriptor sheds the
 * connection the kernel has queued).
 */
#ifndef VC_GATE_H
#define VC_GATE_H

#include <jansson.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct vc_gate;

struct vc_gate_limits {
        unsigned priv_max;        /* privileged connections at once */
        unsigned preauth_max;     /* unauthenticated connections at once */
        unsigned preauth_per_key; /* … of one address or local uid */
        unsigned users_max;       /* authenticated unprivileged requests at once */
        unsigned per_uid;         /* … of one uid */
        unsigned request_ms;      /* the whole request must arrive within this */
        unsigned reply_ms;        /* the whole reply must leave within this */
};

struct vc_gate_conn {
        int fd;
        char peer[NI_MAXHOST + NI_MAXSERV + 16]; /* "ADDR:PORT" or "local pid N uid U", for logs */
        char key[NI_MAXHOST + 8];                /* the pre-auth budget it counts against */
        bool local;                              /* came over the Unix socket */
        uid_t local_uid;                         /* SO_PEERCRED's uid when local */
        uint64_t deadline;                       /* now_ms() by which the request must be read */
        /* the gate's own */
        struct vc_gate *gate;
        bool read_done; /* the request has arrived: no longer a slow one */
        int pool;
        uid_t uid;
        bool evicted;
        struct vc_gate_conn *prev, *next;         /* the pre-auth list */
        struct vc_gate_conn *all_prev, *all_next; /* every connection being served */
};

/* vc_gate_serve_fn: answer the one request of cn (the gate closes it). */
typedef void (*vc_gate_serve_fn)(void *ctx, struct vc_gate_conn *cn);
/* vc_gate_priv_fn: whether uid is root or SlurmUser for this daemon now. */
typedef bool (*vc_gate_priv_fn)(void *ctx, uid_t uid);

/* vc_gate_limits_for_fds: raise RLIMIT_NOFILE's soft limit to the hard one
 * and size *l's pools to fit in it (two descriptors per connection: its own
 * and munge's), with the default deadlines. */
void vc_gate_limits_for_fds(struct vc_gate_limits *l);
/* vc_gate_new: a gate with limits l that serves each connection with serve(ctx, …). */
struct vc_gate *vc_gate_new(const struct vc_gate_limits *l, vc_gate_serve_fn serve, vc_gate_priv_fn priv,
                            void *ctx);
/* vc_gate_free: free g; vc_gate_drain first. */
void vc_gate_free(struct vc_gate *g);
/* vc_gate_accept: accept one connection on lfd and start serving it; 0, or
 * -errno when the listener should rest a moment before the next try
 * (descriptors or memory ran out; the queued connection was shed). */
int vc_gate_accept(struct vc_gate *g, int lfd);
/* vc_gate_recv: cn's request within its deadline (vc_rpc_recv_until's
 * results; -ECONNABORTED when the gate cut it for a newer connection). Both
 * a cut and -ETIMEDOUT are logged here, at a rate an attacker cannot raise. */
int vc_gate_recv(struct vc_gate_conn *cn, char **msg, size_t *len);
/* vc_gate_authed: munge named uid (privileged: root/SlurmUser): move cn out
 * of pre-auth into its uid's share; 0, or -EBUSY with *err saying which limit. */
int vc_gate_authed(struct vc_gate_conn *cn, uid_t uid, bool privileged, char **err);
/* vc_gate_reply: send reply (consumed; NULL is sent as an internal error) within the reply deadline. */
int vc_gate_reply(struct vc_gate_conn *cn, json_t *reply);
/* vc_gate_reply_sealed: send reply (consumed) sealed with this daemon's munge
 * identity for the request whose credential is req_cred (auth.h), within the
 * reply deadline. When munged cannot seal, the reply goes unsealed (logged):
 * the client refuses it and tries again, as for a daemon not reached. */
int vc_gate_reply_sealed(struct vc_gate_conn *cn, const char *munge_socket, const char *req_cred, json_t *reply);
/* vc_gate_drain: wait until every connection has been served. */
void vc_gate_drain(struct vc_gate *g);

#endif
