/* slurmctld.c — EpilogSlurmctld (epilog.h): release the job's VLANs; when
 * that freed any, wake the jobs waiting for a free VLAN. A release that
 * fails is left to vlanallocd's reaper. */
#include "client.h"
#include "epilog.h"
#include "log.h"
#include "slurmjob.h"
#include "util.h"

#define CALL_TIMEOUT_S 600
/* How long a busy or unreachable vlanallocd is tried again before the
 * release is left to the reaper. */
#define PATIENCE_S 20

int vc_epilog_slurmctld(const struct vc_hook_env *e, const struct vc_conf *c) {
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *reason = xasprintf("job ended (%s)", e->ctx_name);
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:I, s:s}", "op", "release", "job",
                                                        (json_int_t)e->job, "reason", reason);
        _cleanup_(json_decrefp) json_t *reply = NULL;
        uint64_t t0 = now_ms();
        /* release is safe to repeat: a second one finds nothing held */
        _cleanup_free_ char *what = xasprintf("job %lld: release", (long long)e->job);
        if (vc_client_call_patiently(c, req, CALL_TIMEOUT_S, PATIENCE_S, what, &reply, &err) < 0) {
                log_error("job %lld: release: %s (the reaper will release it)", (long long)e->job, err);
                return 1;
        }
        if (!json_is_true(json_object_get(reply, "ok"))) {
                log_error("job %lld: release refused: %s (the reaper retries)", (long long)e->job,
                          json_string_value(json_object_get(reply, "error")));
                return 1;
        }
        if (json_is_false(json_object_get(reply, "released"))) {
                log_info("job %lld: held nothing to release", (long long)e->job);
                return 0;
        }
        log_notice("job %lld: released in %llu ms", (long long)e->job, (unsigned long long)(now_ms() - t0));
        if (!vc_slurm_available())
                return 0;
        unsigned woken;
        if (vc_slurm_wake_waiting(&woken, &err) < 0)
                log_warning("job %lld: waking jobs that wait for a VLAN: %s", (long long)e->job, err);
        return 0;
}
