/* iscsi.c — the names a node attaches volumes by, and IscsiAttach=host:
 * the step "storage.iscsi" driving open-iscsi's iscsiadm (argv only, never
 * a shell, never the password: that goes into the record file). */
#include "iscsi.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "journal.h"
#include "log.h"
#include "node.h"
#include "nodestate.h"
#include "run.h"
#include "sock.h"
#include "util.h"

#define ISCSIADM_TIMEOUT_MS 30000
/* A login retries node.session.initial_login_retry_max (8) times with
 * login_timeout (15 s) each by default: give it all of that and some. */
#define LOGIN_TIMEOUT_MS 180000
#define DEVICE_WAIT_S_DEFAULT 30
#define IFACE_NAME_MAX 64
/* iscsiadm's exit status ISCSI_ERR_NO_OBJS_FOUND: no such record, no session. */
#define ISCSI_ERR_NO_OBJS_FOUND 21
#define PASSWORD_KEY "node.session.auth.password"
#define RECORD_END "# END RECORD"
/* Where iscsid listens for iscsiadm (an abstract unix socket, also what
 * systemd's iscsid.socket provides). */
#define ISCSID_SOCKET "ISCSIADM_ABSTRACT_NAMESPACE"

/* open-iscsi's database: /etc/iscsi on Debian, /var/lib/iscsi on Red Hat and SUSE. */
static const char *const db_roots[] = {"/etc/iscsi", "/var/lib/iscsi"};

char *vc_iscsi_secret_usage(int64_t job, const char *node) { return xasprintf("vcluster-%lld-%s", (long long)job, node); }

char *vc_iscsi_iface_name(int64_t job, const char *node) {
        char *s = xasprintf("vc-%lld-%s", (long long)job, node);
        /* The name is a file name in open-iscsi's database: keep it tame. */
        for (char *c = s + strlen(s) - strlen(node); *c; c++) {
                *c = (char)tolower((unsigned char)*c);
                if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
                        *c = '-';
        }
        if (strlen(s) > IFACE_NAME_MAX) {
                free(s);
                return NULL;
        }
        return s;
}

char *vc_iscsi_by_path(const char *portal, const char *iqn, long long lun) {
        return xasprintf("/dev/disk/by-path/ip-%s-iscsi-%s-lun-%lld", portal, iqn, lun);
}

bool vc_iscsi_secret_ok(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > VC_ISCSI_SECRET_MAX)
                return false;
        for (; *s; s++)
                if (!isgraph((unsigned char)*s))
                        return false;
        return true;
}

/* after: the rest of line after prefix (leading blanks of line skipped), or NULL. */
static const char *after(const char *line, const char *prefix) {
        while (*line == ' ' || *line == '\t')
                line++;
        size_t n = strlen(prefix);
        return strncmp(line, prefix, n) == 0 ? line + n : NULL;
}

/* portal_is: whether "ADDR:PORT,TPGT" (a listing's portal) names portal. */
static bool portal_is(const char *listed, const char *portal) {
        const char *comma = strrchr(listed, ',');
        size_t n = comma ? (size_t)(comma - listed) : strlen(listed);
        return n == strlen(portal) && strncmp(listed, portal, n) == 0;
}

bool vc_iscsi_session_listed(const char *listing, const char *iqn, const char *portal, const char *iface) {
        /* `-P 1` prints "Target: IQN [(non-flash)]" once per target, the
         * portals once per portal of it (a further session on the same
         * portal gets an empty line instead), then each session's
         * "Iface Name: NAME". */
        _cleanup_free_ char *copy = xstrdup(listing ? listing : "");
        char *save = NULL, *target = NULL;
        bool portal_ok = false;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                const char *v;
                if ((v = after(line, "Target: "))) {
                        target = (char *)v;
                        target[strcspn(target, " \t")] = 0;
                        portal_ok = false;
                } else if ((v = after(line, "Current Portal: "))) {
                        portal_ok = portal_is(v, portal);
                } else if ((v = after(line, "Persistent Portal: "))) {
                        portal_ok = portal_ok || portal_is(v, portal);
                } else if ((v = after(line, "Iface Name: "))) {
                        if (target && streq(target, iqn) && portal_ok && streq(v, iface))
                                return true;
                }
        }
        return false;
}

/* key_is: whether a record line sets key ("key = value", blanks optional). */
static bool key_is(const char *line, size_t len, const char *key) {
        while (len && (*line == ' ' || *line == '\t'))
                line++, len--;
        size_t k = strlen(key);
        if (len < k || strncmp(line, key, k) != 0)
                return false;
        line += k;
        len -= k;
        while (len && (*line == ' ' || *line == '\t'))
                line++, len--;
        return len && *line == '=';
}

static bool is_end(const char *line, size_t len) {
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
                len--;
        return len == strlen(RECORD_END) && strncmp(line, RECORD_END, len) == 0;
}

char *vc_iscsi_record_with_password(const char *record, const char *secret) {
        size_t cap = strlen(record) + strlen(PASSWORD_KEY) + strlen(secret) + 8, n = 0;
        char *out = xmalloc(cap);
        bool put = false;
        for (const char *p = record; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (!put && is_end(p, len)) {
                        n += (size_t)sprintf(out + n, "%s = %s\n", PASSWORD_KEY, secret);
                        put = true;
                }
                if (!key_is(p, len, PASSWORD_KEY)) {
                        memcpy(out + n, p, len);
                        n += len;
                        out[n++] = '\n';
                }
                p += len + (nl ? 1 : 0);
        }
        if (!put)
                n += (size_t)sprintf(out + n, "%s = %s\n", PASSWORD_KEY, secret);
        out[n] = 0;
        return out;
}

/* record_has: whether the record text has the line "key = value". */
static bool record_has(const char *record, const char *key, const char *value) {
        _cleanup_free_ char *want = xasprintf("%s = %s", key, value);
        for (const char *p = record; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (len == strlen(want) && strncmp(p, want, len) == 0)
                        return true;
                p += len + (nl ? 1 : 0);
        }
        return false;
}

static void wipe_free(char *s, size_t n) {
        if (s) {
                explicit_bzero(s, n);
                free(s);
        }
}

int vc_iscsi_record_password(const char *iqn, const char *portal, const char *iface, const char *secret,
                             char **err) {
        _cleanup_free_ char *host = NULL;
        int port;
        if (vc_hostport_split(portal, &host, &port) < 0) {
                *err = xasprintf("iSCSI portal %s: not ADDR:PORT", portal);
                return -EINVAL;
        }
        for (size_t i = 0; i < ARRAY_SIZE(db_roots); i++) {
                /* iscsiadm's layout for a record with a portal group tag: one file per iface */
                _cleanup_free_ char *path = xasprintf("%s/nodes/%s/%s,%d,%d/%s", db_roots[i], iqn, host, port,
                                                      VC_ISCSI_TPGT, iface);
                char *old = NULL;
                size_t len = 0;
                int r = read_file(path, &old, &len, 1u << 20);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0) {
                        *err = xasprintf("iSCSI node record %s: %s", path, strerror(-r));
                        return r;
                }
                /* Write only into a file that is, by its own words, this record. */
                if (!record_has(old, "node.name", iqn) || !record_has(old, "iface.iscsi_ifacename", iface)) {
                        wipe_free(old, len);
                        *err = xasprintf("iSCSI node record %s: does not name target %s and iface %s", path, iqn,
                                         iface);
                        return -EBADMSG;
                }
                char *text = vc_iscsi_record_with_password(old, secret);
                wipe_free(old, len);
                size_t tlen = strlen(text);
                r = vc_write_file_atomic(path, text, tlen, 0600, err);
                wipe_free(text, tlen);
                return r;
        }
        *err = xasprintf("iSCSI node record of %s at %s,%d (iface %s): not found under %s/nodes or %s/nodes", iqn,
                         portal, VC_ISCSI_TPGT, iface, db_roots[0], db_roots[1]);
        return -ENOENT;
}

/* iscsid_listening: whether something accepts iscsiadm's connections. Only
 * asked after a failure, to say what is missing. */
static bool iscsid_listening(void) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        memcpy(a.sun_path + 1, ISCSID_SOCKET, strlen(ISCSID_SOCKET));
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(ISCSID_SOCKET));
        return connect(fd, (struct sockaddr *)&a, len) == 0;
}

/* missing: what this host lacks for IscsiAttach=host (malloc'd), or NULL. */
static char *missing(void) {
        bool tcp = access("/sys/module/iscsi_tcp", F_OK) == 0, daemon = iscsid_listening();
        if (tcp && daemon)
                return NULL;
        return xasprintf("IscsiAttach=host needs iscsid running and the iscsi_tcp kernel module loaded; here %s%s%s",
                         daemon ? "" : "iscsid is not running", daemon || tcp ? "" : " and ",
                         tcp ? "" : "the iscsi_tcp kernel module is not loaded");
}

/* one_line: iscsiadm's messages (stderr, else stdout) as one line, "; "
 * between its lines (malloc'd). */
static char *one_line(const struct vc_run_result *res) {
        const char *src = res->err && *res->err ? res->err : res->out && *res->out ? res->out : NULL;
        if (!src)
                return res->timed_out ? xstrdup("timed out") : xasprintf("exit status %d", res->status);
        char *s = xmalloc(2 * strlen(src) + 1), *o = s;
        for (const char *c = src; *c; c++) {
                if (*c != '\n')
                        *o++ = *c;
                else if (c[1] && o > s) {
                        *o++ = ';';
                        *o++ = ' ';
                }
        }
        while (o > s && (o[-1] == ' ' || o[-1] == ';'))
                o--;
        *o = 0;
        return s;
}

/* adm: run iscsiadm (argv[0]); 0 with res filled (status may be non-zero),
 * or -errno with *err when it could not run at all. */
static int adm(const char *const argv[], int timeout_ms, struct vc_run_result *res, char **err) {
        *res = (struct vc_run_result){0};
        int r = vc_run(argv, NULL, timeout_ms, res);
        if (r < 0) {
                _cleanup_free_ char *cmd = vc_argv_format(argv);
                *err = xasprintf("%s: %s (is open-iscsi installed?)", cmd,
                                 res->err && *res->err ? res->err : strerror(-r));
                vc_run_result_free(res);
        }
        return r;
}

/* adm_fail: *err for a failed iscsiadm run: what it was for, the command,
 * iscsiadm's own words, and what this host lacks. */
static int adm_fail(const char *what, const char *const argv[], const struct vc_run_result *res, char **err) {
        _cleanup_free_ char *cmd = vc_argv_format(argv), *msg = one_line(res), *lack = missing();
        *err = xasprintf("%s: %s: %s%s%s", what, cmd, msg, lack ? ". " : "", lack ? lack : "");
        return res->timed_out ? -ETIMEDOUT : -EIO;
}

/* adm_ok: run iscsiadm, which must succeed (or, when gone_ok, find nothing). */
static int adm_ok(const char *what, const char *const argv[], int timeout_ms, bool gone_ok, char **err) {
        struct vc_run_result res;
        int r = adm(argv, timeout_ms, &res, err);
        if (r < 0)
                return r;
        if (res.status != 0 && !(gone_ok && res.status == ISCSI_ERR_NO_OBJS_FOUND))
                r = adm_fail(what, argv, &res, err);
        vc_run_result_free(&res);
        return r;
}

/* session_up: whether a session of iqn at portal on iface exists (1), not (0), or -errno. */
static int session_up(const char *what, const char *iqn, const char *portal, const char *iface, char **err) {
        const char *argv[] = {"iscsiadm", "-m", "session", "-P", "1", NULL};
        struct vc_run_result res;
        int r = adm(argv, ISCSIADM_TIMEOUT_MS, &res, err);
        if (r < 0)
                return r;
        if (res.status == 0)
                r = vc_iscsi_session_listed(res.out, iqn, portal, iface);
        else if (res.status == ISCSI_ERR_NO_OBJS_FOUND) /* "No active sessions." */
                r = 0;
        else
                r = adm_fail(what, argv, &res, err);
        vc_run_result_free(&res);
        return r;
}

/* iface_listed: whether `iscsiadm -m iface` lists iface (1), not (0), or -errno. */
static int iface_listed(const char *what, const char *iface, char **err) {
        const char *argv[] = {"iscsiadm", "-m", "iface", NULL};
        struct vc_run_result res;
        int r = adm(argv, ISCSIADM_TIMEOUT_MS, &res, err);
        if (r < 0)
                return r;
        if (res.status != 0) {
                r = adm_fail(what, argv, &res, err);
                vc_run_result_free(&res);
                return r;
        }
        size_t n = strlen(iface);
        r = 0;
        /* one line per iface: "NAME transport,hwaddress,ipaddress,net_ifacename,initiatorname" */
        for (const char *p = res.out; p && *p;) {
                if (strncmp(p, iface, n) == 0 && p[n] == ' ')
                        r = 1;
                const char *nl = strchr(p, '\n');
                p = nl ? nl + 1 : "";
        }
        vc_run_result_free(&res);
        return r;
}

/* wait_devices: every path of devices exists within secs. */
static int wait_devices(const char *what, const json_t *devices, long long secs, char **err) {
        uint64_t until = now_ms() + (uint64_t)secs * 1000;
        size_t i;
        json_t *d;
        json_array_foreach(devices, i, d) {
                const char *path = json_string_value(d);
                while (path && access(path, F_OK) < 0) {
                        if (now_ms() >= until) {
                                *err = xasprintf("%s: %s did not appear within %lld s of the login (udev?)", what,
                                                 path, secs);
                                return -ETIMEDOUT;
                        }
                        usleep(100 * 1000);
                }
        }
        return 0;
}

struct iscsi_args {
        const char *iface, *initiator, *iqn, *portal, *user;
        char pg[300]; /* "PORTAL,TPGT" as iscsiadm -p takes it */
        char what[600];
};

static int iscsi_args_get(json_t *args, struct iscsi_args *a, char **err) {
        a->iface = vc_step_arg(args, "iface");
        a->initiator = vc_step_arg(args, "initiator");
        a->iqn = vc_step_arg(args, "iqn");
        a->portal = vc_step_arg(args, "portal");
        a->user = vc_step_arg(args, "user");
        if (!a->iface || !a->initiator || !a->iqn || !a->portal || !a->user) {
                *err = xstrdup("storage.iscsi: needs \"iface\", \"initiator\", \"iqn\", \"portal\", \"user\"");
                return -EINVAL;
        }
        int n = snprintf(a->pg, sizeof(a->pg), "%s,%d", a->portal, VC_ISCSI_TPGT);
        if (n < 0 || (size_t)n >= sizeof(a->pg)) {
                *err = xasprintf("storage.iscsi: portal %s: too long", a->portal);
                return -EINVAL;
        }
        snprintf(a->what, sizeof(a->what), "iSCSI target %s at %s (iface %s)", a->iqn, a->portal, a->iface);
        return 0;
}

/* storage.iscsi — args {iface, initiator, iqn, portal, user, devices: [the
 * LUNs' by-path names], wait_s}. Do: the iface with the job's initiator
 * name, the node record bound to it (manual startup: a reboot must not log
 * in again), CHAP with the ctx's secret written into the record, a login
 * unless that session is already up, then every device. */
int vc_storage_iscsi_do(void *ctx, json_t *args, char **err) {
        struct vc_node_ctx *c = ctx;
        struct iscsi_args a;
        int r = iscsi_args_get(args, &a, err);
        if (r < 0)
                return vc_step_untouched(r);
        if (!c || !vc_iscsi_secret_ok(c->chap)) {
                *err = xasprintf("%s: no usable CHAP secret of the job to log in with", a.what);
                return vc_step_untouched(-EINVAL);
        }
        const char *iface_new[] = {"iscsiadm", "-m", "iface", "-I", a.iface, "-o", "new", NULL};
        const char *iface_ini[] = {"iscsiadm", "-m", "iface", "-I", a.iface, "-o", "update",
                                   "-n", "iface.initiatorname", "-v", a.initiator, NULL};
        /* The record copies the iface's settings when made: the iface is complete first. */
        const char *node_new[] = {"iscsiadm", "-m", "node", "-o", "new", "-T", a.iqn, "-p", a.pg, "-I", a.iface, NULL};
        const char *node_set[] = {"iscsiadm", "-m", "node", "-T", a.iqn, "-p", a.pg, "-I", a.iface, "-o", "update",
                                  "-n", "node.startup", "-v", "manual",
                                  "-n", "node.session.auth.authmethod", "-v", "CHAP",
                                  "-n", "node.session.auth.username", "-v", a.user, NULL};
        const char *login[] = {"iscsiadm", "-m", "node", "-T", a.iqn, "-p", a.pg, "-I", a.iface, "--login", NULL};
        if ((r = adm_ok(a.what, iface_new, ISCSIADM_TIMEOUT_MS, false, err)) < 0 ||
            (r = adm_ok(a.what, iface_ini, ISCSIADM_TIMEOUT_MS, false, err)) < 0 ||
            (r = adm_ok(a.what, node_new, ISCSIADM_TIMEOUT_MS, false, err)) < 0 ||
            (r = adm_ok(a.what, node_set, ISCSIADM_TIMEOUT_MS, false, err)) < 0)
                return r;
        if ((r = vc_iscsi_record_password(a.iqn, a.portal, a.iface, c->chap, err)) < 0)
                return r;
        /* A second login to a target the iface is already logged in to fails
         * (or, with some versions, makes a second session): never do it. */
        if ((r = session_up(a.what, a.iqn, a.portal, a.iface, err)) < 0)
                return r;
        if (r == 0 && (r = adm_ok(a.what, login, LOGIN_TIMEOUT_MS, false, err)) < 0)
                return r;
        json_t *w = json_object_get(args, "wait_s");
        return wait_devices(a.what, json_object_get(args, "devices"),
                            json_is_integer(w) ? json_integer_value(w) : DEVICE_WAIT_S_DEFAULT, err);
}

/* Undo: log out when the session is up, delete the record and the iface;
 * each already gone counts as done, so undo may run any number of times. */
int vc_storage_iscsi_undo(void *ctx, json_t *args, char **err) {
        struct iscsi_args a;
        int r = iscsi_args_get(args, &a, err);
        if (r < 0)
                return r;
        const char *logout[] = {"iscsiadm", "-m", "node", "-T", a.iqn, "-p", a.pg, "-I", a.iface, "--logout", NULL};
        const char *node_del[] = {"iscsiadm", "-m", "node", "-o", "delete", "-T", a.iqn, "-p", a.pg, "-I", a.iface, NULL};
        const char *iface_del[] = {"iscsiadm", "-m", "iface", "-I", a.iface, "-o", "delete", NULL};
        if ((r = session_up(a.what, a.iqn, a.portal, a.iface, err)) < 0)
                return r;
        if (r == 1 && (r = adm_ok(a.what, logout, LOGIN_TIMEOUT_MS, true, err)) < 0)
                return r;
        if ((r = adm_ok(a.what, node_del, ISCSIADM_TIMEOUT_MS, true, err)) < 0)
                return r;
        struct vc_run_result res;
        if ((r = adm(iface_del, ISCSIADM_TIMEOUT_MS, &res, err)) < 0)
                return r;
        if (res.status != 0) {
                /* iscsiadm says "invalid parameter" for an iface that is not there: ask. */
                _cleanup_free_ char *lerr = NULL;
                int listed = iface_listed(a.what, a.iface, &lerr);
                if (listed != 0)
                        r = adm_fail(a.what, iface_del, &res, err);
        }
        vc_run_result_free(&res);
        if (r == 0)
                log_info("%s: logged out, record and iface removed", a.what);
        return r;
}
