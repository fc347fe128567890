/* The storage agent's request loop: authenticate, then run ops.h here.
 * Connections are served side by side (gate.h), operations one at a time. */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "log.h"
#include "ops.h"
#include "rpc.h"
#include "rpcserve.h"
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

static json_t *answer(void *ctx, const json_t *req, const struct vc_rpc_caller *who) {
        pthread_mutex_lock(&op_lock);
        json_t *rep = handle(ctx, req);
        pthread_mutex_unlock(&op_lock);
        return rep;
}

static char *munge_socket(void *ctx) { return xstrdup(((const struct vc_agent *)ctx)->munge_socket); }

/* is_controller: root, and munge encoded the credential on the controller's host. */
static bool is_controller(void *ctx, const struct vc_rpc_caller *who) {
        return who->uid == 0 && from_controller(ctx, who->origin);
}

/* admit: only root on the controller may ask a storage agent. */
static json_t *admit(void *ctx, const struct vc_rpc_caller *who) {
        const struct vc_agent *ag = ctx;
        if (is_controller(ctx, who))
                return NULL;
        char from[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &who->origin, from, sizeof(from));
        log_warning("%s: refused uid %u from %s: only root on the controller (%s) may ask", who->peer,
                    (unsigned)who->uid, from, ag->controller_name);
        return vc_rpc_error(VC_ERR_DENIED,
                            "denied: only root on the controller (%s) may ask a storage agent; "
                            "this credential is uid %u from %s",
                            ag->controller_name, (unsigned)who->uid, from);
}

/* on_signal: a signal stops the agent, but SIGHUP: a reload signal sent to
 * every daemon of a site must not stop this one (what it reads of
 * vcluster.conf is read at start). */
static bool on_signal(void *ctx, uint32_t signo) {
        if (signo == SIGHUP) {
                log_notice("SIGHUP: nothing to reload (restart to read vcluster.conf again)");
                return true;
        }
        log_notice("stopping on signal %u", signo);
        return false;
}

int vc_agent_serve(struct vc_agent *ag, int lfd, int sigfd) {
        struct vc_gate_limits lim;
        vc_gate_limits_for_fds(&lim);
        lim.request_ms = lim.reply_ms = IO_TIMEOUT_S * 1000;
        /* Nobody is privileged before munge speaks: the agent listens on TCP only. */
        static const struct vc_rpc_service svc = {.io_timeout_s = IO_TIMEOUT_S,
                                                  .munge_socket = munge_socket,
                                                  .privileged = is_controller,
                                                  .admit = admit,
                                                  .answer = answer,
                                                  .on_signal = on_signal};
        return vc_rpc_serve(&svc, ag, &lim, &lfd, 1, sigfd);
}
