/* teardown.c — a node's part of a job undone (bringup.h): the prolog's
 * rollback and the epilog both come here. */
#include <errno.h>
#include <sys/stat.h>

#include "bringup.h"
#include "log.h"
#include "node.h"
#include "nodestate.h"
#include "util.h"

int vc_node_teardown(const struct vc_conf *c, const char *node, int64_t job,
                     const struct vc_step_kind *more_kinds, char **err) {
        _cleanup_free_ char *dir = vc_node_job_dir(c->state_dir, node, job);
        struct stat sb;
        if (stat(dir, &sb) < 0 && errno == ENOENT) {
                /* e.g. its prolog failed before recording anything, or a second epilog */
                log_info("job %lld on %s: nothing recorded on this node", (long long)job, node);
                return 0;
        }
        struct vc_journal j = {0};
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        j.ctx = &ctx;
        /* a host's steps: the node's, and the gateway's when it is one */
        _cleanup_free_ struct vc_step_kind *kinds = vc_step_kinds_join(vc_node_step_kinds, more_kinds);
        int r = vc_node_journal_open(dir, kinds, &j, err);
        if (r < 0) {
                vc_node_ctx_done(&ctx);
                return r;
        }
        size_t pending = vc_journal_pending(&j);
        uint64_t t0 = now_ms();
        r = vc_journal_undo(&j, err);
        vc_journal_file_close(&j);
        vc_node_ctx_done(&ctx);
        if (r < 0)
                return r;
        if ((r = vc_node_job_dir_remove(dir, err)) < 0)
                return r;
        log_notice("job %lld on %s: %zu node step(s) undone in %llu ms, state removed", (long long)job, node, pending,
                   (unsigned long long)(now_ms() - t0));
        return 0;
}
