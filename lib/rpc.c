#include "rpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

int vc_rpc_send(int fd, const char *buf, size_t len) {
        if (len > UINT32_MAX)
                return -EMSGSIZE;
        uint32_t be = htonl((uint32_t)len);
        char hdr[4];
        memcpy(hdr, &be, 4);
        int r = vc_send_all(fd, hdr, 4);
        return r < 0 ? r : vc_send_all(fd, buf, len);
}

/* read_full: n bytes, or -EPROTO on EOF after got > 0 bytes of the message. */
static int read_full(int fd, char *p, size_t n, bool started) {
        size_t got = 0;
        while (got < n) {
                ssize_t r = read(fd, p + got, n - got);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return (got == 0 && !started) ? -ENODATA : -EPROTO;
                got += (size_t)r;
        }
        return 0;
}

int vc_rpc_recv(int fd, size_t max, char **buf, size_t *len) {
        char hdr[4];
        int r = read_full(fd, hdr, 4, false);
        if (r < 0)
                return r;
        uint32_t be;
        memcpy(&be, hdr, 4);
        size_t n = ntohl(be);
        *len = n;
        if (n > max)
                return -EMSGSIZE;
        _cleanup_free_ char *b = xmalloc(n + 1);
        r = read_full(fd, b, n, true);
        if (r < 0)
                return r;
        b[n] = 0;
        *buf = TAKE_PTR(b);
        return 0;
}

int vc_rpc_send_json(int fd, const json_t *j) {
        _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        return vc_rpc_send(fd, s, strlen(s));
}

char *vc_rpc_envelope(const char *cred, const char *req) {
        json_t *e = json_pack("{s:i, s:s, s:s}", "v", VC_RPC_VERSION, "cred", cred, "req", req);
        char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
        json_decref(e);
        if (!s)
                abort();
        return s;
}

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

json_t *vc_rpc_ok(void) { return json_pack("{s:b}", "ok", 1); }

json_t *vc_rpc_error(const char *code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        return json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", msg);
}
