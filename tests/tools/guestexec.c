/* guestexec — run a command in a test guest through its agent channel.
 *
 *   guestexec [-t SECONDS] SOCKET COMMAND...
 *   guestexec -w [-t SECONDS] SOCKET
 *
 * SOCKET is the host end of the guest's virtio-serial port
 * org.vcluster.agent (a QEMU chardev in server mode; see guest/init for the
 * guest's side). The COMMAND words are joined with spaces into one line —
 * the guest runs it with `sh -c`, so quote for that shell — and sent; the
 * guest's output (stdout and stderr together, line by line) is copied to
 * stdout until the line "vc-rc N", and guestexec exits N.
 *
 * Synchronisation: a client that gave up (timeout, ^C) leaves the rest of its
 * command's output, and even a command it sent that the guest had not read
 * yet, to whoever connects next; and a guest greets most new connections
 * with "up NAME". So the command line is preceded by a line of its own,
 * `echo vc-sync-NONCE`, and everything up to the "vc-sync-NONCE" line and the
 * "vc-rc 0" after it is skipped: stale output and greetings never reach
 * stdout, nor a stale "vc-rc". (A line of output that reads exactly
 * "vc-rc N" still ends the command early: the protocol is in-band.)
 *
 * -w waits for the greeting instead: prints NAME of "up NAME" and exits 0.
 *
 * The whole exchange must end within SECONDS (default 30), else a message
 * naming the socket and exit 124. Exit 1 with a message when the socket
 * cannot be reached (missing, refused) or the guest end closes before
 * "vc-rc"; exit 2 on bad usage.
 */
#include <errno.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sock.h"
#include "util.h"

#define EXIT_CONN 1
#define EXIT_USAGE 2
#define EXIT_TIMEOUT 124
/* A line longer than this is passed through in pieces (never a "vc-rc"). */
#define LINE_MAX_LEN 65536

static const char *sock_path;
static unsigned long long timeout_s = 30;
static uint64_t deadline;

static int usage(const char *why) {
        if (why)
                fprintf(stderr, "guestexec: %s\n", why);
        fputs("usage: guestexec [-t SECONDS] SOCKET COMMAND...\n"
              "       guestexec -w [-t SECONDS] SOCKET\n",
              stderr);
        return EXIT_USAGE;
}

static int timed_out(void) {
        fprintf(stderr, "guestexec: %s: no answer from the guest within %llu s (still booting, busy, or"
                        " another client holding the channel?)\n", sock_path, timeout_s);
        return EXIT_TIMEOUT;
}

/* is_rc LINE: "vc-rc N" with N in 0..255 → N, else -1. */
static int is_rc(const char *line) {
        unsigned long long n;
        if (strncmp(line, "vc-rc ", 6) != 0 || parse_uint(line + 6, 0, 255, &n) < 0)
                return -1;
        return (int)n;
}

static void out(const char *s, size_t n) {
        if (write_all(STDOUT_FILENO, s, n) < 0)
                exit(EXIT_CONN);
}

int main(int argc, char **argv) {
        /* "vc-sync-NONCE": the output of our first line; NULL with -w. */
        _cleanup_free_ char *sync_line = NULL;
        bool wait_up = false;
        int c;
        while ((c = getopt(argc, argv, "+wt:h")) != -1) {
                switch (c) {
                case 'w':
                        wait_up = true;
                        break;
                case 't':
                        if (parse_uint(optarg, 1, 86400, &timeout_s) < 0)
                                return usage("-t wants whole seconds, 1 to 86400");
                        break;
                default:
                        return usage(NULL);
                }
        }
        if (optind >= argc)
                return usage("no SOCKET");
        sock_path = argv[optind++];
        if (wait_up && optind != argc)
                return usage("-w takes no COMMAND");
        if (!wait_up && optind >= argc)
                return usage("no COMMAND");
        _cleanup_free_ char *cmd = NULL;
        if (!wait_up) {
                cmd = strv_join_n((const char *const *)argv + optind, (size_t)(argc - optind), " ");
                if (strchr(cmd, '\n'))
                        return usage("COMMAND must be one line");
                if (!cmd[strspn(cmd, " \t")])
                        return usage("COMMAND is empty");
        }
        deadline = now_ms() + timeout_s * 1000;

        _cleanup_close_ int fd = vc_unix_connect(sock_path);
        if (fd < 0) {
                fprintf(stderr, "guestexec: %s: cannot connect: %s\n", sock_path, strerror(-fd));
                return EXIT_CONN;
        }
        if (cmd) {
                /* A guest that reads nothing must not hold the send past the deadline. */
                struct timeval tv = {.tv_sec = (time_t)timeout_s};
                (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                uint64_t nonce = 0;
                if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
                        nonce = now_ms() ^ ((uint64_t)getpid() << 32);
                sync_line = xasprintf("vc-sync-%016llx", (unsigned long long)nonce);
                _cleanup_free_ char *line = xasprintf("echo %s\n%s\n", sync_line, cmd);
                int r = vc_send_all(fd, line, strlen(line));
                if (r == -EAGAIN || r == -EWOULDBLOCK)
                        return timed_out();
                if (r < 0) {
                        fprintf(stderr, "guestexec: %s: send: %s\n", sock_path, strerror(-r));
                        return EXIT_CONN;
                }
        }

        _cleanup_free_ char *buf = xmalloc(LINE_MAX_LEN + 1);
        size_t len = 0;
        /* 0: before our sync line, 1: before its "vc-rc 0", 2: our command's output. */
        int state = 0;
        for (;;) {
                /* Every complete line in buf. */
                char *nl;
                while ((nl = memchr(buf, '\n', len)) || len == LINE_MAX_LEN) {
                        size_t n = nl ? (size_t)(nl - buf) : len;
                        size_t take = nl ? n + 1 : len;
                        buf[n] = '\0';
                        if (wait_up) {
                                if (nl && strncmp(buf, "up ", 3) == 0) {
                                        printf("%s\n", buf + 3);
                                        return fflush(stdout) == 0 ? 0 : EXIT_CONN;
                                }
                        } else if (state == 0) {
                                if (nl && streq(buf, sync_line))
                                        state = 1;
                        } else if (state == 1) {
                                if (nl && is_rc(buf) >= 0)
                                        state = 2;
                        } else {
                                int rc = nl ? is_rc(buf) : -1;
                                if (rc >= 0)
                                        return rc;
                                if (nl)
                                        buf[n] = '\n';
                                out(buf, take);
                        }
                        memmove(buf, buf + take, len - take);
                        len -= take;
                }

                uint64_t now = now_ms();
                if (now >= deadline)
                        return timed_out();
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, (int)(deadline - now));
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "guestexec: poll: %s\n", strerror(errno));
                        return EXIT_CONN;
                }
                if (r == 0)
                        return timed_out();
                ssize_t got = read(fd, buf + len, LINE_MAX_LEN - len);
                if (got < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        fprintf(stderr, "guestexec: %s: read: %s\n", sock_path, strerror(errno));
                        return EXIT_CONN;
                }
                if (got == 0) {
                        if (len && state == 2)
                                out(buf, len);
                        fprintf(stderr, "guestexec: %s: the guest end closed before %s\n", sock_path,
                                wait_up ? "its \"up\" line" : "\"vc-rc\"");
                        return EXIT_CONN;
                }
                len += (size_t)got;
        }
}
