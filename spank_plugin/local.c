/* local.c — the user's side (sbatch, salloc, srun): refuse a bad --vcluster
 * before anything is queued, with a message that names the key and what
 * would be valid, and pass the canonical spec on to every hook. */
#include <errno.h>

#include "conf.h"
#include "plugin.h"
#include "spec.h"
#include "util.h"

int vc_spank_local_check(const char *optarg) {
        struct vc_spec spec;
        _cleanup_free_ char *err = NULL;
        if (!*optarg) {
                slurm_error("--vcluster: empty SPEC (example: --vcluster=image=NAME,vms=2,mem=4G)");
                return -1;
        }
        if (vc_spec_parse(optarg, &spec, &err) < 0) {
                slurm_error("--vcluster: %s", err);
                return -1;
        }
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_conf_load(vc_spank_conf_path(), &c, &err) < 0) {
                slurm_error("--vcluster: cannot check SPEC: %s", err);
                return -1;
        }
        if (vc_spec_check(&spec, c, &err) < 0) {
                slurm_error("--vcluster: %s", err);
                return -1;
        }
        free(vc_spank.canonical);
        vc_spank.canonical = vc_spec_format(&spec);
        return 0;
}

int vc_spank_local_post_opt(spank_t sp) {
        if (!vc_spank.canonical)
                return -1; /* the option callback refused it */
        spank_err_t r = spank_job_control_setenv(sp, "VCLUSTER", vc_spank.canonical, 1);
        if (r != ESPANK_SUCCESS) {
                slurm_error("--vcluster: cannot pass the spec to the job's hooks: %s", spank_strerror(r));
                return -1;
        }
        return 0;
}
