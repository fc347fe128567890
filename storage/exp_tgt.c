/* Export backend "tgt": a running tgtd, driven over its control socket
 * /var/run/tgtd/socket.N (N: the place's control port, tgtadm -C N) with
 * tgtd's own management protocol (tgt_proto.h) — never by running tgtadm,
 * which takes a CHAP secret only on its command line, where any user of the
 * machine can read it. The secret travels in one request over a root-only
 * unix socket, and the buffers that held it are wiped once it is sent.
 *
 * target_add rebuilds the target from nothing: an old one of that IQN is
 * deleted (forcibly: its initiators were the job's), the new one takes the
 * lowest free tid, then come its LUNs, the CHAP account (deleted and made
 * again when it exists, so its secret is the one asked), the account's
 * binding, and the ACL last: a target with no ACL entry is invisible to
 * every initiator, so none ever sees one half-built. A failure stops there;
 * the caller's undo (target_remove) clears what was made.
 *
 * Everything on one control port runs under one mutex: choosing a free tid
 * and recreating an account are read-then-write sequences, and the journal
 * runs steps in parallel threads. The place is all a call depends on (no
 * environment, unlike tgtadm's TGT_IPC_SOCKET), so an undo journalled long
 * ago reaches the same tgtd.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "backends.h"
#include "log.h"
#include "sock.h"
#include "tgt_proto.h"
#include "util.h"

#define SOCKET_PREFIX "/var/run/tgtd/socket"
#define CONTROL_MAX 32767 /* tgtd and tgtadm keep the port in a short */
#define IO_TIMEOUT_S 30   /* a local daemon; only a hung one takes this long */
#define REPLY_MAX (64u << 20)
#define BUSY_WAIT_MS 5000  /* how long a delete may wait for in-flight commands */
#define BUSY_RETRY_US 10000

struct ctl {
        int control;
        char *path;
};

static void ctl_clear(struct ctl *c) { free(c->path); }

static int ctl_open(const struct vc_export_place *p, struct ctl *c, char **err) {
        const char *s = p && p->control && *p->control ? p->control : "0";
        unsigned long long n;
        if (parse_uint(s, 0, CONTROL_MAX, &n) < 0)
                return vc_fail(err, -EINVAL, "tgtd: control port '%s' is not a number in 0-%d", s, CONTROL_MAX);
        c->control = (int)n;
        c->path = xasprintf("%s.%d", SOCKET_PREFIX, c->control);
        return 0;
}

/* One lock per control port, made on first use and kept (there are few). */
struct port_lock {
        int control;
        pthread_mutex_t mu;
        struct port_lock *next;
};
static pthread_mutex_t port_locks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct port_lock *port_locks;

static pthread_mutex_t *lock_port(int control) {
        pthread_mutex_lock(&port_locks_mu);
        struct port_lock *l = port_locks;
        while (l && l->control != control)
                l = l->next;
        if (!l) {
                l = xcalloc(1, sizeof(*l));
                l->control = control;
                pthread_mutex_init(&l->mu, NULL);
                l->next = port_locks;
                port_locks = l;
        }
        pthread_mutex_unlock(&port_locks_mu);
        pthread_mutex_lock(&l->mu);
        return &l->mu;
}

static void unlockp(pthread_mutex_t **m) {
        if (*m)
                pthread_mutex_unlock(*m);
}

static int set_timeouts(int fd) {
        struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        return 0;
}

/* Send the encoded request b over a new connection; *reply (malloc'd, *n bytes) is all tgtd answered. */
static int exchange(const struct ctl *c, const unsigned char *b, size_t len, char **reply, size_t *n, char **err) {
        _cleanup_close_ int fd = vc_unix_connect(c->path);
        /* -ENOTCONN: nothing reached tgtd (export.h) */
        if (fd < 0)
                return vc_fail(err, -ENOTCONN, "tgtd (control %d): cannot connect to %s: %s (is tgtd running?)", c->control,
                            c->path, strerror(-fd));
        int r = set_timeouts(fd);
        if (r == 0)
                r = vc_send_all(fd, b, len);
        if (r == 0)
                r = read_fd(fd, REPLY_MAX, reply, n); /* tgtd closes once it has answered */
        if (r == -EAGAIN || r == -EWOULDBLOCK)
                return vc_fail(err, -ETIMEDOUT, "tgtd (control %d): no answer on %s within %d s", c->control, c->path,
                            IO_TIMEOUT_S);
        if (r < 0)
                return vc_fail(err, r, "tgtd (control %d): %s: %s", c->control, c->path, strerror(-r));
        return 0;
}

/* call: one request, described by what in errors. 0 on success; 1 when tgtd
 * answered the status `ok_too` (e.g. "no such account" for a delete); else
 * -errno with *err. *text (optional) gets a show's text, "" when none. */
static int call(const struct ctl *c, const struct vc_tgt_req *req, uint32_t ok_too, const char *what, char **text,
                char **err) {
        unsigned char *b = NULL;
        size_t len = 0;
        if (vc_tgt_encode(req, &b, &len) < 0)
                return vc_fail(err, -EINVAL, "tgtd: %s: parameters longer than tgtd accepts", what);
        _cleanup_free_ char *reply = NULL;
        size_t n = 0;
        int r = exchange(c, b, len, &reply, &n, err);
        /* The request may hold a CHAP secret: never leave it in freed memory. */
        explicit_bzero(b, len);
        free(b);
        if (r < 0)
                return r;
        uint32_t status;
        size_t text_len;
        if (n < VC_TGT_RSP_SIZE || vc_tgt_decode_reply((unsigned char *)reply, &status, &text_len) < 0 ||
            n != VC_TGT_RSP_SIZE + text_len)
                return vc_fail(err, -EPROTO, "tgtd (control %d): %s: %s", c->control, what,
                            n == 0 ? "tgtd closed the connection without answering (not root?)"
                                   : "malformed answer");
        if (status != VC_TGT_OK && status == ok_too)
                return 1;
        if (status != VC_TGT_OK)
                return vc_fail(err, vc_tgt_status_errno(status), "tgtd: %s: %s", what, vc_tgt_status_text(status));
        if (text)
                *text = xstrdup(reply + VC_TGT_RSP_SIZE); /* read_fd NUL-terminates an empty text too */
        return 0;
}

static int show_targets(const struct ctl *c, struct vc_tgt_target **t, size_t *n, char **err) {
        struct vc_tgt_req req = {.mode = VC_TGT_TARGET, .op = VC_TGT_SHOW, .tid = VC_TGT_NO_TID, .lun = VC_TGT_NO_LUN};
        _cleanup_free_ char *text = NULL;
        int r = call(c, &req, VC_TGT_OK, "show targets", &text, err);
        if (r < 0)
                return r;
        if (vc_tgt_parse_targets(text, t, n) < 0)
                return vc_fail(err, -EPROTO, "tgtd (control %d): cannot make sense of its list of targets", c->control);
        return 0;
}

/* target_delete: 0 also when there is no such target. Even forced, tgtd
 * refuses the delete ("still in use") while commands are in flight, which
 * under an initiator's steady I/O can last seconds. Taken offline first, the
 * target refuses new commands, so the delete goes through as soon as the few
 * in flight finish (milliseconds; retried until then). */
static int target_delete(const struct ctl *c, int tid, const char *iqn, char **err) {
        struct vc_tgt_req off = {.mode = VC_TGT_TARGET, .op = VC_TGT_UPDATE, .tid = tid, .lun = VC_TGT_NO_LUN,
                                 .params = "state=offline"};
        _cleanup_free_ char *what_off = xasprintf("take target %s (tid %d) offline", iqn, tid);
        int r = call(c, &off, VC_TGT_NO_TARGET, what_off, NULL, err);
        if (r != 0)
                return r < 0 ? r : 0;
        struct vc_tgt_req req = {.mode = VC_TGT_TARGET, .op = VC_TGT_DELETE, .tid = tid, .lun = VC_TGT_NO_LUN,
                                 .force = true};
        _cleanup_free_ char *what = xasprintf("delete target %s (tid %d)", iqn, tid);
        uint64_t deadline = now_ms() + BUSY_WAIT_MS;
        for (;;) {
                r = call(c, &req, VC_TGT_NO_TARGET, what, NULL, err);
                if (r != -EBUSY || now_ms() >= deadline)
                        return r < 0 ? r : 0;
                free(*err);
                *err = NULL;
                usleep(BUSY_RETRY_US);
        }
}

static int target_new(const struct ctl *c, int tid, const char *iqn, char **err) {
        _cleanup_free_ char *params = xasprintf("targetname=%s", iqn);
        struct vc_tgt_req req = {.mode = VC_TGT_TARGET, .op = VC_TGT_NEW, .tid = tid, .lun = VC_TGT_NO_LUN,
                                 .params = params};
        _cleanup_free_ char *what = xasprintf("new target %s (tid %d)", iqn, tid);
        return call(c, &req, VC_TGT_OK, what, NULL, err);
}

static int lun_new(const struct ctl *c, int tid, const char *iqn, const struct vc_export_lun *l, char **err) {
        _cleanup_free_ char *params = xasprintf("path=%s", l->path);
        struct vc_tgt_req req = {.mode = VC_TGT_LUN, .op = VC_TGT_NEW, .tid = tid, .lun = (uint64_t)l->lun,
                                 .params = params};
        _cleanup_free_ char *what = xasprintf("new logicalunit %d of target %s", l->lun, iqn);
        int r = call(c, &req, VC_TGT_OK, what, NULL, err);
        /* tgtd says only "invalid request" when it cannot open the backing store. */
        if (r == -EINVAL) {
                _cleanup_free_ char *inner = TAKE_PTR(*err);
                return vc_fail(err, r, "%s (can tgtd open %s?)", inner, l->path);
        }
        return r;
}

/* "user=U,password=S" in one exact allocation: a growing buffer (as
 * xasprintf may use) could leave copies of the secret in freed memory. */
static char *account_params(const char *user, const char *secret) {
        size_t n = strlen("user=,password=") + strlen(user) + strlen(secret) + 1;
        char *p = xmalloc(n);
        snprintf(p, n, "user=%s,password=%s", user, secret);
        return p;
}

/* account_new: 1 when the account exists already. */
static int account_new(const struct ctl *c, const char *user, const char *secret, char **err) {
        _cleanup_secret_ char *params = account_params(user, secret);
        struct vc_tgt_req req = {.mode = VC_TGT_ACCOUNT, .op = VC_TGT_NEW, .tid = VC_TGT_NO_TID,
                                 .lun = VC_TGT_NO_LUN, .params = params};
        _cleanup_free_ char *what = xasprintf("new account %s", user);
        return call(c, &req, VC_TGT_USER_EXISTS, what, NULL, err);
}

/* account_delete: 0 also when there is no such account. tgtd unbinds it from every target. */
static int account_delete(const struct ctl *c, const char *user, char **err) {
        _cleanup_free_ char *params = xasprintf("user=%s", user);
        struct vc_tgt_req req = {.mode = VC_TGT_ACCOUNT, .op = VC_TGT_DELETE, .tid = VC_TGT_NO_TID,
                                 .lun = VC_TGT_NO_LUN, .params = params};
        _cleanup_free_ char *what = xasprintf("delete account %s", user);
        int r = call(c, &req, VC_TGT_NO_USER, what, NULL, err);
        return r < 0 ? r : 0;
}

static int account_bind(const struct ctl *c, int tid, const char *iqn, const char *user, char **err) {
        _cleanup_free_ char *params = xasprintf("user=%s", user);
        struct vc_tgt_req req = {.mode = VC_TGT_ACCOUNT, .op = VC_TGT_BIND, .tid = tid, .lun = VC_TGT_NO_LUN,
                                 .params = params};
        _cleanup_free_ char *what = xasprintf("bind account %s to target %s", user, iqn);
        return call(c, &req, VC_TGT_OK, what, NULL, err);
}

static int acl_bind(const struct ctl *c, int tid, const char *iqn, const char *initiator, char **err) {
        _cleanup_free_ char *params = xasprintf("initiator-name=%s", initiator);
        struct vc_tgt_req req = {.mode = VC_TGT_TARGET, .op = VC_TGT_BIND, .tid = tid, .lun = VC_TGT_NO_LUN,
                                 .params = params};
        _cleanup_free_ char *what = xasprintf("bind initiator %s to target %s", initiator, iqn);
        return call(c, &req, VC_TGT_OK, what, NULL, err);
}

/* What tgtd could not take apart again: its parser splits values at ','. */
static int check_target(const struct vc_export_target *t, char **err) {
        if (!vc_tgt_value_ok(t->iqn))
                return vc_fail(err, -EINVAL, "tgt: target name '%s' is empty or has a ',' or a control character",
                            t->iqn ? t->iqn : "");
        if (!vc_tgt_value_ok(t->user))
                return vc_fail(err, -EINVAL, "tgt: target %s: CHAP user '%s' is empty or has a ',' or a control character",
                            t->iqn, t->user ? t->user : "");
        if (!t->secret || !*t->secret)
                return vc_fail(err, -EINVAL, "tgt: target %s: CHAP secret of user %s is empty", t->iqn, t->user);
        for (size_t i = 0; i < t->n_luns; i++) {
                const struct vc_export_lun *l = &t->luns[i];
                if (l->lun < 1)
                        return vc_fail(err, -EINVAL, "tgt: target %s: LUN %d is not 1 or more", t->iqn, l->lun);
                if (!vc_tgt_value_ok(l->path) || l->path[0] != '/')
                        return vc_fail(err, -EINVAL, "tgt: target %s: LUN %d: '%s' is not an absolute path without ','",
                                    t->iqn, l->lun, l->path ? l->path : "");
        }
        for (char *const *i = t->initiators; i && *i; i++)
                if (!vc_tgt_value_ok(*i))
                        return vc_fail(err, -EINVAL, "tgt: target %s: initiator '%s' is empty or has a ',' or a control character",
                                    t->iqn, *i);
        return 0;
}

/* Remove the target called iqn if it is there (forcibly), and free its tid in t. */
static int delete_named(const struct ctl *c, struct vc_tgt_target *t, size_t n, const char *iqn, char **err) {
        for (size_t i = 0; i < n; i++)
                if (t[i].tid > 0 && streq(t[i].iqn, iqn)) {
                        int r = target_delete(c, t[i].tid, iqn, err);
                        if (r < 0)
                                return r;
                        t[i].tid = 0;
                }
        return 0;
}

/* The steps of target_add once the control port is locked and old is gone. */
static int build(const struct ctl *c, int tid, const struct vc_export_target *t, char **err) {
        int r = target_new(c, tid, t->iqn, err);
        for (size_t i = 0; r == 0 && i < t->n_luns; i++)
                r = lun_new(c, tid, t->iqn, &t->luns[i], err);
        if (r == 0)
                r = account_new(c, t->user, t->secret, err);
        if (r == 1) {
                r = account_delete(c, t->user, err);
                if (r == 0)
                        r = account_new(c, t->user, t->secret, err);
                if (r == 1)
                        r = vc_fail(err, -EEXIST, "tgtd: new account %s: it exists again right after deletion", t->user);
        }
        if (r == 0)
                r = account_bind(c, tid, t->iqn, t->user, err);
        for (char *const *i = t->initiators; r == 0 && i && *i; i++)
                r = acl_bind(c, tid, t->iqn, *i, err);
        return r;
}

static int tgt_target_add(const struct vc_export_place *p, const struct vc_export_target *t, char **err) {
        _cleanup_(ctl_clear) struct ctl c = {0};
        int r = ctl_open(p, &c, err);
        if (r == 0)
                r = check_target(t, err);
        if (r < 0)
                return r;
        _cleanup_(unlockp) pthread_mutex_t *lk = lock_port(c.control);
        struct vc_tgt_target *ts = NULL;
        size_t n = 0;
        r = show_targets(&c, &ts, &n, err);
        if (r < 0)
                return r;
        r = delete_named(&c, ts, n, t->iqn, err);
        int tid = vc_tgt_free_tid(ts, n);
        vc_tgt_targets_free(ts, n);
        if (r == 0)
                r = build(&c, tid, t, err);
        /* tgtd went away after the show: something may have changed, so an undo is owed */
        if (r == -ENOTCONN)
                r = -EIO;
        if (r == 0)
                log_debug("tgtd (control %d): target %s is tid %d with %zu LUN(s), account %s, %zu initiator(s)",
                          c.control, t->iqn, tid, t->n_luns, t->user, strv_len(t->initiators));
        return r;
}

/* open_locked: the control port of p opened and locked (*lk), and what its tgtd has now. */
static int open_locked(const struct vc_export_place *p, struct ctl *c, pthread_mutex_t **lk,
                       struct vc_tgt_target **ts, size_t *n, char **err) {
        int r = ctl_open(p, c, err);
        if (r < 0)
                return r;
        *lk = lock_port(c->control);
        return show_targets(c, ts, n, err);
}

static int tgt_target_remove(const struct vc_export_place *p, const char *iqn, const char *user, char **err) {
        _cleanup_(ctl_clear) struct ctl c = {0};
        _cleanup_(unlockp) pthread_mutex_t *lk = NULL;
        struct vc_tgt_target *ts = NULL;
        size_t n = 0;
        int r = open_locked(p, &c, &lk, &ts, &n, err);
        if (r < 0)
                return r;
        r = iqn ? delete_named(&c, ts, n, iqn, err) : 0;
        vc_tgt_targets_free(ts, n);
        /* A user name tgtd cannot be sent was never made into an account by target_add. */
        if (r == 0 && vc_tgt_value_ok(user))
                r = account_delete(&c, user, err);
        return r;
}

static int tgt_target_read(const struct vc_export_place *p, const char *iqn, struct vc_export_state *out,
                           char **err) {
        *out = (struct vc_export_state){0};
        _cleanup_(ctl_clear) struct ctl c = {0};
        _cleanup_(unlockp) pthread_mutex_t *lk = NULL;
        struct vc_tgt_target *ts = NULL;
        size_t n = 0;
        int r = open_locked(p, &c, &lk, &ts, &n, err);
        if (r < 0)
                return r;
        const struct vc_tgt_target *t = iqn ? vc_tgt_find(ts, n, iqn) : NULL;
        out->accounts = xcalloc(1, sizeof(char *));
        out->initiators = xcalloc(1, sizeof(char *));
        if (t) {
                out->exists = true;
                out->n_luns = t->n_luns;
                for (char **a = t->accounts; *a; a++)
                        strv_push(&out->accounts, *a);
                for (char **a = t->acl; *a; a++)
                        strv_push(&out->initiators, *a);
        }
        vc_tgt_targets_free(ts, n);
        return 0;
}

static int tgt_target_list(const struct vc_export_place *p, const char *prefix, char ***iqns, char **err) {
        _cleanup_(ctl_clear) struct ctl c = {0};
        _cleanup_(unlockp) pthread_mutex_t *lk = NULL;
        struct vc_tgt_target *ts = NULL;
        size_t n = 0;
        int r = open_locked(p, &c, &lk, &ts, &n, err);
        if (r < 0)
                return r;
        char **v = xcalloc(1, sizeof(char *));
        size_t plen = prefix ? strlen(prefix) : 0;
        for (size_t i = 0; i < n; i++)
                if (strncmp(ts[i].iqn, prefix ? prefix : "", plen) == 0)
                        strv_push(&v, ts[i].iqn);
        vc_tgt_targets_free(ts, n);
        *iqns = v;
        return 0;
}

const struct vc_export_backend vc_export_tgt = {
        .name = "tgt",
        .target_add = tgt_target_add,
        .target_remove = tgt_target_remove,
        .target_read = tgt_target_read,
        .target_list = tgt_target_list,
};
