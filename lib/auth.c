#include "auth.h"

#include <errno.h>
#include <munge.h>
#include <nettle/sha2.h>

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

/* decode: cred's payload (malloc'd, NUL-terminated), encoder and origin. */
static int decode(const char *socket, const char *cred, char **payload, int *plen, uid_t *uid, gid_t *gid,
                  struct in_addr *origin, char **err) {
        _cleanup_(ctx_destroyp) munge_ctx_t ctx = NULL;
        int r = ctx_new(socket, &ctx, err);
        if (r < 0)
                return r;
        void *p = NULL;
        munge_err_t e = munge_decode(cred, ctx, &p, plen, uid, gid);
        if (e != EMUNGE_SUCCESS) {
                if (p)
                        explicit_bzero(p, (size_t)*plen);
                free(p);
                if (e == EMUNGE_CRED_REPLAYED)
                        *err = xstrdup("credential refused: replayed credential");
                else
                        *err = xasprintf("credential refused: %s", munge_ctx_strerror(ctx));
                return e == EMUNGE_SOCKET ? -ECONNREFUSED : -EACCES;
        }
        if (origin && munge_ctx_get(ctx, MUNGE_OPT_ADDR4, origin) != EMUNGE_SUCCESS)
                origin->s_addr = 0;
        *payload = xmalloc((size_t)*plen + 1);
        memcpy(*payload, p ? p : "", (size_t)*plen);
        (*payload)[*plen] = '\0';
        if (p)
                explicit_bzero(p, (size_t)*plen);
        free(p);
        return 0;
}

int vc_auth_verify(const char *socket, const char *cred, const char *req, uid_t *uid,
                   gid_t *gid, char **err) {
        return vc_auth_verify_origin(socket, cred, req, uid, gid, NULL, err);
}

int vc_auth_verify_origin(const char *socket, const char *cred, const char *req, uid_t *uid, gid_t *gid,
                          struct in_addr *origin, char **err) {
        _cleanup_free_ char *payload = NULL;
        int plen = 0;
        int r = decode(socket, cred, &payload, &plen, uid, gid, origin, err);
        if (r < 0)
                return r;
        size_t n = strlen(req);
        if ((size_t)plen != n || memcmp(payload, req, n) != 0) {
                *err = xstrdup("credential refused: its payload does not match the request");
                return -EACCES;
        }
        return 0;
}

/* reply_digest: hex SHA-256 of a domain label, the request credential and the
 * reply, NUL-separated: what a reply credential carries. */
static void reply_digest(const char *req_cred, const char *reply, char hex[2 * SHA256_DIGEST_SIZE + 1]) {
        static const char label[] = "slurm-vcluster reply v1";
        struct sha256_ctx h;
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_init(&h);
        sha256_update(&h, sizeof(label), (const uint8_t *)label);
        sha256_update(&h, strlen(req_cred) + 1, (const uint8_t *)req_cred);
        sha256_update(&h, strlen(reply), (const uint8_t *)reply);
        sha256_digest(&h, sizeof(d), d);
        for (size_t i = 0; i < sizeof(d); i++)
                snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

int vc_auth_seal_reply(const char *socket, const char *req_cred, const char *reply, char **cred, char **err) {
        char hex[2 * SHA256_DIGEST_SIZE + 1];
        reply_digest(req_cred, reply, hex);
        return vc_auth_seal(socket, hex, cred, err);
}

int vc_auth_verify_reply(const char *socket, const char *cred, const char *req_cred, const char *reply,
                         char **err) {
        char hex[2 * SHA256_DIGEST_SIZE + 1];
        reply_digest(req_cred, reply, hex);
        uid_t uid;
        gid_t gid;
        _cleanup_free_ char *why = NULL;
        int r = vc_auth_verify(socket, cred, hex, &uid, &gid, &why);
        if (r < 0) {
                const char *w = why;
                if (!strncmp(w, "credential refused: ", 20))
                        w += 20;
                *err = r == -ECONNREFUSED ? xstrdup(why) : xasprintf("not sealed for this request (%s)", w);
                return r;
        }
        if (uid != 0) {
                *err = xasprintf("sealed by uid %u, not root", (unsigned)uid);
                return -EACCES;
        }
        return 0;
}

int vc_auth_seal_secret(const char *socket, const char *secret, char **cred, char **err) {
        _cleanup_(ctx_destroyp) munge_ctx_t ctx = NULL;
        int r = ctx_new(socket, &ctx, err);
        if (r < 0)
                return r;
        /* Only root may decode it: munged refuses anyone else. */
        if (munge_ctx_set(ctx, MUNGE_OPT_UID_RESTRICTION, (uid_t)0) != EMUNGE_SUCCESS) {
                *err = xasprintf("munge: cannot restrict the credential to root: %s", munge_ctx_strerror(ctx));
                return -EINVAL;
        }
        munge_err_t e = munge_encode(cred, ctx, secret, (int)strlen(secret));
        if (e != EMUNGE_SUCCESS) {
                *err = xasprintf("munge: cannot encode credential: %s", munge_ctx_strerror(ctx));
                return e == EMUNGE_SOCKET ? -ECONNREFUSED : -EACCES;
        }
        return 0;
}

int vc_auth_open_secret(const char *socket, const char *cred, char **secret, char **err) {
        uid_t uid;
        gid_t gid;
        int plen = 0;
        int r = decode(socket, cred, secret, &plen, &uid, &gid, NULL, err);
        if (r < 0)
                return r;
        if (uid != 0 || (size_t)plen != strlen(*secret)) {
                explicit_bzero(*secret, (size_t)plen);
                free(*secret);
                *secret = NULL;
                *err = xasprintf("credential refused: a secret must come from root (it came from uid %u)",
                                 (unsigned)uid);
                return -EACCES;
        }
        return 0;
}
