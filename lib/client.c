#include "client.h"

#include <errno.h>
#include <sys/socket.h>

#include "auth.h"
#include "conf.h"
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

/* exchange: seal req, send it on fd (closed here), read the reply; who names the peer in errors. */
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
        struct timeval tv = {.tv_sec = timeout_s};
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        _cleanup_free_ char *msg = vc_rpc_envelope(cred, text);
        int sr = vc_rpc_send(fd, msg, strlen(msg));
        /* Even when sending failed, the daemon may have said why before it
         * closed (e.g. "server busy"): that reply beats "Broken pipe". */
        _cleanup_free_ char *buf = NULL;
        size_t len;
        r = vc_rpc_recv(fd, VC_RPC_MAX_MSG * 16, &buf, &len);
        if (r < 0 && sr < 0) {
                *err = xasprintf("sending to %s: %s", who, strerror(-sr));
                return sr;
        }
        if (r < 0) {
                *err = xasprintf("no reply from %s: %s", who,
                                 r == -EAGAIN ? "timed out" : r == -ENODATA || r == -EPROTO
                                                                  ? "connection closed (daemon died or refused the request)"
                                                                  : strerror(-r));
                return r == -EAGAIN ? -ETIMEDOUT : r;
        }
        json_error_t je;
        *reply = json_loadb(buf, len, 0, &je);
        if (!*reply || !json_is_object(*reply)) {
                json_decref(*reply);
                *reply = NULL;
                *err = xasprintf("malformed reply from %s: %s", who, je.text);
                return -EBADMSG;
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
