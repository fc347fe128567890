/* report.c — a node's hook talking to vlanallocd: patiently, and its phase reports. */
#include "bringup_int.h"
#include "client.h"
#include "log.h"
#include "util.h"

/* An acquire configures switches; vlanalloc(8) allows as long. */
#define CALL_TIMEOUT_S 600

int vc_node_call_patiently(const struct vc_hook_env *e, const struct vc_conf *c, const json_t *req, json_t **reply,
                           char **err) {
        _cleanup_free_ char *what = xasprintf("job %lld on %s", (long long)e->job, e->node);
        return vc_client_call_patiently(c, req, CALL_TIMEOUT_S, VC_NODE_PATIENCE_S, what, reply, err);
}

void vc_node_report(const struct vc_hook_env *e, const struct vc_conf *c, const char *phase, const char *detail,
                    json_t *guests, const char *cpus) {
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:I, s:s, s:s}", "op", "node_phase", "job",
                                                        (json_int_t)e->job, "node", e->node, "phase", phase);
        if (detail)
                json_object_set_new(req, "detail", json_string(detail));
        if (guests)
                json_object_set_new(req, "guests", guests);
        /* the CPUs go with the guests, so `vcluster status` shows them */
        if (guests && cpus)
                json_object_set_new(req, "cpus", json_string(cpus));
        _cleanup_(json_decrefp) json_t *reply = NULL;
        _cleanup_free_ char *err = NULL;
        if (vc_node_call_patiently(e, c, req, &reply, &err) < 0)
                log_warning("job %lld on %s: reporting phase %s: %s", (long long)e->job, e->node, phase, err);
        else if (!json_is_true(json_object_get(reply, "ok")))
                log_warning("job %lld on %s: reporting phase %s refused: %s", (long long)e->job, e->node, phase,
                            json_string_value(json_object_get(reply, "error")));
}

json_t *vc_node_all_guests(const struct vc_nodeplan *plan, const char *phase) {
        json_t *o = json_object();
        for (size_t i = 0; i < plan->n_guests; i++)
                json_object_set_new(o, plan->guests[i].name, json_string(phase));
        return o;
}
