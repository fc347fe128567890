/* rpcpoke — speak vlanallocd's wire protocol directly, to send what the real
 * client never would (integration tests of the daemon's front door).
 *
 *   rpcpoke -s SOCK|tcp:HOST:PORT [-m MUNGESOCK] [-t SECONDS] MODE ARGS…
 *     raw FILE                 FILE's bytes, framed with a correct length
 *     len N                    only a header announcing N bytes, then wait
 *     big N                    a header of N, then really stream N bytes
 *     truncate REQJSON         header for all of REQJSON, half the body, SHUT_WR
 *     wrongpayload REQ OTHER   OTHER sealed with munge, sent with REQ as "req"
 *     replay REQJSON           one sealed envelope sent on two connections
 *     send REQJSON             a normal sealed request
 *     hold N SECONDS           open N connections, send nothing, close them
 *                              after SECONDS (prints "held N"); a connection
 *                              flood, to see how the daemon treats others
 *
 * Each reply is printed on its own line (the daemon's JSON, or "closed" when
 * the daemon closed the connection without a reply). Exit 0 when every
 * connection got a reply or a closure, 2 on a local error (bad usage, cannot
 * connect, munge failed, timed out waiting for the daemon).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "auth.h"
#include "rpc.h"
#include "sock.h"
#include "util.h"

#define EXIT_LOCAL 2
/* Replies are small; anything bigger than this is a daemon bug worth seeing. */
#define REPLY_MAX (16u << 20)

static const char *sock_path;
static const char *munge_socket;
static int timeout_s = 30;

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("rpcpoke: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return EXIT_LOCAL;
}

static int usage(void) {
        fputs("usage: rpcpoke -s SOCK [-m MUNGESOCK] [-t SECONDS] MODE ARGS...\n"
              "  raw FILE | len N | big N | truncate REQJSON | wrongpayload REQJSON OTHERJSON\n"
              "  | replay REQJSON | send REQJSON | hold N SECONDS\n",
              stderr);
        return EXIT_LOCAL;
}

/* connect_daemon: a connected Unix socket with send/receive time-outs, or -errno. */
static int connect_daemon(void) {
        int fd;
        if (strncmp(sock_path, "tcp:", 4) == 0) {
                /* tcp:HOST:PORT — a daemon reached over TCP (a storage agent) */
                _cleanup_free_ char *host = xstrdup(sock_path + 4), *why = NULL;
                char *colon = strrchr(host, ':');
                if (!colon)
                        return -EINVAL;
                *colon = '\0';
                fd = vc_tcp_connect(host, colon + 1, &why);
        } else
                fd = vc_unix_connect(sock_path);
        if (fd < 0)
                return fd;
        struct timeval tv = {.tv_sec = timeout_s};
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        return fd;
}

static int send_header(int fd, uint32_t n) {
        uint32_t be = htonl(n);
        return vc_send_all(fd, &be, sizeof(be));
}

/* await_reply: print the daemon's reply (or "closed"); 0, or EXIT_LOCAL. */
static int await_reply(int fd) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = vc_rpc_recv(fd, REPLY_MAX, &buf, &len);
        if (r == 0) {
                /* A sealed reply shows what it says; the seal is the client's business. */
                json_t *env = NULL;
                const char *rcred, *rep;
                _cleanup_free_ char *why = NULL;
                if (vc_rpc_reply_unwrap(buf, len, &env, &rcred, &rep, &why) == 0)
                        fputs(rep, stdout);
                else
                        fwrite(buf, 1, len, stdout);
                json_decref(env);
                fputc('\n', stdout);
        } else if (r == -ENODATA || r == -ECONNRESET || r == -EPIPE) {
                puts("closed");
        } else if (r == -EPROTO) {
                puts("closed (in the middle of a reply)");
        } else if (r == -EAGAIN) {
                return die("no reply within %d s", timeout_s);
        } else if (r == -EMSGSIZE) {
                return die("reply announces %zu bytes, more than %u", len, REPLY_MAX);
        } else {
                return die("reading the reply: %s", strerror(-r));
        }
        fflush(stdout);
        return 0;
}

/* exchange: one connection: send msg framed (its real length), print the reply. */
static int exchange(const char *msg, size_t len) {
        _cleanup_close_ int fd = connect_daemon();
        if (fd < 0)
                return die("%s: %s", sock_path, strerror(-fd));
        int r = vc_rpc_send(fd, msg, len);
        /* A daemon that refused early may have closed already; its reply is still queued. */
        if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                return die("sending: %s", strerror(-r));
        return await_reply(fd);
}

static int parse_len(const char *s, uint32_t *n) {
        unsigned long long v;
        if (parse_uint(s, 0, UINT32_MAX, &v) < 0)
                return -EINVAL;
        *n = (uint32_t)v;
        return 0;
}

static int mode_raw(const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_file(path, &buf, &len, 64u << 20);
        if (r < 0)
                return die("%s: %s", path, strerror(-r));
        return exchange(buf, len);
}

static int mode_len(const char *arg) {
        uint32_t n;
        if (parse_len(arg, &n) < 0)
                return die("len %s: not a byte count", arg);
        _cleanup_close_ int fd = connect_daemon();
        if (fd < 0)
                return die("%s: %s", sock_path, strerror(-fd));
        int r = send_header(fd, n);
        if (r < 0)
                return die("sending: %s", strerror(-r));
        return await_reply(fd);
}

static int mode_big(const char *arg) {
        uint32_t n;
        if (parse_len(arg, &n) < 0)
                return die("big %s: not a byte count", arg);
        _cleanup_close_ int fd = connect_daemon();
        if (fd < 0)
                return die("%s: %s", sock_path, strerror(-fd));
        int r = send_header(fd, n);
        static char chunk[64 * 1024];
        memset(chunk, 'x', sizeof(chunk));
        uint64_t sent = 0;
        /* Count what the kernel took, so the caller can tell how far the daemon let it get. */
        while (r == 0 && sent < n) {
                size_t k = n - sent < sizeof(chunk) ? (size_t)(n - sent) : sizeof(chunk);
                ssize_t w = send(fd, chunk, k, MSG_NOSIGNAL);
                if (w < 0 && errno != EINTR)
                        r = -errno;
                else if (w > 0)
                        sent += (uint64_t)w;
        }
        fprintf(stderr, "rpcpoke: sent %llu of %u body bytes%s%s\n", (unsigned long long)sent, n,
                r < 0 ? ", then: " : "", r < 0 ? strerror(-r) : "");
        if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                return die("sending: %s", strerror(-r));
        return await_reply(fd);
}

static int mode_truncate(const char *req) {
        _cleanup_close_ int fd = connect_daemon();
        if (fd < 0)
                return die("%s: %s", sock_path, strerror(-fd));
        size_t len = strlen(req);
        int r = send_header(fd, (uint32_t)len);
        if (r == 0)
                r = vc_send_all(fd, req, len / 2);
        if (r < 0)
                return die("sending: %s", strerror(-r));
        if (shutdown(fd, SHUT_WR) < 0)
                return die("shutdown: %m");
        return await_reply(fd);
}

static char *seal(const char *payload) {
        char *cred = NULL;
        _cleanup_free_ char *err = NULL;
        if (vc_auth_seal(munge_socket, payload, &cred, &err) < 0) {
                die("%s", err ? err : "munge failed");
                return NULL;
        }
        return cred;
}

static int mode_sealed(const char *req, const char *payload, int times) {
        _cleanup_free_ char *cred = seal(payload);
        if (!cred)
                return EXIT_LOCAL;
        _cleanup_free_ char *env = vc_rpc_envelope(cred, req);
        for (int i = 0; i < times; i++) {
                int r = exchange(env, strlen(env));
                if (r)
                        return r;
        }
        return 0;
}

static int mode_hold(const char *count, const char *secs) {
        unsigned long long n, t;
        if (parse_uint(count, 1, 4096, &n) < 0 || parse_uint(secs, 0, 3600, &t) < 0)
                return die("hold %s %s: N from 1 to 4096, SECONDS from 0 to 3600", count, secs);
        _cleanup_free_ int *fds = xcalloc(n, sizeof(int));
        size_t opened = 0;
        int r = 0;
        while (opened < n) {
                int fd = connect_daemon();
                if (fd < 0) {
                        r = die("connection %zu: %s", opened + 1, strerror(-fd));
                        break;
                }
                fds[opened++] = fd;
        }
        if (r == 0) {
                printf("held %zu\n", opened);
                fflush(stdout);
                sleep((unsigned)t);
        }
        for (size_t i = 0; i < opened; i++)
                close(fds[i]);
        return r;
}

int main(int argc, char **argv) {
        int c;
        while ((c = getopt(argc, argv, "+s:m:t:h")) != -1) {
                switch (c) {
                case 's': sock_path = optarg; break;
                case 'm': munge_socket = optarg; break;
                case 't': {
                        unsigned long long v;
                        if (parse_uint(optarg, 1, 3600, &v) < 0)
                                return die("-t %s: seconds from 1 to 3600", optarg);
                        timeout_s = (int)v;
                        break;
                }
                default: return usage();
                }
        }
        if (!sock_path || optind >= argc)
                return usage();
        signal(SIGPIPE, SIG_IGN);
        const char *mode = argv[optind];
        char **arg = argv + optind + 1;
        int nargs = argc - optind - 1;
        static const struct {
                const char *name;
                int nargs;
        } modes[] = {{"raw", 1},    {"len", 1},    {"big", 1}, {"truncate", 1}, {"wrongpayload", 2},
                     {"replay", 1}, {"send", 1},    {"hold", 2}};
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
                if (streq(modes[i].name, mode)) {
                        if (modes[i].nargs != nargs)
                                return die("%s takes %d argument%s", mode, modes[i].nargs,
                                           modes[i].nargs == 1 ? "" : "s");
                        known = true;
                }
        if (!known)
                return usage();
        if (streq(mode, "raw"))
                return mode_raw(arg[0]);
        if (streq(mode, "len"))
                return mode_len(arg[0]);
        if (streq(mode, "big"))
                return mode_big(arg[0]);
        if (streq(mode, "truncate"))
                return mode_truncate(arg[0]);
        if (streq(mode, "wrongpayload"))
                return mode_sealed(arg[0], arg[1], 1);
        if (streq(mode, "hold"))
                return mode_hold(arg[0], arg[1]);
        if (streq(mode, "replay"))
                return mode_sealed(arg[0], arg[0], 2);
        return mode_sealed(arg[0], arg[0], 1);
}
