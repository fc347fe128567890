/* The admission pools of gate.h, the threads that serve, and accepting
 * that rests instead of spinning when descriptors run out. */
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "auth.h"
#include "log.h"
#include "rpc.h"
#include "util.h"

enum { POOL_NONE, POOL_PREAUTH, POOL_USERS, POOL_PRIV };

/* Descriptors kept for the daemon's own work (state database, logs,
 * switch drivers, storage tools, libslurm) besides its connections. */
#define FD_RESERVE 128
/* A warning that an attacker can trigger at will is logged at most this often. */
#define WARN_EVERY_MS 1000

struct ratelimit {
        uint64_t last;
        unsigned suppressed;
};

struct uid_count {
        uid_t uid;
        unsigned n; /* 0: free slot */
};

struct vc_gate {
        struct vc_gate_limits lim;
        vc_gate_serve_fn serve;
        vc_gate_priv_fn priv;
        void *ctx;
        pthread_mutex_t lock;
        pthread_cond_t idle;
        unsigned n_threads, n_preauth, n_users, n_priv;
        struct vc_gate_conn *head, *tail; /* pre-auth connections, oldest first */
        struct vc_gate_conn *all;         /* every connection being served */
        struct uid_count *uids;
        size_t n_uids;
        int reserve_fd; /* given up to shed a connection when descriptors ran out */
        struct ratelimit cut_warn, busy_warn, accept_warn, slow_warn;
};

void vc_gate_limits_for_fds(struct vc_gate_limits *l) {
        struct rlimit rl;
        rlim_t fds = 1024;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                /* systemd's soft default (1024) is below what a busy controller needs;
                 * the hard limit is the administrator's word. */
                if (rl.rlim_cur < rl.rlim_max) {
                        struct rlimit want = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
                        if (want.rlim_cur == RLIM_INFINITY || want.rlim_cur > (1u << 20))
                                want.rlim_cur = 1u << 20;
                        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
                                rl.rlim_cur = want.rlim_cur;
                }
                fds = rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : rl.rlim_cur;
        }
        unsigned conns = fds > FD_RESERVE + 64 ? (unsigned)((fds - FD_RESERVE) / 2 > 1u << 20 ? 1u << 20 : (fds - FD_RESERVE) / 2) : 32;
#define CAP(v, max) ((v) < (max) ? (v) : (max))
        *l = (struct vc_gate_limits){.priv_max = CAP(conns / 2, 1024u),
                                     .preauth_max = CAP(conns / 4, 512u),
                                     .users_max = CAP(conns / 4, 512u),
                                     .request_ms = 10000,
                                     .reply_ms = 10000};
        l->preauth_per_key = CAP(l->preauth_max, 16u);
        l->per_uid = CAP(l->users_max, 32u);
#undef CAP
}

struct vc_gate *vc_gate_new(const struct vc_gate_limits *l, vc_gate_serve_fn serve, vc_gate_priv_fn priv,
                            void *ctx) {
        struct vc_gate *g = xcalloc(1, sizeof(*g));
        g->lim = *l;
        g->serve = serve;
        g->priv = priv;
        g->ctx = ctx;
        pthread_mutex_init(&g->lock, NULL);
        pthread_cond_init(&g->idle, NULL);
        g->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return g;
}

void vc_gate_free(struct vc_gate *g) {
        if (!g)
                return;
        if (g->reserve_fd >= 0)
                close(g->reserve_fd);
        pthread_mutex_destroy(&g->lock);
        pthread_cond_destroy(&g->idle);
        free(g->uids);
        free(g);
}

/* warn_limited: log_warning at most once per WARN_EVERY_MS, counting the rest. Under g->lock. */
static void warn_limited(struct ratelimit *rl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn_limited(struct ratelimit *rl, const char *fmt, ...) {
        uint64_t now = now_ms();
        if (rl->last && now - rl->last < WARN_EVERY_MS) {
                rl->suppressed++;
                return;
        }
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (rl->suppressed)
                log_warning("%s (and %u more like it in the last %.1f s)", msg, rl->suppressed,
                            (double)(now - rl->last) / 1000);
        else
                log_warning("%s", msg);
        rl->last = now;
        rl->suppressed = 0;
}

/* reply_now: a short reply on a fresh socket, whose buffer is empty: it
 * never waits, so the accepting thread can send it. */
static void reply_now(int fd, json_t *reply) {
        (void)vc_rpc_send_json_until(fd, reply, now_ms() + 100);
        json_decref(reply);
}

static void unlink_preauth(struct vc_gate *g, struct vc_gate_conn *cn) {
        if (cn->prev)
                cn->prev->next = cn->next;
        else
                g->head = cn->next;
        if (cn->next)
                cn->next->prev = cn->prev;
        else
                g->tail = cn->prev;
        cn->prev = cn->next = NULL;
        cn->pool = POOL_NONE;
        g->n_preauth--;
}

/* cut: end a pre-auth connection that is still reading (its thread wakes
 * at once and finishes). Under g->lock, so cn->fd is still open. */
static void cut(struct vc_gate *g, struct vc_gate_conn *cn, const char *why) {
        warn_limited(&g->cut_warn, "%s: cut, still unauthenticated when %s", cn->peer, why);
        unlink_preauth(g, cn);
        cn->evicted = true;
        (void)shutdown(cn->fd, SHUT_RDWR);
}

/* oldest_reading: the oldest pre-auth connection (of key, when given) whose
 * request has not fully arrived; NULL when there is none. Under g->lock. */
static struct vc_gate_conn *oldest_reading(struct vc_gate *g, const char *key, unsigned *count) {
        struct vc_gate_conn *victim = NULL;
        *count = 0;
        for (struct vc_gate_conn *c = g->head; c; c = c->next) {
                if (key && !streq(c->key, key))
                        continue;
                (*count)++;
                if (!victim && !c->read_done)
                        victim = c;
        }
        return victim;
}

/* admit: put cn in its pool, making room in pre-auth by cutting the oldest;
 * NULL, or the busy reason when there is no room. Under g->lock. */
static const char *admit(struct vc_gate *g, struct vc_gate_conn *cn, bool privileged) {
        if (privileged) {
                if (g->n_priv >= g->lim.priv_max)
                        return "root and SlurmUser connections";
                g->n_priv++;
                cn->pool = POOL_PRIV;
                return NULL;
        }
        unsigned n;
        struct vc_gate_conn *v = oldest_reading(g, cn->key, &n);
        if (n >= g->lim.preauth_per_key) {
                if (!v)
                        return "unauthenticated connections from this peer";
                char why[96];
                snprintf(why, sizeof(why), "its peer opened more than %u", g->lim.preauth_per_key);
                cut(g, v, why);
        }
        if (g->n_preauth >= g->lim.preauth_max) {
                v = oldest_reading(g, NULL, &n);
                if (!v)
                        return "unauthenticated connections";
                char why[96];
                snprintf(why, sizeof(why), "more than %u were open", g->lim.preauth_max);
                cut(g, v, why);
        }
        cn->pool = POOL_PREAUTH;
        cn->prev = g->tail;
        if (g->tail)
                g->tail->next = cn;
        else
                g->head = cn;
        g->tail = cn;
        g->n_preauth++;
        return NULL;
}

static struct uid_count *uid_slot(struct vc_gate *g, uid_t uid, bool make) {
        struct uid_count *free_slot = NULL;
        for (size_t i = 0; i < g->n_uids; i++) {
                if (g->uids[i].n && g->uids[i].uid == uid)
                        return &g->uids[i];
                if (!g->uids[i].n && !free_slot)
                        free_slot = &g->uids[i];
        }
        if (!make)
                return NULL;
        if (!free_slot) {
                g->uids = xrealloc(g->uids, (g->n_uids + 1) * sizeof(*g->uids));
                free_slot = &g->uids[g->n_uids++];
        }
        *free_slot = (struct uid_count){.uid = uid};
        return free_slot;
}

/* leave: take cn out of whatever pool holds it, and off the list of all. Under g->lock. */
static void leave(struct vc_gate *g, struct vc_gate_conn *cn) {
        if (cn->all_prev)
                cn->all_prev->all_next = cn->all_next;
        else if (g->all == cn)
                g->all = cn->all_next;
        if (cn->all_next)
                cn->all_next->all_prev = cn->all_prev;
        cn->all_prev = cn->all_next = NULL;
        if (cn->pool == POOL_PREAUTH)
                unlink_preauth(g, cn);
        else if (cn->pool == POOL_PRIV)
                g->n_priv--;
        else if (cn->pool == POOL_USERS) {
                g->n_users--;
                struct uid_count *u = uid_slot(g, cn->uid, false);
                if (u)
                        u->n--;
        }
        cn->pool = POOL_NONE;
}

static void *conn_main(void *arg) {
        struct vc_gate_conn *cn = arg;
        struct vc_gate *g = cn->gate;
        g->serve(g->ctx, cn);
        pthread_mutex_lock(&g->lock);
        leave(g, cn);
        close(cn->fd); /* under the lock: a cut never hits a reused descriptor */
        g->n_threads--;
        pthread_cond_broadcast(&g->idle);
        pthread_mutex_unlock(&g->lock);
        free(cn);
        return NULL;
}

static void describe(struct vc_gate_conn *cn) {
        struct sockaddr_storage ss = {.ss_family = AF_UNSPEC};
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
        if (getsockopt(cn->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 && ss.ss_family == AF_UNIX) {
                cn->local = true;
                cn->local_uid = uc.uid;
                snprintf(cn->peer, sizeof(cn->peer), "local pid %d uid %u", (int)uc.pid, (unsigned)uc.uid);
                snprintf(cn->key, sizeof(cn->key), "uid:%u", (unsigned)uc.uid);
        } else {
                snprintf(cn->peer, sizeof(cn->peer), "unknown peer");
                snprintf(cn->key, sizeof(cn->key), "unknown");
        }
}

/* shed: descriptors ran out: accept the queued connection on the reserve
 * descriptor and close it, so the listener stops being readable for it. */
static void shed(struct vc_gate *g, int lfd) {
        if (g->reserve_fd < 0)
                return;
        close(g->reserve_fd);
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
                reply_now(fd, vc_rpc_error(VC_ERR_BUSY, "server busy: out of file descriptors"));
                close(fd);
        }
        g->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int vc_gate_accept(struct vc_gate *g, int lfd) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                if (e == EINTR || e == EAGAIN || e == ECONNABORTED || e == EPROTO || e == EPERM)
                        return 0; /* that connection is gone; others are fine */
                pthread_mutex_lock(&g->lock);
                warn_limited(&g->accept_warn, "accept: %s; not accepting for a moment", strerror(e));
                pthread_mutex_unlock(&g->lock);
                if (e == EMFILE || e == ENFILE)
                        shed(g, lfd);
                return -e;
        }
        struct vc_gate_conn *cn = xcalloc(1, sizeof(*cn));
        cn->fd = fd;
        cn->gate = g;
        describe(cn);
        bool privileged = cn->local && g->priv(g->ctx, cn->local_uid);
        cn->deadline = now_ms() + g->lim.request_ms;
        pthread_mutex_lock(&g->lock);
        const char *full = admit(g, cn, privileged);
        if (!full) {
                g->n_threads++;
                cn->all_next = g->all;
                if (g->all)
                        g->all->all_prev = cn;
                g->all = cn;
        } else
                warn_limited(&g->busy_warn, "%s: refused, server busy: too many %s", cn->peer, full);
        pthread_mutex_unlock(&g->lock);
        if (full) {
                reply_now(fd, vc_rpc_error(VC_ERR_BUSY, "server busy: too many %s", full));
                close(fd);
                free(cn);
                return 0;
        }
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        int r = pthread_create(&t, &attr, conn_main, cn);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                pthread_mutex_lock(&g->lock);
                leave(g, cn);
                g->n_threads--;
                pthread_cond_broadcast(&g->idle);
                pthread_mutex_unlock(&g->lock);
                log_error("%s: cannot start a thread: %s", cn->peer, strerror(r));
                reply_now(fd, vc_rpc_error(VC_ERR_BUSY, "server busy: cannot start a thread"));
                close(fd);
                free(cn);
                return -r;
        }
        return 0;
}

int vc_gate_recv(struct vc_gate_conn *cn, char **msg, size_t *len) {
        struct vc_gate *g = cn->gate;
        _cleanup_free_ char *m = NULL;
        int r = vc_rpc_recv_until(cn->fd, VC_RPC_MAX_MSG, cn->deadline, &m, len);
        pthread_mutex_lock(&g->lock);
        if (cn->evicted)
                r = -ECONNABORTED; /* whatever the read saw, it was the cut */
        else if (r == -ETIMEDOUT)
                warn_limited(&g->slow_warn, "%s: timed out waiting for the request", cn->peer);
        cn->read_done = true;
        pthread_mutex_unlock(&g->lock);
        if (r == 0)
                *msg = TAKE_PTR(m);
        return r;
}

int vc_gate_authed(struct vc_gate_conn *cn, uid_t uid, bool privileged, char **err) {
        struct vc_gate *g = cn->gate;
        int r = 0;
        pthread_mutex_lock(&g->lock);
        if (cn->pool == POOL_PREAUTH) {
                unlink_preauth(g, cn);
                struct uid_count *u = privileged ? NULL : uid_slot(g, uid, true);
                if (privileged && g->n_priv < g->lim.priv_max) {
                        g->n_priv++;
                        cn->pool = POOL_PRIV;
                } else if (privileged) {
                        *err = xasprintf("server busy: %u requests of root and SlurmUser in progress",
                                         g->lim.priv_max);
                        r = -EBUSY;
                } else if (u->n >= g->lim.per_uid) {
                        *err = xasprintf("server busy: uid %u has %u requests in progress", (unsigned)uid,
                                         g->lim.per_uid);
                        r = -EBUSY;
                } else if (g->n_users >= g->lim.users_max) {
                        *err = xasprintf("server busy: %u requests of users in progress", g->lim.users_max);
                        r = -EBUSY;
                } else {
                        u->n++;
                        g->n_users++;
                        cn->uid = uid;
                        cn->pool = POOL_USERS;
                }
        }
        /* else: privileged since accept (the kernel said so); it keeps that slot */
        if (r < 0)
                warn_limited(&g->busy_warn, "%s uid %u: refused, %s", cn->peer, (unsigned)uid, *err);
        pthread_mutex_unlock(&g->lock);
        return r;
}

int vc_gate_reply(struct vc_gate_conn *cn, json_t *reply) {
        if (!reply)
                reply = vc_rpc_error(VC_ERR_INTERNAL, "no reply was made (a bug worth reporting)");
        int r = vc_rpc_send_json_until(cn->fd, reply, now_ms() + cn->gate->lim.reply_ms);
        json_decref(reply);
        return r;
}

int vc_gate_reply_sealed(struct vc_gate_conn *cn, const char *munge_socket, const char *req_cred, json_t *reply) {
        if (!reply)
                reply = vc_rpc_error(VC_ERR_INTERNAL, "no reply was made (a bug worth reporting)");
        _cleanup_free_ char *text = json_dumps(reply, JSON_COMPACT), *cred = NULL, *err = NULL;
        if (!text || vc_auth_seal_reply(munge_socket, req_cred, text, &cred, &err) < 0) {
                log_error("%s: cannot seal the reply: %s", cn->peer, err ? err : "out of memory");
                return vc_gate_reply(cn, reply);
        }
        json_decref(reply);
        _cleanup_free_ char *msg = vc_rpc_reply_envelope(cred, text);
        return vc_rpc_send_until(cn->fd, msg, strlen(msg), now_ms() + cn->gate->lim.reply_ms);
}

void vc_gate_drain(struct vc_gate *g) {
        pthread_mutex_lock(&g->lock);
        /* Nobody has been told anything on a connection still reading its
         * request: end those now; requests being answered finish. */
        for (struct vc_gate_conn *c = g->all; c; c = c->all_next) {
                if (c->read_done)
                        continue;
                if (c->pool == POOL_PREAUTH)
                        unlink_preauth(g, c);
                c->evicted = true;
                (void)shutdown(c->fd, SHUT_RDWR);
        }
        while (g->n_threads > 0)
                pthread_cond_wait(&g->idle, &g->lock);
        pthread_mutex_unlock(&g->lock);
}
