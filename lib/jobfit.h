/* jobfit.h — whether a job's guests fit what Slurm gives the job on a node.
 *
 * Guests run inside the job's allocation: on every node, vms × cpus vCPUs
 * must fit the CPUs the job has there and vms × mem the memory it has
 * there. The same rule, with the same message, is applied where the numbers
 * are known: by sbatch/salloc to what the job asks per node (the SPANK
 * plugin), and by the hooks to what Slurm allocated on each node (the
 * prolog, when the request was incomplete at submit: --exclusive, no --mem).
 */
#ifndef VC_JOBFIT_H
#define VC_JOBFIT_H

#include <stdint.h>

#include "spec.h"

/* What the job has (or asks for) on one node. */
struct vc_node_share {
        unsigned cpus;   /* CPUs; 0 = not known (the CPU rule is not applied) */
        uint64_t mem;    /* bytes; 0 = no memory bound known (the memory rule is not applied) */
        const char *cpus_how, *mem_how; /* where each number comes from, quoted in the message
                                         * ("asked: -n 1 …", "allocated on a001: CPU ids 0") */
};

/* vc_guests_fit: 0 when the spec's guests of one node fit share; -E2BIG
 * with *err (malloc'd) giving the guests' need, the job's share and where
 * it comes from, and what to ask for instead. */
int vc_guests_fit(const struct vc_spec *s, const struct vc_node_share *share, char **err);

#endif
