/* vcluster-epilog — Slurm's Epilog and EpilogSlurmctld for virtual-cluster
 * jobs, one program dispatching on SLURM_SCRIPT_CONTEXT:
 *   epilog_slurmd     undo this node's journal of the job, in reverse, and
 *                     remove the job's node state dir; a failure exits 1,
 *                     so Slurm drains the node rather than reuse it dirty
 *   epilog_slurmctld  release the job's VLANs; when that freed any, wake the
 *                     jobs waiting for a free VLAN
 * Slurm runs the epilogs however the job ended (completed, failed,
 * cancelled, timed out); the reaper in vlanallocd covers an epilog that
 * never ran. A job without --vcluster exits 0 before anything else.
 */
#include <errno.h>
#include <sys/stat.h>

#include "client.h"
#include "conf.h"
#include "gateway.h"
#include "hook.h"
#include "log.h"
#include "node.h"
#include "nodestate.h"
#include "slurmjob.h"
#include "util.h"

#define CALL_TIMEOUT_S 600
/* How long a busy or unreachable vlanallocd is tried again before the
 * release is left to the reaper. */
#define PATIENCE_S 20

static int epilog_slurmd(const struct vc_hook_env *e, const struct vc_conf *c) {
        _cleanup_free_ char *dir = vc_node_job_dir(c->state_dir, e->node, e->job);
        _cleanup_free_ char *err = NULL;
        struct stat sb;
        if (stat(dir, &sb) < 0 && errno == ENOENT) {
                /* e.g. its prolog failed before recording anything, or a second epilog */
                log_info("job %lld on %s: nothing recorded on this node", (long long)e->job, e->node);
                return 0;
        }
        struct vc_journal j = {0};
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        j.ctx = &ctx;
        _cleanup_free_ struct vc_step_kind *kinds = vc_step_kinds_join(vc_node_step_kinds, vc_gateway_step_kinds);
        int r = vc_node_journal_open(dir, kinds, &j, &err);
        if (r < 0) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                vc_node_ctx_done(&ctx);
                return 1;
        }
        size_t pending = vc_journal_pending(&j);
        uint64_t t0 = now_ms();
        r = vc_journal_undo(&j, &err);
        vc_journal_file_close(&j);
        vc_node_ctx_done(&ctx);
        if (r < 0) {
                log_error("job %lld on %s: undo incomplete, node left as it is: %s", (long long)e->job, e->node, err);
                return 1;
        }
        if (vc_node_job_dir_remove(dir, &err) < 0) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                return 1;
        }
        log_notice("job %lld on %s: %zu node step(s) undone in %llu ms, state removed", (long long)e->job, e->node,
                   pending, (unsigned long long)(now_ms() - t0));
        return 0;
}

static int epilog_slurmctld(const struct vc_hook_env *e, const struct vc_conf *c) {
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

int main(void) {
        if (!vc_hook_spec())
                return 0;
        vc_hook_log_open("vcluster-epilog");
        vc_hook_path();
        struct vc_hook_env e;
        _cleanup_free_ char *err = NULL;
        if (vc_hook_env_read(&e, &err) < 0) {
                log_error("%s", err);
                return 1;
        }
        if (vc_hook_ctx_is_prolog(e.ctx)) {
                log_error("job %lld: vcluster-epilog run as %s: configure vcluster-prolog as Prolog and PrologSlurmctld",
                          (long long)e.job, e.ctx_name);
                return 1;
        }
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_conf_load(vc_conf_path(), &c, &err) < 0) {
                log_error("job %lld: %s", (long long)e.job, err);
                return 1;
        }
        vc_log_set_level(c->log_level); /* DebugLevel=debug shows the hooks' debug lines */
        vc_log_set_facility(c->syslog_facility);
        log_debug("job %lld: %s on %s, configuration %s", (long long)e.job, e.ctx_name, e.node ? e.node : "the controller",
                  c->path);
        return e.ctx == VC_HOOK_EPILOG_SLURMCTLD ? epilog_slurmctld(&e, c) : epilog_slurmd(&e, c);
}
