/* vcluster-forward — the forwarder of a job's access path (lib/access.h),
 * started by the node step net.access (node/access.h) inside the job's
 * access namespace, already running as the job's user:
 *
 *   vcluster-forward DIR NAME=IP...
 *
 * listens on DIR/NAME.sock for each guest (DIR is the user's, 0700) and
 * relays every connection to IP's port 22 in a child of its own, which
 * dies with the forwarder (PR_SET_PDEATHSIG). It writes "ready" on stdout
 * once every socket listens, then closes stdout; it runs until SIGTERM.
 * Errors go to stderr (the step points it at a log in the node's job dir).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "access.h"
#include "relay.h"
#include "util.h"

#define CONNECT_TIMEOUT_MS 10000
#define GUESTS_MAX 4096

struct guest {
        const char *name;
        struct sockaddr_in addr;
        int fd;
};

/* listen_on: a listening socket at path, replacing a stale one; fd or -errno. */
static int listen_on(const char *path) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        memcpy(a.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void)unlink(path);
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* dial: a TCP connection to addr within CONNECT_TIMEOUT_MS; fd or -errno. */
static int dial(const struct sockaddr_in *addr) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 && errno != EINPROGRESS) {
                int r = -errno;
                close(fd);
                return r;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n, soerr = 0;
        socklen_t len = sizeof(soerr);
        while ((n = poll(&p, 1, CONNECT_TIMEOUT_MS)) < 0 && errno == EINTR)
                ;
        if (n == 0)
                soerr = ETIMEDOUT;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
                soerr = errno;
        if (soerr) {
                close(fd);
                return -soerr;
        }
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        return fd;
}

/* serve: the child of one connection c to guest g; never returns. */
static void serve(int c, const struct guest *g, pid_t parent) {
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                _exit(1);
        int t = dial(&g->addr);
        if (t < 0) {
                fprintf(stderr, "vcluster-forward: %s (%s:%d): %s\n", g->name, inet_ntoa(g->addr.sin_addr),
                        VC_ACCESS_SSH_PORT, strerror(-t));
                _exit(1);
        }
        int r = vc_relay(c, c, t);
        _exit(r < 0 ? 1 : 0);
}

static int parse_guest(const char *arg, const char *dir, struct guest *g, char **path) {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg)
                return -EINVAL;
        char *name = strndup(arg, (size_t)(eq - arg)); /* argv stays as it was: ps and the undo read it */
        *g = (struct guest){.name = name, .fd = -1};
        g->addr.sin_family = AF_INET;
        g->addr.sin_port = htons(VC_ACCESS_SSH_PORT);
        if (inet_pton(AF_INET, eq + 1, &g->addr.sin_addr) != 1 || strchr(name, '/'))
                return -EINVAL;
        *path = vc_access_socket(dir, name);
        return *path ? 0 : -ENAMETOOLONG;
}

int main(int argc, char **argv) {
        if (argc < 3 || argc - 2 > GUESTS_MAX) {
                fprintf(stderr, "usage: vcluster-forward DIR NAME=IP... (run by the node prolog)\n");
                return 2;
        }
        const char *dir = argv[1];
        size_t n = (size_t)argc - 2;
        struct guest *g = xcalloc(n, sizeof(*g));
        struct pollfd *p = xcalloc(n, sizeof(*p));
        umask(0077);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                int r = parse_guest(argv[i + 2], dir, &g[i], &path);
                if (r == 0 && (g[i].fd = listen_on(path)) < 0)
                        r = g[i].fd;
                if (r < 0) {
                        fprintf(stderr, "vcluster-forward: %s: %s\n", argv[i + 2],
                                r == -EINVAL ? "not NAME=IPv4" : strerror(-r));
                        return 1;
                }
                p[i] = (struct pollfd){.fd = g[i].fd, .events = POLLIN};
        }
        /* children are never waited for: none becomes a zombie */
        struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
        sigaction(SIGCHLD, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (write_all(STDOUT_FILENO, "ready\n", 6) < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
                return 1;
        pid_t self = getpid();
        for (;;) {
                if (poll(p, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "vcluster-forward: poll: %s\n", strerror(errno));
                        return 1;
                }
                for (size_t i = 0; i < n; i++) {
                        if (!(p[i].revents & POLLIN))
                                continue;
                        int c = accept4(g[i].fd, NULL, NULL, SOCK_CLOEXEC);
                        if (c < 0)
                                continue;
                        pid_t pid = fork();
                        if (pid == 0) {
                                for (size_t k = 0; k < n; k++)
                                        close(g[k].fd);
                                serve(c, &g[i], self);
                        }
                        if (pid < 0)
                                fprintf(stderr, "vcluster-forward: fork: %s\n", strerror(errno));
                        close(c);
                }
        }
}
