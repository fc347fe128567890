#include "ready.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "escape.h"
#include "node.h"
#include "sock.h"
#include "util.h"

#define TICK_MS 200
#define STATE_EVERY_MS 1000
/* Bytes taken from one guest per wakeup: a guest that writes without end
 * must not keep us from the deadline and the other guests. */
#define FEED_MAX (64u << 10)

/* console_tail: the last line with text of a console log (malloc'd), for errors. */
static char *console_tail(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return xstrdup("(no console output)");
        char buf[512];
        off_t end = lseek(fd, 0, SEEK_END);
        off_t at = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, at);
        if (n <= 0)
                return xstrdup("(no console output)");
        buf[n] = 0;
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] == '\r' || buf[i] == 0) /* a NUL would hide what follows */
                        buf[i] = ' ';
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                buf[--n] = 0;
        char *last = strrchr(buf, '\n');
        /* it reaches logs, AdminComment and `vcluster status`: the guest wrote it */
        return vc_escape(last ? last + 1 : buf);
}

/* feed: take what a connected guest wrote, in blocks, at most FEED_MAX
 * bytes: 1 once its "up" line came, 0 for more to come (the caller then
 * checks its deadline), -1 at end of stream. */
static int feed(struct vc_ready_guest *g) {
        char buf[4096];
        for (size_t taken = 0; taken < FEED_MAX;) {
                ssize_t r = read(g->fd, buf, sizeof(buf));
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                        return -1;
                if (r < 0)
                        return 0;
                taken += (size_t)r;
                for (ssize_t i = 0; i < r; i++) {
                        if (buf[i] != '\n') {
                                if (g->len < sizeof(g->line) - 1)
                                        g->line[g->len++] = buf[i];
                                continue;
                        }
                        g->line[g->len] = 0;
                        g->len = 0;
                        if (strncmp(g->line, "up", 2) == 0 && (g->line[2] == 0 || g->line[2] == ' '))
                                return 1;
                }
        }
        return 0;
}

static void disconnect(struct vc_ready_guest *g) {
        if (g->fd >= 0)
                close(g->fd);
        g->fd = -1;
}

static int check_running(virConnectPtr conn, struct vc_ready_guest *g, char **err) {
        virDomainPtr d = virDomainLookupByName(conn, g->domain);
        int state = -1, reason;
        if (d) {
                if (virDomainGetState(d, &state, &reason, 0) < 0)
                        state = -1;
                virDomainFree(d);
        }
        if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED)
                return 0;
        _cleanup_free_ char *tail = console_tail(g->console);
        *err = xasprintf("guest %s stopped while booting (domain %s %s); its console (%s) ends: %s", g->name,
                         g->domain, d ? "not running" : "gone", g->console, tail);
        return -EIO;
}

int vc_guests_wait_up(virConnectPtr conn, struct vc_ready_guest *g, size_t n, unsigned timeout_s,
                      void (*on_up)(void *arg, const char *name), void *arg, char **err) {
        uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000, next_state = 0;
        _cleanup_free_ struct pollfd *pfd = xcalloc(n ? n : 1, sizeof(*pfd));
        _cleanup_free_ size_t *who = xcalloc(n ? n : 1, sizeof(size_t));
        for (size_t i = 0; i < n; i++) {
                g[i].fd = -1;
                g[i].len = 0;
        }
        int r = 0;
        for (;;) {
                size_t left = 0, np = 0;
                for (size_t i = 0; i < n; i++) {
                        if (g[i].up)
                                continue;
                        left++;
                        if (g[i].fd < 0) {
                                int fd = vc_unix_connect(g[i].agent);
                                if (fd < 0)
                                        continue; /* QEMU has not made the socket yet */
                                g[i].fd = fd;
                                (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                        }
                        pfd[np] = (struct pollfd){.fd = g[i].fd, .events = POLLIN};
                        who[np++] = i;
                }
                if (left == 0)
                        break;
                uint64_t now = now_ms();
                if (now >= next_state) {
                        for (size_t i = 0; i < n && r == 0; i++)
                                if (!g[i].up)
                                        r = check_running(conn, &g[i], err);
                        if (r < 0)
                                break;
                        next_state = now + STATE_EVERY_MS;
                }
                if (now >= deadline) {
                        for (size_t i = 0; i < n; i++)
                                if (!g[i].up) {
                                        _cleanup_free_ char *tail = console_tail(g[i].console);
                                        *err = xasprintf("guest %s did not report up within %us; its console (%s) "
                                                         "ends: %s", g[i].name, timeout_s, g[i].console, tail);
                                        break;
                                }
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(pfd, np, TICK_MS) < 0 && errno != EINTR) {
                        r = -errno;
                        *err = xasprintf("poll: %s", strerror(-r));
                        break;
                }
                for (size_t p = 0; p < np; p++) {
                        struct vc_ready_guest *x = &g[who[p]];
                        if (!(pfd[p].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        int f = feed(x);
                        if (f > 0) {
                                x->up = true;
                                disconnect(x);
                                if (on_up)
                                        on_up(arg, x->name);
                        } else if (f < 0) {
                                disconnect(x); /* the socket went away: connect again next tick */
                        }
                }
        }
        for (size_t i = 0; i < n; i++)
                disconnect(&g[i]);
        return r;
}
