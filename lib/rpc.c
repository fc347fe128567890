#include "rpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

/* wait_io: poll fd for ev until deadline (0: no deadline, the fd's own
 * blocking rules apply and this returns at once); 0 when ready, -ETIMEDOUT. */
static int wait_io(int fd, short ev, uint64_t deadline) {
        if (!deadline)
                return 0;
        for (;;) {
                /* Poll at least once, even with no time left: what is already
                 * queued (a reply sent before the peer closed) still counts. */
                uint64_t now = now_ms();
                uint64_t left = now < deadline ? deadline - now : 0;
                struct pollfd p = {.fd = fd, .events = ev};
                int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
                if (n > 0)
                        return 0; /* ready, or an error/hangup the next call reports */
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n == 0 && left == 0)
                        return -ETIMEDOUT;
        }
}

/* read_full: n bytes, or -EPROTO on EOF after got > 0 bytes of the message. */
static int read_full(int fd, char *p, size_t n, bool started, uint64_t deadline) {
        size_t got = 0;
        while (got < n) {
                int w = wait_io(fd, POLLIN, deadline);
                if (w < 0)
                        return w;
                ssize_t r = recv(fd, p + got, n - got, deadline ? MSG_DONTWAIT : 0);
                if (r < 0) {
                        if (errno == EINTR || (deadline && (errno == EAGAIN || errno == EWOULDBLOCK)))
                                continue;
                        if (errno == ENOTSOCK) { /* a pipe in a test: plain read */
                                r = read(fd, p + got, n - got);
                                if (r < 0 && errno == EINTR)
                                        continue;
                        }
                        if (r < 0)
                                return -errno;
                }
                if (r == 0)
                        return (got == 0 && !started) ? -ENODATA : -EPROTO;
                got += (size_t)r;
        }
        return 0;
}

/* Bodies are read in steps that grow with what has arrived, so a peer that
 * announces 1 MiB and trickles costs memory only for what it really sent. */
#define RECV_STEP (64u * 1024)

static int recv_msg(int fd, size_t max, uint64_t deadline, char **buf, size_t *len) {
        char hdr[4];
        int r = read_full(fd, hdr, 4, false, deadline);
        if (r < 0)
                return r;
        uint32_t be;
        memcpy(&be, hdr, 4);
        size_t n = ntohl(be);
        *len = n;
        if (n > max)
                return -EMSGSIZE;
        size_t cap = n < RECV_STEP ? n : RECV_STEP, got = 0;
        _cleanup_free_ char *b = xmalloc(cap + 1);
        while (got < n) {
                if (got == cap) {
                        cap = cap * 2 < n ? cap * 2 : n;
                        b = xrealloc(b, cap + 1);
                }
                r = read_full(fd, b + got, cap - got, true, deadline);
                if (r < 0)
                        return r;
                got = cap;
        }
        b[n] = 0;
        *buf = TAKE_PTR(b);
        return 0;
}

int vc_rpc_recv(int fd, size_t max, char **buf, size_t *len) { return recv_msg(fd, max, 0, buf, len); }

int vc_rpc_recv_until(int fd, size_t max, uint64_t deadline, char **buf, size_t *len) {
        /* 0 means "no deadline" inside; a caller's deadline is never 0 */
        return recv_msg(fd, max, deadline ? deadline : 1, buf, len);
}

/* send_full: every byte by deadline (0: the fd's own blocking rules). */
static int send_full(int fd, const char *p, size_t n, uint64_t deadline) {
        if (!deadline)
                return vc_send_all(fd, p, n);
        size_t sent = 0;
        while (sent < n) {
                int w = wait_io(fd, POLLOUT, deadline);
                if (w < 0)
                        return w;
                ssize_t r = send(fd, p + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (r < 0) {
                        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                                continue;
                        return -errno;
                }
                sent += (size_t)r;
        }
        return 0;
}

static int send_msg(int fd, const char *buf, size_t len, uint64_t deadline) {
        if (len > UINT32_MAX)
                return -EMSGSIZE;
        uint32_t be = htonl((uint32_t)len);
        char hdr[4];
        memcpy(hdr, &be, 4);
        int r = send_full(fd, hdr, 4, deadline);
        return r < 0 ? r : send_full(fd, buf, len, deadline);
}

int vc_rpc_send(int fd, const char *buf, size_t len) { return send_msg(fd, buf, len, 0); }

int vc_rpc_send_until(int fd, const char *buf, size_t len, uint64_t deadline) {
        return send_msg(fd, buf, len, deadline ? deadline : 1);
}

int vc_rpc_send_json_until(int fd, const json_t *j, uint64_t deadline) {
        if (!j)
                return -EINVAL;
        _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        return vc_rpc_send_until(fd, s, strlen(s), deadline);
}

int vc_rpc_send_json(int fd, const json_t *j) {
        if (!j)
                return -EINVAL;
        _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        return vc_rpc_send(fd, s, strlen(s));
}

/* envelope: {"v":1,"cred":cred,key:text} (malloc'd): a request or a reply. */
static char *envelope(const char *cred, const char *key, const char *text) {
        json_t *e = json_pack("{s:i, s:s, s:s}", "v", VC_RPC_VERSION, "cred", cred, key, text);
        char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
        json_decref(e);
        if (!s)
                abort();
        return s;
}

char *vc_rpc_envelope(const char *cred, const char *req) { return envelope(cred, "req", req); }

int vc_rpc_unwrap(const char *msg, size_t len, json_t **root, const char **cred,
                  const char **req, char **err) {
        json_error_t je;
        json_t *j = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
                *err = xasprintf("malformed message: %s at byte %d", je.text, je.position);
                return -EBADMSG;
        }
        json_int_t v = 0; /* read whole: an int would wrap 2^32+1 to 1 */
        if (json_unpack_ex(j, &je, JSON_STRICT, "{s:I, s:s, s:s}", "v", &v, "cred", cred, "req", req) < 0) {
                *err = xasprintf("malformed envelope: %s", je.text);
                json_decref(j);
                return -EBADMSG;
        }
        if (v != VC_RPC_VERSION) {
                *err = xasprintf("unsupported protocol version %lld (this server speaks %d)", (long long)v, VC_RPC_VERSION);
                json_decref(j);
                return -EBADMSG;
        }
        *root = j;
        return 0;
}

char *vc_rpc_reply_envelope(const char *cred, const char *rep) { return envelope(cred, "rep", rep); }

int vc_rpc_reply_unwrap(const char *msg, size_t len, json_t **root, const char **cred, const char **rep,
                        char **err) {
        json_error_t je;
        json_t *j = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(j)) {
                *err = j ? xstrdup("malformed reply: not a JSON object")
                         : xasprintf("malformed reply: %s at byte %d", je.text, je.position);
                json_decref(j);
                return -EBADMSG;
        }
        json_int_t v = 0;
        if (json_unpack_ex(j, &je, JSON_STRICT, "{s:I, s:s, s:s}", "v", &v, "cred", cred, "rep", rep) < 0 ||
            v != VC_RPC_VERSION) {
                /* An unsealed reply: say what it said, never act on it. */
                const char *said = json_string_value(json_object_get(j, "error"));
                *err = said ? xasprintf("an unsealed reply (it said: %s)", said) : xstrdup("an unsealed reply");
                json_decref(j);
                return -EBADMSG;
        }
        *root = j;
        return 0;
}

json_t *vc_rpc_ok(void) { return json_pack("{s:b}", "ok", 1); }

/* utf8_len: the length of the well-formed UTF-8 sequence at p (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p) {
        unsigned char c = p[0];
        if (c < 0x80)
                return 1;
        size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
            (c == 0xf4 && p[1] > 0x8f))
                return 0;
        return n;
}

/* utf8_mend: s with every byte that is not part of well-formed UTF-8 made '?'. */
static void utf8_mend(char *s) {
        unsigned char *p = (unsigned char *)s;
        while (*p) {
                size_t n = utf8_len(p);
                if (n == 0)
                        *p++ = '?';
                else
                        p += n;
        }
}

json_t *vc_rpc_error(const char *code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        /* The text often quotes what a peer sent, or a library cut it short:
         * an error reply that fails to encode would leave the peer with no
         * reply at all. */
        utf8_mend(msg);
        json_t *j = json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", msg);
        if (!j)
                abort(); /* only allocation can fail now */
        return j;
}
