#include "server.h"
#include "switch.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>

#include "alloc.h"
#include "client.h"
#include "conf.h"
#include "log.h"
#include "reaper.h"
#include "rpc.h"
#include "rpcserve.h"
#include "sock.h"
#include "userops.h"
#include "util.h"

/* The whole request must arrive within this, and the whole reply leave
 * within as long again (gate.h); not per read, so trickling does not help. */
#define IO_TIMEOUT_S 10

static bool in_group(uid_t uid, gid_t gid, gid_t want) {
        if (gid == want)
                return true;
        struct passwd pw, *pwp = NULL;
        char buf[4096];
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
                return false;
        gid_t groups[256];
        int n = ARRAY_SIZE(groups);
        if (getgrouplist(pw.pw_name, gid, groups, &n) < 0)
                return false;
        for (int i = 0; i < n; i++)
                if (groups[i] == want)
                        return true;
        return false;
}

enum role { ROLE_USER, ROLE_ADMIN, ROLE_OPERATOR };

static enum role role_of(const struct vc_conf *c, uid_t uid, gid_t gid) {
        if (uid == 0 || uid == c->slurm_uid)
                return ROLE_OPERATOR;
        if (c->admin_group && in_group(uid, gid, c->admin_gid))
                return ROLE_ADMIN;
        return ROLE_USER;
}

static int get_job(const json_t *req, int64_t *job) {
        json_t *j = json_object_get(req, "job");
        /* Slurm job ids are 32-bit and never 0. */
        if (!json_is_integer(j) || json_integer_value(j) <= 0 || json_integer_value(j) > UINT32_MAX)
                return -EINVAL;
        *job = json_integer_value(j);
        return 0;
}

static int get_site_vlan(const json_t *req, const char **site, int *vlan) {
        json_t *s = json_object_get(req, "site"), *v = json_object_get(req, "vlan");
        if (!json_is_string(s) || !json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4094)
                return -EINVAL;
        *site = json_string_value(s);
        *vlan = (int)json_integer_value(v);
        return 0;
}

/* One request as its handler sees it. */
struct call {
        struct vc_alloc *a;
        const char *op;
        const json_t *req;
        uid_t uid;
        enum role role;
};

#define BAD_JOB "\"job\" must be a Slurm job id (1..4294967295)"

static json_t *op_ping(const struct call *q) { return vc_rpc_ok(); }

static json_t *op_userops(const struct call *q) {
        return vc_userops_handle(q->a, q->op, q->req, q->uid, q->role == ROLE_OPERATOR, q->role == ROLE_ADMIN);
}

/* get_reason: the optional "reason" (NULL when absent); -EINVAL when it is not a string. */
static int get_reason(const json_t *req, const char **reason) {
        json_t *why = json_object_get(req, "reason");
        *reason = json_string_value(why);
        return why && !json_is_string(why) ? -EINVAL : 0;
}

/* bad_job_reason: NULL with q's "job" and its optional "reason" (NULL when
 * absent) in *job and *reason, or the refusal naming the bad one. */
static json_t *bad_job_reason(const struct call *q, int64_t *job, const char **reason) {
        if (get_job(q->req, job) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s: " BAD_JOB, q->op);
        if (get_reason(q->req, reason) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s: \"reason\" must be a string", q->op);
        return NULL;
}

static json_t *op_release(const struct call *q) {
        int64_t job;
        const char *reason;
        json_t *bad = bad_job_reason(q, &job, &reason);
        if (bad)
                return bad;
        return vc_alloc_release(q->a, job, reason ? reason : "release requested");
}

static json_t *op_acquire(const struct call *q) {
        int64_t job;
        const char *reason;
        json_t *bad = bad_job_reason(q, &job, &reason);
        if (bad)
                return bad;
        json_t *nodes = json_object_get(q->req, "nodes"), *spec = json_object_get(q->req, "spec"),
               *end = json_object_get(q->req, "end"), *owner = json_object_get(q->req, "uid");
        if (!json_is_string(nodes) || (spec && !json_is_string(spec)) ||
            (end && (!json_is_integer(end) || json_integer_value(end) < 0 || json_integer_value(end) > VC_END_MAX)) ||
            (owner && (!json_is_integer(owner) || json_integer_value(owner) < 0 ||
                       json_integer_value(owner) >= UINT32_MAX)))
                return vc_rpc_error(VC_ERR_BAD_REQUEST,
                                    "acquire: needs \"nodes\" (string), optional \"spec\" (string), "
                                    "\"end\" (epoch seconds, 0..%lld), \"uid\" (0..4294967294)",
                                    (long long)VC_END_MAX);
        struct vc_acquire_req r = {.job = job, .nodes = json_string_value(nodes), .spec = json_string_value(spec),
                                   .end = end ? json_integer_value(end) : 0,
                                   .uid = owner ? json_integer_value(owner) : (int64_t)q->uid};
        return vc_alloc_acquire(q->a, &r);
}

static json_t *op_chap(const struct call *q) {
        int64_t job;
        if (get_job(q->req, &job) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "chap: " BAD_JOB);
        json_t *what = json_object_get(q->req, "what");
        const char *w = json_string_value(what);
        bool tunnel = w && streq(w, "tunnel"), ssh = w && streq(w, "ssh");
        if (what && !tunnel && !ssh && !(w && streq(w, "chap")))
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "chap: \"what\" must be \"chap\", \"tunnel\" or \"ssh\"");
        return ssh ? vc_alloc_ssh_seed(q->a, job) : vc_alloc_chap(q->a, job, tunnel);
}

static json_t *op_show(const struct call *q) {
        int64_t job;
        if (get_job(q->req, &job) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "show: " BAD_JOB);
        /* Same answer for "not yours" and "does not exist": no probing other users' jobs. */
        if (q->role == ROLE_USER && vc_alloc_job_owner(q->a, job) != (int64_t)q->uid)
                return vc_rpc_error(VC_ERR_NOT_FOUND, "job %lld: no such job of uid %u", (long long)job,
                                    (unsigned)q->uid);
        return vc_alloc_show(q->a, job);
}

static json_t *op_list(const struct call *q) { return vc_alloc_list(q->a); }
static json_t *op_ranges(const struct call *q) { return vc_alloc_ranges(q->a); }
static json_t *op_check(const struct call *q) { return vc_alloc_check(q->a); }

/* op_drain: drain and undrain. */
static json_t *op_drain(const struct call *q) {
        const char *site, *reason;
        int vlan;
        if (get_site_vlan(q->req, &site, &vlan) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s: needs \"site\" (string) and \"vlan\" (1..4094)", q->op);
        if (get_reason(q->req, &reason) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s: \"reason\" must be a string", q->op);
        if (streq(q->op, "drain")) {
                log_notice("uid %u drains site %s VLAN %d: %s", (unsigned)q->uid, site, vlan, reason ? reason : "");
                return vc_alloc_drain(q->a, site, vlan, reason);
        }
        log_notice("uid %u undrains site %s VLAN %d", (unsigned)q->uid, site, vlan);
        return vc_alloc_undrain(q->a, site, vlan);
}

/* Who may call an op; a handler may narrow it further (show, status: a user's own jobs). */
enum who { ANYONE, ROOT, OPERATORS, ADMINS };

static const struct rpc_op {
        const char *op;
        enum who who;
        json_t *(*fn)(const struct call *q);
} ops[] = {
        {"ping", ANYONE, op_ping},
        {"node_phase", OPERATORS, op_userops},
        {"status", ANYONE, op_userops},
        {"acquire", OPERATORS, op_acquire},
        {"release", OPERATORS, op_release},
        {"chap", ROOT, op_chap}, /* the secret opens for root only, so nobody else need ask */
        {"show", ANYONE, op_show},
        {"list", ADMINS, op_list},
        {"ranges", ADMINS, op_ranges},
        {"check", ADMINS, op_check},
        {"drain", ADMINS, op_drain},
        {"undrain", ADMINS, op_drain},
};

/* allowed: whether q's caller is one of who; else *only names who may. */
static bool allowed(const struct call *q, enum who who, const char **only) {
        switch (who) {
        case ROOT:
                *only = "root (the node prolog)";
                return q->uid == 0;
        case OPERATORS:
                *only = "root and SlurmUser";
                return q->role == ROLE_OPERATOR;
        case ADMINS:
                *only = "root, SlurmUser and AdminGroup members";
                return q->role != ROLE_USER;
        case ANYONE:
                break;
        }
        return true;
}

/* What the service's callbacks get: the allocator, and the file a SIGHUP reloads. */
struct serve {
        struct vc_alloc *a;
        const char *conf_path;
};

/* answer: the reply to one authenticated request (rpcserve.h). */
static json_t *answer(void *ctx, const json_t *req, const struct vc_rpc_caller *who) {
        struct vc_alloc *a = ((struct serve *)ctx)->a;
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        const char *op = json_string_value(json_object_get(req, "op"));
        if (!op)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "request has no \"op\"");
        struct call q = {.a = a, .op = op, .req = req, .uid = who->uid, .role = role_of(c, who->uid, who->gid)};
        for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
                if (!streq(ops[i].op, op))
                        continue;
                const char *only = NULL;
                if (!allowed(&q, ops[i].who, &only)) {
                        log_warning("refused '%s' from uid %u: only %s may", op, (unsigned)q.uid, only);
                        return vc_rpc_error(VC_ERR_DENIED, "uid %u may not %s: only %s may", (unsigned)q.uid, op, only);
                }
                return ops[i].fn(&q);
        }
        return vc_rpc_error(VC_ERR_BAD_REQUEST, "unknown op '%s'", op);
}

/* is_operator: root or SlurmUser under the running configuration (gate.h's
 * privileged pool, decided from SO_PEERCRED before a byte is read, or from munge's uid). */
static bool is_operator(void *ctx, uid_t uid) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(((struct serve *)ctx)->a);
        return uid == 0 || uid == c->slurm_uid;
}

static bool privileged(void *ctx, const struct vc_rpc_caller *who) { return is_operator(ctx, who->uid); }

/* munge_socket: the running configuration's (a reload may change it). */
static char *munge_socket(void *ctx) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(((struct serve *)ctx)->a);
        return xstrdup(c->munge_socket);
}

int vc_server_listen(struct vc_alloc *a, int *unix_fd, int *tcp_fd, char **err) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        _cleanup_free_ char *path = vc_socket_path(c);
        int u = vc_unix_listen(path, err);
        if (u < 0)
                return u;
        _cleanup_free_ char *why = NULL;
        int t = vc_tcp_listen(c->controller_host, c->controller_port, &why);
        if (t < 0) {
                *err = xasprintf("ControllerAddr %s", why);
                close(u);
                (void)unlink(path);
                return t;
        }
        *unix_fd = u;
        *tcp_fd = t;
        return 0;
}

static void reload(struct vc_alloc *a, const char *path) {
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        if (vc_conf_load(path, &c, &err) < 0 || vc_conf_check_ids(c, &err) < 0 ||
            vc_switch_conf_check(c, &err) < 0) {
                log_error("reload refused, keeping the running configuration: %s", err);
                vc_conf_unref(c);
                return;
        }
        vc_alloc_set_conf(a, c);
        log_notice("reloaded %s", path);
}

/* on_signal: SIGHUP reloads the configuration; any other signal stops the daemon. */
static bool on_signal(void *ctx, uint32_t signo) {
        struct serve *s = ctx;
        if (signo == SIGHUP) {
                reload(s->a, s->conf_path);
                return true;
        }
        log_notice("signal %u: shutting down", signo);
        return false;
}

int vc_server_serve(struct vc_alloc *a, int unix_fd, int tcp_fd, int sigfd, const char *conf_path) {
        struct vc_gate_limits lim;
        vc_gate_limits_for_fds(&lim);
        lim.request_ms = lim.reply_ms = IO_TIMEOUT_S * 1000;
        log_info("connections: %u for root and SlurmUser, %u unauthenticated (%u per peer), %u for users "
                 "(%u per uid); %d s for a request",
                 lim.priv_max, lim.preauth_max, lim.preauth_per_key, lim.users_max, lim.per_uid, IO_TIMEOUT_S);
        static const struct vc_rpc_service svc = {.io_timeout_s = IO_TIMEOUT_S,
                                                  .munge_socket = munge_socket,
                                                  .peer_privileged = is_operator,
                                                  .privileged = privileged,
                                                  .answer = answer,
                                                  .on_signal = on_signal};
        struct serve s = {.a = a, .conf_path = conf_path};
        const int lfds[] = {unix_fd, tcp_fd};
        return vc_rpc_serve(&svc, &s, &lim, lfds, ARRAY_SIZE(lfds), sigfd);
}
