/* subreaper — run a command as the child of a PR_SET_CHILD_SUBREAPER process.
 *
 *   subreaper [-l] [-p PIDFILE] COMMAND [ARG...]
 *
 * Runs COMMAND as a child and reaps every orphan that is re-parented to it
 * (e.g. the QEMU processes libvirtd daemonizes), at once: this machine's init
 * reaps orphans slowly (~1.7 s), and libvirt waits for a killed QEMU to be
 * really gone. SIGTERM and SIGINT are forwarded to COMMAND. PIDFILE, when
 * given, receives COMMAND's pid once it is started.
 *
 * Exits with COMMAND's status (128+N when killed by signal N) as soon as
 * COMMAND ends; with -l (linger) only once every other child is gone too, so
 * that orphans outliving COMMAND (QEMU guests across a libvirtd restart) are
 * still reaped here rather than by init. Exit 127 when COMMAND cannot be run,
 * 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "util.h"

static int usage(void) {
        fputs("usage: subreaper [-l] [-p PIDFILE] COMMAND [ARG...]\n", stderr);
        return 2;
}

static int status_code(int st) {
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 1;
}

static int write_pidfile(const char *path, pid_t pid) {
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
        _cleanup_free_ char *txt = xasprintf("%ld\n", (long)pid);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write_all(fd, txt, strlen(txt)) < 0 || rename(tmp, path) < 0)
                return -errno;
        return 0;
}

int main(int argc, char **argv) {
        bool linger = false;
        const char *pidfile = NULL;
        int c;
        while ((c = getopt(argc, argv, "+lp:h")) != -1) {
                switch (c) {
                case 'l':
                        linger = true;
                        break;
                case 'p':
                        pidfile = optarg;
                        break;
                default:
                        return usage();
                }
        }
        if (optind >= argc)
                return usage();

        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
                fprintf(stderr, "subreaper: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
                return 1;
        }
        /* Signals are taken synchronously with sigwaitinfo; an inherited
         * SIG_IGN would make the kernel drop them, so reset them first. */
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_BLOCK, &set, &old);

        pid_t child = fork();
        if (child < 0) {
                fprintf(stderr, "subreaper: fork: %s\n", strerror(errno));
                return 1;
        }
        if (child == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                execvp(argv[optind], argv + optind);
                fprintf(stderr, "subreaper: %s: %s\n", argv[optind], strerror(errno));
                _exit(127);
        }
        if (pidfile && write_pidfile(pidfile, child) < 0)
                fprintf(stderr, "subreaper: %s: %s\n", pidfile, strerror(errno));

        bool child_done = false;
        int code = 0;
        for (;;) {
                /* Reap everything that has ended (COMMAND and orphans alike). */
                for (;;) {
                        int st;
                        pid_t p = waitpid(-1, &st, WNOHANG);
                        if (p > 0) {
                                if (p == child) {
                                        child_done = true;
                                        code = status_code(st);
                                }
                                continue;
                        }
                        if (p < 0 && errno == EINTR)
                                continue;
                        if (p < 0 && errno == ECHILD && child_done)
                                return code;
                        break;
                }
                if (child_done && !linger)
                        return code;

                siginfo_t si;
                int sig = sigwaitinfo(&set, &si);
                if (sig < 0)
                        continue;
                if ((sig == SIGTERM || sig == SIGINT) && !child_done)
                        kill(child, sig);
        }
}
