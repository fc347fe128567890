#include "sock.h"

#include <errno.h>
#include <netdb.h>
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
                r = -errno;
                *err = xasprintf("%s: %s", path, strerror(-r));
                return r;
        }
        return TAKE_FD(fd);
}

/* One loop over host:port's addresses for both ends: connect, or bind+listen. */
static int tcp_open(const char *host, const char *port, bool listening, char **err) {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = listening ? AI_PASSIVE : 0}, *ai = NULL;
        int g = getaddrinfo(host, port, &hints, &ai);
        if (g != 0) {
                *err = xasprintf("%s:%s: %s", host, port, gai_strerror(g));
                return -EADDRNOTAVAIL;
        }
        int r = -EADDRNOTAVAIL;
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
                int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
                if (fd < 0) {
                        r = -errno;
                        continue;
                }
                int one = 1;
                bool ok = listening ? setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
                                              bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0
                                    : connect(fd, a->ai_addr, a->ai_addrlen) == 0;
                if (ok) {
                        freeaddrinfo(ai);
                        return fd;
                }
                r = -errno;
                close(fd);
        }
        freeaddrinfo(ai);
        *err = xasprintf("%s:%s: %s", host, port, strerror(-r));
        return r;
}

int vc_tcp_connect(const char *host, const char *port, char **err) { return tcp_open(host, port, false, err); }
int vc_tcp_listen(const char *host, const char *port, char **err) { return tcp_open(host, port, true, err); }
