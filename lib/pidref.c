/* pidref.c — a handle on a foreign process: identity, signals, stopping (pidref.h). */
#include "pidref.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>

#include "log.h"
#include "util.h"

/* How often a wait looks again. */
#define POLL_MS 50

int vc_proc_stat(pid_t pid, pid_t *ppid, char *state, unsigned long long *start) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_free_ char *s = NULL;
        size_t len;
        int r = read_file(path, &s, &len, 4096);
        if (r < 0)
                return r;
        /* "PID (COMM) S PPID …": COMM may hold anything, the last ')' ends it */
        const char *p = strrchr(s, ')');
        int pp;
        char st;
        unsigned long long t;
        /* fields 3 (state), 4 (ppid), 5-21 skipped, 22 (starttime) */
        if (!p || sscanf(p + 1, " %c %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
                         &st, &pp, &t) != 3)
                return -EINVAL;
        if (ppid)
                *ppid = pp;
        if (state)
                *state = st;
        if (start)
                *start = t;
        return 0;
}

int vc_proc_cmdline(pid_t pid, char **argv, size_t *len) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        int r = read_file(path, argv, len, 65536);
        if (r == 0 && *len == 0) { /* a zombie has none */
                free(*argv);
                *argv = NULL;
                r = -ENOENT;
        }
        return r;
}

bool vc_argv_has_pair(const char *argv, size_t len, const char *opt, const char *val) {
        const char *end = argv + len;
        for (const char *p = argv; p < end; p += strlen(p) + 1) {
                const char *next = p + strlen(p) + 1;
                if (streq(p, opt) && next < end && streq(next, val))
                        return true;
        }
        return false;
}

int vc_pid_file_read(const char *path, pid_t *pid) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file(path, &text, &len, 64);
        if (r < 0)
                return r;
        text[strcspn(text, " \t\r\n")] = 0;
        unsigned long long v;
        if (parse_uint(text, 2, INT_MAX, &v) < 0)
                return -EINVAL;
        *pid = (pid_t)v;
        return 0;
}

int vc_pidref_set_pid(struct vc_pidref *p, pid_t pid) {
        *p = VC_PIDREF_NULL;
        /* The pidfd first: the start time read after it is surely this process's. */
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0 && errno == ESRCH)
                return -ESRCH;
        char st;
        unsigned long long start;
        if (vc_proc_stat(pid, NULL, &st, &start) < 0 || st == 'Z' || st == 'X') {
                if (fd >= 0)
                        close(fd);
                return -ESRCH;
        }
        *p = (struct vc_pidref){.pid = pid, .fd = fd, .start = start};
        return 0;
}

void vc_pidref_done(struct vc_pidref *p) {
        if (p->fd >= 0)
                close(p->fd);
        *p = VC_PIDREF_NULL;
}

bool vc_pidref_alive(const struct vc_pidref *p) {
        if (p->pid <= 0)
                return false;
        if (p->fd >= 0) {
                /* readable once the process has ended, reaped or not */
                struct pollfd q = {.fd = p->fd, .events = POLLIN};
                if (poll(&q, 1, 0) > 0)
                        return false;
        }
        char st;
        unsigned long long t;
        return vc_proc_stat(p->pid, NULL, &st, &t) == 0 && st != 'Z' && st != 'X' && t == p->start;
}

int vc_pidref_kill(const struct vc_pidref *p, int sig) {
        int r;
        if (p->fd >= 0)
                r = (int)syscall(SYS_pidfd_send_signal, p->fd, sig, NULL, 0);
        else if (vc_pidref_alive(p))
                r = kill(p->pid, sig); /* without a pidfd a small race stays: the start time was checked just now */
        else
                return 0;
        return r < 0 && errno != ESRCH ? -errno : 0;
}

size_t vc_pidrefs_wait_gone(const struct vc_pidref *v, size_t n, int ms) {
        uint64_t until = now_ms() + (uint64_t)ms;
        for (;;) {
                size_t left = 0;
                for (size_t i = 0; i < n; i++)
                        left += vc_pidref_alive(&v[i]);
                if (left == 0 || now_ms() >= until)
                        return left;
                usleep(POLL_MS * 1000);
        }
}

/* first_alive: the pid of one of v still running, or 0. */
static pid_t first_alive(const struct vc_pidref *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (vc_pidref_alive(&v[i]))
                        return v[i].pid;
        return 0;
}

int vc_pidrefs_stop(const struct vc_pidref *v, size_t n, const bool *term, int term_ms, int kill_ms, const char *what,
                    pid_t *stuck) {
        pid_t dummy;
        stuck = stuck ? stuck : &dummy;
        *stuck = 0;
        for (size_t i = 0; i < n; i++) {
                int r = (!term || term[i]) && vc_pidref_alive(&v[i]) ? vc_pidref_kill(&v[i], SIGTERM) : 0;
                if (r < 0) {
                        *stuck = v[i].pid;
                        return r;
                }
        }
        if (vc_pidrefs_wait_gone(v, n, term_ms) == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                if (!vc_pidref_alive(&v[i]))
                        continue;
                log_warning("%s %d still runs %d s after SIGTERM: SIGKILL", what, (int)v[i].pid, term_ms / 1000);
                int r = vc_pidref_kill(&v[i], SIGKILL);
                if (r < 0) {
                        *stuck = v[i].pid;
                        return r;
                }
        }
        if (vc_pidrefs_wait_gone(v, n, kill_ms) == 0)
                return 0;
        *stuck = first_alive(v, n);
        return *stuck ? -ETIMEDOUT : 0;
}

char **vc_log_tail(const char *text, size_t n) {
        _cleanup_free_ char *copy = xstrdup(text ? text : "");
        char **v = xcalloc(1, sizeof(char *));
        const char **ring = n ? xcalloc(n, sizeof(char *)) : NULL;
        size_t seen = 0;
        for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && n; l = strtok_r(NULL, "\n", &save)) {
                size_t len = strlen(l);
                while (len && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r'))
                        l[--len] = 0;
                if (len)
                        ring[seen++ % n] = l;
        }
        for (size_t i = seen > n ? seen - n : 0; i < seen; i++)
                strv_push(&v, ring[i % n]);
        free(ring);
        return v;
}
