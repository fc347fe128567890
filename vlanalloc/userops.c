#include "userops.h"

#include <errno.h>

#include "alloc.h"
#include "cpulist.h"
#include "escape.h"
#include "guestplan.h"
#include "jobplan.h"
#include "log.h"
#include "phase.h"
#include "rpc.h"
#include "state.h"
#include "util.h"

static void job_clearp(struct vc_job *j) { vc_job_clear(j); }

static int get_job(const json_t *req, int64_t *job) {
        json_t *j = json_object_get(req, "job");
        if (!json_is_integer(j) || json_integer_value(j) <= 0 || json_integer_value(j) > UINT32_MAX)
                return -EINVAL;
        *job = json_integer_value(j);
        return 0;
}

/* plan_has_node: whether job's stored plan puts node in one of its sites. */
static bool plan_has_node(const struct vc_job *j, const char *node) {
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = {0};
        _cleanup_free_ char *err = NULL;
        return vc_jobplan_from_text(j->plan, &p, &err) == 0 && vc_jobplan_site_of(&p, node);
}

static json_t *node_phase(struct vc_alloc *a, const json_t *req) {
        int64_t job;
        json_t *node = json_object_get(req, "node"), *phase = json_object_get(req, "phase"),
               *detail = json_object_get(req, "detail"), *guests = json_object_get(req, "guests"),
               *cpus = json_object_get(req, "cpus");
        if (get_job(req, &job) < 0 || !json_is_string(node) || !json_is_string(phase) ||
            (detail && !json_is_string(detail)) || (guests && !json_is_object(guests)) || (cpus && !json_is_string(cpus)))
                return vc_rpc_error(VC_ERR_BAD_REQUEST,
                                    "node_phase: needs \"job\" (1..4294967295), \"node\", \"phase\" (strings), "
                                    "optional \"detail\" (string), \"guests\" ({name: phase}), \"cpus\" (CPU ids)");
        if (cpus && !vc_cpulist_valid(json_string_value(cpus)))
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "node_phase: \"cpus\" must be a CPU list of at most %d "
                                    "characters of 0-9 , - (e.g. 0-3,8)", VC_CPULIST_TEXT_MAX);
        if (!vc_node_phase_known(json_string_value(phase)))
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "node_phase: phase '%s' is not known (known: %s)",
                                    json_string_value(phase), vc_node_phase_list());
        const char *gname;
        json_t *gphase;
        json_object_foreach(guests, gname, gphase) {
                if (!vc_guest_phase_known(json_string_value(gphase)))
                        return vc_rpc_error(VC_ERR_BAD_REQUEST,
                                            "node_phase: guest %s: phase is not one of defined, started, up, failed",
                                            gname);
        }
        _cleanup_(job_clearp) struct vc_job j = {0};
        vc_state_lock(a->st);
        int r = vc_state_job_get(a->st, job, &j);
        if (r < 0 || !streq(j.state, JS_HELD)) {
                vc_state_unlock(a->st);
                return r == -EIO ? vc_rpc_error(VC_ERR_INTERNAL, "state database error")
                                 : vc_rpc_error(VC_ERR_NOT_FOUND, "job %lld holds no VLANs", (long long)job);
        }
        if (!plan_has_node(&j, json_string_value(node))) {
                vc_state_unlock(a->st);
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "node_phase: node %s is not a node of job %lld",
                                    json_string_value(node), (long long)job);
        }
        int64_t epoch = vc_state_acquisition(a->st, job);
        /* The detail quotes a guest's console: kept as text a terminal cannot act on. */
        _cleanup_free_ char *safe_detail = vc_escape(json_string_value(detail));
        r = vc_state_node_phase_set(a->st, job, json_string_value(node), epoch, json_string_value(phase),
                                    safe_detail);
        json_object_foreach(guests, gname, gphase) {
                if (r == 0)
                        r = vc_state_guest_phase_set(a->st, job, gname, json_string_value(node), epoch,
                                                     json_string_value(gphase));
        }
        if (r == 0 && cpus)
                r = vc_state_node_cpus_set(a->st, job, json_string_value(node), epoch, json_string_value(cpus));
        vc_state_unlock(a->st);
        if (r < 0)
                return vc_rpc_error(VC_ERR_INTERNAL, "state database error");
        log_info("job %lld: node %s is %s%s%s", (long long)job, json_string_value(node), json_string_value(phase),
                 safe_detail ? ": " : "", safe_detail ? safe_detail : "");
        return vc_rpc_ok();
}

/* guests_of: the job's guests with their reported phases (new reference;
 * empty when the job boots no image). */
static json_t *guests_of(struct vc_alloc *a, const struct vc_job *j, const struct vc_jobplan *p) {
        struct vc_spec spec;
        _cleanup_free_ char *err = NULL;
        struct vc_nodeplan_guest *typed = NULL;
        size_t n = 0;
        json_t *list = json_array();
        if (!j->spec || vc_spec_parse(j->spec, &spec, &err) < 0 || !spec.image[0] ||
            vc_plan_guest_list(p, &spec, j->job, NULL, &typed, &n, &err) < 0)
                return list;
        int64_t epoch = vc_state_acquisition(a->st, j->job);
        _cleanup_(json_decrefp) json_t *phases = vc_state_guest_phases(a->st, j->job, epoch);
        _cleanup_(json_decrefp) json_t *pins = vc_state_node_cpus(a->st, j->job, epoch);
        for (size_t i = 0; i < n; i++) {
                json_t *g = vc_nodeplan_guest_to_json(&typed[i]);
                json_t *phase = json_object_get(phases, typed[i].name);
                json_object_set_new(g, "phase", phase ? json_incref(phase) : json_string("pending"));
                /* every guest of a node is pinned to the job's CPUs there */
                json_t *c = json_object_get(pins, typed[i].node);
                if (c)
                        json_object_set(g, "cpus", c);
                /* host-side names are the admin's business */
                json_object_del(g, "tap");
                json_object_del(g, "domain");
                json_array_append_new(list, g);
        }
        vc_nodeplan_guests_free(typed, n);
        return list;
}

/* status_of: one job's view for its user (state lock held); NULL when unknown. */
static json_t *status_of(struct vc_alloc *a, int64_t job) {
        _cleanup_(job_clearp) struct vc_job j = {0};
        if (vc_state_job_get(a->st, job, &j) < 0)
                return NULL;
        /* a job without a plan yet (acquiring) has no sites */
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = {0};
        _cleanup_free_ char *perr = NULL;
        json_t *plan = vc_jobplan_from_text(j.plan, &p, &perr) == 0 ? vc_jobplan_to_json(&p) : NULL;
        json_t *sites = json_incref(plan ? json_object_get(plan, "sites") : NULL);
        json_decref(plan);
        if (!sites)
                sites = json_array();
        _cleanup_(json_decrefp) json_t *reports = vc_state_node_phases(a->st, job, vc_state_acquisition(a->st, job));
        json_t *nodes = json_array();
        size_t n_nodes = 0;
        for (size_t i = 0; i < p.n_sites; i++)
                n_nodes += p.sites[i].n_nodes;
        _cleanup_free_ const char **phases = xcalloc(n_nodes ? n_nodes : 1, sizeof(char *));
        size_t at = 0;
        for (size_t i = 0; i < p.n_sites; i++) {
                for (size_t k = 0; k < p.sites[i].n_nodes; k++) {
                        const char *name = p.sites[i].nodes[k];
                        json_t *rep = json_object_get(reports, name);
                        phases[at++] = rep ? json_string_value(json_object_get(rep, "phase")) : NULL;
                        json_t *o = json_pack("{s:s, s:s, s:o}", "node", name, "site", p.sites[i].name, "phase",
                                              rep ? json_incref(json_object_get(rep, "phase")) : json_string("pending"));
                        if (rep && json_object_get(rep, "detail"))
                                json_object_set(o, "detail", json_object_get(rep, "detail"));
                        json_array_append_new(nodes, o);
                }
        }
        json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:I}", "job", (json_int_t)j.job, "uid",
                              (json_int_t)j.uid, "state", j.state, "phase", vc_cluster_phase(j.state, n_nodes, phases),
                              "mode", j.mode, "spec", j.spec, "sites", sites, "nodes", nodes, "since",
                              (json_int_t)j.since);
        json_object_set_new(o, "guests", guests_of(a, &j, &p));
        json_object_set_new(o, "vni", j.vni >= 0 ? json_integer(j.vni) : json_null());
        json_object_set_new(o, "error", j.error ? json_string(j.error) : json_null());
        return o;
}

static json_t *status(struct vc_alloc *a, const json_t *req, uid_t uid, bool all) {
        int64_t job;
        if (json_object_get(req, "job")) {
                if (get_job(req, &job) < 0)
                        return vc_rpc_error(VC_ERR_BAD_REQUEST, "status: \"job\" must be a Slurm job id (1..4294967295)");
                vc_state_lock(a->st);
                json_t *o = status_of(a, job);
                vc_state_unlock(a->st);
                /* Same answer for "not yours" and "does not exist": no probing other users' jobs. */
                if (!o || (!all && json_integer_value(json_object_get(o, "uid")) != (json_int_t)uid)) {
                        json_decref(o);
                        return vc_rpc_error(VC_ERR_NOT_FOUND, "job %lld: no virtual cluster of uid %u",
                                            (long long)job, (unsigned)uid);
                }
                json_t *reply = vc_rpc_ok();
                json_object_set_new(reply, "cluster", o);
                return reply;
        }
        json_t *list = json_array(), *v;
        size_t i;
        vc_state_lock(a->st);
        _cleanup_(json_decrefp) json_t *ids = vc_state_jobs_active(a->st, all ? -1 : (int64_t)uid);
        json_array_foreach(ids, i, v) {
                json_t *o = status_of(a, json_integer_value(v));
                if (o)
                        json_array_append_new(list, o);
        }
        vc_state_unlock(a->st);
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "clusters", list);
        return reply;
}

json_t *vc_userops_handle(struct vc_alloc *a, const char *op, const json_t *req, uid_t uid, bool operator_,
                          bool admin) {
        if (streq(op, "node_phase")) {
                if (!operator_) {
                        log_warning("refused 'node_phase' from uid %u: only root and SlurmUser may", (unsigned)uid);
                        return vc_rpc_error(VC_ERR_DENIED, "uid %u may not node_phase: only root and SlurmUser may",
                                            (unsigned)uid);
                }
                return node_phase(a, req);
        }
        if (streq(op, "status"))
                return status(a, req, uid, operator_ || admin);
        return NULL;
}
