#include "server.h"
#include "switch.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/signalfd.h>

#include "alloc.h"
#include "auth.h"
#include "client.h"
#include "conf.h"
#include "gate.h"
#include "log.h"
#include "reaper.h"
#include "rpc.h"
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

static json_t *denied(const char *op, uid_t uid, const char *who) {
        log_warning("refused '%s' from uid %u: only %s may", op, (unsigned)uid, who);
        return vc_rpc_error(VC_ERR_DENIED, "uid %u may not %s: only %s may", (unsigned)uid, op, who);
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

/* handle: answer one authenticated request as uid/gid. */
static json_t *handle(struct vc_alloc *a, const json_t *req, uid_t uid, gid_t gid) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        const char *op = json_string_value(json_object_get(req, "op"));
        if (!op)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "request has no \"op\"");
        enum role role = role_of(c, uid, gid);
        int64_t job = 0;
        const char *site;
        int vlan;
        if (streq(op, "ping"))
                return vc_rpc_ok();
        json_t *uo = vc_userops_handle(a, op, req, uid, role == ROLE_OPERATOR, role == ROLE_ADMIN);
        if (uo)
                return uo;
        if (streq(op, "acquire") || streq(op, "release")) {
                if (role != ROLE_OPERATOR)
                        return denied(op, uid, "root and SlurmUser");
                if (get_job(req, &job) < 0)
                        return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s: \"job\" must be a Slurm job id (1..4294967295)", op);
                json_t *why = json_object_get(req, "reason");
                if (why && !json_is_string(why))
                        return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s: \"reason\" must be a string", op);
                if (streq(op, "release")) {
                        const char *reason = json_string_value(why);
                        return vc_alloc_release(a, job, reason ? reason : "release requested");
                }
                json_t *nodes = json_object_get(req, "nodes"), *spec = json_object_get(req, "spec"),
                       *end = json_object_get(req, "end"), *owner = json_object_get(req, "uid");
                if (!json_is_string(nodes) || (spec && !json_is_string(spec)) ||
                    (end && (!json_is_integer(end) || json_integer_value(end) < 0 ||
                             json_integer_value(end) > VC_END_MAX)) ||
                    (owner && (!json_is_integer(owner) || json_integer_value(owner) < 0 ||
                               json_integer_value(owner) >= UINT32_MAX)))
                        return vc_rpc_error(VC_ERR_BAD_REQUEST,
                                            "acquire: needs \"nodes\" (string), optional \"spec\" (string), "
                                            "\"end\" (epoch seconds, 0..%lld), \"uid\" (0..4294967294)",
                                            (long long)VC_END_MAX);
                struct vc_acquire_req q = {.job = job, .nodes = json_string_value(nodes),
                                           .spec = json_string_value(spec),
                                           .end = end ? json_integer_value(end) : 0,
                                           .uid = owner ? json_integer_value(owner) : (int64_t)uid};
                return vc_alloc_acquire(a, &q);
        }
        if (streq(op, "chap")) {
                /* the secret opens for root only, so nobody else need ask */
                if (uid != 0)
                        return denied(op, uid, "root (the node prolog)");
                if (get_job(req, &job) < 0)
                        return vc_rpc_error(VC_ERR_BAD_REQUEST, "chap: \"job\" must be a Slurm job id (1..4294967295)");
                json_t *what = json_object_get(req, "what");
                bool tunnel = json_is_string(what) && streq(json_string_value(what), "tunnel");
                bool ssh = json_is_string(what) && streq(json_string_value(what), "ssh");
                if (what && !tunnel && !ssh && !(json_is_string(what) && streq(json_string_value(what), "chap")))
                        return vc_rpc_error(VC_ERR_BAD_REQUEST, "chap: \"what\" must be \"chap\", \"tunnel\" or \"ssh\"");
                return ssh ? vc_alloc_ssh_seed(a, job) : vc_alloc_chap(a, job, tunnel);
        }
        if (streq(op, "show")) {
                if (get_job(req, &job) < 0)
                        return vc_rpc_error(VC_ERR_BAD_REQUEST, "show: \"job\" must be a Slurm job id (1..4294967295)");
                if (role == ROLE_USER) {
                        /* Same answer for "not yours" and "does not exist": no probing other users' jobs. */
                        int64_t owner = vc_alloc_job_owner(a, job);
                        if (owner != (int64_t)uid)
                                return vc_rpc_error(VC_ERR_NOT_FOUND, "job %lld: no such job of uid %u",
                                                    (long long)job, (unsigned)uid);
                }
                return vc_alloc_show(a, job);
        }
        bool admin_op = streq(op, "list") || streq(op, "ranges") || streq(op, "check") || streq(op, "drain") ||
                        streq(op, "undrain");
        if (!admin_op)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "unknown op '%s'", op);
        if (role == ROLE_USER)
                return denied(op, uid, "root, SlurmUser and AdminGroup members");
        if (streq(op, "list"))
                return vc_alloc_list(a);
        if (streq(op, "ranges"))
                return vc_alloc_ranges(a);
        if (streq(op, "check"))
                return vc_alloc_check(a);
        if (get_site_vlan(req, &site, &vlan) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s: needs \"site\" (string) and \"vlan\" (1..4094)", op);
        json_t *why = json_object_get(req, "reason");
        if (why && !json_is_string(why))
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s: \"reason\" must be a string", op);
        if (streq(op, "drain")) {
                const char *reason = json_string_value(why);
                log_notice("uid %u drains site %s VLAN %d: %s", (unsigned)uid, site, vlan, reason ? reason : "");
                return vc_alloc_drain(a, site, vlan, reason);
        }
        log_notice("uid %u undrains site %s VLAN %d", (unsigned)uid, site, vlan);
        return vc_alloc_undrain(a, site, vlan);
}

/* is_operator: root or SlurmUser under the running configuration (gate.h's
 * privileged pool, decided from SO_PEERCRED before a byte is read). */
static bool is_operator(void *ctx, uid_t uid) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(ctx);
        return uid == 0 || uid == c->slurm_uid;
}

/* serve_one: read, authenticate and answer one request on cn; every refusal gets a reply. */
static void serve_one(void *ctx, struct vc_gate_conn *cn) {
        struct vc_alloc *a = ctx;
        _cleanup_free_ char *msg = NULL;
        size_t len = 0;
        int r = vc_gate_recv(cn, &msg, &len);
        if (r == -ENODATA || r == -ECONNABORTED)
                return; /* nothing asked, or cut for a newer connection (logged there) */
        if (r == -EMSGSIZE) {
                log_warning("%s: refused a message of %zu bytes (limit %u)", cn->peer, len, VC_RPC_MAX_MSG);
                (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "message of %zu bytes exceeds the limit of %u bytes",
                                                     len, VC_RPC_MAX_MSG));
                return;
        }
        if (r == -ETIMEDOUT) { /* logged by the gate */
                (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "the whole request must arrive within %u s",
                                                     IO_TIMEOUT_S));
                return;
        }
        if (r < 0) {
                log_warning("%s: %s", cn->peer, r == -EPROTO ? "connection closed in the middle of a message"
                                                             : strerror(-r));
                return;
        }
        _cleanup_free_ char *err = NULL;
        _cleanup_(json_decrefp) json_t *env = NULL;
        const char *cred, *text;
        if (vc_rpc_unwrap(msg, len, &env, &cred, &text, &err) < 0) {
                log_warning("%s: %s", cn->peer, err);
                (void)vc_gate_reply(cn, vc_rpc_error(VC_ERR_BAD_REQUEST, "%s", err));
                return;
        }
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        uid_t uid;
        gid_t gid;
        r = vc_auth_verify(c->munge_socket, cred, text, &uid, &gid, &err);
        if (r < 0) {
                log_warning("%s: %s", cn->peer, err);
                (void)vc_gate_reply_sealed(cn, c->munge_socket, cred, vc_rpc_error(r == -ECONNREFUSED ? VC_ERR_INTERNAL : VC_ERR_AUTH, "%s", err));
                return;
        }
        if (vc_gate_authed(cn, uid, uid == 0 || uid == c->slurm_uid, &err) < 0) {
                (void)vc_gate_reply_sealed(cn, c->munge_socket, cred, vc_rpc_error(VC_ERR_BUSY, "%s", err));
                return;
        }
        json_error_t je;
        _cleanup_(json_decrefp) json_t *req = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(req)) {
                log_warning("%s uid %u: malformed request: %s", cn->peer, (unsigned)uid, je.text);
                (void)vc_gate_reply_sealed(cn, c->munge_socket, cred, vc_rpc_error(VC_ERR_BAD_REQUEST, "malformed request: %s",
                                                     req ? "not a JSON object" : je.text));
                return;
        }
        log_debug("%s uid %u: %s", cn->peer, (unsigned)uid, text);
        (void)vc_gate_reply_sealed(cn, c->munge_socket, cred, handle(a, req, uid, gid));
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

/* After accepting failed for want of descriptors or memory, rest this long. */
#define ACCEPT_REST_MS 100

int vc_server_serve(struct vc_alloc *a, int unix_fd, int tcp_fd, int sigfd, const char *conf_path) {
        struct vc_gate_limits lim;
        vc_gate_limits_for_fds(&lim);
        lim.request_ms = lim.reply_ms = IO_TIMEOUT_S * 1000;
        log_info("connections: %u for root and SlurmUser, %u unauthenticated (%u per peer), %u for users "
                 "(%u per uid); %d s for a request",
                 lim.priv_max, lim.preauth_max, lim.preauth_per_key, lim.users_max, lim.per_uid, IO_TIMEOUT_S);
        struct vc_gate *g = vc_gate_new(&lim, serve_one, is_operator, a);
        struct pollfd pfd[3] = {{.fd = sigfd, .events = POLLIN}, {.fd = unix_fd, .events = POLLIN},
                                {.fd = tcp_fd, .events = POLLIN}};
        uint64_t rest_until = 0;
        for (;;) {
                /* While resting, only signals are watched: a full listener must not wake us again and again. */
                uint64_t now = now_ms();
                bool resting = now < rest_until;
                if (poll(pfd, resting ? 1 : 3, resting ? (int)(rest_until - now) : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error("poll: %m");
                        vc_gate_drain(g);
                        vc_gate_free(g);
                        return -errno;
                }
                if (pfd[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGHUP)
                                        reload(a, conf_path);
                                else {
                                        log_notice("signal %u: shutting down", si.ssi_signo);
                                        break;
                                }
                        }
                }
                if (resting)
                        continue;
                for (int i = 1; i < 3; i++)
                        if ((pfd[i].revents & POLLIN) && vc_gate_accept(g, pfd[i].fd) < 0)
                                rest_until = now_ms() + ACCEPT_REST_MS;
        }
        /* Let requests in flight finish: a half-done acquire is rolled back at
         * the next start anyway, but finishing it is kinder. */
        vc_gate_drain(g);
        vc_gate_free(g);
        return 0;
}
