#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "util.h"

static int unix_addr(const char *path, struct sockaddr_un *sa) {
        *sa = (struct sockaddr_un){.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        strcpy(sa->sun_path, path);
        return 0;
}

int vc_unix_connect(const char *path) {
        struct sockaddr_un sa;
        int r = unix_addr(path, &sa);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int vc_unix_listen(const char *path, char **err) {
        struct sockaddr_un sa;
        int r = unix_addr(path, &sa);
        if (r < 0) {
                *err = xasprintf("%s: socket path too long", path);
                return r;
        }
        int probe = vc_unix_connect(path);
        if (probe >= 0) {
                /* A socket that still answers belongs to a running daemon: never steal it. */
                close(probe);
                *err = xasprintf("%s: another vlanallocd is running", path);
                return -EADDRINUSE;
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        (void)unlink(path);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
            listen(fd, 128) < 0) {
                return vc_fail_errno(err, "%s", path);
        }
        return TAKE_FD(fd);
}

/* Connect fd to addr; timeout_ms < 0 blocks for as long as the kernel tries,
 * else at most until deadline (then -ETIMEDOUT). The fd ends up blocking
 * either way, as every caller expects. */
static int connect_addr(int fd, const struct addrinfo *a, int timeout_ms, uint64_t deadline) {
        if (timeout_ms < 0)
                return connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : -errno;
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -errno;
        int r = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : -errno;
        /* EINTR: the connect goes on in the background, like EINPROGRESS. Poll at
         * least once, even with no time left: loopback connects finish at once. */
        while (r == -EINPROGRESS || r == -EINTR) {
                uint64_t now = now_ms();
                int left = now < deadline ? (int)(deadline - now) : 0;
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                int n = poll(&p, 1, left);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n == 0 && left == 0)
                        return -ETIMEDOUT;
                if (n <= 0)
                        continue;
                int e = 0;
                socklen_t len = sizeof(e);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
                        return -errno;
                r = -e;
        }
        if (r == 0 && fcntl(fd, F_SETFL, fl) < 0)
                r = -errno;
        return r;
}

/* One loop over host:port's addresses for both ends: connect (timeout_ms
 * < 0: unbounded; else the whole loop shares one deadline), or bind+listen. */
static int tcp_open(const char *host, const char *port, bool listening, int timeout_ms, char **err) {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = listening ? AI_PASSIVE : 0}, *ai = NULL;
        int g = getaddrinfo(host, port, &hints, &ai);
        if (g != 0) {
                *err = xasprintf("%s:%s: %s", host, port, gai_strerror(g));
                return -EADDRNOTAVAIL;
        }
        uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
        int r = -EADDRNOTAVAIL;
        bool bounded = !listening && timeout_ms >= 0;
        /* Past the deadline no other address gets a try. */
        for (struct addrinfo *a = ai; a && !(bounded && r == -ETIMEDOUT); a = a->ai_next) {
                int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
                if (fd < 0) {
                        r = -errno;
                        continue;
                }
                int one = 1;
                if (!listening)
                        r = connect_addr(fd, a, timeout_ms, deadline);
                else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
                         bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0)
                        r = 0;
                else
                        r = -errno;
                if (r == 0) {
                        freeaddrinfo(ai);
                        return fd;
                }
                close(fd);
        }
        freeaddrinfo(ai);
        if (bounded && r == -ETIMEDOUT)
                *err = xasprintf("%s:%s: no connection within %g s", host, port, timeout_ms / 1000.0);
        else
                *err = xasprintf("%s:%s: %s", host, port, strerror(-r));
        return r;
}

int vc_tcp_connect(const char *host, const char *port, char **err) { return tcp_open(host, port, false, -1, err); }
int vc_tcp_connect_timeout(const char *host, const char *port, int timeout_ms, char **err) {
        return tcp_open(host, port, false, timeout_ms > 0 ? timeout_ms : 0, err);
}
int vc_tcp_listen(const char *host, const char *port, char **err) { return tcp_open(host, port, true, -1, err); }

int vc_hostport_split(const char *portal, char **host, int *port) {
        *host = NULL;
        const char *colon;
        size_t hlen;
        const char *h = portal;
        if (portal[0] == '[') {
                const char *close = strchr(portal, ']');
                if (!close || close[1] != ':')
                        return -EINVAL;
                h = portal + 1;
                hlen = (size_t)(close - h);
                colon = close + 1;
        } else {
                colon = strchr(portal, ':');
                /* a bare IPv6 address is ambiguous: it must be bracketed */
                if (!colon || strchr(colon + 1, ':'))
                        return -EINVAL;
                hlen = (size_t)(colon - portal);
        }
        unsigned long long p;
        if (hlen == 0 || parse_uint(colon + 1, 1, 65535, &p) < 0)
                return -EINVAL;
        *host = strndup(h, hlen);
        if (!*host)
                abort();
        *port = (int)p;
        return 0;
}
