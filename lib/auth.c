#include "auth.h"

#include <errno.h>
#include <munge.h>

#include "util.h"

static void ctx_destroyp(munge_ctx_t *c) {
        if (*c)
                munge_ctx_destroy(*c);
}

static int ctx_new(const char *socket, munge_ctx_t *out, char **err) {
        munge_ctx_t c = munge_ctx_create();
        if (!c) {
                *err = xstrdup("munge: cannot create context");
                return -ENOMEM;
        }
        if (socket && munge_ctx_set(c, MUNGE_OPT_SOCKET, socket) != EMUNGE_SUCCESS) {
                *err = xasprintf("munge: bad socket '%s': %s", socket, munge_ctx_strerror(c));
                munge_ctx_destroy(c);
                return -EINVAL;
        }
        *out = c;
        return 0;
}

int vc_auth_seal(const char *socket, const char *req, char **cred, char **err) {
        _cleanup_(ctx_destroyp) munge_ctx_t ctx = NULL;
        int r = ctx_new(socket, &ctx, err);
        if (r < 0)
                return r;
        size_t n = strlen(req);
        if (n > (size_t)INT32_MAX)
                return -EMSGSIZE;
        munge_err_t e = munge_encode(cred, ctx, req, (int)n);
        if (e != EMUNGE_SUCCESS) {
                *err = xasprintf("munge: cannot encode credential: %s", munge_ctx_strerror(ctx));
                return e == EMUNGE_SOCKET ? -ECONNREFUSED : -EACCES;
        }
        return 0;
}

int vc_auth_verify(const char *socket, const char *cred, const char *req, uid_t *uid,
                   gid_t *gid, char **err) {
        _cleanup_(ctx_destroyp) munge_ctx_t ctx = NULL;
        int r = ctx_new(socket, &ctx, err);
        if (r < 0)
                return r;
        _cleanup_free_ void *payload = NULL;
        int plen = 0;
        munge_err_t e = munge_decode(cred, ctx, &payload, &plen, uid, gid);
        if (e != EMUNGE_SUCCESS) {
                if (e == EMUNGE_CRED_REPLAYED)
                        *err = xstrdup("credential refused: replayed credential");
                else
                        *err = xasprintf("credential refused: %s", munge_ctx_strerror(ctx));
                return e == EMUNGE_SOCKET ? -ECONNREFUSED : -EACCES;
        }
        size_t n = strlen(req);
        if ((size_t)plen != n || memcmp(payload, req, n) != 0) {
                *err = xstrdup("credential refused: its payload does not match the request");
                return -EACCES;
        }
        return 0;
}
