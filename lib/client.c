#include "client.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "auth.h"
#include "conf.h"
#include "rpc.h"
#include "util.h"

char *vc_socket_path(const struct vc_conf *c) { return xasprintf("%s/%s", c->state_dir, VC_SOCKET_NAME); }

static int connect_unix(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int connect_tcp(const char *host, const char *port, char **err) {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
        int g = getaddrinfo(host, port, &hints, &ai);
        if (g != 0) {
                *err = xasprintf("%s:%s: %s", host, port, gai_strerror(g));
                return -EHOSTUNREACH;
        }
        int r = -ECONNREFUSED;
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
                int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
                if (fd < 0) {
                        r = -errno;
                        continue;
                }
                if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
                        freeaddrinfo(ai);
                        return fd;
                }
                r = -errno;
                close(fd);
        }
        freeaddrinfo(ai);
        *err = xasprintf("cannot reach vlanallocd at %s:%s: %s", host, port, strerror(-r));
        return r;
}

static int connect_daemon(const struct vc_conf *c, char **err) {
        _cleanup_free_ char *path = vc_socket_path(c);
        int fd = connect_unix(path);
        if (fd >= 0)
                return fd;
        /* Only a missing socket means "not the controller host"; a socket that
         * exists but refuses means the daemon is down, and TCP would say the same. */
        if (fd != -ENOENT && fd != -ENOTDIR) {
                *err = xasprintf("cannot reach vlanallocd at %s: %s", path, strerror(-fd));
                return fd;
        }
        return connect_tcp(c->controller_host, c->controller_port, err);
}

int vc_client_call(const struct vc_conf *c, const json_t *req, int timeout_s, json_t **reply,
                   char **err) {
        _cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
        _cleanup_free_ char *cred = NULL;
        if (!text)
                return -ENOMEM;
        int r = vc_auth_seal(c->munge_socket, text, &cred, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = connect_daemon(c, err);
        if (fd < 0)
                return fd;
        struct timeval tv = {.tv_sec = timeout_s};
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        _cleanup_free_ char *msg = vc_rpc_envelope(cred, text);
        r = vc_rpc_send(fd, msg, strlen(msg));
        if (r < 0) {
                *err = xasprintf("sending to vlanallocd: %s", strerror(-r));
                return r;
        }
        _cleanup_free_ char *buf = NULL;
        size_t len;
        r = vc_rpc_recv(fd, VC_RPC_MAX_MSG * 16, &buf, &len);
        if (r < 0) {
                *err = xasprintf("no reply from vlanallocd: %s",
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
                *err = xasprintf("malformed reply from vlanallocd: %s", je.text);
                return -EBADMSG;
        }
        return 0;
}
