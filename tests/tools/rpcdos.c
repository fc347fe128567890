/* rpcdos — the denial-of-service attacks on a daemon speaking rpc.h, for
 * the integration tests that prove its front door holds (test_rpc_dos.sh).
 *
 *   rpcdos -s SOCK|tcp:HOST:PORT [-b ADDR,ADDR…] [-r] MODE N SECONDS
 *     idle     open N connections and send nothing
 *     trickle  open N connections, announce a 100-byte request and send one
 *              byte of it every 2 s
 *   -b  bind TCP connections to these source addresses, round robin (a
 *       flood "from many hosts" on one machine: 127.0.0.x)
 *   -r  reopen every connection the daemon closes, for as long as it runs
 *       (the determined attacker)
 *
 * Prints "open K" once the first K connections are up (K < N when the
 * daemon closed some at once), then after SECONDS a summary line:
 *   opened O closed C longest L ms
 * (C: connections the daemon closed; L: the longest any one lived). Exit
 * 0, or 2 on a local error (bad usage, not even one connection).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util.h"

#define EXIT_LOCAL 2
#define TRICKLE_EVERY_MS 2000
#define ANNOUNCED 100

struct conn {
        int fd;
        uint64_t opened, next_byte;
        unsigned sent;
};

static const char *target;
static char **sources;
static size_t n_sources, next_source;
static bool trickle;

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("rpcdos: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return EXIT_LOCAL;
}

/* open_one: a connected socket to target (blocking connect, then nonblocking), or -errno. */
static int open_one(void) {
        int fd;
        if (strncmp(target, "tcp:", 4) == 0) {
                _cleanup_free_ char *host = xstrdup(target + 4);
                char *colon = strrchr(host, ':');
                if (!colon)
                        return -EINVAL;
                *colon = '\0';
                struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
                if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
                        return -EINVAL;
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                if (n_sources) {
                        struct sockaddr_in src = {.sin_family = AF_INET};
                        inet_pton(AF_INET, sources[next_source++ % n_sources], &src.sin_addr);
                        if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
                                int e = -errno;
                                close(fd);
                                return e;
                        }
                }
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                        int e = -errno;
                        close(fd);
                        return e;
                }
        } else {
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", target);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                        int e = -errno;
                        close(fd);
                        return e;
                }
        }
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        return fd;
}

/* start: open c, and when trickling send the header announcing ANNOUNCED bytes. */
static int start(struct conn *c) {
        int fd = open_one();
        if (fd < 0)
                return fd;
        *c = (struct conn){.fd = fd, .opened = now_ms(), .next_byte = now_ms() + TRICKLE_EVERY_MS};
        if (trickle) {
                uint32_t be = htonl(ANNOUNCED);
                (void)send(fd, &be, sizeof(be), MSG_NOSIGNAL);
        }
        return 0;
}

int main(int argc, char **argv) {
        bool reopen = false;
        int opt;
        while ((opt = getopt(argc, argv, "+s:b:rh")) != -1) {
                switch (opt) {
                case 's': target = optarg; break;
                case 'b':
                        for (char *save = NULL, *t = strtok_r(optarg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                                sources = xrealloc(sources, (n_sources + 1) * sizeof(*sources));
                                sources[n_sources++] = t;
                        }
                        break;
                case 'r': reopen = true; break;
                default: return die("usage: rpcdos -s SOCK|tcp:HOST:PORT [-b ADDR,…] [-r] idle|trickle N SECONDS");
                }
        }
        unsigned long long n, secs;
        if (!target || argc - optind != 3 || (!streq(argv[optind], "idle") && !streq(argv[optind], "trickle")) ||
            parse_uint(argv[optind + 1], 1, 100000, &n) < 0 || parse_uint(argv[optind + 2], 1, 3600, &secs) < 0)
                return die("usage: rpcdos -s SOCK|tcp:HOST:PORT [-b ADDR,…] [-r] idle|trickle N SECONDS");
        trickle = streq(argv[optind], "trickle");
        signal(SIGPIPE, SIG_IGN);
        _cleanup_free_ struct conn *cs = xcalloc(n, sizeof(*cs));
        _cleanup_free_ struct pollfd *pfd = xcalloc(n, sizeof(*pfd));
        unsigned long long opened = 0, closed = 0;
        uint64_t longest = 0;
        for (size_t i = 0; i < n; i++) {
                int r = start(&cs[i]);
                if (r < 0) {
                        cs[i].fd = -1;
                        if (i == 0)
                                return die("%s: %s", target, strerror(-r));
                        continue;
                }
                opened++;
        }
        printf("open %llu\n", opened);
        fflush(stdout);
        uint64_t end = now_ms() + secs * 1000;
        char sink[4096];
        for (uint64_t now = now_ms(); now < end; now = now_ms()) {
                for (size_t i = 0; i < n; i++) {
                        /* the byte a trickler owes, when due */
                        if (cs[i].fd >= 0 && trickle && now >= cs[i].next_byte && cs[i].sent < ANNOUNCED - 1) {
                                (void)send(cs[i].fd, "x", 1, MSG_NOSIGNAL);
                                cs[i].sent++;
                                cs[i].next_byte = now + TRICKLE_EVERY_MS;
                        }
                        if (cs[i].fd < 0 && reopen && start(&cs[i]) == 0)
                                opened++;
                        pfd[i] = (struct pollfd){.fd = cs[i].fd, .events = POLLIN};
                }
                int k = poll(pfd, n, 100);
                if (k < 0 && errno != EINTR)
                        return die("poll: %m");
                for (size_t i = 0; k > 0 && i < n; i++) {
                        if (cs[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        ssize_t got = recv(cs[i].fd, sink, sizeof(sink), 0);
                        if (got > 0)
                                continue; /* a reply (an error, a timeout): the close follows */
                        if (got < 0 && (errno == EAGAIN || errno == EINTR))
                                continue;
                        uint64_t lived = now_ms() - cs[i].opened;
                        if (lived > longest)
                                longest = lived;
                        closed++;
                        close(cs[i].fd);
                        cs[i].fd = -1;
                }
        }
        for (size_t i = 0; i < n; i++)
                if (cs[i].fd >= 0) {
                        uint64_t lived = now_ms() - cs[i].opened;
                        if (lived > longest)
                                longest = lived;
                        close(cs[i].fd);
                }
        printf("opened %llu closed %llu longest %llu ms\n", opened, closed, (unsigned long long)longest);
        return 0;
}
