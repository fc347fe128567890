/* plugin.h — shared by the files of spank_vcluster.so, one per SPANK
 * context behind the dispatcher in plugin.c:
 *   local.c   sbatch/salloc (allocator) and srun (local): validate
 *             --vcluster against vcluster.conf, hand the canonical spec to
 *             the hooks as SPANK_VCLUSTER (and user-data='s text, read as
 *             the user, as SPANK_VCLUSTER_USER_DATA, base64)
 *   ask.c     sbatch/salloc, and srun making its own allocation: the guests
 *             must fit what the job asks per node
 *   remote.c  slurmstepd: put VCLUSTER_* into the job's environment from the
 *             plan the node prolog recorded
 *   adopt.c   slurmstepd, the batch step: the guests' QEMU joins the job's
 *             extern step (accounting, and cgroups where Slurm uses them)
 * A job without --vcluster never reaches either file.
 */
#ifndef VC_SPANK_PLUGIN_H
#define VC_SPANK_PLUGIN_H

#include <jansson.h>
#include <slurm/spank.h>
#include <stdint.h>

#include "nodeplan.h"

struct vc_spank {
        char *conf_path; /* plugstack.conf's conf=PATH; NULL: VCLUSTER_CONF or the default */
        char *optarg;    /* --vcluster's value; NULL: the option was not given */
        char *canonical; /* local contexts: the validated canonical spec */
        char *user_data; /* local contexts: user-data='s text as base64, or NULL */
};

extern struct vc_spank vc_spank;

/* vc_spank_conf_path: where this plugin reads vcluster.conf. */
const char *vc_spank_conf_path(void);
/* vc_spank_local_check: validate optarg (local contexts); 0, or -1 after
 * telling the user exactly what is wrong. */
int vc_spank_local_check(const char *optarg);
/* vc_spank_local_post_opt: pass the canonical spec to the hooks; 0 or -1. */
int vc_spank_local_post_opt(spank_t sp);
/* vc_spank_local_fit: sbatch/salloc/srun, once every option is known: 0 when
 * the canonical spec's guests fit what the job asks per node (or that is
 * not known here), else -1 after telling the user the numbers (jobfit.h). */
int vc_spank_local_fit(const char *canonical);
/* vc_spank_remote_post_opt: export VCLUSTER_* into the job step's
 * environment (slurmstepd, still root); 0 or -1. */
int vc_spank_remote_post_opt(spank_t sp);

/* vc_spank_adopt: in the batch step, add the QEMU of each guest of plan on
 * node to job's extern step (PrologFlags=Contain); what cannot be done is
 * logged, never fatal: the guests run either way. */
void vc_spank_adopt(spank_t sp, uint32_t job, const char *node, const struct vc_nodeplan *plan);

#endif
