/* squid.c — a cluster's squid brought up: its dirs, config, the guard, squid
 * -z, the daemon, its ports, the interception. */
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "log.h"
#include "netns.h"
#include "nodestate.h"
#include "run.h"
#include "util.h"

/* squid -z makes 16 × 256 directories: seconds, even on a slow disk. */
#define SQUID_Z_TIMEOUT_MS 120000

/* `squid -f` only daemonizes; `nft`, `sysctl` are quick. */
#define CMD_TIMEOUT_MS 30000

/* From the start until squid accepts on both ports. */
#define READY_TIMEOUT_MS 30000
#define READY_POLL_MS 100

/* The congestion control of the cache's namespace (per network namespace,
 * gone with it): loss-based, so that squid's flows to many guests back off
 * when the switch's port drops (README, the cache). */
#define VC_SQUID_TCP_CC "reno"

/* make_dirs: dir (root, 0711) with cache/ and log/ owned by the user
 * (0750); *ours once dir is known to be ours (made now, or root's from an
 * earlier run): only then may a failure remove it. */
static int make_dirs(const struct cache_args *a, uid_t uid, gid_t gid, bool *ours, char **err) {
        if (mkdir(a->dir, 0711) == 0)
                *ours = true;
        else if (errno != EEXIST) {
                return vc_fail_errno(err, "%s: creating %s", a->what, a->dir);
        }
        _cleanup_close_ int dfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (dfd < 0 || fstat(dfd, &st) < 0) {
                int e = errno;
                *err = xasprintf("%s: %s: %s", a->what, a->dir, e == ELOOP ? "a symlink, not a directory" : strerror(e));
                return -e;
        }
        if (st.st_uid != 0 || fchmod(dfd, 0711) < 0) {
                *err = xasprintf("%s: %s exists and is not root's: not a cache dir this step made", a->what, a->dir);
                return -EPERM;
        }
        *ours = true;
        const char *subs[] = {VC_SQUID_CACHE_SUBDIR, VC_SQUID_LOG_SUBDIR};
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
                if (mkdirat(dfd, subs[i], 0750) < 0 && errno != EEXIST)
                        return vc_fail_errno(err, "%s: creating %s/%s", a->what, a->dir, subs[i]);
                if (fstatat(dfd, subs[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
                    fchownat(dfd, subs[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
                        *err = xasprintf("%s: %s/%s: not a directory the squid user can be given", a->what, a->dir,
                                         subs[i]);
                        return -ENOTDIR;
                }
        }
        return 0;
}

/* run_ok: run argv (with input on stdin when not NULL); it must exit 0, else *err has its words. */
static int run_ok(const struct cache_args *a, const char *const argv[], const char *input, int timeout_ms,
                  char **err) {
        struct vc_run_result res;
        int r = vc_run(argv, input, timeout_ms, &res);
        if (r == 0 && res.status == 0) {
                vc_run_result_free(&res);
                return 0;
        }
        _cleanup_free_ char *cmd = vc_argv_format(argv);
        const char *msg = res.err && *res.err ? res.err : res.out && *res.out ? res.out : NULL;
        _cleanup_free_ char *m = xstrdup(msg ? msg : res.timed_out ? "timed out" : "no message");
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
                m[--n] = 0;
        for (char *c = m; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        *err = r < 0 ? xasprintf("%s: %s: %s", a->what, cmd, m)
                     : xasprintf("%s: %s: exit status %d: %s", a->what, cmd, res.status, m);
        bool timed_out = res.timed_out;
        vc_run_result_free(&res);
        return r < 0 ? r : timed_out ? -ETIMEDOUT : -EIO;
}

/* listen_fn: 1 when a TCP socket of this thread's network namespace listens
 * on port *arg (any address, IPv4 or IPv6), else 0. Read from the socket
 * tables, never by connecting: a connection to the intercept port that no
 * redirect made would make squid stop listening on it (squidconf.h). */
static int listen_fn(void *arg, char **err) {
        const int port = *(const int *)arg;
        const char *tables[] = {"/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"};
        for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
                _cleanup_free_ char *s = NULL;
                size_t len;
                int r = read_file(tables[i], &s, &len, 64u << 20);
                if (r == -ENOENT && i == 1) /* no IPv6 */
                        continue;
                if (r < 0) {
                        *err = xasprintf("reading %s: %s", tables[i], strerror(-r));
                        return r;
                }
                /* "  sl  local_address rem_address   st …", addresses HEX:PORT in hex */
                for (char *line = strchr(s, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
                        unsigned lport, st;
                        if (sscanf(line + 1, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &lport, &st) == 2 &&
                            st == 0x0A && lport == (unsigned)port)
                                return 1;
                }
        }
        return 0;
}

/* port_taken: 1 when something listens on TCP port in the namespace, 0 when not, or -errno. */
static int port_taken(const struct cache_args *a, int port, char **err) {
        _cleanup_free_ char *why = NULL;
        int r = vc_netns_run(a->netns, listen_fn, &port, &why);
        if (r < 0)
                *err = xasprintf("%s: looking for a listener on port %d: %s", a->what, port, why ? why : strerror(-r));
        return r;
}

/* wait_ready: squid (started with its log at offset from) listens on both
 * ports; fails early with squid's own words when it says it cannot. */
static int wait_ready(const struct cache_args *a, off_t from, pid_t *pid, char **err) {
        uint64_t until = now_ms() + READY_TIMEOUT_MS;
        *pid = 0;
        for (;;) {
                _cleanup_free_ char *problem = vc_squid_log_problem(a, from);
                if (problem) {
                        *err = xasprintf("%s: squid cannot work: %s (in %s)", a->what, problem, a->cachelog);
                        return strstr(problem, "in use") ? -EADDRINUSE : -EIO;
                }
                if (!*pid)
                        *pid = vc_squid_pidfile_pid(a);
                if (*pid) {
                        bool master;
                        if (!vc_squid_argv(*pid, a->conf, &master)) {
                                _cleanup_free_ char *words = vc_squid_last_words(a, NULL, from);
                                *err = xasprintf("%s: squid (pid %d) exited while starting: %s", a->what, (int)*pid,
                                                 words);
                                return -EIO;
                        }
                        int r1 = port_taken(a, a->sc.port, err), r2 = r1 < 0 ? 0 : port_taken(a, a->sc.proxy_port, err);
                        if (r1 < 0 || r2 < 0)
                                return r1 < 0 ? r1 : r2;
                        if (r1 == 1 && r2 == 1)
                                return 0;
                }
                if (now_ms() >= until) {
                        _cleanup_free_ char *words = vc_squid_last_words(a, NULL, from);
                        *err = *pid ? xasprintf("%s: squid (pid %d) did not listen on ports %d and 127.0.0.1:%d "
                                                "within %d s: %s",
                                                a->what, (int)*pid, a->sc.port, a->sc.proxy_port,
                                                READY_TIMEOUT_MS / 1000, words)
                                    : xasprintf("%s: squid wrote no pid file %s within %d s: %s", a->what, a->pidfile,
                                                READY_TIMEOUT_MS / 1000, words);
                        return -ETIMEDOUT;
                }
                usleep(READY_POLL_MS * 1000);
        }
}

/* nft_load: load ruleset text into the namespace's nftables. */
int vc_squid_nft_load(const struct cache_args *a, const char *text, char **err) {
        _cleanup_free_ char *why = NULL;
        int r = vc_netns_nft(a->netns, text, &why);
        if (r < 0)
                *err = xasprintf("%s: %s", a->what, why);
        return r;
}

/* ports_free: neither of squid's ports is taken by another program in the namespace. */
static int ports_free(const struct cache_args *a, char **err) {
        const int ports[] = {a->sc.port, a->sc.proxy_port};
        for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
                int r = port_taken(a, ports[i], err);
                if (r < 0)
                        return r;
                if (r == 1)
                        return vc_fail(err, -EADDRINUSE,
                                       "%s: TCP port %d in network namespace %s is already taken by another program: "
                                       "squid cannot listen on it",
                                       a->what, ports[i], a->netns);
        }
        return 0;
}

/* make_cache: `squid -z`, which makes the cache's directories. */
static int make_cache(const struct cache_args *a, char **err) {
        off_t from = vc_squid_log_size(a);
        const char *mkcache[] = {"squid", "-z", "-N", "-f", a->conf, NULL};
        struct vc_run_result res;
        int r = vc_run(mkcache, NULL, SQUID_Z_TIMEOUT_MS, &res);
        if (r < 0 || res.status != 0) {
                _cleanup_free_ char *cmd = vc_argv_format(mkcache), *words = vc_squid_last_words(a, &res, from);
                *err = r < 0 ? xasprintf("%s: %s: %s (is squid installed?)", a->what, cmd, res.err)
                             : xasprintf("%s: %s: exit status %d: %s", a->what, cmd, res.status, words);
                r = r < 0 ? r : -EIO;
        }
        vc_run_result_free(&res);
        return r;
}

/* squid_start: no squid of ours with a valid pid file runs: a stale one
 * stopped, the ports free, the guard loaded, the cache made, squid started
 * in the namespace and listening on both ports; *pid its master. */
static int squid_start(const struct cache_args *a, const char *guard, pid_t *pid, char **err) {
        /* A squid of ours without a valid pid file cannot be told to stop by squid itself: stop it. */
        int r = vc_squid_stop(a, err);
        if (r < 0)
                return r;
        if (unlink(a->pidfile) < 0 && errno != ENOENT)
                return vc_fail_errno(err, "%s: removing the stale %s", a->what, a->pidfile);
        /* Before squid listens, nothing but our redirect may reach the intercept port. */
        if ((r = ports_free(a, err)) < 0 || (r = vc_squid_nft_load(a, guard, err)) < 0 || (r = make_cache(a, err)) < 0)
                return r;
        off_t from = vc_squid_log_size(a);
        const char *start[] = {"ip", "netns", "exec", a->netns, "squid", "-f", a->conf, NULL};
        if ((r = run_ok(a, start, NULL, CMD_TIMEOUT_MS, err)) < 0 || (r = wait_ready(a, from, pid, err)) < 0)
                return r;
        log_info("%s: squid started (pid %d), intercept port %d, proxy port 127.0.0.1:%d, cache %s/%s (%lld MB)",
                 a->what, (int)*pid, a->sc.port, a->sc.proxy_port, a->dir, VC_SQUID_CACHE_SUBDIR, a->sc.size_mb);
        return 0;
}

/* prepare: the user may search the way to dir, dir and squid.conf made,
 * bridge netfilter on and Reno set in the namespace; *touched once something is made. */
static int prepare(const struct cache_args *a, const struct passwd *pw, const char *conf_text, bool *touched,
                   char **err) {
        gid_t gids[256];
        int ng = (int)ARRAY_SIZE(gids);
        if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &ng) < 0) {
                gids[0] = pw->pw_gid;
                ng = 1;
        }
        int r;
        if ((r = vc_cache_grant_search(a, pw->pw_name, pw->pw_uid, gids, (size_t)ng, touched, err)) < 0 ||
            (r = make_dirs(a, pw->pw_uid, pw->pw_gid, touched, err)) < 0)
                return r;
        _cleanup_free_ char *werr = NULL;
        if ((r = vc_write_file_atomic(a->conf, conf_text, strlen(conf_text), 0644, &werr)) < 0)
                return vc_fail(err, r, "%s: %s", a->what, werr);
        const char *bridge_nf[] = {"ip", "netns", "exec", a->netns, "sysctl", "-q", "-w",
                                   "net.bridge.bridge-nf-call-iptables=1", NULL};
        if ((r = run_ok(a, bridge_nf, NULL, CMD_TIMEOUT_MS, err)) < 0) {
                _cleanup_free_ char *why = TAKE_PTR(*err);
                return vc_fail(err, r, "%s (interception needs bridge netfilter: the br_netfilter module)", why);
        }
        /* Before squid listens (its connections take the listener's): the
         * loss on a busy site's switch port is the only congestion signal
         * there is, and BBR, a host default, barely slows for it. */
        const char *cc[] = {"ip", "netns", "exec", a->netns, "sysctl", "-q", "-w",
                            "net.ipv4.tcp_congestion_control=" VC_SQUID_TCP_CC, NULL};
        return run_ok(a, cc, NULL, CMD_TIMEOUT_MS, err);
}

int vc_squid_up(const struct cache_args *a, const struct passwd *pw, const char *conf_text, const char *guard,
                const char *nft, bool *touched, char **err) {
        int r = prepare(a, pw, conf_text, touched, err);
        if (r < 0)
                return r;
        pid_t pid = vc_squid_pidfile_pid(a);
        if (pid) {
                log_info("%s: squid already runs (pid %d)", a->what, (int)pid);
                r = wait_ready(a, vc_squid_log_size(a), &pid, err);
        } else {
                r = squid_start(a, guard, &pid, err);
        }
        if (r < 0 || (r = vc_squid_nft_load(a, nft, err)) < 0)
                return r;
        log_info("%s: tcp/80 arriving on %s now goes to squid", a->what, a->lan);
        return 0;
}
