/* slurmalloc.h — what Slurm allocated a running job on its nodes, read
 * through libslurm (slurm_load_job with SHOW_DETAIL, the job's
 * job_resources): per node, the CPU ids (Slurm's numbering, as
 * `scontrol show job -d` prints CPU_IDs=), their count, and the job's
 * memory there (--mem per node, or --mem-per-cpu × the node's CPUs; 0 when
 * Slurm bounds no memory: no --mem and no DefMemPer* default).
 * Call only when vc_slurm_available() (slurmjob.h).
 */
#ifndef VC_SLURMALLOC_H
#define VC_SLURMALLOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec.h"

/* vc_slurm_job_allocs: {node: {"cpus": "0-1", "ncpus": 2, "mem": bytes}}
 * for every node of job, or only for node when not NULL; 0, or -errno
 * with *err (-ENOENT: slurmctld does not know the job or gave it no such
 * node; -EAGAIN: it has no resources yet). */
int vc_slurm_job_allocs(int64_t job, const char *node, json_t **out, char **err);

/* vc_slurm_guests_fit: the allocations as vc_slurm_job_allocs gives them
 * (*allocs), and whether spec's guests fit each node's (jobfit.h); 0,
 * -E2BIG with *err the fit rule's message naming the node (*allocs still
 * set), or another -errno with *err when slurmctld could not say. */
int vc_slurm_guests_fit(int64_t job, const char *node, const struct vc_spec *spec, json_t **allocs, char **err);

/* vc_slurm_cgroup_bounds_memory: whether Slurm itself holds a job's adopted
 * QEMU to the job's memory (spank_vcluster(8)): PrologFlags=Contain (the
 * extern step the batch step adopts QEMU into), ProctrackType=proctrack/cgroup,
 * task/cgroup in TaskPlugin and ConstrainRAMSpace=yes in cgroup.conf, as
 * slurmctld reports them; false when it cannot say. */
bool vc_slurm_cgroup_bounds_memory(void);

#endif
