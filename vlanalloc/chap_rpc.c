/* op "chap": a node prolog asks for its job's CHAP secret, (what "tunnel") a
 * gateway for its job's OpenVPN key, or (what "ssh") a node for its job's
 * SSH seed (sshkey.h). */
#include "alloc.h"

#include <errno.h>

#include "auth.h"
#include "chap_file.h"
#include "log.h"
#include "rpc.h"
#include "state.h"
#include "util.h"

/* hand_out: the secret in the file path() names, sealed for root. */
static json_t *hand_out(struct vc_alloc *a, int64_t job, const char *what, const char *none_now,
                        const char *none_at_all, char *(*path_of)(const char *, int64_t)) {
        struct vc_job j = {0};
        vc_state_lock(a->st);
        int r = vc_state_job_get(a->st, job, &j);
        vc_state_unlock(a->st);
        bool held = r == 0 && streq(j.state, JS_HELD);
        vc_job_clear(&j);
        if (r == -ENOENT || (r == 0 && !held))
                return vc_rpc_error(VC_ERR_NOT_FOUND, "job %lld %s", (long long)job, none_now);
        if (r < 0)
                return vc_rpc_error(VC_ERR_INTERNAL, "state database error");
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        _cleanup_free_ char *path = path_of(c->state_dir, job);
        _cleanup_free_ char *secret = NULL, *err = NULL, *cred = NULL;
        r = vc_chap_file_read(path, &secret, &err);
        if (r == -ENOENT)
                return vc_rpc_error(VC_ERR_NOT_FOUND, "job %lld %s", (long long)job, none_at_all);
        if (r == 0) {
                r = vc_auth_seal_secret(c->munge_socket, secret, &cred, &err);
                explicit_bzero(secret, strlen(secret));
        }
        if (r < 0) {
                log_error("job %lld: cannot hand out its %s: %s", (long long)job, what, err);
                return vc_rpc_error(VC_ERR_INTERNAL, "job %lld: %s", (long long)job, err);
        }
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "cred", json_string(cred));
        return reply;
}

json_t *vc_alloc_chap(struct vc_alloc *a, int64_t job, bool tunnel) {
        return tunnel ? hand_out(a, job, "tunnel key", "holds no tunnel now", "has no OpenVPN tunnel",
                                 vc_tunnel_key_path)
                      : hand_out(a, job, "CHAP secret", "holds no storage now",
                                 "has no volumes (its spec has no disk=)", vc_chap_file_path);
}

json_t *vc_alloc_ssh_seed(struct vc_alloc *a, int64_t job) {
        return hand_out(a, job, "SSH seed", "holds no guests now", "has no SSH seed (no cloud-init image)",
                        vc_ssh_seed_path);
}
