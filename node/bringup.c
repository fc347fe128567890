/* bringup.c — a node's part of a job brought up, stage by stage through
 * its journal (bringup.h); any failure tears it down again. */
#include <errno.h>
#include <string.h>

#include "bringup_int.h"
#include "client.h"
#include "log.h"
#include "nodestate.h"
#include "phase.h"
#include "share.h"
#include "util.h"

int vc_bringup_stage(struct node_run *n, const char *what, char **err) {
        uint64_t t0 = now_ms();
        int r = vc_journal_run(&n->j, err);
        if (r == 0)
                log_info("job %lld on %s: %s in %llu ms", (long long)n->e->job, n->e->node, what,
                         (unsigned long long)(now_ms() - t0));
        return r;
}

int vc_bringup_secret(struct node_run *n, const char *what, const char *name, char **out, char **err) {
        uint64_t until = now_ms() + VC_NODE_PATIENCE_S * 1000;
        unsigned delay = 0;
        for (;;) {
                int r = vc_job_secret_fetch(n->c, n->e->job, what, name, out, err);
                if (r == 0 || r == -ENOENT || now_ms() >= until)
                        return r;
                log_warning("job %lld on %s: %s; retrying", (long long)n->e->job, n->e->node, *err);
                free(*err);
                *err = NULL;
                vc_backoff_sleep(&delay, until);
        }
}

/* links: on a stitched job's gateway, the cluster's namespace, its tunnel to
 * the other sites and (not at the first site) its cache, before any guest
 * boots, so the segment is whole when they come up. OpenVPN's key lives in
 * the ctx only while its steps run. */
static int links(struct node_run *n, const struct vc_nodeplan *plan, const char *dir, char **err) {
        size_t tunnels = n->links->tunnels(plan);
        if (tunnels == 0)
                return 0;
        int r = 0;
        bool openvpn = n->links->openvpn(plan);
        if (openvpn)
                r = vc_bringup_secret(n, "tunnel", "tunnel key", &n->ctx.gw.tunnel_key, err);
        if (r == 0)
                r = n->links->add(&n->j, n->c, vc_conf_node(n->c, n->e->node), plan, dir, err);
        if (r == 0) {
                char what[96];
                snprintf(what, sizeof(what), "%zu %s tunnel(s) to the job's other sites up", tunnels,
                         openvpn ? "OpenVPN" : "VXLAN");
                r = vc_bringup_stage(n, what, err);
        }
        vc_node_ctx_chap_clear(&n->ctx);
        return r;
}

/* run: the stages, in a journal opened in dir; 0 or -errno with *err. */
static int run(struct node_run *n, const struct vc_nodeplan *plan, const char *dir, bool has_guests, char **err) {
        int r = 0;
        /* A journal with work still to undo: an earlier run of this job here
         * whose epilog never ran (slurmd killed, node rebooted). Undo it first. */
        if (vc_journal_pending(&n->j) > 0) {
                log_warning("job %lld on %s: undoing %zu step(s) an earlier run left", (long long)n->e->job,
                            n->e->node, vc_journal_pending(&n->j));
                r = vc_journal_undo(&n->j, err);
        }
        _cleanup_free_ char *plan_path = xasprintf("%s/%s", dir, VC_NODE_PLAN);
        if (r == 0)
                r = vc_journal_add(&n->j, "node.plan", json_pack("{s:s, s:o}", "path", plan_path, "plan",
                                                                 vc_nodeplan_to_json(plan)));
        if (r == 0)
                r = vc_bringup_stage(n, "plan recorded", err);
        if (r == 0)
                r = links(n, plan, dir, err);
        if (r == 0 && has_guests)
                r = vc_bringup_guests(n, plan, dir, err);
        return r;
}

int vc_node_bringup(const struct vc_hook_env *e, const struct vc_conf *c, const struct vc_node_links *links,
                    const json_t *job) {
        _cleanup_free_ char *err = NULL;
        _cleanup_(vc_nodeplan_clear) struct vc_nodeplan np = {0};
        const struct vc_nodeplan *plan = &np;
        if (vc_bringup_node_plan(e, links, job, &np, &err) < 0 || vc_bringup_alloc(e, &np, &err) < 0 ||
            vc_bringup_share(e, c, &np, &err) < 0) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                vc_node_report(e, c, VC_PHASE_FAILED, err, NULL, NULL);
                return 1;
        }
        _cleanup_free_ char *dir = vc_node_job_dir(c->state_dir, e->node, e->job);
        struct node_run n = {.e = e, .c = c, .links = links};
        n.cpus = plan->alloc ? plan->alloc->cpus : NULL;
        vc_node_ctx_init(&n.ctx);
        n.j.ctx = &n.ctx;
        /* a host's steps: the node's, and the gateway's when it is one */
        _cleanup_free_ struct vc_step_kind *kinds = vc_step_kinds_join(vc_node_step_kinds, links->kinds);
        int r = vc_node_job_dir_make(dir, &err);
        if (r == 0)
                r = vc_node_journal_open(dir, kinds, &n.j, &err);
        if (r < 0) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                vc_node_report(e, c, VC_PHASE_FAILED, err, NULL, NULL);
                vc_node_ctx_done(&n.ctx);
                return 1;
        }
        /* guests are booted only from an image: without one the job gets its network alone */
        bool has_guests = plan->image != NULL;
        r = run(&n, plan, dir, has_guests, &err);
        vc_journal_file_close(&n.j);
        vc_node_ctx_done(&n.ctx);
        if (r < 0) {
                const char *why = err ? err : strerror(-r);
                log_error("job %lld on %s: %s", (long long)e->job, e->node, why);
                _cleanup_free_ char *uerr = NULL;
                if (vc_node_teardown(c, e->node, e->job, links->kinds, &uerr) < 0)
                        log_error("job %lld on %s: rollback incomplete: %s", (long long)e->job, e->node, uerr);
                vc_node_report(e, c, VC_PHASE_FAILED, why, has_guests ? vc_node_all_guests(plan, "failed") : NULL,
                               n.cpus);
                return 1;
        }
        log_notice("job %lld on %s: site %s VLAN %d%s, %zu guest(s) up", (long long)e->job, e->node,
                   plan->site.name, plan->site.vlan, plan->is_gateway ? " (gateway)" : "",
                   has_guests ? plan->n_guests : 0);
        vc_node_report(e, c, VC_PHASE_READY, NULL, NULL, n.cpus);
        return 0;
}
