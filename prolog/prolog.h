/* prolog.h — vcluster-prolog's contexts, one file each; main.c dispatches
 * on SLURM_SCRIPT_CONTEXT to them. Each returns the hook's exit status. */
#ifndef VC_PROLOG_H
#define VC_PROLOG_H

#include "conf.h"
#include "bringup.h"
#include "hook.h"

/* vc_prolog_slurmctld: PrologSlurmctld: acquire the job's VLANs (slurmctld.c). */
int vc_prolog_slurmctld(const struct vc_hook_env *e, const struct vc_conf *c);
/* vc_prolog_slurmd: Prolog: fetch the plan and bring this node's part up (slurmd.c). */
int vc_prolog_slurmd(const struct vc_hook_env *e, const struct vc_conf *c);
/* vc_prolog_links: the gateway's part of a node's bring-up, as node/bringup.h takes it (slurmd.c). */
extern const struct vc_node_links vc_prolog_links;

#endif
