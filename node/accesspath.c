/* accesspath.c — the step net.access (accesspath.h). */
#include "accesspath.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "access.h"
#include "failpoint.h"
#include "log.h"
#include "netns.h"
#include "nodestate.h"
#include "ovsport.h"
#include "pidref.h"
#include "run.h"
#include "seed.h"
#include "spec.h"
#include "util.h"

#define IP_TIMEOUT_MS 10000
#define READY_MS 10000
#define FORWARDER "vcluster-forward"

/* net.access — args {job, netns, ovs_db, ovs_bridge, ovs_netns (null: the
 * node's own), port, vlan, address (IP/PREFIX), dir, uid, gid, prog (the
 * forwarder), guests: ["NAME=IP", …], list (the guests file), pid, log
 * (the forwarder's pid file and stderr, in the node's job dir)}. */
struct access_args {
        const char *netns, *db, *bridge, *ovs_netns, *port, *address, *dir, *prog, *list, *pid, *log;
        json_int_t job, vlan, uid, gid;
        const json_t *guests;
};

static int args_parse(const json_t *args, struct access_args *a, char **err) {
        *a = (struct access_args){0};
        json_t *ovsns = json_object_get(args, "ovs_netns");
        a->ovs_netns = json_string_value(ovsns);
        a->guests = json_object_get(args, "guests");
        if (json_unpack((json_t *)args, "{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "job",
                        &a->job, "netns", &a->netns, "ovs_db", &a->db, "ovs_bridge", &a->bridge, "port", &a->port,
                        "vlan", &a->vlan, "address", &a->address, "dir", &a->dir, "uid", &a->uid, "gid", &a->gid,
                        "prog", &a->prog, "list", &a->list, "pid", &a->pid, "log", &a->log) < 0 ||
            !json_is_array(a->guests) || (ovsns && !json_is_null(ovsns) && !a->ovs_netns) || a->dir[0] != '/' ||
            a->vlan < VC_VLAN_MIN || a->vlan > VC_VLAN_MAX)
                return vc_fail(err, -EINVAL, "net.access: needs \"job\", \"netns\", \"ovs_db\", \"ovs_bridge\", "
                                             "\"port\", \"vlan\", \"address\", \"dir\" (absolute), \"uid\", \"gid\", "
                                             "\"prog\", \"guests\", \"list\", \"pid\", \"log\"");
        return 0;
}

/* ip: `ip [-n NS] WORDS…` (NULL-terminated words); 0, or -EIO with its words in *err. */
static int ip(const char *ns, char **err, ...) {
        const char *argv[16] = {"ip"};
        size_t n = 1;
        if (ns) {
                argv[n++] = "-n";
                argv[n++] = ns;
        }
        va_list ap;
        va_start(ap, err);
        for (const char *w; n < ARRAY_SIZE(argv) - 1 && (w = va_arg(ap, const char *));)
                argv[n++] = w;
        va_end(ap);
        argv[n] = NULL;
        struct vc_run_result res = {0};
        int r = vc_run(argv, NULL, IP_TIMEOUT_MS, &res);
        if (r == 0 && res.status != 0)
                r = -EIO;
        if (r < 0 && err) {
                _cleanup_free_ char *line = vc_argv_format(argv);
                const char *why = res.err && *res.err ? res.err : strerror(-r);
                *err = xasprintf("%s: %.*s", line, (int)strcspn(why, "\n"), why);
        }
        vc_run_result_free(&res);
        return r;
}

static int links_up(const struct access_args *a, char **err) {
        int r;
        if ((r = ip(a->ovs_netns, err, "link", "add", a->port, "type", "veth", "peer", "name", VC_ACCESS_IF, "netns",
                    a->netns, NULL)) < 0 ||
            (r = ip(a->ovs_netns, err, "link", "set", a->port, "up", NULL)) < 0 ||
            (r = ip(a->netns, err, "link", "set", "lo", "up", NULL)) < 0 ||
            (r = ip(a->netns, err, "addr", "add", a->address, "dev", VC_ACCESS_IF, NULL)) < 0 ||
            (r = ip(a->netns, err, "link", "set", VC_ACCESS_IF, "up", NULL)) < 0)
                return r;
        return vc_ovs_job_port_add(a->db, a->bridge, a->port, (int)a->vlan, a->job, err);
}

/* user_dir: dir made anew, the guests file in it, then handed to the user. */
static int user_dir(const struct access_args *a, char **err) {
        int r = vc_user_dir_parents(a->dir, err);
        if (r < 0)
                return r;
        if ((r = vc_remove_path(a->dir)) < 0 || (mkdir(a->dir, 0700) < 0 && (r = -errno)))
                return vc_fail(err, r, "%s: %s", a->dir, strerror(-r));
        _cleanup_close_ int dfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int fd = dfd < 0 ? -1
                                         : openat(dfd, VC_ACCESS_GUESTS, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                                  0644);
        if (fd < 0 || write_all(fd, a->list, strlen(a->list)) < 0 || fchmod(fd, 0644) < 0 ||
            fchown(dfd, (uid_t)a->uid, (gid_t)a->gid) < 0)
                return vc_fail_errno(err, "%s", a->dir);
        return 0;
}

/* child: in the namespace, as the user, exec the forwarder; never returns.
 * Only system calls after the fork. */
static void child(const struct access_args *a, int nsfd, int out, int logfd, char *const argv[]) {
        int null = open("/dev/null", O_RDONLY);
        if (setsid() < 0 || setns(nsfd, CLONE_NEWNET) < 0 || setgroups(0, NULL) < 0 ||
            setresgid((gid_t)a->gid, (gid_t)a->gid, (gid_t)a->gid) < 0 ||
            setresuid((uid_t)a->uid, (uid_t)a->uid, (uid_t)a->uid) < 0 || null < 0 || dup2(null, 0) < 0 ||
            dup2(out, 1) < 0 || dup2(logfd, 2) < 0 || chdir("/") < 0)
                _exit(126);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(a->prog, argv);
        _exit(127);
}

/* wait_ready: the forwarder's "ready" on fd within READY_MS; 0 or -errno. */
static int wait_ready(int fd) {
        char buf[8] = "";
        size_t got = 0;
        uint64_t until = now_ms() + READY_MS;
        while (got < 6) {
                uint64_t now = now_ms();
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int n = now >= until ? 0 : poll(&p, 1, (int)(until - now));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n == 0 ? -ETIMEDOUT : -errno;
                ssize_t k = read(fd, buf + got, 6 - got);
                if (k <= 0)
                        return k == 0 ? -EPIPE : -errno;
                got += (size_t)k;
        }
        return memcmp(buf, "ready\n", 6) ? -EPROTO : 0;
}

static int forwarder_start(const struct access_args *a, char **err) {
        _cleanup_close_ int nsfd = -1;
        int r = vc_netns_open(a->netns, &nsfd, err);
        if (r < 0)
                return r;
        _cleanup_close_ int logfd = open(a->log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (logfd < 0)
                return vc_fail_errno(err, "%s", a->log);
        char **argv = NULL;
        strv_push(&argv, a->prog);
        strv_push(&argv, a->dir);
        size_t i;
        json_t *g;
        json_array_foreach(a->guests, i, g) strv_push(&argv, json_string_value(g) ? json_string_value(g) : "?");
        _cleanup_strv_ char **v = argv;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return vc_fail_errno(err, "pipe");
        pid_t pid = fork();
        if (pid == 0)
                child(a, nsfd, p[1], logfd, argv);
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                return vc_fail_errno(err, "fork");
        }
        struct vc_pidref ref = VC_PIDREF_NULL;
        r = vc_pidref_set_pid(&ref, pid);
        _cleanup_free_ char *text = r == 0 ? xasprintf("%d %llu\n", (int)pid, ref.start) : NULL;
        if (r == 0)
                r = vc_write_file_atomic(a->pid, text, strlen(text), 0600, err);
        if (r == 0 && (r = wait_ready(p[0])) < 0) {
                _cleanup_free_ char *log = NULL;
                size_t len;
                (void)read_file(a->log, &log, &len, 1 << 16);
                _cleanup_strv_ char **tail = log ? vc_log_tail(log, 3) : NULL;
                _cleanup_free_ char *said = tail ? strv_join(tail, "; ") : NULL;
                r = vc_fail(err, r, "%s for %s did not start (%s)%s%s", FORWARDER, a->dir, strerror(-r),
                            said && *said ? ": " : "", said ? said : "");
        }
        close(p[0]);
        /* it was ready, or undo stops it by the pid file; our zombie of it goes when the prolog ends */
        vc_pidref_done(&ref);
        if (r < 0 && !*err)
                *err = xasprintf("%s: %s", FORWARDER, strerror(-r));
        return r;
}

/* forwarder_stop: the process the pid file names, if it still is ours (its
 * start time and argv), stopped; then the pid file and log are gone. */
static int forwarder_stop(const struct access_args *a, char **err) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file(a->pid, &text, &len, 256);
        if (r == -ENOENT)
                return unlink(a->log) < 0 && errno != ENOENT ? vc_fail_errno(err, "%s", a->log) : 0;
        if (r < 0)
                return vc_fail(err, r, "%s: %s", a->pid, strerror(-r));
        int pid = 0;
        unsigned long long start = 0;
        struct vc_pidref ref = VC_PIDREF_NULL;
        _cleanup_free_ char *cmd = NULL;
        size_t clen = 0;
        if (sscanf(text, "%d %llu", &pid, &start) == 2 && pid > 1 && vc_pidref_set_pid(&ref, pid) == 0 &&
            ref.start == start && vc_proc_cmdline(pid, &cmd, &clen) == 0 && vc_argv_has_pair(cmd, clen, a->prog, a->dir)) {
                pid_t stuck = 0;
                r = vc_pidrefs_stop(&ref, 1, NULL, 3000, 3000, FORWARDER, &stuck);
                if (r == 0)
                        log_info("%s %d of %s stopped", FORWARDER, pid, a->dir);
        }
        vc_pidref_done(&ref);
        if (r < 0)
                return vc_fail(err, r, "%s %d of %s: %s", FORWARDER, pid, a->dir, strerror(-r));
        if ((unlink(a->pid) < 0 && errno != ENOENT) || (unlink(a->log) < 0 && errno != ENOENT))
                return vc_fail_errno(err, "%s", a->pid);
        return 0;
}

int vc_access_do(void *ctx, json_t *args, char **err) {
        struct access_args a;
        int r = args_parse(args, &a, err);
        if (r < 0)
                return vc_step_untouched(r);
        /* A lost run's were undone before this run began (its journal): what is there is another's. */
        if (vc_netns_exists(a.netns))
                return vc_step_untouched(vc_fail(err, -EEXIST, "network namespace %s exists and is not this run's",
                                                 a.netns));
        if (ip(a.ovs_netns, NULL, "link", "show", a.port, NULL) == 0)
                return vc_step_untouched(vc_fail(err, -EEXIST, "interface %s exists in %s and is not this run's",
                                                 a.port, a.ovs_netns ? a.ovs_netns : "the node's namespace"));
        bool made = false;
        if ((r = vc_netns_add(a.netns, &made, err)) < 0 || (r = links_up(&a, err)) < 0 || (r = user_dir(&a, err)) < 0 ||
            (r = forwarder_start(&a, err)) < 0)
                return r;
        if ((r = FAILPOINT("node.access")) < 0)
                return vc_fail(err, r, "failpoint node.access");
        log_info("%s: %s on VLAN %lld (port %s), %zu guest(s) at %s", a.netns, a.address, (long long)a.vlan, a.port,
                 json_array_size(a.guests), a.dir);
        return 0;
}

int vc_access_undo(void *ctx, json_t *args, char **err) {
        struct access_args a;
        int r = args_parse(args, &a, err);
        if (r < 0 || (r = forwarder_stop(&a, err)) < 0)
                return r;
        if ((r = vc_remove_path(a.dir)) < 0)
                return vc_fail(err, r, "%s: %s", a.dir, strerror(-r));
        char *ports[] = {(char *)a.port, NULL};
        unsigned removed;
        if ((r = vc_ovs_ports_remove(a.db, a.bridge, ports, &removed, err)) < 0)
                return r;
        if ((!a.ovs_netns || vc_netns_exists(a.ovs_netns)) && ip(a.ovs_netns, NULL, "link", "show", a.port, NULL) == 0 &&
            (r = ip(a.ovs_netns, err, "link", "del", a.port, NULL)) < 0)
                return r;
        return vc_netns_del(a.netns, err);
}

/* self_dir: the directory of this program (the forwarder lives beside the hooks). */
static char *self_dir(void) {
        char buf[4096];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n <= 0)
                return NULL;
        buf[n] = 0;
        return xstrdup(dirname(buf));
}

int vc_node_add_access(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodecfg *nc,
                       const struct vc_nodeplan *plan, const char *dir, json_int_t uid, json_int_t gid,
                       char **err) {
        const struct vc_spec *spec = &plan->spec;
        const char *node = plan->node;
        json_int_t job = plan->job;
        size_t idx = (size_t)plan->access_index, sites = (size_t)plan->access_sites;
        char addr[16], port[16];
        if (vc_access_addr(spec->subnet, spec->prefix, sites, idx, plan->n_hosts, addr) < 0)
                return vc_fail(err, -ERANGE, "access path: subnet=/%u has no address left for node %s above the "
                                             "%zu guests", spec->prefix, node, plan->n_hosts);
        if (idx > UINT_MAX || !vc_access_port(job, (unsigned)idx, port))
                return vc_fail(err, -EINVAL, "access path: no port name for job %lld", (long long)job);
        _cleanup_free_ char *exe_dir = self_dir();
        if (!exe_dir)
                return vc_fail_errno(err, "access path: /proc/self/exe");
        json_t *guests = json_array();
        _cleanup_free_ char *list = xstrdup("");
        _cleanup_free_ char *netns = vc_access_netns(job, node), *adir = vc_access_dir(c->state_dir, node, job);
        for (size_t i = 0; i < plan->n_hosts; i++) {
                const struct vc_nodeplan_host *h = &plan->hosts[i];
                _cleanup_free_ char *sock = vc_access_socket(adir, h->name);
                if (!sock) {
                        json_decref(guests);
                        return vc_fail(err, -ENAMETOOLONG, "access path: %s/%s.sock: too long for a unix socket: use "
                                                           "a shorter StateDir", adir, h->name);
                }
                _cleanup_free_ char *pair = xasprintf("%s=%s", h->name, h->ip);
                json_array_append_new(guests, json_string(pair));
                char *l = xasprintf("%s%s %u %s\n", list, h->name, spec->cpus, h->node);
                free(list);
                list = l;
        }
        _cleanup_free_ char *prog = xasprintf("%s/" FORWARDER, exe_dir), *address = xasprintf("%s/%u", addr, spec->prefix),
                            *pid = xasprintf("%s/forward.pid", dir), *log = xasprintf("%s/forward.log", dir);
        return vc_journal_add(j, "net.access",
                              json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:i, s:s, s:s, s:I, s:I, s:s, s:o, s:s, s:s, s:s}",
                                        "job", job, "netns", netns, "ovs_db", nc->ovs_db, "ovs_bridge",
                                        nc->ovs_bridge, "ovs_netns",
                                        nc->ovs_netns ? json_string(nc->ovs_netns) : json_null(), "port", port, "vlan",
                                        plan->site.vlan,
                                        "address", address, "dir", adir, "uid", uid, "gid", gid, "prog", prog,
                                        "guests", guests, "list", list, "pid", pid, "log", log));
}

/* user.console — args {dir (the access dir), uid, gid, consoles: [{name,
 * path}]}: each guest's console log (in the node's job dir, root's) given
 * to the user and hard-linked as DIR/NAME.console, so `vcluster console`
 * reads it with the user's own rights; the job dir stays root's. Undo
 * removes the links (the logs go with their guests). */
/* user.console's args, parsed once for do and undo (strings borrowed). */
struct console_args {
        const char *dir;
        uid_t uid;
        gid_t gid;
        size_t n;
        struct {
                const char *name, *path;
        } *consoles; /* malloc'd: console_clear */
};

static void console_clear(struct console_args *a) { free(TAKE_PTR(a->consoles)); }

static int console_parse(const json_t *args, struct console_args *a, char **err) {
        *a = (struct console_args){.dir = vc_step_arg(args, "dir")};
        json_t *juid = json_object_get(args, "uid"), *jgid = json_object_get(args, "gid"),
               *cons = json_object_get(args, "consoles"), *c;
        if (!a->dir || a->dir[0] != '/' || !json_is_integer(juid) || !json_is_integer(jgid) || !json_is_array(cons))
                return vc_fail(err, -EINVAL, "user.console: needs \"dir\" (absolute), \"uid\", \"gid\", \"consoles\"");
        a->uid = (uid_t)json_integer_value(juid);
        a->gid = (gid_t)json_integer_value(jgid);
        a->consoles = xcalloc(json_array_size(cons) + 1, sizeof(*a->consoles));
        size_t i;
        json_array_foreach(cons, i, c) {
                const char *name = vc_step_arg(c, "name"), *path = vc_step_arg(c, "path");
                if (!name || !path || strchr(name, '/')) {
                        console_clear(a);
                        return vc_fail(err, -EINVAL, "user.console: consoles[%zu] needs \"name\", \"path\"", i);
                }
                a->consoles[a->n].name = name;
                a->consoles[a->n++].path = path;
        }
        return 0;
}

int vc_console_do(void *ctx, json_t *args, char **err) {
        _cleanup_(console_clear) struct console_args a = {0};
        int r = console_parse(args, &a, err);
        if (r < 0)
                return vc_step_untouched(r);
        for (size_t i = 0; i < a.n; i++) {
                _cleanup_close_ int fd = open(a.consoles[i].path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fchown(fd, a.uid, a.gid) < 0 || fchmod(fd, 0600) < 0)
                        return vc_fail_errno(err, "console log %s", a.consoles[i].path);
                _cleanup_free_ char *link_path = xasprintf("%s/%s.console", a.dir, a.consoles[i].name);
                if (link(a.consoles[i].path, link_path) < 0 && errno != EEXIST)
                        return vc_fail_errno(err, "%s", link_path);
        }
        return 0;
}

int vc_console_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(console_clear) struct console_args a = {0};
        int r = console_parse(args, &a, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < a.n; i++) {
                _cleanup_free_ char *link_path = xasprintf("%s/%s.console", a.dir, a.consoles[i].name);
                if (unlink(link_path) < 0 && errno != ENOENT)
                        return vc_fail_errno(err, "%s", link_path);
        }
        return 0;
}

int vc_node_add_console(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodeplan *plan,
                        const char *dir, char **err) {
        const char *node = plan->node;
        json_int_t job = plan->job, uid = plan->uid;
        struct passwd *pw = getpwuid((uid_t)uid);
        if (!pw)
                return vc_fail(err, -ENOENT, "user.console: the job's user (uid %lld) is not known here", (long long)uid);
        json_t *cons = json_array();
        for (size_t i = 0; i < plan->n_guests; i++) {
                const char *name = plan->guests[i].name;
                _cleanup_free_ char *path = xasprintf("%s/%s.console", dir, name);
                json_array_append_new(cons, json_pack("{s:s, s:s}", "name", name, "path", path));
        }
        _cleanup_free_ char *adir = vc_access_dir(c->state_dir, node, job);
        return vc_journal_add(j, "user.console", json_pack("{s:s, s:I, s:I, s:o}", "dir", adir, "uid", uid, "gid",
                                                           (json_int_t)pw->pw_gid, "consoles", cons));
}
