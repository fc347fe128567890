/* slurmd.c — Epilog (epilog.h): undo this node's journal of the job in
 * reverse and remove its state dir (node/bringup.h, the teardown the
 * prolog's rollback shares); a failure exits 1, so Slurm drains the node
 * rather than reuse it dirty. */
#include "bringup.h"
#include "epilog.h"
#include "gateway.h"
#include "log.h"
#include "util.h"

int vc_epilog_slurmd(const struct vc_hook_env *e, const struct vc_conf *c) {
        _cleanup_free_ char *err = NULL;
        /* a host's steps: the node's, and the gateway's when it is one */
        if (vc_node_teardown(c, e->node, e->job, vc_gateway_step_kinds, &err) < 0) {
                log_error("job %lld on %s: undo incomplete, node left as it is: %s", (long long)e->job, e->node, err);
                return 1;
        }
        return 0;
}
