/* epilog.h — vcluster-epilog's contexts, one file each; main.c dispatches
 * on SLURM_SCRIPT_CONTEXT to them. Each returns the hook's exit status. */
#ifndef VC_EPILOG_H
#define VC_EPILOG_H

#include "conf.h"
#include "hook.h"

/* vc_epilog_slurmd: Epilog: undo this node's part of the job (slurmd.c). */
int vc_epilog_slurmd(const struct vc_hook_env *e, const struct vc_conf *c);
/* vc_epilog_slurmctld: EpilogSlurmctld: release the job's VLANs (slurmctld.c). */
int vc_epilog_slurmctld(const struct vc_hook_env *e, const struct vc_conf *c);

#endif
