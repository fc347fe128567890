#include "server.h"
#include "switch.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "alloc.h"
#include "auth.h"
#include "client.h"
#include "conf.h"
#include "log.h"
#include "reaper.h"
#include "rpc.h"
#include "sock.h"
#include "userops.h"
#include "util.h"

#define MAX_CONNECTIONS 1024
/* One local uid or one remote address may hold this many at once, so an idle
 * flood from one peer cannot lock the others (node prologs, slurmctld) out.
 * Root and SlurmUser on the Unix socket (kernel-verified) are exempt. */
#define MAX_PER_PEER 32
#define IO_TIMEOUT_S 10

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conn_cond = PTHREAD_COND_INITIALIZER;
static unsigned n_conn;

struct peer_count {
        char key[NI_MAXHOST + 8];
        unsigned n;
};
static struct peer_count *peers; /* under conn_lock; entries with n == 0 are free */
static size_t n_peers;

/* peer_take: count one more connection of key; false when over its share. */
static bool peer_take(const char *key) {
        struct peer_count *slot = NULL;
        for (size_t i = 0; i < n_peers; i++) {
                if (peers[i].n && streq(peers[i].key, key)) {
                        if (peers[i].n >= MAX_PER_PEER)
                                return false;
                        peers[i].n++;
                        return true;
                }
                if (!peers[i].n && !slot)
                        slot = &peers[i];
        }
        if (!slot) {
                peers = xrealloc(peers, (n_peers + 1) * sizeof(*peers));
                slot = &peers[n_peers++];
        }
        snprintf(slot->key, sizeof(slot->key), "%s", key);
        slot->n = 1;
        return true;
}

static void peer_put(const char *key) {
        for (size_t i = 0; i < n_peers; i++)
                if (peers[i].n && streq(peers[i].key, key)) {
                        peers[i].n--;
                        return;
                }
}


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
                if (what && !tunnel && !(json_is_string(what) && streq(json_string_value(what), "chap")))
                        return vc_rpc_error(VC_ERR_BAD_REQUEST, "chap: \"what\" must be \"chap\" or \"tunnel\"");
                return vc_alloc_chap(a, job, tunnel);
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

struct conn {
        struct vc_alloc *a;
        int fd;
        char peer[NI_MAXHOST + NI_MAXSERV + 2]; /* for logs */
        char key[NI_MAXHOST + 8];               /* for limits: "uid:N" or the address; "" = exempt */
};

static void describe_peer(struct conn *cn, const struct vc_conf *c) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        if (getpeername(cn->fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family != AF_UNIX) {
                char host[NI_MAXHOST], port[NI_MAXSERV];
                if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
                                NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
                        snprintf(cn->peer, sizeof(cn->peer), "%s:%s", host, port);
                        snprintf(cn->key, sizeof(cn->key), "%s", host);
                        return;
                }
        }
        struct ucred uc;
        len = sizeof(uc);
        if (getsockopt(cn->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
                snprintf(cn->peer, sizeof(cn->peer), "local pid %d", (int)uc.pid);
                if (uc.uid != 0 && uc.uid != c->slurm_uid)
                        snprintf(cn->key, sizeof(cn->key), "uid:%u", (unsigned)uc.uid);
        } else {
                snprintf(cn->peer, sizeof(cn->peer), "unknown peer");
                snprintf(cn->key, sizeof(cn->key), "unknown");
        }
}

static void reply_and_log(int fd, json_t *reply) {
        (void)vc_rpc_send_json(fd, reply);
        json_decref(reply);
}

static void serve_one(struct conn *cn) {
        struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
        (void)setsockopt(cn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)setsockopt(cn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        _cleanup_free_ char *msg = NULL;
        size_t len = 0;
        int r = vc_rpc_recv(cn->fd, VC_RPC_MAX_MSG, &msg, &len);
        if (r == -ENODATA)
                return;
        if (r == -EMSGSIZE) {
                log_warning("%s: refused a message of %zu bytes (limit %u)", cn->peer, len, VC_RPC_MAX_MSG);
                return reply_and_log(cn->fd, vc_rpc_error(VC_ERR_BAD_REQUEST, "message of %zu bytes exceeds the limit of %u bytes",
                                                          len, VC_RPC_MAX_MSG));
        }
        if (r < 0) {
                log_warning("%s: %s", cn->peer, r == -EPROTO ? "connection closed in the middle of a message"
                                                 : r == -EAGAIN ? "timed out waiting for the request"
                                                                : strerror(-r));
                return;
        }
        _cleanup_free_ char *err = NULL;
        _cleanup_(json_decrefp) json_t *env = NULL;
        const char *cred, *text;
        if (vc_rpc_unwrap(msg, len, &env, &cred, &text, &err) < 0) {
                log_warning("%s: %s", cn->peer, err);
                return reply_and_log(cn->fd, vc_rpc_error(VC_ERR_BAD_REQUEST, "%s", err));
        }
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(cn->a);
        uid_t uid;
        gid_t gid;
        r = vc_auth_verify(c->munge_socket, cred, text, &uid, &gid, &err);
        if (r < 0) {
                log_warning("%s: %s", cn->peer, err);
                return reply_and_log(cn->fd, vc_rpc_error(r == -ECONNREFUSED ? VC_ERR_INTERNAL : VC_ERR_AUTH, "%s", err));
        }
        json_error_t je;
        _cleanup_(json_decrefp) json_t *req = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(req)) {
                log_warning("%s uid %u: malformed request: %s", cn->peer, (unsigned)uid, je.text);
                return reply_and_log(cn->fd, vc_rpc_error(VC_ERR_BAD_REQUEST, "malformed request: %s",
                                                          req ? "not a JSON object" : je.text));
        }
        log_debug("%s uid %u: %s", cn->peer, (unsigned)uid, text);
        reply_and_log(cn->fd, handle(cn->a, req, uid, gid));
}

static void *conn_thread(void *arg) {
        struct conn *cn = arg;
        serve_one(cn);
        close(cn->fd);
        pthread_mutex_lock(&conn_lock);
        n_conn--;
        if (cn->key[0])
                peer_put(cn->key);
        pthread_cond_broadcast(&conn_cond);
        pthread_mutex_unlock(&conn_lock);
        free(cn);
        return NULL;
}

static void accept_one(struct vc_alloc *a, int lfd) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return;
        struct conn *cn = xcalloc(1, sizeof(*cn));
        cn->a = a;
        cn->fd = fd;
        {
                struct vc_conf *c = vc_alloc_conf(a);
                describe_peer(cn, c);
                vc_conf_unref(c);
        }
        pthread_mutex_lock(&conn_lock);
        const char *full = n_conn >= MAX_CONNECTIONS ? "requests in progress"
                           : cn->key[0] && !peer_take(cn->key) ? "requests in progress from this peer"
                                                               : NULL;
        if (!full)
                n_conn++;
        pthread_mutex_unlock(&conn_lock);
        if (full) {
                unsigned limit = n_conn >= MAX_CONNECTIONS ? MAX_CONNECTIONS : MAX_PER_PEER;
                log_warning("%s: refused, %u %s already", cn->peer, limit, full);
                reply_and_log(fd, vc_rpc_error(VC_ERR_INTERNAL, "server busy: %u %s", limit, full));
                close(fd);
                free(cn);
                return;
        }
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        if (pthread_create(&t, &attr, conn_thread, cn) != 0) {
                log_error("cannot start a thread for %s", cn->peer);
                close(fd);
                pthread_mutex_lock(&conn_lock);
                n_conn--;
                if (cn->key[0])
                        peer_put(cn->key);
                pthread_mutex_unlock(&conn_lock);
                free(cn);
        }
        pthread_attr_destroy(&attr);
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
        if (vc_conf_load(path, &c, &err) < 0 || vc_switch_conf_check(c, &err) < 0) {
                log_error("reload refused, keeping the running configuration: %s", err);
                vc_conf_unref(c);
                return;
        }
        vc_alloc_set_conf(a, c);
        log_notice("reloaded %s", path);
}

int vc_server_serve(struct vc_alloc *a, int unix_fd, int tcp_fd, int sigfd, const char *conf_path) {
        struct pollfd pfd[3] = {{.fd = unix_fd, .events = POLLIN}, {.fd = tcp_fd, .events = POLLIN},
                                {.fd = sigfd, .events = POLLIN}};
        for (;;) {
                if (poll(pfd, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error("poll: %m");
                        return -errno;
                }
                if (pfd[2].revents & POLLIN) {
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
                for (int i = 0; i < 2; i++)
                        if (pfd[i].revents & POLLIN)
                                accept_one(a, pfd[i].fd);
        }
        /* Let requests in flight finish: a half-done acquire is rolled back at
         * the next start anyway, but finishing it is kinder. */
        pthread_mutex_lock(&conn_lock);
        while (n_conn > 0)
                pthread_cond_wait(&conn_cond, &conn_lock);
        pthread_mutex_unlock(&conn_lock);
        return 0;
}
