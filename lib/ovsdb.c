#include "ovsdb.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "sock.h"
#include "util.h"

/* A reply bigger than this is not one our small transactions can cause. */
#define OVSDB_MAX_MSG (64u << 20)

struct vc_ovsdb {
        int fd;
        char *remote;
        int timeout_ms;
        char *buf; /* received bytes not yet parsed */
        size_t len, cap;
        size_t scan; /* how far parse_one has looked into buf */
        int depth;   /* its nesting there, and whether inside a string (escape) */
        bool in_str, esc;
        json_int_t next_id;
};

/* "Connection refused" → "connection refused": our messages continue a sentence. */
static char *errtext(int e) {
        char *s = xstrdup(strerror(e));
        if (s[0] && !isupper((unsigned char)s[1]))
                s[0] = (char)tolower((unsigned char)s[0]);
        return s;
}

/* fail: vc_fail with "ovsdb REMOTE: " before the text. */
#define fail(db, err, r, fmt, ...) vc_fail((err), (r), "ovsdb %s: " fmt, (db)->remote, ##__VA_ARGS__)

static int fail_errno(const struct vc_ovsdb *db, char **err, int r) {
        _cleanup_free_ char *t = errtext(-r);
        return fail(db, err, r, "%s", t);
}

/* The stream is only trustworthy from a fresh connection after a failure. */
static void drop(struct vc_ovsdb *db) {
        if (db->fd >= 0)
                close(db->fd);
        db->fd = -1;
        db->len = db->scan = 0;
        db->depth = 0;
        db->in_str = db->esc = false;
}

static int dial(struct vc_ovsdb *db, char **err) {
        int fd;
        if (strncmp(db->remote, "unix:", 5) == 0) {
                fd = vc_unix_connect(db->remote + 5);
                if (fd < 0)
                        return fail_errno(db, err, fd);
        } else if (strncmp(db->remote, "tcp:", 4) == 0) {
                const char *hp = db->remote + 4, *colon = strrchr(hp, ':');
                if (!colon || colon == hp || !colon[1])
                        return fail(db, err, -EINVAL, "expected tcp:HOST:PORT");
                _cleanup_free_ char *host = xasprintf("%.*s", (int)(colon - hp), hp);
                /* [v6]:port: the brackets are ours, not the resolver's. */
                if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                        memmove(host, host + 1, strlen(host));
                        host[strlen(host) - 1] = '\0';
                }
                _cleanup_free_ char *why = NULL;
                /* Bounded: an address that drops SYNs would otherwise hold us for the
                 * kernel's retries (minutes), far past the Timeout. */
                fd = vc_tcp_connect_timeout(host, colon + 1, db->timeout_ms, &why);
                if (fd == -ETIMEDOUT)
                        return fail(db, err, fd, "no connection within %g s", db->timeout_ms / 1000.0);
                if (fd < 0 && fd != -EADDRNOTAVAIL)
                        return fail_errno(db, err, fd);
                if (fd < 0) /* the resolver's own words say more than errno */
                        return fail(db, err, fd, "%s", why);
        } else {
                return fail(db, err, -EINVAL, "expected unix:PATH or tcp:HOST:PORT");
        }
        /* Non-blocking, so that a stopped server can stall neither a send nor a read
         * beyond the deadline. */
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                int r = -errno;
                close(fd);
                return fail_errno(db, err, r);
        }
        db->fd = fd;
        return 0;
}

struct vc_ovsdb *vc_ovsdb_from_fd(int fd, const char *remote, int timeout_ms) {
        struct vc_ovsdb *db = xcalloc(1, sizeof(*db));
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
                (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        db->fd = fd;
        db->remote = xstrdup(remote);
        db->timeout_ms = timeout_ms;
        return db;
}

int vc_ovsdb_open(const char *remote, int timeout_ms, struct vc_ovsdb **out, char **err) {
        struct vc_ovsdb *db = vc_ovsdb_from_fd(-1, remote, timeout_ms);
        int r = dial(db, err);
        if (r < 0) {
                vc_ovsdb_close(db);
                return r;
        }
        *out = db;
        return 0;
}

void vc_ovsdb_close(struct vc_ovsdb *db) {
        if (!db)
                return;
        drop(db);
        free(db->buf);
        free(db->remote);
        free(db);
}

void vc_ovsdb_closep(struct vc_ovsdb **db) { vc_ovsdb_close(*db); }

/* Wait until fd is ready for events or the deadline passes: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline) {
        for (;;) {
                uint64_t now = now_ms();
                if (now >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p = {.fd = fd, .events = events};
                int n = poll(&p, 1, (int)(deadline - now));
                if (n > 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return -errno;
        }
}

static int timed_out(const struct vc_ovsdb *db, char **err, const char *doing) {
        return fail(db, err, -ETIMEDOUT, "%s within %g s", doing, db->timeout_ms / 1000.0);
}

static int send_msg(struct vc_ovsdb *db, json_t *msg, uint64_t deadline, char **err) {
        _cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
        if (!text)
                return fail(db, err, -ENOMEM, "cannot encode a request");
        size_t n = strlen(text), off = 0;
        while (off < n) {
                ssize_t w = send(db->fd, text + off, n - off, MSG_NOSIGNAL);
                if (w >= 0) {
                        off += (size_t)w;
                        continue;
                }
                int r = errno == EAGAIN ? wait_fd(db->fd, POLLOUT, deadline) : errno == EINTR ? 0 : -errno;
                if (r == -ETIMEDOUT)
                        return timed_out(db, err, "could not send a request");
                if (r < 0)
                        return fail_errno(db, err, r);
        }
        return 0;
}

/* Find where the message at the front of the buffer ends: track nesting
 * outside strings, resuming where the last call stopped (linear in the bytes
 * received). Only a complete message reaches the JSON parser, so a reply cut
 * anywhere — mid-string, mid-escape, mid-UTF-8 character, mid-"true" — just
 * waits for more bytes, and a parse error is a real one.
 * 1 with *msg, 0 when more bytes are needed, -EPROTO on garbage. */
static int parse_one(struct vc_ovsdb *db, json_t **msg, char **err) {
        size_t end = 0;
        while (!end && db->scan < db->len) {
                char c = db->buf[db->scan++];
                if (db->in_str) {
                        if (db->esc)
                                db->esc = false;
                        else if (c == '\\')
                                db->esc = true;
                        else if (c == '"')
                                db->in_str = false;
                } else if (c == '"') {
                        db->in_str = true;
                } else if (c == '{' || c == '[') {
                        db->depth++;
                } else if (c == '}' || c == ']') {
                        if (--db->depth == 0)
                                end = db->scan;
                }
                if (db->depth < 0 || (db->depth == 0 && !end && !isspace((unsigned char)c)))
                        return fail(db, err, -EPROTO, "the server sent something that is not a JSON object");
        }
        if (!end)
                return 0;
        json_error_t je;
        json_t *j = json_loadb(db->buf, end, 0, &je);
        memmove(db->buf, db->buf + end, db->len - end);
        db->len -= end;
        db->scan = 0;
        if (!j)
                return fail(db, err, -EPROTO, "malformed JSON from the server: %s", je.text);
        if (!json_is_object(j)) {
                json_decref(j);
                return fail(db, err, -EPROTO, "the server sent something that is not a JSON object");
        }
        *msg = j;
        return 1;
}

static int recv_msg(struct vc_ovsdb *db, uint64_t deadline, json_t **msg, char **err) {
        for (;;) {
                int r = parse_one(db, msg, err);
                if (r != 0)
                        return r;
                if (db->len == db->cap) {
                        if (db->cap >= OVSDB_MAX_MSG)
                                return fail(db, err, -EMSGSIZE, "a reply exceeds %u bytes", OVSDB_MAX_MSG);
                        db->cap = db->cap ? db->cap * 2 : 16384;
                        db->buf = xrealloc(db->buf, db->cap);
                }
                ssize_t n = recv(db->fd, db->buf + db->len, db->cap - db->len, 0);
                if (n > 0) {
                        db->len += (size_t)n;
                        continue;
                }
                if (n == 0)
                        return fail(db, err, -ECONNRESET, "closed the connection before answering");
                r = errno == EAGAIN ? wait_fd(db->fd, POLLIN, deadline) : errno == EINTR ? 0 : -errno;
                if (r == -ETIMEDOUT)
                        return timed_out(db, err, "no answer");
                if (r == -ECONNRESET)
                        return fail(db, err, r, "closed the connection before answering");
                if (r < 0)
                        return fail_errno(db, err, r);
        }
}

/* The server probes idle clients with "echo"; an unanswered probe ends the
 * connection, so answer it (and refuse any other request, which a plain
 * transact client never expects). */
static int answer_request(struct vc_ovsdb *db, json_t *msg, uint64_t deadline, char **err) {
        json_t *id = json_object_get(msg, "id");
        if (!id || json_is_null(id))
                return 0; /* a notification: nothing to answer */
        const char *method = json_string_value(json_object_get(msg, "method"));
        json_auto_t *reply = NULL;
        if (method && streq(method, "echo")) {
                json_t *params = json_object_get(msg, "params");
                reply = json_pack("{s:O, s:n, s:O}", "result", params ? params : json_null(), "error", "id", id);
        } else {
                reply = json_pack("{s:n, s:s, s:O}", "result", "error", "unknown method", "id", id);
        }
        return send_msg(db, reply, deadline, err);
}

static char *describe(json_t *v) {
        if (!v)
                return xstrdup("");
        if (json_is_string(v))
                return xstrdup(json_string_value(v));
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        return s ? s : xstrdup("?");
}

/* Turn the per-operation results into 0, -EAGAIN (a wait did not hold) or -EPROTO. */
static int check_results(struct vc_ovsdb *db, json_t *ops, json_t *results, char **err) {
        size_t i;
        json_t *res;
        json_array_foreach(results, i, res) {
                json_t *e = json_object_get(res, "error");
                if (!e || json_is_null(e))
                        continue;
                _cleanup_free_ char *what = describe(e);
                _cleanup_free_ char *details = describe(json_object_get(res, "details"));
                const char *sep = details[0] ? ": " : "";
                json_t *op = json_array_get(ops, i);
                if (!op)
                        /* RFC 7047: one extra result element reports a failed commit. */
                        return fail(db, err, -EPROTO, "the transaction was refused at commit: %s%s%s", what, sep,
                                    details);
                const char *kind = json_string_value(json_object_get(op, "op"));
                const char *table = json_string_value(json_object_get(op, "table"));
                int r = kind && streq(kind, "wait") && streq(what, "timed out") ? -EAGAIN : -EPROTO;
                return fail(db, err, r, "operation %zu (%s%s%s) failed: %s%s%s", i + 1, kind ? kind : "?",
                            table ? " " : "", table ? table : "", what, sep, details);
        }
        return 0;
}

int vc_ovsdb_transact(struct vc_ovsdb *db, json_t *ops, json_t **result, char **err) {
        *result = NULL;
        if (!json_is_array(ops))
                return fail(db, err, -EINVAL, "transact needs an array of operations");
        if (db->fd < 0) {
                int r = dial(db, err);
                if (r < 0)
                        return r;
        }
        uint64_t deadline = now_ms() + (uint64_t)(db->timeout_ms > 0 ? db->timeout_ms : 0);
        json_int_t id = db->next_id++;
        json_auto_t *params = json_pack("[s]", "Open_vSwitch");
        json_array_extend(params, ops);
        json_auto_t *req = json_pack("{s:s, s:O, s:I}", "method", "transact", "params", params, "id", id);
        int r = send_msg(db, req, deadline, err);
        while (r == 0) {
                json_auto_t *msg = NULL;
                r = recv_msg(db, deadline, &msg, err);
                if (r < 0)
                        break;
                r = 0;
                if (json_object_get(msg, "method")) {
                        r = answer_request(db, msg, deadline, err);
                        continue;
                }
                json_t *rid = json_object_get(msg, "id");
                if (!json_is_integer(rid) || json_integer_value(rid) != id)
                        continue; /* the answer to a request we gave up on: not ours */
                json_t *e = json_object_get(msg, "error");
                if (e && !json_is_null(e)) {
                        _cleanup_free_ char *what = describe(e);
                        return fail(db, err, -EPROTO, "transact refused: %s", what);
                }
                json_t *res = json_object_get(msg, "result");
                if (!json_is_array(res))
                        return fail(db, err, -EPROTO, "a transact reply without a result array");
                r = check_results(db, ops, res, err);
                if (r == 0)
                        *result = json_incref(res);
                return r;
        }
        drop(db);
        return r;
}

json_t *vc_ovsdb_set_elems(json_t *datum) {
        if (!datum)
                return NULL;
        if (json_is_array(datum)) {
                json_t *elems = json_array_get(datum, 1);
                if (json_array_size(datum) != 2 || !json_is_string(json_array_get(datum, 0)))
                        return NULL;
                const char *tag = json_string_value(json_array_get(datum, 0));
                if (streq(tag, "set"))
                        return json_is_array(elems) ? json_copy(elems) : NULL;
                /* A set of one uuid comes bare as ["uuid","…"]: one atom. */
                if (streq(tag, "uuid") || streq(tag, "named-uuid"))
                        return json_pack("[O]", datum);
                return NULL;
        }
        return json_is_object(datum) ? NULL : json_pack("[O]", datum);
}

json_t *vc_ovsdb_map_object(json_t *datum) {
        if (!json_is_array(datum) || json_array_size(datum) != 2 ||
            !json_is_string(json_array_get(datum, 0)) || !streq(json_string_value(json_array_get(datum, 0)), "map") ||
            !json_is_array(json_array_get(datum, 1)))
                return NULL;
        json_t *obj = json_object();
        size_t i;
        json_t *pair;
        json_array_foreach(json_array_get(datum, 1), i, pair) {
                json_t *k = json_array_get(pair, 0), *v = json_array_get(pair, 1);
                if (json_array_size(pair) != 2 || !json_is_string(k) || !json_is_string(v)) {
                        json_decref(obj);
                        return NULL;
                }
                json_object_set(obj, json_string_value(k), v);
        }
        return obj;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

json_t *vc_ovsdb_map_datum(json_t *obj) {
        size_t n = json_object_size(obj), i = 0;
        _cleanup_free_ const char **keys = xcalloc(n + 1, sizeof(char *));
        const char *k;
        json_t *v;
        json_object_foreach(obj, k, v) keys[i++] = k;
        qsort(keys, n, sizeof(char *), cmp_str);
        json_t *pairs = json_array();
        for (i = 0; i < n; i++)
                json_array_append_new(pairs, json_pack("[sO]", keys[i], json_object_get(obj, keys[i])));
        return json_pack("[so]", "map", pairs);
}

const char *vc_ovsdb_uuid_str(json_t *datum) {
        if (!json_is_array(datum) || json_array_size(datum) != 2 ||
            !json_is_string(json_array_get(datum, 0)) || !streq(json_string_value(json_array_get(datum, 0)), "uuid"))
                return NULL;
        return json_string_value(json_array_get(datum, 1));
}

json_t *vc_ovsdb_where_uuid(const char *uuid) { return json_pack("[[ss[ss]]]", "_uuid", "==", "uuid", uuid); }

json_t *vc_ovsdb_where_name(const char *name) { return json_pack("[[s,s,s]]", "name", "==", name); }

int vc_ovsdb_transact_at(const char *remote, int timeout_ms, json_t *ops, json_t **result, char **err) {
        _cleanup_(vc_ovsdb_closep) struct vc_ovsdb *c = NULL;
        int r = vc_ovsdb_open(remote, timeout_ms, &c, err);
        if (r < 0)
                return r;
        return vc_ovsdb_transact(c, ops, result, err);
}
