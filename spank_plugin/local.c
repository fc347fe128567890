/* local.c — the user's side (sbatch, salloc, srun): refuse a bad --vcluster
 * before anything is queued, with a message that names the key and what
 * would be valid, and pass the canonical spec on to every hook. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "conf.h"
#include "plugin.h"
#include "spec.h"
#include "sshkey.h"
#include "userdata.h"
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
        free(vc_spank.user_data);
        vc_spank.user_data = NULL;
        if (spec.user_data[0]) {
                /* read here, as the user, so the hooks (root) never open a user's path */
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                if (vc_user_data_read(spec.user_data, &text, &len, &err) < 0) {
                        slurm_error("--vcluster: %s", err);
                        return -1;
                }
                vc_spank.user_data = vc_base64(text, len);
        }
        free(vc_spank.canonical);
        vc_spank.canonical = vc_spec_format(&spec);
        return 0;
}

int vc_spank_local_post_opt(spank_t sp) {
        if (!vc_spank.canonical)
                return -1; /* the option callback refused it */
        /* every other option is in by now (#SBATCH lines and SBATCH_ variables
         * included); an srun inside a job asks for a step, not the allocation
         * its guests live in, so only an srun that makes its own is judged */
        bool allocates = spank_context() == S_CTX_ALLOCATOR || !getenv("SLURM_JOB_ID");
        if (allocates && vc_spank_local_fit(vc_spank.canonical) < 0)
                return -1;
        spank_err_t r = spank_job_control_setenv(sp, "VCLUSTER", vc_spank.canonical, 1);
        if (r != ESPANK_SUCCESS) {
                slurm_error("--vcluster: cannot pass the spec to the job's hooks: %s", spank_strerror(r));
                return -1;
        }
        if (vc_spank.user_data &&
            (r = spank_job_control_setenv(sp, VC_USER_DATA_ENV, vc_spank.user_data, 1)) != ESPANK_SUCCESS) {
                slurm_error("--vcluster: cannot pass user-data= to the job's hooks: %s", spank_strerror(r));
                return -1;
        }
        return 0;
}
