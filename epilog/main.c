/* main.c — vcluster-epilog: Slurm's Epilog and EpilogSlurmctld for
 * virtual-cluster jobs, one program dispatching on SLURM_SCRIPT_CONTEXT to
 * one file per context (NVIDIA pyxis's pyxis_dispatch.c is the model):
 *   epilog_slurmd     slurmd.c: undo this node's part of the job
 *   epilog_slurmctld  slurmctld.c: release the job's VLANs
 * Slurm runs the epilogs however the job ended (completed, failed,
 * cancelled, timed out); the reaper in vlanallocd covers an epilog that
 * never ran. A job without --vcluster exits 0 before anything else.
 */
#include "conf.h"
#include "epilog.h"
#include "hook.h"
#include "log.h"
#include "util.h"

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
        return e.ctx == VC_HOOK_EPILOG_SLURMCTLD ? vc_epilog_slurmctld(&e, c) : vc_epilog_slurmd(&e, c);
}
