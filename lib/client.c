#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "auth.h"
#include "conf.h"
#include "log.h"
#include "rpc.h"
#include "sock.h"
#include "util.h"

char *vc_socket_path(const struct vc_conf *c) { return xasprintf("%s/%s", c->state_dir, VC_SOCKET_NAME); }

static int connect_daemon(const struct vc_conf *c, char **err) {
        _cleanup_free_ char *path = vc_socket_path(c);
        int fd = vc_unix_connect(path);
        if (fd >= 0)
                return fd;
        /* Only a missing socket means "not the controller host"; a socket that
         * exists but refuses means the daemon is down, and TCP would say the same. */
        if (fd != -ENOENT && fd != -ENOTDIR) {
                *err = xasprintf("cannot reach vlanallocd at %s: %s", path, strerror(-fd));
                return fd;
        }
        _cleanup_free_ char *why = NULL;
        fd = vc_tcp_connect(c->controller_host, c->controller_port, &why);
        if (fd < 0)
                *err = xasprintf("cannot reach vlanallocd at %s", why);
        return fd;
}

/* busy: whether reply is the daemon's "busy" refusal (nothing was done). */
static bool busy(const json_t *reply) {
        const char *code = json_string_value(json_object_get(reply, "code"));
        return !json_is_true(json_object_get(reply, "ok")) && code && streq(code, VC_ERR_BUSY);
}

/* exchange: seal req, send it on fd (closed here), read the reply, all
 * within timeout_s together; who names the peer in errors. */
static int exchange(const char *munge_socket, int fd_in, const char *who, const json_t *req, int timeout_s,
                    json_t **reply, char **err) {
        _cleanup_close_ int fd = fd_in;
        _cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
        _cleanup_free_ char *cred = NULL;
        if (!text)
                return -ENOMEM;
        int r = vc_auth_seal(munge_socket, text, &cred, err);
        if (r < 0)
                return r;
        uint64_t deadline = now_ms() + (uint64_t)(timeout_s > 0 ? timeout_s : 1) * 1000;
        _cleanup_free_ char *msg = vc_rpc_envelope(cred, text);
        int sr = vc_rpc_send_until(fd, msg, strlen(msg), deadline);
        /* Even when sending failed, the daemon may have said why before it
         * closed (e.g. "server busy"): that reply beats "Broken pipe". */
        _cleanup_free_ char *buf = NULL;
        size_t len;
        r = vc_rpc_recv_until(fd, VC_RPC_MAX_MSG * 16, deadline, &buf, &len);
        if (r < 0 && sr < 0) {
                *err = xasprintf("sending to %s: %s", who, sr == -ETIMEDOUT ? "timed out" : strerror(-sr));
                return sr;
        }
        if (r < 0) {
                *err = xasprintf("no reply from %s: %s", who,
                                 r == -ETIMEDOUT ? "timed out" : r == -ENODATA || r == -EPROTO
                                                                  ? "connection closed (daemon died or refused the request)"
                                                                  : strerror(-r));
                return r;
        }
        /* Root hooks act on replies: only one sealed by root for this very
         * request is taken (auth.h); anything else is as good as no reply. */
        _cleanup_(json_decrefp) json_t *env = NULL;
        const char *rcred, *rep;
        _cleanup_free_ char *why = NULL;
        r = vc_rpc_reply_unwrap(buf, len, &env, &rcred, &rep, &why);
        if (r == 0)
                r = vc_auth_verify_reply(munge_socket, rcred, cred, rep, &why);
        if (r < 0) {
                *err = xasprintf("refused the reply from %s: %s", who, why);
                return r == -ECONNREFUSED ? r : -EBADMSG;
        }
        json_error_t je;
        *reply = json_loads(rep, 0, &je);
        if (!*reply || !json_is_object(*reply)) {
                json_decref(*reply);
                *reply = NULL;
                *err = xasprintf("malformed reply from %s: %s", who, je.text);
                return -EBADMSG;
        }
        if (busy(*reply)) {
                /* refused before anything was done: to the caller, like a daemon not reached */
                const char *said = json_string_value(json_object_get(*reply, "error"));
                *err = xasprintf("%s: %s", who, said ? said : "server busy");
                json_decref(*reply);
                *reply = NULL;
                return -EBUSY;
        }
        return 0;
}

int vc_client_call(const struct vc_conf *c, const json_t *req, int timeout_s, json_t **reply,
                   char **err) {
        int fd = connect_daemon(c, err);
        return fd < 0 ? fd : exchange(c->munge_socket, fd, "vlanallocd", req, timeout_s, reply, err);
}

int vc_client_call_at(const char *munge_socket, const char *host, const char *port, const char *who,
                      const json_t *req, int timeout_s, json_t **reply, char **err) {
        _cleanup_free_ char *why = NULL;
        int fd = vc_tcp_connect_timeout(host, port, 5000, &why);
        if (fd < 0) {
                *err = xasprintf("cannot reach %s at %s", who, why);
                return fd;
        }
        return exchange(munge_socket, fd, who, req, timeout_s, reply, err);
}

/* First pause between tries, and the longest: doubling in between, with
 * jitter so that the hooks of many nodes do not come back in step. */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000

void vc_backoff_sleep(unsigned *delay_ms, uint64_t until) {
        unsigned d = *delay_ms ? *delay_ms : BACKOFF_FIRST_MS;
        d = d / 2 + (unsigned)(random() % (d / 2 + 1));
        uint64_t now = now_ms();
        if (now + d > until)
                d = now < until ? (unsigned)(until - now) : 0;
        struct timespec ts = {.tv_sec = d / 1000, .tv_nsec = (long)(d % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        unsigned next = (*delay_ms ? *delay_ms : BACKOFF_FIRST_MS) * 2;
        *delay_ms = next > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : next;
}

int vc_client_call_patiently(const struct vc_conf *c, const json_t *req, int timeout_s, int patience_s,
                             const char *what, json_t **reply, char **err) {
        uint64_t until = now_ms() + (uint64_t)patience_s * 1000;
        unsigned delay = 0;
        for (;;) {
                int r = vc_client_call(c, req, timeout_s, reply, err);
                if (r == 0 || now_ms() >= until)
                        return r;
                log_warning("%s: %s; retrying", what, *err);
                free(*err);
                *err = NULL;
                vc_backoff_sleep(&delay, until);
        }
}
