#include "share.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"
#include "slurmjob.h"
#include "spec.h"
#include "util.h"

/* user_gid: the primary group of uid as this node knows it, else the one
 * Slurm gave the prolog (SLURM_JOB_GID). */
static int user_gid(int64_t uid, int64_t *gid, char **err) {
        struct passwd pw, *pwp = NULL;
        char buf[4096];
        if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp) {
                *gid = pw.pw_gid;
                return 0;
        }
        const char *g = getenv("SLURM_JOB_GID");
        char *end = NULL;
        long long v = g && *g ? strtoll(g, &end, 10) : -1;
        if (v < 0 || v >= UINT32_MAX || (end && *end)) {
                *err = xasprintf("the job's user (uid %lld) is not known on this node, and Slurm gave no "
                                 "SLURM_JOB_GID: QEMU cannot run as the job's user",
                                 (long long)uid);
                return -ENOENT;
        }
        *gid = v;
        return 0;
}

/* work_dir: the job's working directory, as slurmctld has it (malloc'd). */
static int work_dir(const struct vc_hook_env *e, char **dir, char **err) {
        if (!vc_slurm_available()) {
                *err = xstrdup("share: no slurm.conf (SLURM_CONF or /etc/slurm/slurm.conf) to ask slurmctld for the "
                               "job's directory (share=no runs the job without it)");
                return -ENOENT;
        }
        _cleanup_(vc_slurm_job_clear) struct vc_slurm_job sj = {0};
        _cleanup_free_ char *why = NULL;
        int r = vc_slurm_job_get(e->job, &sj, &why);
        if (r < 0) {
                *err = xasprintf("share: cannot learn the job's directory: %s", why);
                return r;
        }
        if (!sj.work_dir || sj.work_dir[0] != '/') {
                *err = xstrdup("share: slurmctld names no directory for the job (share=no runs the job without it)");
                return -ENOENT;
        }
        *dir = TAKE_PTR(sj.work_dir);
        return 0;
}

int vc_bringup_share(const struct vc_hook_env *e, const struct vc_conf *c, struct vc_nodeplan *plan, char **err) {
        const struct vc_spec *spec = &plan->spec;
        if (!spec->image[0])
                return 0;
        int64_t gid = 0;
        int r = user_gid(plan->uid, &gid, err);
        if (r < 0)
                return r;
        plan->gid = gid;
        plan->has_gid = true;
        const struct vc_image *im = vc_conf_image(c, spec->image);
        if (!spec->share || !im || im->context != VC_CTX_CLOUD_INIT)
                return 0;
        _cleanup_free_ char *dir = NULL;
        if ((r = work_dir(e, &dir, err)) < 0)
                return r;
        struct stat st;
        if (stat(dir, &st) < 0) {
                r = -errno;
                *err = xasprintf("share: the job's directory %s is not on node %s: %s (share=no runs the job "
                                 "without it)", dir, e->node, strerror(-r));
                return r;
        }
        if (!S_ISDIR(st.st_mode)) {
                *err = xasprintf("share: the job's directory %s on node %s is not a directory (share=no runs the "
                                 "job without it)", dir, e->node);
                return -ENOTDIR;
        }
        plan->share = xstrdup(dir);
        log_info("job %lld on %s: the job's directory %s shared with its guests", (long long)e->job, e->node, dir);
        return 0;
}
