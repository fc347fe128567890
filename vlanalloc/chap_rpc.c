/* op "chap": a node prolog asks for its job's CHAP secret, or (what "tunnel") a
 * gateway for its job's OpenVPN key. */
#include "alloc.h"

#include <errno.h>

#include "auth.h"
#include "chap_file.h"
#include "log.h"
#include "rpc.h"
#include "state.h"
#include "util.h"

json_t *vc_alloc_chap(struct vc_alloc *a, int64_t job, bool tunnel) {
        struct vc_job j = {0};
        vc_state_lock(a->st);
        int r = vc_state_job_get(a->st, job, &j);
        vc_state_unlock(a->st);
        bool held = r == 0 && streq(j.state, JS_HELD);
        vc_job_clear(&j);
        if (r == -ENOENT || (r == 0 && !held))
                return vc_rpc_error(VC_ERR_NOT_FOUND, tunnel ? "job %lld holds no tunnel now" : "job %lld holds no storage now",
                                    (long long)job);
        if (r < 0)
                return vc_rpc_error(VC_ERR_INTERNAL, "state database error");
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        _cleanup_free_ char *path = tunnel ? vc_tunnel_key_path(c->state_dir, job) : vc_chap_file_path(c->state_dir, job);
        _cleanup_free_ char *secret = NULL, *err = NULL, *cred = NULL;
        r = vc_chap_file_read(path, &secret, &err);
        if (r == -ENOENT)
                return vc_rpc_error(VC_ERR_NOT_FOUND, tunnel ? "job %lld has no OpenVPN tunnel"
                                                             : "job %lld has no volumes (its spec has no disk=)",
                                    (long long)job);
        if (r == 0) {
                r = vc_auth_seal_secret(c->munge_socket, secret, &cred, &err);
                explicit_bzero(secret, strlen(secret));
        }
        if (r < 0) {
                log_error("job %lld: cannot hand out its %s: %s", (long long)job, tunnel ? "tunnel key" : "CHAP secret",
                          err);
                return vc_rpc_error(VC_ERR_INTERNAL, "job %lld: %s", (long long)job, err);
        }
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "cred", json_string(cred));
        return reply;
}
