/* squid_proc.c — finding a cluster's squid processes by their argv, and
 * stopping them (pidref.h). */
#include "cache_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>

#include "log.h"
#include "pidref.h"
#include "util.h"

/* squid needs shutdown_lifetime (1 s) and some more after a SIGTERM. */
#define STOP_TERM_MS 10000
#define STOP_KILL_MS 5000

struct proc {
        pid_t pid, ppid;
        unsigned long long start; /* since boot, in clock ticks: tells a reused pid apart */
        bool ours, master;
};

/* squid_argv: whether pid runs squid with config conf: argv[0] squid (the
 * master) or "(squid-N)" (a kid), and "-f CONF" among its arguments. */
bool vc_squid_argv(pid_t pid, const char *conf, bool *master) {
        _cleanup_free_ char *s = NULL;
        size_t len;
        if (vc_proc_cmdline(pid, &s, &len) < 0)
                return false;
        const char *base = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
        bool is_master = streq(base, "squid");
        if (!is_master && strncmp(s, "(squid", 6) != 0)
                return false;
        if (!vc_argv_has_pair(s, len, "-f", conf))
                return false;
        if (master)
                *master = is_master;
        return true;
}

/* squid_procs: every process running squid with conf, and their
 * descendants (the kid's unlinkd), as a malloc'd array of *n. */
static struct proc *squid_procs(const char *conf, size_t *n) {
        *n = 0;
        DIR *d = opendir("/proc");
        if (!d)
                return NULL;
        struct proc *all = NULL;
        size_t cnt = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                unsigned long long pid;
                if (parse_uint(e->d_name, 1, INT_MAX, &pid) < 0)
                        continue;
                struct proc p = {.pid = (pid_t)pid};
                char st;
                if (vc_proc_stat(p.pid, &p.ppid, &st, &p.start) < 0 || st == 'Z' || st == 'X')
                        continue;
                p.ours = vc_squid_argv(p.pid, conf, &p.master);
                if (cnt == cap) {
                        cap = cap ? 2 * cap : 256;
                        all = xrealloc(all, cap * sizeof(*all));
                }
                all[cnt++] = p;
        }
        closedir(d);
        for (bool more = true; more;) {
                more = false;
                for (size_t i = 0; i < cnt; i++)
                        for (size_t k = 0; !all[i].ours && k < cnt; k++)
                                if (all[k].ours && all[k].pid == all[i].ppid)
                                        all[i].ours = more = true;
        }
        size_t m = 0;
        for (size_t i = 0; i < cnt; i++)
                if (all[i].ours)
                        all[m++] = all[i];
        *n = m;
        if (m == 0) {
                free(all);
                return NULL;
        }
        return all;
}

/* pidfile_pid: the pid in the pid file when it is our squid's master, else 0. */
pid_t vc_squid_pidfile_pid(const struct cache_args *a) {
        pid_t pid;
        bool master = false;
        if (vc_pid_file_read(a->pidfile, &pid) < 0 || !vc_squid_argv(pid, a->conf, &master) || !master)
                return 0;
        return pid;
}

/* pidrefs_free: close the handles of n processes and free them. */
static void pidrefs_free(struct vc_pidref *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                vc_pidref_done(&v[i]);
        free(v);
}

/* squid_stop: no process runs squid with our config any more (nor a child of one). */
int vc_squid_stop(const struct cache_args *a, char **err) {
        size_t n;
        _cleanup_free_ struct proc *found = squid_procs(a->conf, &n);
        if (n == 0)
                return 0;
        /* A handle on each, the very process scanned (the same start time). */
        struct vc_pidref *v = xcalloc(n, sizeof(*v));
        _cleanup_free_ bool *term = xcalloc(n, sizeof(*term));
        size_t held = 0;
        bool master = false;
        for (size_t i = 0; i < n; i++)
                master |= found[i].master;
        for (size_t i = 0; i < n; i++) {
                struct vc_pidref p;
                if (vc_pidref_set_pid(&p, found[i].pid) < 0)
                        continue;
                if (p.start != found[i].start) {
                        vc_pidref_done(&p);
                        continue;
                }
                /* The master stops its kids; without one (it died), each gets the signal. */
                term[held] = found[i].master || !master;
                v[held++] = p;
        }
        _cleanup_free_ char *what = xasprintf("%s: squid process", a->what);
        pid_t stuck = 0;
        int r = vc_pidrefs_stop(v, held, term, STOP_TERM_MS, STOP_KILL_MS, what, &stuck);
        pidrefs_free(v, held);
        if (r == -ETIMEDOUT)
                return vc_fail(err, -EBUSY, "%s: squid process %d did not exit after SIGKILL", a->what, (int)stuck);
        if (r < 0)
                return vc_fail(err, -EBUSY, "%s: signalling squid process %d: %s", a->what, (int)stuck, strerror(-r));
        /* One that started meanwhile (a master restarting its kid) is caught now. */
        size_t again;
        _cleanup_free_ struct proc *w = squid_procs(a->conf, &again);
        if (again > 0) {
                *err = xasprintf("%s: squid process %d (config %s) still runs after it was stopped", a->what,
                                 (int)w[0].pid, a->conf);
                return -EBUSY;
        }
        log_info("%s: squid stopped (%zu process%s)", a->what, n, n == 1 ? "" : "es");
        return 0;
}
