/* remote.c — inside the job (slurmstepd, still root, before it drops to the
 * user): read the plan the node prolog recorded for this node and export
 * what the user needs to use the cluster:
 *   VCLUSTER_VLAN      this node's site VLAN id
 *   VCLUSTER_NODES     every guest host name of the cluster (hostlist form)
 *   VCLUSTER_FRONTEND  the frontend guest's name ("" with frontend=no)
 * Reading a local file, not asking vlanallocd, keeps every job step (each
 * srun) off the allocator's back. */
#include <errno.h>
#include <inttypes.h>

#include "conf.h"
#include "nodestate.h"
#include "plugin.h"
#include "util.h"

static int set(spank_t sp, const char *name, const char *value) {
        spank_err_t r = spank_setenv(sp, name, value, 1);
        if (r != ESPANK_SUCCESS) {
                slurm_error("vcluster: cannot set %s: %s", name, spank_strerror(r));
                return -1;
        }
        return 0;
}

int vc_spank_remote_post_opt(spank_t sp) {
        uint32_t job;
        /* slurmd puts its node name into slurmstepd's own environment; the
         * job's copy of it comes later than this callback. */
        const char *node = getenv("SLURMD_NODENAME");
        spank_err_t e = spank_get_item(sp, S_JOB_ID, &job);
        if (e != ESPANK_SUCCESS || !node || !*node || strchr(node, '/')) {
                slurm_error("vcluster: cannot tell the job id (%s) or this node's name (SLURMD_NODENAME='%s')",
                            spank_strerror(e), node ? node : "");
                return -1;
        }
        _cleanup_free_ char *err = NULL;
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_conf_load(vc_spank_conf_path(), &c, &err) < 0) {
                slurm_error("vcluster: job %" PRIu32 ": %s", job, err);
                return -1;
        }
        _cleanup_free_ char *dir = vc_node_job_dir(c->state_dir, node, job);
        _cleanup_(vc_nodeplan_clear) struct vc_nodeplan plan = {0};
        int r = vc_node_plan_read(dir, &plan, &err);
        if (r == -ENOENT) {
                slurm_error("vcluster: job %" PRIu32 ": node %s has no plan (%s/%s missing): did its Prolog run "
                            "(PrologFlags=Alloc, Prolog=vcluster-prolog)?",
                            job, node, dir, VC_NODE_PLAN);
                return -1;
        }
        if (r < 0) {
                slurm_error("vcluster: job %" PRIu32 ": %s", job, err);
                return -1;
        }
        char v[16];
        snprintf(v, sizeof(v), "%d", plan.site.vlan);
        if (set(sp, "VCLUSTER_VLAN", v) < 0 || set(sp, "VCLUSTER_NODES", plan.cluster_nodes) < 0 ||
            set(sp, "VCLUSTER_FRONTEND", plan.frontend) < 0)
                return -1;
        vc_spank_adopt(sp, job, node, &plan);
        return 0;
}
