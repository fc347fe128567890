#include "jobfit.h"

#include <errno.h>
#include <inttypes.h>

#include "util.h"

int vc_guests_fit(const struct vc_spec *s, const struct vc_node_share *share, char **err) {
        *err = NULL;
        uint64_t vcpus = (uint64_t)s->vms * s->cpus;
        if (share->cpus && vcpus > share->cpus) {
                *err = xasprintf("vms=%u × cpus=%u = %" PRIu64 " vCPUs per node, but the job's share of a node is "
                                 "%u CPU%s (%s): ask Slurm for %" PRIu64 " CPUs per node (e.g. -c %" PRIu64
                                 " with one task per node) or give the guests fewer",
                                 s->vms, s->cpus, vcpus, share->cpus, share->cpus == 1 ? "" : "s",
                                 share->cpus_how ? share->cpus_how : "?", vcpus, vcpus);
                return -E2BIG;
        }
        uint64_t need = (uint64_t)s->vms * s->mem;
        if (share->mem && need > share->mem) {
                char m[32], n[32], h[32];
                vc_size_format(s->mem, m, sizeof(m));
                vc_size_format(need, n, sizeof(n));
                vc_size_format(share->mem, h, sizeof(h));
                *err = xasprintf("vms=%u × mem=%s = %s per node, but the job's share of a node is %s of memory (%s): "
                                 "ask Slurm for --mem=%s or more, or give the guests less",
                                 s->vms, m, n, h, share->mem_how ? share->mem_how : "?", n);
                return -E2BIG;
        }
        return 0;
}
