/* Read-only views of the allocator (show, list, ranges, check) and the
 * admin's drain/undrain. */
#include <errno.h>
#include <stdarg.h>

#include "alloc.h"
#include "choose.h"
#include "conf.h"
#include "rpc.h"
#include "jobplan.h"
#include "state.h"
#include "switch.h"
#include "util.h"


static json_t *job_json(const struct vc_job *j) {
        json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "job", (json_int_t)j->job, "uid",
                              (json_int_t)j->uid, "state", j->state, "mode", j->mode, "spec", j->spec, "nodes",
                              j->nodes, "since", (json_int_t)j->since, "updated", (json_int_t)j->updated);
        json_object_set_new(o, "vni", j->vni >= 0 ? json_integer(j->vni) : json_null());
        json_object_set_new(o, "lease", j->lease > 0 ? json_integer(j->lease) : json_null());
        json_object_set_new(o, "error", j->error ? json_string(j->error) : json_null());
        json_t *plan = j->plan ? json_loads(j->plan, 0, NULL) : NULL;
        json_object_set_new(o, "sites", plan && json_object_get(plan, "sites") ? json_incref(json_object_get(plan, "sites"))
                                                                               : json_array());
        /* a stitched job's tunnel: what its gateways build */
        static const char *const tunnel[] = {"l2ext", "tunnel_port"};
        for (size_t i = 0; i < ARRAY_SIZE(tunnel); i++)
                if (plan && json_object_get(plan, tunnel[i]))
                        json_object_set(o, tunnel[i], json_object_get(plan, tunnel[i]));
        json_decref(plan);
        return o;
}

json_t *vc_alloc_show(struct vc_alloc *a, int64_t job) {
        struct vc_job j = {0};
        vc_state_lock(a->st);
        int r = vc_state_job_get(a->st, job, &j);
        if (r < 0) {
                vc_state_unlock(a->st);
                return r == -ENOENT ? vc_rpc_error(VC_ERR_NOT_FOUND, "job %lld is not known to vlanallocd", (long long)job)
                                    : vc_rpc_error(VC_ERR_INTERNAL, "state database error");
        }
        json_t *o = job_json(&j);
        struct vc_journal jr = {0};
        json_t *steps = json_array();
        if (vc_state_journal(a->st, job, &jr) == 0)
                for (size_t i = 0; i < jr.n; i++)
                        json_array_append_new(steps, json_pack("{s:i, s:s, s:s, s:O}", "seq", jr.steps[i].seq, "kind",
                                                               jr.steps[i].kind, "state",
                                                               vc_step_state_name(jr.steps[i].state), "args",
                                                               jr.steps[i].args));
        vc_state_journal_release(&jr);
        json_object_set_new(o, "steps", steps);
        json_object_set_new(o, "history", vc_state_history(a->st, job));
        vc_state_unlock(a->st);
        vc_job_clear(&j);
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "job", o);
        return reply;
}

json_t *vc_alloc_list(struct vc_alloc *a) {
        vc_state_lock(a->st);
        json_t *holds = vc_state_holds(a->st);
        vc_state_unlock(a->st);
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "vlans", holds);
        return reply;
}

json_t *vc_alloc_ranges(struct vc_alloc *a) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        vc_state_lock(a->st);
        json_t *holds = vc_state_holds(a->st);
        vc_state_unlock(a->st);
        json_t *sites = json_array();
        for (size_t i = 0; i < c->n_sites; i++) {
                const struct vc_site *s = &c->sites[i];
                unsigned held = 0, drained = 0;
                json_t *outside = json_array();
                size_t k;
                json_t *h;
                json_array_foreach(holds, k, h) {
                        if (!streq(json_string_value(json_object_get(h, "site")), s->name))
                                continue;
                        int vlan = (int)json_integer_value(json_object_get(h, "vlan"));
                        if (!vc_site_has_vlan(s, vlan)) {
                                json_array_append_new(outside, json_integer(vlan));
                                continue;
                        }
                        if (json_is_true(json_object_get(h, "drained")))
                                drained++;
                        else
                                held++;
                }
                _cleanup_free_ char *ranges = vc_ranges_format(s->ranges, s->n_ranges);
                unsigned size = vc_site_range_size(s);
                json_array_append_new(sites, json_pack("{s:s, s:i, s:s, s:i, s:i, s:i, s:i, s:o}", "site", s->name,
                                                       "id", s->id, "ranges", ranges, "size", size, "free",
                                                       size - held - drained, "held", held, "drained", drained,
                                                       "outside", outside));
        }
        json_decref(holds);
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "sites", sites);
        return reply;
}

static void drift(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void drift(json_t *list, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = xvasprintf(fmt, ap);
        va_end(ap);
        json_array_append_new(list, json_string(s));
}

static bool active(const char *state) {
        return streq(state, JS_ACQUIRING) || streq(state, JS_HELD) || streq(state, JS_RELEASING);
}

/* check one job's journal and its switches against its state */
static void check_job(struct vc_alloc *a, const struct vc_job *j, json_t *problems, json_t *notes) {
        struct vc_journal jr = {0};
        if (vc_state_journal(a->st, j->job, &jr) < 0) {
                drift(problems, "job %lld: journal unreadable", (long long)j->job);
                return;
        }
        for (size_t i = 0; i < jr.n; i++) {
                struct vc_step *s = &jr.steps[i];
                bool is_held = streq(j->state, JS_HELD);
                bool gone = !active(j->state);
                if (is_held && s->state != VC_STEP_DONE)
                        drift(problems, "job %lld is held but step %d (%s) is %s", (long long)j->job, s->seq, s->kind,
                              vc_step_state_name(s->state));
                if (gone && s->state != VC_STEP_UNDONE && s->state != VC_STEP_PLANNED)
                        drift(problems, "job %lld is %s but step %d (%s) is %s", (long long)j->job, j->state, s->seq,
                              s->kind, vc_step_state_name(s->state));
                if (!is_held || !streq(s->kind, "switch.vlan"))
                        continue;
                _cleanup_free_ char *err = NULL, *what = NULL;
                int r = vc_switch_step_check(s->args, true, &what, &err);
                const char *sw = json_string_value(json_object_get(s->args, "switch"));
                int vlan = (int)json_integer_value(json_object_get(s->args, "vlan"));
                if (r == -EOPNOTSUPP)
                        drift(notes, "switch %s: VLAN %d of job %lld not verifiable (driver cannot read)", sw, vlan,
                              (long long)j->job);
                else if (r < 0)
                        drift(problems, "switch %s: cannot read VLAN %d: %s", sw, vlan, err ? err : strerror(-r));
                else if (r == 0)
                        drift(problems, "switch %s: job %lld: %s", sw, (long long)j->job, what);
        }
        vc_state_journal_release(&jr);
}

/* check_switch_leftovers: a VLAN of the site's ranges that exists on a switch
 * while no job holds it is a leftover (drained ids are the admins' own). */
static void check_switch_leftovers(const struct vc_conf *c, json_t *holds, json_t *problems, json_t *notes) {
        for (size_t k = 0; k < c->n_switches; k++) {
                const struct vc_switch *sw = &c->switches[k];
                const struct vc_site *site = vc_conf_site(c, sw->site);
                _cleanup_free_ int *ids = NULL;
                _cleanup_free_ char *err = NULL;
                size_t n = 0;
                int r = vc_switch_list(sw, &ids, &n, &err);
                if (r == -EOPNOTSUPP)
                        continue;
                if (r < 0) {
                        drift(problems, "switch %s: cannot list its VLANs: %s", sw->name, err ? err : strerror(-r));
                        continue;
                }
                for (size_t i = 0; i < n; i++) {
                        if (!vc_site_has_vlan(site, ids[i]))
                                continue;
                        json_t *h, *holder = NULL;
                        size_t hi;
                        json_array_foreach(holds, hi, h) {
                                if (streq(json_string_value(json_object_get(h, "site")), site->name) &&
                                    json_integer_value(json_object_get(h, "vlan")) == ids[i])
                                        holder = h;
                        }
                        if (!holder)
                                drift(problems, "switch %s: VLAN %d exists but no job of site %s holds it", sw->name,
                                      ids[i], site->name);
                        else if (!json_object_get(holder, "job"))
                                drift(notes, "switch %s: VLAN %d exists and is drained", sw->name, ids[i]);
                }
        }
}

json_t *vc_alloc_check(struct vc_alloc *a) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        json_t *problems = json_array(), *notes = json_array();
        vc_state_lock(a->st);
        json_t *holds = vc_state_holds(a->st);
        size_t i;
        json_t *h;
        json_array_foreach(holds, i, h) {
                const char *site = json_string_value(json_object_get(h, "site"));
                int vlan = (int)json_integer_value(json_object_get(h, "vlan"));
                json_t *job = json_object_get(h, "job");
                const char *js = json_string_value(json_object_get(h, "job_state"));
                const struct vc_site *s = vc_conf_site(c, site);
                if (job && js && !active(js))
                        drift(problems, "site %s VLAN %d is held by job %lld, which is %s", site, vlan,
                              (long long)json_integer_value(job), js);
                if (!s || !vc_site_has_vlan(s, vlan))
                        drift(notes, "site %s VLAN %d is %s outside the configured ranges", site, vlan,
                              job ? "held" : "drained");
        }
        static const char *const states[] = {JS_ACQUIRING, JS_HELD, JS_RELEASING, JS_RELEASED, JS_FAILED};
        for (size_t k = 0; k < ARRAY_SIZE(states); k++) {
                json_t *ids = vc_state_jobs_in(a->st, states[k]);
                json_t *v;
                json_array_foreach(ids, i, v) {
                        struct vc_job j = {0};
                        if (vc_state_job_get(a->st, json_integer_value(v), &j) < 0)
                                continue;
                        bool busy = false;
                        for (size_t f = 0; f < a->n_inflight; f++)
                                busy |= a->inflight[f] == j.job;
                        if (busy)
                                drift(notes, "job %lld is %s right now", (long long)j.job, j.state);
                        else {
                                if (streq(j.state, JS_ACQUIRING) || streq(j.state, JS_RELEASING))
                                        drift(problems, "job %lld is stuck %s%s%s", (long long)j.job, j.state,
                                              j.error ? ": " : "", j.error ? j.error : "");
                                check_job(a, &j, problems, notes);
                        }
                        /* a held job must hold exactly its plan's ids */
                        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = {0};
                        _cleanup_free_ char *perr = NULL;
                        if (streq(j.state, JS_HELD) && vc_jobplan_from_text(j.plan, &p, &perr) < 0)
                                drift(problems, "job %lld is held but its plan is unreadable: %s", (long long)j.job,
                                      perr);
                        for (size_t si = 0; si < p.n_sites; si++) {
                                const char *site = p.sites[si].name;
                                int vlan = p.sites[si].vlan;
                                struct vc_vlanset busyset;
                                if (vc_state_busy(a->st, site, &busyset) == 0 && !vc_vlanset_has(&busyset, vlan))
                                        drift(problems, "job %lld is held but site %s VLAN %d is not recorded as held",
                                              (long long)j.job, site, vlan);
                        }
                        vc_job_clear(&j);
                }
                json_decref(ids);
        }
        check_switch_leftovers(c, holds, problems, notes);
        json_decref(holds);
        vc_state_unlock(a->st);
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "clean", json_boolean(json_array_size(problems) == 0));
        json_object_set_new(reply, "drift", problems);
        json_object_set_new(reply, "notes", notes);
        return reply;
}

static json_t *site_vlan_check(const struct vc_conf *c, const char *site, int vlan) {
        const struct vc_site *s = vc_conf_site(c, site);
        if (!s)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "unknown site '%s'", site);
        if (!vc_site_has_vlan(s, vlan)) {
                _cleanup_free_ char *r = vc_ranges_format(s->ranges, s->n_ranges);
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "VLAN %d is not in site %s's ranges (%s)", vlan, site, r);
        }
        return NULL;
}

json_t *vc_alloc_drain(struct vc_alloc *a, const char *site, int vlan, const char *reason) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        json_t *bad = site_vlan_check(c, site, vlan);
        if (bad)
                return bad;
        vc_state_lock(a->st);
        int r = vc_state_drain(a->st, site, vlan, reason ? reason : "drained by admin");
        vc_state_unlock(a->st);
        return r < 0 ? vc_rpc_error(VC_ERR_INTERNAL, "state database error") : vc_rpc_ok();
}

json_t *vc_alloc_undrain(struct vc_alloc *a, const char *site, int vlan) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        /* An id left outside the ranges may still be undrained: that is how it goes away. */
        if (!vc_conf_site(c, site))
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "unknown site '%s'", site);
        vc_state_lock(a->st);
        int r = vc_state_undrain(a->st, site, vlan);
        vc_state_unlock(a->st);
        if (r == -ENOENT)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "site %s VLAN %d is not drained", site, vlan);
        return r < 0 ? vc_rpc_error(VC_ERR_INTERNAL, "state database error") : vc_rpc_ok();
}
