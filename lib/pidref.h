/* pidref.h — a handle on one process we did not start and must stop (a
 * daemon that forked away: squid, openvpn), after systemd's pidref: its pid,
 * a pidfd that pins it, and its identity (the start time in /proc/PID/stat),
 * so a pid the kernel has given to another process meanwhile is never
 * signalled or waited for. What a process is (its argv) is the caller's to
 * check before taking a handle; the handle then stays true to that process.
 *
 * Stopping is TERM, a bounded wait, then KILL to whatever still runs and
 * another bounded wait. Contract: 0 or -errno; nothing here logs but the
 * SIGKILL warning of vc_pidrefs_stop.
 */
#ifndef VC_PIDREF_H
#define VC_PIDREF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vc_pidref {
        pid_t pid;                /* 0: no process */
        int fd;                   /* its pidfd, or -1 (a kernel without pidfd_open) */
        unsigned long long start; /* since boot, in clock ticks: tells a reused pid apart */
};

#define VC_PIDREF_NULL ((struct vc_pidref){.pid = 0, .fd = -1})

/* vc_proc_stat: ppid, state and start time of pid from /proc/PID/stat (any may be NULL); 0 or -errno. */
int vc_proc_stat(pid_t pid, pid_t *ppid, char *state, unsigned long long *start);
/* vc_proc_cmdline: pid's argv as the kernel keeps it, NUL-separated (malloc'd, *len bytes); -ENOENT when it is gone or a zombie. */
int vc_proc_cmdline(pid_t pid, char **argv, size_t *len);
/* vc_argv_has_pair: whether the NUL-separated argv of len bytes holds opt directly followed by val. */
bool vc_argv_has_pair(const char *argv, size_t len, const char *opt, const char *val);
/* vc_pid_file_read: the pid (2 or more) a pid file holds; -ENOENT without the file, -EINVAL when it holds no pid. */
int vc_pid_file_read(const char *path, pid_t *pid);

/* vc_pidref_set_pid: hold pid (its pidfd and start time); -ESRCH when it has ended or is a zombie. */
int vc_pidref_set_pid(struct vc_pidref *p, pid_t pid);
/* vc_pidref_done: let go of the process (close the pidfd); *p is VC_PIDREF_NULL after. */
void vc_pidref_done(struct vc_pidref *p);
/* vc_pidref_alive: whether the very process still runs (not ended, not a zombie, not another with its pid). */
bool vc_pidref_alive(const struct vc_pidref *p);
/* vc_pidref_kill: send sig to the very process; 0 when it has ended meanwhile; else 0 or -errno. */
int vc_pidref_kill(const struct vc_pidref *p, int sig);

/* vc_pidrefs_wait_gone: until none of the n processes runs, at most ms; how many still run. */
size_t vc_pidrefs_wait_gone(const struct vc_pidref *v, size_t n, int ms);
/* vc_pidrefs_stop: the n processes are gone: SIGTERM to those term marks
 * (every one when term is NULL), up to term_ms for all to end (a master
 * takes its kids along), then SIGKILL to each still running, logged as
 * "WHAT PID still runs N s after SIGTERM: SIGKILL", and up to kill_ms more.
 * 0; -ETIMEDOUT when one still runs even then; or the -errno of a signal the
 * kernel refused. *stuck (may be NULL) names that process. */
int vc_pidrefs_stop(const struct vc_pidref *v, size_t n, const bool *term, int term_ms, int kill_ms, const char *what,
                    pid_t *stuck);

/* vc_log_tail: the last n non-empty lines of a daemon's log text, trailing
 * white space cut, as a NULL-terminated vector (malloc'd; empty when there
 * are none): what to quote when it failed. */
char **vc_log_tail(const char *text, size_t n);

#endif
