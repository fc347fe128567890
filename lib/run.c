#include "run.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* One captured stream. Storage grows on demand so a quiet program costs
 * nothing, and never beyond VC_RUN_MAX_OUTPUT. */
struct capture {
        char *buf;
        size_t len, cap;
};

static void capture_append(struct capture *c, const char *p, size_t n, bool *truncated) {
        size_t room = VC_RUN_MAX_OUTPUT - c->len;
        if (n > room) {
                n = room;
                *truncated = true;
        }
        if (n == 0)
                return;
        if (c->len + n > c->cap) {
                size_t cap = c->cap ? c->cap : 4096;
                while (cap < c->len + n)
                        cap *= 2;
                if (cap > VC_RUN_MAX_OUTPUT)
                        cap = VC_RUN_MAX_OUTPUT;
                c->buf = xrealloc(c->buf, cap + 1);
                c->cap = cap;
        }
        memcpy(c->buf + c->len, p, n);
        c->len += n;
}

/* capture_take: hand out a NUL-terminated buffer ("" when nothing came). */
static char *capture_take(struct capture *c, size_t *len) {
        char *p = c->buf ? c->buf : xmalloc(1);
        p[c->len] = 0;
        *len = c->len;
        c->buf = NULL;
        c->len = c->cap = 0;
        return p;
}

/*
 * Writing into the child's stdin can raise SIGPIPE when the child exits (or
 * closes stdin) without reading everything. The daemon must neither die nor
 * have to ignore SIGPIPE process-wide, and other threads must not be
 * affected, so SIGPIPE is blocked in this thread only for the write; a
 * SIGPIPE the write raised is directed at this thread, so it stays pending
 * and is consumed with a zero-timeout sigtimedwait before the mask is
 * restored. A SIGPIPE that was already pending before we blocked is left
 * alone: it belongs to someone else.
 */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t n) {
        sigset_t pipe_set, old, pending;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigemptyset(&pending);
        sigpending(&pending);
        bool was_pending = sigismember(&pending, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_set, &old);

        ssize_t w = write(fd, buf, n);
        int saved = errno;
        if (w < 0 && saved == EPIPE && !was_pending) {
                static const struct timespec zero = {0, 0};
                while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
                        ;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = saved;
        return w;
}

/* set_nonblock: the parent's ends only; the child's ends stay blocking,
 * as programs expect of their standard streams. */
static int set_nonblock(int fd) {
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

/* child_fail: report errno to the parent and exit. Only async-signal-safe
 * calls are allowed after fork() in a threaded process. */
_Noreturn static void child_fail(int errfd, int err) {
        ssize_t w;
        do
                w = write(errfd, &err, sizeof(err));
        while (w < 0 && errno == EINTR);
        _exit(127);
}

/* close_other_fds: make sure nothing but 0, 1, 2 survives exec. Marking
 * the range close-on-exec (rather than closing it) keeps errfd working until
 * exec succeeds. */
static void close_other_fds(int errfd) {
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return;
        /* Kernels before 5.11: close everything except errfd by hand. */
        if (errfd > 3)
                close_range(3, (unsigned)errfd - 1, 0);
        if (close_range((unsigned)errfd + 1, ~0U, 0) == 0)
                return;
        /* Kernels before 5.9: no close_range at all. */
        struct rlimit rl;
        int max = 65536;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            rl.rlim_cur < (rlim_t)INT_MAX)
                max = (int)rl.rlim_cur;
        for (int fd = 3; fd < max; fd++)
                if (fd != errfd)
                        close(fd);
}

_Noreturn static void child_exec(const char *const argv[], int in, int out, int err_fd,
                                 int errfd) {
        /* Own group, so a timeout can kill everything the program starts. */
        setpgid(0, 0);

        /* If the parent ran with 0, 1 or 2 closed, errfd may be one of them
         * and would be overwritten by the dup2 calls below. */
        if (errfd < 3) {
                int moved = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
                if (moved < 0)
                        _exit(127);
                errfd = moved;
        }

        /* Handlers are reset by exec, but ignored signals stay ignored and the
         * mask is inherited: a daemon that ignores SIGPIPE or blocks SIGCHLD
         * must not hand that to programs that rely on the defaults. */
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        sigaction(sig, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);

        /* Move the three sources above 2 first: if the parent ran with a closed
         * standard fd, a pipe end may itself be 0, 1 or 2, and dup2 in order
         * would clobber it. */
        int src[3] = {in, out, err_fd};
        for (int i = 0; i < 3; i++) {
                src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
                if (src[i] < 0)
                        child_fail(errfd, errno);
        }
        for (int i = 0; i < 3; i++)
                if (dup2(src[i], i) < 0)
                        child_fail(errfd, errno);
        close_other_fds(errfd);

        /* glibc's execvp searches PATH with stack buffers, no malloc, so it is
         * safe here even when other threads held the allocator lock at fork. */
        execvp(argv[0], (char *const *)argv);
        child_fail(errfd, errno);
}

static void fail_result(struct vc_run_result *res, const char *msg) {
        res->status = 127;
        res->out = xstrdup("");
        res->out_len = 0;
        res->err = xstrdup(msg);
        res->err_len = strlen(res->err);
}

/* start_failed: the program could not even be started (no pipes, no fork). */
static int start_failed(struct vc_run_result *res, const char *prog, int e) {
        char msg[512], ebuf[128];
        snprintf(msg, sizeof(msg), "cannot run '%s': %s", prog,
                 strerror_r(e, ebuf, sizeof(ebuf)));
        fail_result(res, msg);
        return -e;
}

/* kill_group: the child and everything it started. The group exists as
 * long as the unreaped child does, so its id cannot have been reused; the
 * fallback only matters if both setpgid calls failed. */
static void kill_group(pid_t pid) {
        if (kill(-pid, SIGKILL) < 0)
                kill(pid, SIGKILL);
}

static int wait_child(pid_t pid, int *status) {
        for (;;) {
                pid_t r = waitpid(pid, status, 0);
                if (r == pid)
                        return 0;
                if (r < 0 && errno != EINTR)
                        return -errno;
        }
}

/* reap: wait for pid, but not past the deadline (0: none): a program may
 * close its output and keep running, so EOF alone proves nothing. A pidfd
 * lets poll wait for the exit; without one (Linux < 5.3) we poll waitpid. */
static int reap(pid_t pid, uint64_t deadline, bool *timed_out, int *status) {
        if (!deadline || *timed_out)
                return wait_child(pid, status);
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        for (;;) {
                pid_t r = waitpid(pid, status, WNOHANG);
                if (r == pid)
                        return 0;
                if (r < 0 && errno != EINTR)
                        return -errno;
                uint64_t now = now_ms();
                if (now >= deadline) {
                        kill_group(pid);
                        *timed_out = true;
                        return wait_child(pid, status);
                }
                uint64_t left = deadline - now;
                if (pidfd >= 0) {
                        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
                        poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
                } else {
                        usleep((useconds_t)(left < 10 ? left : 10) * 1000);
                }
        }
}

int vc_run(const char *const argv[], const char *input, int timeout_ms,
           struct vc_run_result *res) {
        memset(res, 0, sizeof(*res));
        if (!argv || !argv[0] || !argv[0][0]) {
                fail_result(res, "cannot execute: empty command");
                return -EINVAL;
        }

        /* Every fd is O_CLOEXEC from birth: another thread may fork at any
         * moment, and a stray copy of our stdin write end in its child would
         * keep our child from ever seeing EOF. */
        _cleanup_close_ int in_r = -1, in_w = -1, out_r = -1, out_w = -1;
        _cleanup_close_ int err_r = -1, err_w = -1, exec_r = -1, exec_w = -1;
        int p[2];
        if (input) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return start_failed(res, argv[0], errno);
                in_r = p[0];
                in_w = p[1];
                int r = set_nonblock(in_w);
                if (r < 0)
                        return start_failed(res, argv[0], -r);
        } else {
                in_r = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (in_r < 0)
                        return start_failed(res, argv[0], errno);
        }
        if (pipe2(p, O_CLOEXEC) < 0)
                return start_failed(res, argv[0], errno);
        out_r = p[0];
        out_w = p[1];
        if (pipe2(p, O_CLOEXEC) < 0)
                return start_failed(res, argv[0], errno);
        err_r = p[0];
        err_w = p[1];
        if (pipe2(p, O_CLOEXEC) < 0)
                return start_failed(res, argv[0], errno);
        exec_r = p[0];
        exec_w = p[1];
        int nb = set_nonblock(out_r);
        if (nb == 0)
                nb = set_nonblock(err_r);
        if (nb < 0)
                return start_failed(res, argv[0], -nb);

        uint64_t deadline = timeout_ms > 0 ? now_ms() + (uint64_t)timeout_ms : 0;

        pid_t pid = fork();
        if (pid < 0)
                return start_failed(res, argv[0], errno);
        if (pid == 0)
                child_exec(argv, in_r, out_w, err_w, exec_w);

        /* Also from the parent, so the group exists before we could ever
         * signal it; EACCES after the child's exec is harmless. */
        setpgid(pid, pid);
        close(TAKE_FD(in_r));
        close(TAKE_FD(out_w));
        close(TAKE_FD(err_w));
        close(TAKE_FD(exec_w));

        /* EOF on the error pipe means exec succeeded (close-on-exec);
         * four bytes mean it failed with that errno. The child runs only our
         * own code until then, so this read is short. */
        int exec_errno = 0;
        ssize_t n;
        do
                n = read(exec_r, &exec_errno, sizeof(exec_errno));
        while (n < 0 && errno == EINTR);
        close(TAKE_FD(exec_r));
        if (n == (ssize_t)sizeof(exec_errno) && exec_errno > 0) {
                int st;
                wait_child(pid, &st);
                char msg[512], ebuf[128];
                snprintf(msg, sizeof(msg), "cannot execute '%s': %s", argv[0],
                         strerror_r(exec_errno, ebuf, sizeof(ebuf)));
                fail_result(res, msg);
                return -exec_errno;
        }

        const char *in_p = input;
        size_t in_left = input ? strlen(input) : 0;
        if (in_w >= 0 && in_left == 0)
                close(TAKE_FD(in_w));

        struct capture cap_out = {0}, cap_err = {0};
        bool truncated = false, timed_out = false;
        char chunk[65536];

        while (in_w >= 0 || out_r >= 0 || err_r >= 0) {
                int wait_ms = -1;
                if (deadline) {
                        uint64_t now = now_ms();
                        if (now >= deadline) {
                                kill_group(pid);
                                timed_out = true;
                                /* Stop here: something that left the group
                                 * (setsid) may hold the pipes open forever. */
                                break;
                        }
                        uint64_t left = deadline - now;
                        wait_ms = left > INT_MAX ? INT_MAX : (int)left;
                }

                struct pollfd pfd[3];
                int *fds[3] = {&in_w, &out_r, &err_r};
                struct capture *caps[3] = {NULL, &cap_out, &cap_err};
                nfds_t np = 0;
                int idx[3];
                for (int i = 0; i < 3; i++) {
                        if (*fds[i] < 0)
                                continue;
                        pfd[np].fd = *fds[i];
                        pfd[np].events = i == 0 ? POLLOUT : POLLIN;
                        pfd[np].revents = 0;
                        idx[np++] = i;
                }
                int r = poll(pfd, np, wait_ms);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        /* Cannot watch the child any more: do not leave it
                         * running unsupervised. */
                        kill_group(pid);
                        break;
                }
                for (nfds_t k = 0; k < np; k++) {
                        if (!pfd[k].revents)
                                continue;
                        int i = idx[k];
                        if (i == 0) {
                                ssize_t w = write_nosigpipe(in_w, in_p, in_left);
                                if (w > 0) {
                                        in_p += w;
                                        in_left -= (size_t)w;
                                        if (in_left == 0)
                                                close(TAKE_FD(in_w));
                                } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                                        /* EPIPE: the child does not want the
                                         * rest of its input; not an error. */
                                        close(TAKE_FD(in_w));
                                }
                                continue;
                        }
                        /* One read per round, not until EAGAIN: a program
                         * that writes without pause (yes) would otherwise
                         * keep us here past the deadline. Past the cap data
                         * is still read and dropped, so the child never
                         * blocks on a full pipe. */
                        ssize_t got = read(*fds[i], chunk, sizeof(chunk));
                        if (got > 0)
                                capture_append(caps[i], chunk, (size_t)got, &truncated);
                        else if (got == 0 || (errno != EINTR && errno != EAGAIN))
                                close(TAKE_FD(*fds[i]));
                }
        }

        int st = 0;
        int r = reap(pid, deadline, &timed_out, &st);
        if (r < 0) {
                /* Someone else reaped it (a SIGCHLD handler with waitpid(-1)):
                 * the output is real, the status is unknown. */
                res->status = 255;
        } else if (WIFEXITED(st)) {
                res->status = WEXITSTATUS(st);
        } else if (WIFSIGNALED(st)) {
                res->status = 128 + WTERMSIG(st);
        } else {
                res->status = 255;
        }
        res->timed_out = timed_out;
        res->truncated = truncated;
        res->out = capture_take(&cap_out, &res->out_len);
        res->err = capture_take(&cap_err, &res->err_len);
        return 0;
}

void vc_run_result_free(struct vc_run_result *res) {
        if (!res)
                return;
        free(res->out);
        free(res->err);
        res->out = res->err = NULL;
        res->out_len = res->err_len = 0;
}

/* needs_quote: anything a shell would treat specially, so the logged line
 * can be pasted back into a shell and mean the same argv. */
static bool needs_quote(const char *s) {
        if (!*s)
                return true;
        for (; *s; s++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789_@%+=:,./-", *s))
                        return true;
        return false;
}

char *vc_argv_format(const char *const argv[]) {
        size_t cap = 1;
        for (size_t i = 0; argv && argv[i]; i++)
                cap += 4 * strlen(argv[i]) + 3;
        char *out = xmalloc(cap);
        char *o = out;
        for (size_t i = 0; argv && argv[i]; i++) {
                if (i)
                        *o++ = ' ';
                if (!needs_quote(argv[i])) {
                        size_t l = strlen(argv[i]);
                        memcpy(o, argv[i], l);
                        o += l;
                        continue;
                }
                /* Single quotes protect everything but a single quote, which
                 * becomes '\'' (close, escaped quote, reopen). Control bytes
                 * are shown as \xNN so an argument cannot forge a log line. */
                *o++ = '\'';
                for (const char *s = argv[i]; *s; s++) {
                        unsigned char c = (unsigned char)*s;
                        if (c == '\'') {
                                memcpy(o, "'\\''", 4);
                                o += 4;
                        } else if (c < 0x20 || c == 0x7f) {
                                snprintf(o, 5, "\\x%02x", c);
                                o += 4;
                        } else {
                                *o++ = *s;
                        }
                }
                *o++ = '\'';
        }
        *o = 0;
        return out;
}
