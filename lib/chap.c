#include "chap.h"

#include <errno.h>

#include "auth.h"
#include "client.h"
#include "conf.h"
#include "util.h"

int vc_job_secret_fetch(const struct vc_conf *c, int64_t job, const char *op_what, const char *what,
                        char **secret, char **err) {
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:I, s:s}", "op", "chap", "job", (json_int_t)job,
                                                        "what", op_what);
        _cleanup_(json_decrefp) json_t *reply = NULL;
        int r = vc_client_call(c, req, 30, &reply, err);
        if (r < 0)
                return r;
        const char *cred = json_string_value(json_object_get(reply, "cred"));
        if (!json_is_true(json_object_get(reply, "ok")) || !cred) {
                const char *why = json_string_value(json_object_get(reply, "error"));
                *err = xasprintf("job %lld: no %s: %s", (long long)job, what, why ? why : "malformed reply");
                return -ENOENT;
        }
        _cleanup_free_ char *oerr = NULL;
        r = vc_auth_open_secret(c->munge_socket, cred, secret, &oerr);
        if (r < 0)
                *err = xasprintf("job %lld: cannot open the %s vlanallocd sent: %s", (long long)job, what, oerr);
        return r;
}

int vc_chap_fetch(const struct vc_conf *c, int64_t job, bool tunnel, char **secret, char **err) {
        return tunnel ? vc_job_secret_fetch(c, job, "tunnel", "tunnel key", secret, err)
                      : vc_job_secret_fetch(c, job, "chap", "CHAP secret", secret, err);
}
