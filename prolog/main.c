/* main.c — vcluster-prolog: Slurm's PrologSlurmctld and Prolog for
 * virtual-cluster jobs, one program dispatching on SLURM_SCRIPT_CONTEXT to
 * one file per context (NVIDIA pyxis's pyxis_dispatch.c is the model):
 *   prolog_slurmctld  slurmctld.c: acquire the job's VLANs
 *   prolog_slurmd     slurmd.c: fetch the plan, bring this node's part up
 *                     (node/bringup.h); any failure undoes it and exits 1
 * A job without --vcluster (no SPANK_VCLUSTER) exits 0 before anything else:
 * no configuration read, no connection.
 */
#include "conf.h"
#include "failpoint.h"
#include "hook.h"
#include "log.h"
#include "prolog.h"
#include "slurmjob.h"
#include "util.h"

int main(void) {
        if (!vc_hook_spec())
                return 0;
        vc_hook_log_open("vcluster-prolog");
        vc_hook_path();
        struct vc_hook_env e;
        _cleanup_free_ char *err = NULL;
        if (vc_failpoint_setup(getenv("VCLUSTER_FAILPOINTS"), &err) < 0) {
                log_error("%s", err);
                return 1;
        }
        if (vc_hook_env_read(&e, &err) < 0) {
                log_error("%s", err);
                return 1;
        }
        if (!vc_hook_ctx_is_prolog(e.ctx)) {
                log_error("job %lld: vcluster-prolog run as %s: configure vcluster-epilog as Epilog and EpilogSlurmctld",
                          (long long)e.job, e.ctx_name);
                return 1;
        }
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_conf_load(vc_conf_path(), &c, &err) < 0) {
                log_error("job %lld: %s", (long long)e.job, err);
                if (e.ctx == VC_HOOK_PROLOG_SLURMCTLD) {
                        _cleanup_free_ char *note = xasprintf(VC_NOTE_PREFIX "configuration error, retrying: %s", err);
                        vc_slurm_job_note_best_effort(e.job, note, false);
                }
                return 1;
        }
        vc_log_set_level(c->log_level); /* DebugLevel=debug shows the hooks' debug lines */
        vc_log_set_facility(c->syslog_facility);
        log_debug("job %lld: %s on %s, configuration %s", (long long)e.job, e.ctx_name, e.node ? e.node : "the controller",
                  c->path);
        return e.ctx == VC_HOOK_PROLOG_SLURMCTLD ? vc_prolog_slurmctld(&e, c) : vc_prolog_slurmd(&e, c);
}
