/* rpcserve.c — receive, unwrap, verify, admit, parse, answer (rpcserve.h). */
#include "rpcserve.h"

#include <errno.h>
#include <poll.h>
#include <sys/signalfd.h>

#include "auth.h"
#include "log.h"
#include "rpc.h"
#include "util.h"

/* After accepting failed for want of descriptors or memory, rest this long. */
#define ACCEPT_REST_MS 100
/* Listeners one daemon may have (a Unix socket and a TCP port today). */
#define LISTEN_MAX 4

struct server {
        const struct vc_rpc_service *svc;
        void *ctx;
};

/* receive: cn's request into *msg; false when it is refused (replied to and logged, or nothing to answer). */
static bool receive(const struct server *s, struct vc_gate_conn *cn, char **msg, size_t *len) {
        int r = vc_gate_recv(cn, msg, len);
        if (r == 0)
                return true;
        if (r == -ENODATA || r == -ECONNABORTED)
                return false; /* nothing asked, or cut for a newer connection (logged there) */
        if (r == -EMSGSIZE) {
                log_warning("%s: refused a message of %zu bytes (limit %u)", cn->peer, *len, VC_RPC_MAX_MSG);
                (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "message of %zu bytes exceeds the limit of %u bytes",
                                                     *len, VC_RPC_MAX_MSG));
        } else if (r == -ETIMEDOUT) { /* logged by the gate */
                (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "the whole request must arrive within %u s",
                                                     s->svc->io_timeout_s));
        } else {
                log_warning("%s: %s", cn->peer, r == -EPROTO ? "connection closed in the middle of a message"
                                                             : strerror(-r));
        }
        return false;
}

/* serve_one: read, authenticate and answer one request on cn; every refusal gets a reply. */
static void serve_one(void *arg, struct vc_gate_conn *cn) {
        const struct server *s = arg;
        const struct vc_rpc_service *svc = s->svc;
        _cleanup_free_ char *msg = NULL, *err = NULL;
        size_t len = 0;
        if (!receive(s, cn, &msg, &len))
                return;
        _cleanup_(json_decrefp) json_t *env = NULL;
        const char *cred, *text;
        if (vc_rpc_unwrap(msg, len, &env, &cred, &text, &err) < 0) {
                log_warning("%s: %s", cn->peer, err);
                (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "%s", err));
                return;
        }
        /* From here on every reply is sealed for this request's credential. */
        _cleanup_free_ char *munge = svc->munge_socket(s->ctx);
        struct vc_rpc_caller who = {.peer = cn->peer};
        int r = vc_auth_verify_origin(munge, cred, text, &who.uid, &who.gid, &who.origin, &err);
        if (r < 0) {
                log_warning("%s: %s", cn->peer, err);
                (void)vc_gate_reply_sealed(cn, munge, cred, vc_rpc_error(r == -ECONNREFUSED ? VC_ERR_INTERNAL : VC_ERR_AUTH,
                                                                         "%s", err));
                return;
        }
        if (vc_gate_authed(cn, who.uid, svc->privileged(s->ctx, &who), &err) < 0) {
                (void)vc_gate_reply_sealed(cn, munge, cred, vc_rpc_error(VC_ERR_BUSY, "%s", err));
                return;
        }
        json_t *refusal = svc->admit ? svc->admit(s->ctx, &who) : NULL;
        if (refusal) {
                (void)vc_gate_reply_sealed(cn, munge, cred, refusal);
                return;
        }
        json_error_t je;
        _cleanup_(json_decrefp) json_t *req = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(req)) {
                log_warning("%s uid %u: malformed request: %s", cn->peer, (unsigned)who.uid,
                            req ? "not a JSON object" : je.text);
                (void)vc_gate_reply_sealed(cn, munge, cred, vc_rpc_error(VC_ERR_BAD_REQUEST, "malformed request: %s",
                                                                         req ? "not a JSON object" : je.text));
                return;
        }
        log_debug("%s uid %u: %s", cn->peer, (unsigned)who.uid, text);
        (void)vc_gate_reply_sealed(cn, munge, cred, svc->answer(s->ctx, req, &who));
}

/* peer_privileged: the gate's question, answered by the service (nobody when it has no answer). */
static bool peer_privileged(void *arg, uid_t uid) {
        const struct server *s = arg;
        return s->svc->peer_privileged && s->svc->peer_privileged(s->ctx, uid);
}

/* signalled: read one signal off sigfd; whether to go on serving. */
static bool signalled(const struct server *s, int sigfd) {
        struct signalfd_siginfo si;
        if (read(sigfd, &si, sizeof(si)) != sizeof(si))
                return true;
        return s->svc->on_signal && s->svc->on_signal(s->ctx, si.ssi_signo);
}

int vc_rpc_serve(const struct vc_rpc_service *svc, void *ctx, const struct vc_gate_limits *lim, const int *lfds,
                 size_t n_lfds, int sigfd) {
        struct server s = {.svc = svc, .ctx = ctx};
        struct pollfd pfd[1 + LISTEN_MAX] = {{.fd = sigfd, .events = POLLIN}};
        if (n_lfds > LISTEN_MAX)
                abort();
        for (size_t i = 0; i < n_lfds; i++)
                pfd[1 + i] = (struct pollfd){.fd = lfds[i], .events = POLLIN};
        struct vc_gate *g = vc_gate_new(lim, serve_one, peer_privileged, &s);
        uint64_t rest_until = 0;
        int r = 0;
        for (;;) {
                /* While resting, only signals are watched: a full listener must not wake us again and again. */
                uint64_t now = now_ms();
                bool resting = now < rest_until;
                if (poll(pfd, resting ? 1 : 1 + n_lfds, resting ? (int)(rest_until - now) : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        log_error("poll: %s", strerror(-r));
                        break;
                }
                if ((pfd[0].revents & POLLIN) && !signalled(&s, sigfd))
                        break;
                if (resting)
                        continue;
                for (size_t i = 1; i <= n_lfds; i++)
                        if ((pfd[i].revents & POLLIN) && vc_gate_accept(g, pfd[i].fd) < 0)
                                rest_until = now_ms() + ACCEPT_REST_MS;
        }
        /* Requests in flight finish: a half-done acquire is rolled back at the
         * next start anyway, but finishing it is kinder. */
        vc_gate_drain(g);
        vc_gate_free(g);
        return r;
}
