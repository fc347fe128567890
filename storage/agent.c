/* The storage agent's request loop: authenticate, then run ops.h here. */
#include "agent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "conf.h"
#include "log.h"
#include "ops.h"
#include "rpc.h"
#include "util.h"

#define IO_TIMEOUT_S 30

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

static void reply(int fd, json_t *r) {
        (void)vc_rpc_send_json(fd, r);
        json_decref(r);
}

static void serve_one(const struct vc_agent *ag, int fd, const char *peer) {
        struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        _cleanup_free_ char *msg = NULL, *err = NULL;
        size_t len = 0;
        int r = vc_rpc_recv(fd, VC_RPC_MAX_MSG, &msg, &len);
        if (r < 0) {
                if (r != -ENODATA)
                        log_warning("%s: %s", peer, r == -EMSGSIZE ? "message too large" : strerror(-r));
                return;
        }
        _cleanup_(json_decrefp) json_t *env = NULL;
        const char *cred, *text;
        if (vc_rpc_unwrap(msg, len, &env, &cred, &text, &err) < 0) {
                log_warning("%s: %s", peer, err);
                return reply(fd, vc_rpc_error(VC_ERR_BAD_REQUEST, "%s", err));
        }
        uid_t uid;
        gid_t gid;
        struct in_addr origin;
        if (vc_auth_verify_origin(ag->munge_socket, cred, text, &uid, &gid, &origin, &err) < 0) {
                log_warning("%s: %s", peer, err);
                return reply(fd, vc_rpc_error(VC_ERR_AUTH, "%s", err));
        }
        char from[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &origin, from, sizeof(from));
        if (uid != 0 || !from_controller(ag, origin)) {
                log_warning("%s: refused uid %u from %s: only root on the controller (%s) may ask", peer,
                            (unsigned)uid, from, ag->controller_name);
                return reply(fd, vc_rpc_error(VC_ERR_DENIED,
                                              "denied: only root on the controller (%s) may ask a storage agent; "
                                              "this credential is uid %u from %s",
                                              ag->controller_name, (unsigned)uid, from));
        }
        json_error_t je;
        _cleanup_(json_decrefp) json_t *req = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(req))
                return reply(fd, vc_rpc_error(VC_ERR_BAD_REQUEST, "malformed request: %s",
                                              req ? "not a JSON object" : je.text));
        reply(fd, handle(ag, req));
}

int vc_agent_serve(struct vc_agent *ag, int lfd, int sigfd) {
        for (;;) {
                struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error("poll: %m");
                        return -errno;
                }
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                                log_notice("stopping on signal %u", si.ssi_signo);
                                return 0;
                        }
                }
                if (!(p[0].revents & POLLIN))
                        continue;
                struct sockaddr_storage ss;
                socklen_t sl = sizeof(ss);
                int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
                if (fd < 0)
                        continue;
                char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
                (void)getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv, sizeof(serv),
                                  NI_NUMERICHOST | NI_NUMERICSERV);
                _cleanup_free_ char *peer = xasprintf("%s:%s", host, serv);
                serve_one(ag, fd, peer);
                close(fd);
        }
}
