/* openvpn.c — the step l2.openvpn (l2ext.h): one openvpn per peer, started
 * in the WAN namespace, its tap moved into the cluster's. */
#include "ovpn.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>

#include <netlink/route/link.h>

#include "journal.h"
#include "log.h"
#include "netns.h"
#include "pidref.h"
#include "run.h"
#include "util.h"

#define OPENVPN_START_TIMEOUT_MS 30000
#define TAP_WAIT_MS 10000
#define PIDFILE_GRACE_MS 2000
#define STOP_TERM_MS 10000
#define STOP_KILL_MS 5000
#define KEY_BEGIN "-----BEGIN OpenVPN Static key V1-----"
#define KEY_END "-----END OpenVPN Static key V1-----"
#define KEY_LINE 32

int vc_l2_key_text(const char *hex, char **text, char **err) {
        *text = NULL;
        if (!hex || !*hex) {
                *err = xstrdup("the job has no tunnel key");
                return -EINVAL;
        }
        size_t n = strspn(hex, "0123456789abcdef");
        bool tail_ok = true;
        for (const char *p = hex + n; *p; p++)
                tail_ok &= isspace((unsigned char)*p) != 0;
        if (n != VC_L2_KEY_HEX_LEN || !tail_ok) {
                *err = xasprintf("the job's tunnel key is not %d lowercase hex digits", VC_L2_KEY_HEX_LEN);
                return -EINVAL;
        }
        size_t lines = VC_L2_KEY_HEX_LEN / KEY_LINE,
               len = strlen(KEY_BEGIN) + 1 + lines * (KEY_LINE + 1) + strlen(KEY_END) + 1;
        char *t = xmalloc(len + 1), *o = t;
        o = stpcpy(o, KEY_BEGIN "\n");
        for (size_t i = 0; i < lines; i++) {
                memcpy(o, hex + i * KEY_LINE, KEY_LINE);
                o += KEY_LINE;
                *o++ = '\n';
        }
        stpcpy(o, KEY_END "\n");
        *text = t;
        return 0;
}

char **vc_l2_openvpn_argv(const struct vc_l2_ovpn *o) {
        char p[16];
        snprintf(p, sizeof p, "%d", o->port);
        /* TLS (not the deprecated static-key mode): ephemeral ECDH keys per session, so the
         * job's secret, should it leak later, opens no recorded traffic; tls-crypt with that
         * secret hides and authenticates the handshake itself. After setup openvpn runs as
         * user:group in an empty chroot; persist-key/-tun let it restart (ping-restart)
         * without reading a file or opening a device again. */
        const char *v[] = {"openvpn", "--dev-type", "tap", "--dev", o->dev, "--proto", "udp", "--local", o->local,
                           "--lport", p, "--remote", o->remote, "--rport", p,
                           o->hub ? "--tls-server" : "--tls-client", "--ca", o->ca, "--cert", o->cert, "--key",
                           o->key, "--tls-crypt", o->tls_crypt, "--tls-version-min", "1.3", "--remote-cert-tls",
                           o->hub ? "client" : "server", "--verify-x509-name", o->peer_cn, "name",
                           "--data-ciphers", "AES-256-GCM:CHACHA20-POLY1305", "--ping", "5", "--ping-restart", "30",
                           "--persist-tun", "--persist-key", "--user", o->user, "--group", o->group, "--chroot",
                           o->chroot, "--tmp-dir", "/", "--daemon", "--writepid", o->pidfile, "--log", o->logfile};
        char **argv = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
                strv_push(&argv, v[i]);
                if (o->hub && streq(v[i], "--tls-server"))
                        strv_push(&argv, "--dh"), strv_push(&argv, "none"); /* ECDH only */
        }
        return argv;
}

static void ovpn_files_done(struct ovpn_files *f) {
        free(f->key);
        free(f->ca);
        free(f->cert);
        free(f->id);
        free(f->pid);
        free(f->log);
        free(f->root);
}

static void ovpn_files_get(const struct l2args *a, struct ovpn_files *f) {
        f->key = xasprintf("%s/%s.key", a->dir, a->dev);
        f->ca = xasprintf("%s/%s.ca.pem", a->dir, a->dev);
        f->cert = xasprintf("%s/%s.crt.pem", a->dir, a->dev);
        f->id = xasprintf("%s/%s.id.pem", a->dir, a->dev);
        f->pid = xasprintf("%s/%s.pid", a->dir, a->dev);
        f->log = xasprintf("%s/%s.log", a->dir, a->dev);
        f->root = xasprintf("%s/%s.root", a->dir, a->dev);
}

/* log_tail: the last lines of openvpn's log, "; "-joined (malloc'd), without its timestamps. */
static char *log_tail(const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (read_file(path, &text, &len, 1u << 20) < 0 || len == 0)
                return xasprintf("no log in %s", path);
        _cleanup_strv_ char **lines = vc_log_tail(text, 3);
        for (char **l = lines; *l; l++)
                /* "2026-01-02 03:04:05 message" */
                if (strlen(*l) > 20 && isdigit((unsigned char)(*l)[0]) && (*l)[4] == '-' && (*l)[19] == ' ')
                        memmove(*l, *l + 20, strlen(*l + 20) + 1);
        return strv_join(lines, "; ");
}

/* is_our_openvpn: whether process pid is openvpn run with --writepid pidfile. */
static bool is_our_openvpn(pid_t pid, const char *pidfile) {
        _cleanup_free_ char *argv = NULL;
        size_t len;
        if (vc_proc_cmdline(pid, &argv, &len) < 0)
                return false; /* gone, or a zombie */
        const char *base = strrchr(argv, '/');
        return streq(base ? base + 1 : argv, "openvpn") && vc_argv_has_pair(argv, len, "--writepid", pidfile);
}

/* openvpn_stop: the openvpn of pidfile is no longer running (0 when it was not). */
static int openvpn_stop(const char *dev, const char *pidfile, char **err) {
        pid_t pid;
        int r = vc_pid_file_read(pidfile, &pid);
        if (r == -ENOENT)
                return 0;
        if (r == -EINVAL) {
                log_warning("openvpn for %s: %s holds no pid: ignoring it", dev, pidfile);
                return 0;
        }
        if (r < 0)
                return vc_fail(err, r, "openvpn for %s: reading %s: %s", dev, pidfile, strerror(-r));
        /* The handle pins the process we check, so a pid used again in between is never signalled. */
        _cleanup_(vc_pidref_done) struct vc_pidref p = VC_PIDREF_NULL;
        if (vc_pidref_set_pid(&p, pid) < 0)
                return 0;
        if (!is_our_openvpn(pid, pidfile)) {
                log_info("openvpn for %s: pid %d of %s is not that openvpn (any more): nothing to stop", dev, (int)pid,
                         pidfile);
                return 0;
        }
        _cleanup_free_ char *what = xasprintf("openvpn for %s: pid", dev);
        r = vc_pidrefs_stop(&p, 1, NULL, STOP_TERM_MS, STOP_KILL_MS, what, NULL);
        if (r == -ETIMEDOUT)
                return vc_fail(err, r, "openvpn for %s: pid %d does not end, even after SIGKILL", dev, (int)pid);
        if (r < 0)
                return vc_fail(err, r, "openvpn for %s: signalling pid %d: %s", dev, (int)pid, strerror(-r));
        return 0;
}

/* remove_files: the keys, certificates, pid and log files and the chroot are gone. */
static int remove_files(const char *dev, const struct ovpn_files *f, char **err) {
        const char *paths[] = {f->key, f->ca, f->cert, f->id, f->pid, f->log};
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
                if (unlink(paths[i]) < 0 && errno != ENOENT)
                        return vc_fail_errno(err, "openvpn for %s: removing %s", dev, paths[i]);
        if (rmdir(f->root) < 0 && errno != ENOENT)
                return vc_fail_errno(err, "openvpn for %s: removing %s", dev, f->root);
        return 0;
}

/* user_group: whom openvpn runs as after setup: nobody, in nogroup (Debian) or else nobody. */
static void user_group(const char **user, const char **group) {
        *user = "nobody";
        *group = getgrnam("nogroup") ? "nogroup" : "nobody";
}

/* write_key: the static key file, 0600, made new (never through a link). */
static int write_key(const char *path, const char *text, char **err) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return vc_fail_errno(err, "creating the key file %s", path);
        int r = write_all(fd, text, strlen(text));
        if (r == 0 && fchmod(fd, 0600) < 0) /* whatever the umask */
                r = -errno;
        if (r < 0) {
                *err = xasprintf("writing the key file %s: %s", path, strerror(-r));
                unlink(path);
        }
        return r;
}

struct start {
        char **argv;
        struct vc_run_result res;
        int r;
};

/* start_fn: run openvpn (it daemonizes) from the thread that is in the WAN namespace. */
static int start_fn(void *arg, char **err) {
        struct start *s = arg;
        s->r = vc_run((const char *const *)s->argv, NULL, OPENVPN_START_TIMEOUT_MS, &s->res);
        return 0;
}

/* start_openvpn: openvpn started in wan_netns, its tap there within TAP_WAIT_MS. */
static int start_openvpn(const struct l2args *a, const struct ovpn_files *f, struct vc_nl *wan, char **err) {
        _cleanup_free_ char *peer = vc_l2_ovpn_cn(!a->hub, a->spoke);
        struct vc_l2_ovpn o = {.dev = a->dev, .local = a->local, .remote = a->remote, .port = (int)a->udp_port,
                               .hub = a->hub, .peer_cn = peer, .ca = f->ca, .cert = f->cert, .key = f->id,
                               .tls_crypt = f->key, .chroot = f->root, .pidfile = f->pid, .logfile = f->log};
        user_group(&o.user, &o.group);
        _cleanup_strv_ char **argv = vc_l2_openvpn_argv(&o);
        struct start s = {.argv = argv};
        int r = vc_netns_run(a->wan_netns, start_fn, &s, err);
        if (r < 0)
                return r;
        if (s.r < 0) {
                *err = xasprintf("openvpn for %s: %s (is OpenVPN installed?)", a->dev, s.res.err);
                vc_run_result_free(&s.res);
                return s.r;
        }
        if (s.res.status != 0 || s.res.timed_out) {
                _cleanup_free_ char *tail = log_tail(f->log);
                bool late = s.res.timed_out;
                *err = xasprintf("openvpn for %s in %s %s: %s%s%s", a->dev, vc_nl_where(a->wan_netns),
                                 late ? "did not start in time" : "failed to start", tail, *s.res.err ? "; " : "",
                                 s.res.err);
                vc_run_result_free(&s.res);
                return late ? -ETIMEDOUT : -EIO;
        }
        vc_run_result_free(&s.res);
        /* The daemon writes its pid file after its parent returned; it removes it when it ends. */
        for (uint64_t start = now_ms(), until = start + TAP_WAIT_MS;;) {
                if ((r = vc_nl_refill(wan, err)) < 0)
                        return r;
                _cleanup_link_ struct rtnl_link *t = vc_nl_get(wan, a->dev);
                if (t)
                        return 0;
                bool ended = now_ms() > start + PIDFILE_GRACE_MS && access(f->pid, F_OK) < 0;
                if (ended || now_ms() >= until) {
                        _cleanup_free_ char *tail = log_tail(f->log);
                        *err = xasprintf("openvpn for %s: no tap %s in %s %s: %s", a->dev, a->dev, vc_nl_where(a->wan_netns),
                                         ended ? "and openvpn has ended" : "after 10 s", tail);
                        return -ETIMEDOUT;
                }
                usleep(50 * 1000);
        }
}

/* move_tap: the tap from the WAN namespace into the job's. */
static int move_tap(const struct l2args *a, struct vc_nl *wan, int jobfd, char **err) {
        _cleanup_link_ struct rtnl_link *t = vc_nl_get(wan, a->dev);
        _cleanup_link_ struct rtnl_link *change = rtnl_link_alloc();
        if (!t || !change)
                abort();
        rtnl_link_set_ns_fd(change, jobfd);
        int r = rtnl_link_change(wan->sk, t, change, 0);
        if (r < 0) {
                *err = xasprintf("moving %s from %s into %s: %s", a->dev, vc_nl_where(a->wan_netns), a->netns,
                                 nl_geterror(r));
                return vc_nl_errno(r);
        }
        return 0;
}

/* openvpn_up: everything after the key file. */
static int openvpn_up(const struct l2args *a, const struct ovpn_files *f, struct vc_nl *job, struct vc_nl *wan,
                      int jobfd, char **err) {
        int r = start_openvpn(a, f, wan, err);
        if (r < 0 || (r = move_tap(a, wan, jobfd, err)) < 0)
                return r;
        return vc_l2_join_bridge(job, a->dev, err);
}

/* clear_previous: no openvpn of this pid file from an earlier run, nor its
 * files; and no other device has the tap's name in either namespace. */
static int clear_previous(const struct l2args *a, const struct ovpn_files *f, struct vc_nl *job, struct vc_nl *wan,
                          char **err) {
        int r;
        if ((r = openvpn_stop(a->dev, f->pid, err)) < 0 || (r = remove_files(a->dev, f, err)) < 0 ||
            (r = vc_nl_refill(wan, err)) < 0 || (r = vc_nl_refill(job, err)) < 0)
                return r;
        _cleanup_link_ struct rtnl_link *in_wan = vc_nl_get(wan, a->dev);
        _cleanup_link_ struct rtnl_link *in_job = vc_nl_get(job, a->dev);
        if (in_wan || in_job)
                return vc_fail(err, -EEXIST, "%s: %s already exists in %s, and no openvpn of %s has it", a->kind,
                               a->dev, in_job ? a->netns : vc_nl_where(a->wan_netns), f->pid);
        return 0;
}

/* launch: the key file, the chroot, the credentials, openvpn and its tap in
 * br0; when any of it fails, openvpn is stopped and the keys go (the log
 * stays for the admin to read). */
static int launch(const struct l2args *a, const struct ovpn_files *f, const char *hex, const char *keytext,
                  struct vc_nl *job, struct vc_nl *wan, int jobfd, char **err) {
        _cleanup_free_ char *kerr = NULL;
        int r = write_key(f->key, keytext, err);
        if (r < 0)
                return r;
        if (mkdir(f->root, 0700) < 0 && errno != EEXIST)
                r = vc_fail_errno(err, "%s: creating %s", a->kind, f->root);
        if (r == 0 && (r = vc_l2_ovpn_credentials(a, f, hex, &kerr)) < 0)
                *err = xasprintf("%s: %s: %s", a->kind, a->dev, kerr);
        if (r == 0 && (r = openvpn_up(a, f, job, wan, jobfd, err)) == 0)
                return 0;
        _cleanup_free_ char *e2 = NULL;
        if (openvpn_stop(a->dev, f->pid, &e2) < 0)
                log_warning("%s: undoing openvpn for %s: %s", a->kind, a->dev, e2);
        const char *secret[] = {f->key, f->id};
        for (size_t i = 0; i < ARRAY_SIZE(secret); i++)
                if (unlink(secret[i]) < 0 && errno != ENOENT)
                        log_warning("%s: removing %s: %s", a->kind, secret[i], strerror(errno));
        return r;
}

int vc_l2_openvpn_do(void *ctx, json_t *args, char **err) {
        const struct vc_gateway_ctx *c = ctx;
        _cleanup_(vc_l2args_done) struct l2args a;
        int r = vc_l2_openvpn_args(args, &a, err);
        if (r == 0 && a.spoke == 0)
                r = vc_fail(err, -EINVAL, "%s: \"role\" must be \"hub\" or \"spoke\" (it names the TLS peers)", a.kind);
        if (r < 0)
                return vc_step_untouched(r);
        _cleanup_secret_ char *keytext = NULL;
        _cleanup_free_ char *kerr = NULL;
        if ((r = vc_l2_key_text(c ? c->tunnel_key : NULL, &keytext, &kerr)) < 0)
                return vc_step_untouched(vc_fail(err, r, "%s: %s: %s", a.kind, a.dev, kerr));
        _cleanup_(ovpn_files_done) struct ovpn_files f = {0};
        ovpn_files_get(&a, &f);
        _cleanup_close_ int jobfd = -1;
        _cleanup_nl_ struct vc_nl job = {0}, wan = {0};
        if ((r = vc_l2_need_ns(&a, a.netns, "network namespace", err)) < 0 ||
            (r = vc_l2_need_ns(&a, a.wan_netns, "WAN namespace (\"wan_netns\")", err)) < 0 ||
            (r = vc_netns_open(a.netns, &jobfd, err)) < 0 || (r = vc_nl_open(&job, a.netns, err)) < 0 ||
            (r = vc_nl_open(&wan, a.wan_netns, err)) < 0)
                return vc_step_untouched(r);
        if (mkdir(a.dir, 0700) < 0 && errno != EEXIST)
                return vc_step_untouched(vc_fail_errno(err, "%s: creating %s", a.kind, a.dir));
        /* An openvpn of this pid file from an earlier run goes first, with its tap. */
        if ((r = clear_previous(&a, &f, &job, &wan, err)) < 0 ||
            (r = launch(&a, &f, c->tunnel_key, keytext, &job, &wan, jobfd, err)) < 0)
                return r;
        log_info("%s: %s (openvpn TLS %s %s:%lld ⇄ %s:%lld, from %s) is a port of %s", a.netns, a.dev,
                 a.hub ? "server" : "client", a.local, a.udp_port, a.remote, a.udp_port, vc_nl_where(a.wan_netns),
                 VC_L2_BRIDGE);
        return 0;
}

int vc_l2_openvpn_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(vc_l2args_done) struct l2args a;
        int r = vc_l2_openvpn_args(args, &a, err);
        if (r < 0)
                return r;
        _cleanup_(ovpn_files_done) struct ovpn_files f = {0};
        ovpn_files_get(&a, &f);
        if ((r = openvpn_stop(a.dev, f.pid, err)) < 0 || (r = remove_files(a.dev, &f, err)) < 0)
                return r;
        log_info("%s: no openvpn for %s runs, its files are gone", a.kind, a.dev);
        return 0;
}
