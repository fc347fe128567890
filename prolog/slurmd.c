/* slurmd.c — Prolog (prolog.h): fetch the job's plan from vlanallocd, check
 * it against this node's own vcluster.conf (root acts on it), and bring this
 * node's part up (node/bringup.h). */
#include "bringup.h"
#include "gateway.h"
#include "l2steps.h"
#include "log.h"
#include "phase.h"
#include "plancheck.h"
#include "prolog.h"
#include "util.h"

const struct vc_node_links vc_prolog_links = {
        .kinds = vc_gateway_step_kinds,
        .plan = vc_node_l2_plan,
        .tunnels = vc_node_l2_tunnels,
        .openvpn = vc_node_l2_openvpn,
        .add = vc_node_add_l2,
};

int vc_prolog_slurmd(const struct vc_hook_env *e, const struct vc_conf *c) {
        _cleanup_free_ char *err = NULL;
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:I}", "op", "show", "job", (json_int_t)e->job);
        _cleanup_(json_decrefp) json_t *reply = NULL;
        if (vc_node_call_patiently(e, c, req, &reply, &err) < 0) {
                log_error("job %lld on %s: fetching the plan: %s", (long long)e->job, e->node, err);
                return 1;
        }
        json_t *job = json_object_get(reply, "job");
        const char *state = json_string_value(json_object_get(job, "state"));
        if (!json_is_true(json_object_get(reply, "ok")) || !state || !streq(state, "held")) {
                const char *why = json_string_value(json_object_get(reply, "error"));
                err = why ? xasprintf("fetching the plan: %s", why)
                          : xasprintf("vlanallocd holds no VLAN for the job (state %s)", state ? state : "?");
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                vc_node_report(e, c, VC_PHASE_FAILED, err, NULL, NULL);
                return 1;
        }
        /* Root acts on this plan: it must fit the node's own vcluster.conf. */
        if (vc_plan_check(c, job, e->job, e->nodes, &err) < 0) {
                log_error("job %lld on %s: refusing the plan vlanallocd gave: %s", (long long)e->job, e->node, err);
                vc_node_report(e, c, VC_PHASE_FAILED, err, NULL, NULL);
                return 1;
        }
        return vc_node_bringup(e, c, &vc_prolog_links, job);
}
