/* The storage agent's request loop: authenticate, then run ops.h here.
 * Connections are served side by side (gate.h), operations one at a time. */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "gate.h"
#include "log.h"
#include "ops.h"
#include "rpc.h"
#include "util.h"

/* The whole request must arrive within this, and the whole reply leave
 * within as long again (gate.h). */
#define IO_TIMEOUT_S 10

int vc_agent_init(struct vc_agent *ag, const struct vc_conf *c, char **err) {
        *ag = (struct vc_agent){.munge_socket = c->munge_socket, .controller_name = c->controller_host};
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int e = getaddrinfo(c->controller_host, NULL, &hints, &res);
        if (e != 0) {
                *err = xasprintf("ControllerAddr host %s: %s", c->controller_host, gai_strerror(e));
                return -EHOSTUNREACH;
        }
        for (struct addrinfo *a = res; a; a = a->ai_next) {
                ag->controller = xrealloc(ag->controller, (ag->n_controller + 1) * sizeof(struct in_addr));
                ag->controller[ag->n_controller++] = ((struct sockaddr_in *)a->ai_addr)->sin_addr;
        }
        freeaddrinfo(res);
        return 0;
}

void vc_agent_done(struct vc_agent *ag) { free(ag->controller); }

static bool from_controller(const struct vc_agent *ag, struct in_addr origin) {
        for (size_t i = 0; i < ag->n_controller; i++)
                if (ag->controller[i].s_addr == origin.s_addr)
                        return true;
        return false;
}

static json_t *handle(const struct vc_agent *ag, const json_t *req) {
        const char *op = json_string_value(json_object_get(req, "op"));
        if (op && streq(op, "ping"))
                return vc_rpc_ok();
        if (!op || !streq(op, "storage"))
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "unknown op '%s' (a storage agent serves ping and storage)",
                                    op ? op : "");
        const char *what = json_string_value(json_object_get(req, "do"));
        const json_t *args = json_object_get(req, "args");
        const char *sealed = json_string_value(json_object_get(req, "secret"));
        if (!vc_storage_op_known(what) || !json_is_object(args))
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "storage: needs \"do\" (a storage operation) and \"args\" "
                                                        "(an object)");
        _cleanup_free_ char *err = NULL, *secret = NULL;
        if (sealed && vc_auth_open_secret(ag->munge_socket, sealed, &secret, &err) < 0)
                return vc_rpc_error(VC_ERR_AUTH, "%s", err);
        int r = vc_storage_op(what, args, secret, &err);
        if (secret)
                explicit_bzero(secret, strlen(secret));
        if (r < 0) {
                log_error("%s: %s", what, err);
                json_t *e = vc_rpc_error(VC_ERR_STEP_FAILED, "%s", err);
                /* the controller owes no undo to a step that changed nothing */
                json_object_set_new(e, "untouched", json_boolean(r == -ENOTCONN));
                return e;
        }
        log_info("%s: done (%s)", what, json_string_value(json_object_get(args, "iqn")) ?: "volumes");
        return vc_rpc_ok();
}

/* Storage tools (tgtadm, lvm) are driven one operation at a time, as they
 * were when the agent served one connection at a time; only reading and
 * authenticating requests run side by side. */
static pthread_mutex_t op_lock = PTHREAD_MUTEX_INITIALIZER;

/* serve_one: read, authenticate and answer one request on cn; every refusal gets a reply. */
static void serve_one(void *ctx, struct vc_gate_conn *cn) {
        const struct vc_agent *ag = ctx;
        _cleanup_free_ char *msg = NULL, *err = NULL;
        size_t len = 0;
        int r = vc_gate_recv(cn, &msg, &len);
        if (r == -ENODATA || r == -ECONNABORTED)
                return;
        if (r == -ETIMEDOUT) { /* logged by the gate */
                (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "the whole request must arrive within %d s",
                                                     IO_TIMEOUT_S));
                return;
        }
        if (r < 0) {
                log_warning("%s: %s", cn->peer, r == -EMSGSIZE ? "message too large" : strerror(-r));
                if (r == -EMSGSIZE)
                        (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "message of %zu bytes exceeds the limit of %u bytes",
                                                             len, VC_RPC_MAX_MSG));
                return;
        }
        _cleanup_(json_decrefp) json_t *env = NULL;
        const char *cred, *text;
        if (vc_rpc_unwrap(msg, len, &env, &cred, &text, &err) < 0) {
                log_warning("%s: %s", cn->peer, err);
                (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "%s", err));
                return;
        }
        uid_t uid;
        gid_t gid;
        struct in_addr origin;
        if (vc_auth_verify_origin(ag->munge_socket, cred, text, &uid, &gid, &origin, &err) < 0) {
                log_warning("%s: %s", cn->peer, err);
                (void)vc_gate_reply_sealed(cn, ag->munge_socket, cred, vc_rpc_error(VC_ERR_AUTH, "%s", err));
                return;
        }
        char from[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &origin, from, sizeof(from));
        bool controller = uid == 0 && from_controller(ag, origin);
        if (vc_gate_authed(cn, uid, controller, &err) < 0) {
                (void)vc_gate_reply_sealed(cn, ag->munge_socket, cred, vc_rpc_error(VC_ERR_BUSY, "%s", err));
                return;
        }
        if (!controller) {
                log_warning("%s: refused uid %u from %s: only root on the controller (%s) may ask", cn->peer,
                            (unsigned)uid, from, ag->controller_name);
                (void)vc_gate_reply_sealed(cn, ag->munge_socket, cred, vc_rpc_error(VC_ERR_DENIED,
                                                     "denied: only root on the controller (%s) may ask a storage agent; "
                                                     "this credential is uid %u from %s",
                                                     ag->controller_name, (unsigned)uid, from));
                return;
        }
        json_error_t je;
        _cleanup_(json_decrefp) json_t *req = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(req)) {
                (void)vc_gate_reply_sealed(cn, ag->munge_socket, cred, vc_rpc_error(VC_ERR_BAD_REQUEST, "malformed request: %s",
                                                     req ? "not a JSON object" : je.text));
                return;
        }
        pthread_mutex_lock(&op_lock);
        json_t *rep = handle(ag, req);
        pthread_mutex_unlock(&op_lock);
        (void)vc_gate_reply_sealed(cn, ag->munge_socket, cred, rep);
}

/* Nobody is privileged before munge speaks: the agent listens on TCP only. */
static bool never(void *ctx, uid_t uid) { return false; }

/* After accepting failed for want of descriptors or memory, rest this long. */
#define ACCEPT_REST_MS 100

int vc_agent_serve(struct vc_agent *ag, int lfd, int sigfd) {
        struct vc_gate_limits lim;
        vc_gate_limits_for_fds(&lim);
        lim.request_ms = lim.reply_ms = IO_TIMEOUT_S * 1000;
        struct vc_gate *g = vc_gate_new(&lim, serve_one, never, ag);
        uint64_t rest_until = 0;
        int r = 0;
        for (;;) {
                struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = lfd, .events = POLLIN}};
                /* While resting, only signals are watched: a full listener must not wake us again and again. */
                uint64_t now = now_ms();
                bool resting = now < rest_until;
                if (poll(p, resting ? 1 : 2, resting ? (int)(rest_until - now) : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        log_error("poll: %m");
                        break;
                }
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                                /* A reload signal sent to every daemon of a site must not stop
                                 * this one: what it reads of vcluster.conf is read at start. */
                                if (si.ssi_signo == SIGHUP) {
                                        log_notice("SIGHUP: nothing to reload (restart to read vcluster.conf again)");
                                        continue;
                                }
                                log_notice("stopping on signal %u", si.ssi_signo);
                                break;
                        }
                }
                if (!resting && (p[1].revents & POLLIN) && vc_gate_accept(g, lfd) < 0)
                        rest_until = now_ms() + ACCEPT_REST_MS;
        }
        vc_gate_drain(g);
        vc_gate_free(g);
        return r;
}
