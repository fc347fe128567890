#include "alloc.h"
#include "guestplan.h"

#include <errno.h>
#include <time.h>

#include "choose.h"
#include "conf.h"
#include "failpoint.h"
#include "hostlist.h"
#include "log.h"
#include "plan.h"
#include "rpc.h"
#include "spec.h"
#include "state.h"
#include "chap_file.h"
#include "storage_step.h"
#include "switch.h"
#include "util.h"

static const struct vc_step_kind controller_kinds[] = {
        {"switch.vlan", vc_switch_step_do, vc_switch_step_undo, .parallel = true},
        {"storage.chap", vc_chap_step_do, vc_chap_step_undo, false},
        {"tunnel.key", vc_chap_step_do, vc_chap_step_undo, false},
        {"ssh.seed", vc_chap_step_do, vc_chap_step_undo, false},
        /* different storage hosts in parallel; each host serializes its own tools */
        {"storage.volumes", vc_storage_volumes_do, vc_storage_volumes_undo, .parallel = true},
        {"storage.export", vc_storage_export_do, vc_storage_export_undo, .parallel = true},
        {NULL, NULL, NULL, false},
};

/* journal_for: a journal of the controller's kinds whose steps reach
 * storage agents through munge socket of c (ctx must outlive it). */
static struct vc_journal journal_for(struct vc_storage_ctx *ctx, const struct vc_conf *c) {
        *ctx = (struct vc_storage_ctx){c->munge_socket};
        return (struct vc_journal){.kinds = controller_kinds, .ctx = ctx};
}

static void job_clearp(struct vc_job *j) { vc_job_clear(j); }
static void plan_clearp(struct vc_plan *p) { vc_plan_clear(p); }

void vc_alloc_init(struct vc_alloc *a, struct vc_state *st, struct vc_conf *c) {
        *a = (struct vc_alloc){.st = st, .conf = c};
        pthread_mutex_init(&a->conf_lock, NULL);
}

void vc_alloc_done(struct vc_alloc *a) {
        vc_conf_unref(a->conf);
        free(a->inflight);
        pthread_mutex_destroy(&a->conf_lock);
}

struct vc_conf *vc_alloc_conf(struct vc_alloc *a) {
        pthread_mutex_lock(&a->conf_lock);
        struct vc_conf *c = vc_conf_ref(a->conf);
        pthread_mutex_unlock(&a->conf_lock);
        return c;
}

void vc_alloc_set_conf(struct vc_alloc *a, struct vc_conf *c) {
        vc_state_lock(a->st);
        json_t *holds = vc_state_holds(a->st);
        vc_state_unlock(a->st);
        size_t i;
        json_t *h;
        json_array_foreach(holds, i, h) {
                const char *site = json_string_value(json_object_get(h, "site"));
                int vlan = (int)json_integer_value(json_object_get(h, "vlan"));
                const struct vc_site *s = vc_conf_site(c, site);
                if (!s || !vc_site_has_vlan(s, vlan))
                        log_warning("reload: VLAN %d of site %s is %s but outside the new ranges; kept until "
                                    "released, then never handed out again",
                                    vlan, site, json_object_get(h, "job") ? "held by a job" : "drained");
        }
        json_decref(holds);
        pthread_mutex_lock(&a->conf_lock);
        struct vc_conf *old = a->conf;
        a->conf = c;
        pthread_mutex_unlock(&a->conf_lock);
        vc_conf_unref(old);
}

static bool inflight_has(struct vc_alloc *a, int64_t job) {
        for (size_t i = 0; i < a->n_inflight; i++)
                if (a->inflight[i] == job)
                        return true;
        return false;
}

static void inflight_set(struct vc_alloc *a, int64_t job, bool on) {
        if (on) {
                a->inflight = xrealloc(a->inflight, (a->n_inflight + 1) * sizeof(int64_t));
                a->inflight[a->n_inflight++] = job;
                return;
        }
        for (size_t i = 0; i < a->n_inflight; i++)
                if (a->inflight[i] == job) {
                        a->inflight[i] = a->inflight[--a->n_inflight];
                        return;
                }
}

/* Wait (state lock held) until no thread works on job; fills *j, or -ENOENT. */
static int wait_settled(struct vc_alloc *a, int64_t job, struct vc_job *j) {
        for (;;) {
                int r = vc_state_job_get(a->st, job, j);
                if (r < 0)
                        return r;
                if (!inflight_has(a, job))
                        return 0;
                vc_job_clear(j);
                vc_state_wait(a->st);
        }
}

static json_t *job_plan(const struct vc_job *j) {
        json_t *plan = j->plan ? json_loads(j->plan, 0, NULL) : json_object();
        if (!plan)
                plan = json_object();
        json_object_set_new(plan, "state", json_string(j->state));
        if (j->error)
                json_object_set_new(plan, "error", json_string(j->error));
        return plan;
}

/* Undo the job's journal and free its ids, ending in final_state. Called
 * without the state lock, with the job marked in flight. fp_before/fp_after
 * name the failpoints around the final commit (NULL: none). */
static int undo_and_free(struct vc_alloc *a, int64_t job, const char *final_state, const char *event,
                         const char *fp_before, const char *fp_after, char **err) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        struct vc_storage_ctx sctx;
        struct vc_journal j = journal_for(&sctx, c);
        vc_state_lock(a->st);
        int r = vc_state_journal(a->st, job, &j);
        vc_state_unlock(a->st);
        if (r == 0)
                r = vc_journal_undo(&j, err);
        else
                *err = xasprintf("job %lld: cannot load its journal", (long long)job);
        vc_state_journal_release(&j);
        vc_state_lock(a->st);
        if (r < 0) {
                (void)vc_state_job_set(a->st, job, JS_RELEASING, *err);
                (void)vc_state_history_add(a->st, job, "undo-failed", *err);
                vc_state_unlock(a->st);
                return r;
        }
        r = vc_state_begin(a->st);
        if (r == 0 && fp_before)
                r = FAILPOINT(fp_before);
        if (r == 0)
                r = vc_state_unhold(a->st, job);
        if (r == 0)
                r = vc_state_job_set(a->st, job, final_state, NULL);
        if (r == 0)
                r = vc_state_history_add(a->st, job, event, NULL);
        if (r == 0)
                r = vc_state_commit(a->st);
        if (r < 0) {
                vc_state_rollback(a->st);
                *err = xasprintf("job %lld: cannot record the release: %s", (long long)job, strerror(-r));
        } else if (fp_after) {
                r = FAILPOINT(fp_after);
                if (r < 0)
                        *err = xasprintf("injected failure (%s)", fp_after);
        }
        vc_state_unlock(a->st);
        return r;
}

static json_t *exhausted(const struct vc_plan *p, const struct vc_vlanset *free_ids) {
        _cleanup_free_ char *detail = xstrdup("");
        for (size_t i = 0; i < p->n; i++) {
                char *d = xasprintf("%s%s%s: %u of %u free", detail, i ? ", " : "", p->sites[i].site->name,
                                    vc_vlanset_count(&free_ids[i]), vc_site_range_size(p->sites[i].site));
                free(detail);
                detail = d;
        }
        if (p->mode == VC_L2_SHARED && p->n > 1)
                return vc_rpc_error(VC_ERR_EXHAUSTED, "no VLAN id is free at every site of the job (%s; none in common)",
                                    detail);
        return vc_rpc_error(VC_ERR_EXHAUSTED, "no VLAN id free (%s)", detail);
}

/* Choose ids (state lock held); fills p's vlans and vni, or returns an error reply. */
static json_t *choose(struct vc_alloc *a, const struct vc_conf *c, struct vc_plan *p) {
        _cleanup_free_ struct vc_vlanset *free_ids = xcalloc(p->n, sizeof(*free_ids));
        for (size_t i = 0; i < p->n; i++) {
                struct vc_vlanset busy;
                if (vc_state_busy(a->st, p->sites[i].site->name, &busy) < 0)
                        return vc_rpc_error(VC_ERR_INTERNAL, "state database error");
                vc_vlanset_from_site(&free_ids[i], p->sites[i].site);
                vc_vlanset_minus(&free_ids[i], &busy);
        }
        if (p->mode == VC_L2_SHARED) {
                int id;
                if (vc_pick_shared(free_ids, p->n, &id) < 0)
                        return exhausted(p, free_ids);
                for (size_t i = 0; i < p->n; i++)
                        p->sites[i].vlan = id;
                return NULL;
        }
        _cleanup_free_ int *ids = xcalloc(p->n, sizeof(int));
        if (vc_pick_stitched(free_ids, p->n, ids) < 0)
                return exhausted(p, free_ids);
        for (size_t i = 0; i < p->n; i++)
                p->sites[i].vlan = ids[i];
        _cleanup_free_ uint32_t *vnis = NULL;
        size_t n_vnis = 0;
        uint32_t vni;
        if (vc_state_vnis(a->st, &vnis, &n_vnis) < 0)
                return vc_rpc_error(VC_ERR_INTERNAL, "state database error");
        if (vc_pick_vni(c->vni_lo, c->vni_hi, vnis, n_vnis, &vni) < 0)
                return vc_rpc_error(VC_ERR_EXHAUSTED, "no tunnel id (VNI) free in VniRange=%u-%u", c->vni_lo,
                                    c->vni_hi);
        p->vni = vni;
        return NULL;
}

/* Record the job, its holds and its planned steps in one transaction (state lock held). */
static int record_acquire(struct vc_alloc *a, const struct vc_job *row, const struct vc_plan *p, json_t *steps,
                          bool *committed) {
        *committed = false;
        int r = vc_state_begin(a->st);
        if (r < 0)
                return r;
        r = FAILPOINT("acquire.commit.before");
        if (r == 0)
                r = vc_state_steps_delete(a->st, row->job);
        if (r == 0)
                r = vc_state_job_put(a->st, row);
        for (size_t i = 0; r == 0 && i < p->n; i++)
                r = vc_state_hold(a->st, p->sites[i].site->name, p->sites[i].vlan, row->job);
        struct vc_journal j = {.kinds = controller_kinds};
        if (r == 0)
                r = vc_state_journal(a->st, row->job, &j);
        size_t i;
        json_t *s;
        json_array_foreach(steps, i, s) {
                if (r < 0)
                        break;
                r = vc_journal_add(&j, json_string_value(json_object_get(s, "kind")),
                                   json_incref(json_object_get(s, "args")));
        }
        vc_state_journal_release(&j);
        if (r == 0)
                r = vc_state_history_add(a->st, row->job, "acquire", row->nodes);
        if (r == 0)
                r = vc_state_commit(a->st);
        if (r < 0) {
                vc_state_rollback(a->st);
                return r;
        }
        *committed = true;
        return FAILPOINT("acquire.commit.after");
}

static json_t *plan_reply(const struct vc_job *j) {
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "plan", job_plan(j));
        return reply;
}

/* A job already known (state lock held): the idempotent answers. NULL: acquire anew. */
static json_t *acquire_again(const struct vc_job *j, const char *nodes) {
        if (streq(j->state, JS_RELEASED) || streq(j->state, JS_FAILED))
                return NULL; /* released or failed earlier: a requeued job starts afresh */
        if (!streq(j->state, JS_HELD))
                return vc_rpc_error(VC_ERR_STEP_FAILED, "job %lld is still being released (%s); the reaper retries it",
                                    (long long)j->job, j->error ? j->error : "no error recorded");
        if (!streq(j->nodes, nodes))
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "job %lld already holds VLANs for nodes %s, not %s; release it first",
                                    (long long)j->job, j->nodes, nodes);
        return plan_reply(j);
}

/* Run the job's recorded steps, then commit it as held; on failure *err says why. */
static int run_and_hold(struct vc_alloc *a, int64_t job, char **err) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        struct vc_storage_ctx sctx;
        struct vc_journal j = journal_for(&sctx, c);
        vc_state_lock(a->st);
        int r = vc_state_journal(a->st, job, &j);
        vc_state_unlock(a->st);
        if (r == 0)
                r = vc_journal_run(&j, err);
        else
                *err = xstrdup("cannot load the journal just written");
        vc_state_journal_release(&j);
        if (r < 0)
                return r;
        const char *point = "acquire.done.before";
        vc_state_lock(a->st);
        r = vc_state_begin(a->st);
        if (r == 0)
                r = FAILPOINT("acquire.done.before");
        if (r == 0)
                r = vc_state_job_set(a->st, job, JS_HELD, NULL);
        if (r == 0)
                r = vc_state_commit(a->st);
        if (r < 0)
                vc_state_rollback(a->st);
        else {
                point = "acquire.done.after";
                r = FAILPOINT(point);
        }
        vc_state_unlock(a->st);
        if (r < 0)
                *err = r == -EIO && vc_failpoints_armed ? xasprintf("injected failure (%s)", point)
                                                        : xasprintf("cannot record the job as held: %s", strerror(-r));
        return r;
}

/* After a failed acquire: undo whatever may have acted, free the ids, and
 * say exactly how far the rollback got. */
static json_t *acquire_failed(struct vc_alloc *a, int64_t job, const char *err) {
        _cleanup_free_ char *uerr = NULL;
        int ur = undo_and_free(a, job, JS_FAILED, "acquire-failed", NULL, NULL, &uerr);
        _cleanup_free_ char *msg = ur < 0 ? xasprintf("%s; rollback incomplete: %s", err, uerr)
                                          : xasprintf("%s; rolled back", err);
        log_error("job %lld: acquire failed: %s", (long long)job, msg);
        vc_state_lock(a->st);
        (void)vc_state_job_set(a->st, job, ur < 0 ? JS_RELEASING : JS_FAILED, msg);
        vc_state_unlock(a->st);
        return vc_rpc_error(VC_ERR_STEP_FAILED, "job %lld: %s", (long long)job, msg);
}

json_t *vc_alloc_acquire(struct vc_alloc *a, const struct vc_acquire_req *q) {
        _cleanup_conf_ struct vc_conf *c = vc_alloc_conf(a);
        _cleanup_free_ char *err = NULL;
        _cleanup_strv_ char **nodes = NULL;
        if (vc_hostlist_expand(q->nodes, &nodes, &err) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "nodes: %s", err);
        struct vc_spec spec;
        if (vc_spec_parse(q->spec, &spec, &err) < 0 || vc_spec_check(&spec, c, &err) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "spec: %s", err);
        if (c->limits.max_nodes && strv_len(nodes) > c->limits.max_nodes)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "nodes: %zu nodes, above MaxNodes=%u", strv_len(nodes),
                                    c->limits.max_nodes);
        /* Guests get their addresses on the nodes; a cluster that cannot fit
         * its subnet is refused here, before any switch is touched, rather
         * than by every node prolog afterwards (which would drain them). */
        if (spec.image[0] && vc_guest_count_check(&spec, strv_len(nodes) * spec.vms, &err) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "spec: %s", err);
        _cleanup_(plan_clearp) struct vc_plan p = {0};
        if (vc_plan_group(c, nodes, &p, &err) < 0 || vc_plan_mode(&p, spec.l2, &err) < 0 ||
            vc_plan_storage(c, &p, &spec, &err) < 0 || vc_plan_l2(c, &p, &spec, &err) < 0)
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "%s", err);
        _cleanup_free_ char *canon_nodes = vc_hostlist_compress(nodes);
        _cleanup_free_ char *canon_spec = vc_spec_format(&spec);
        int64_t lease = q->end > 0 ? q->end + (int64_t)c->lease_grace : 0;

        vc_state_lock(a->st);
        _cleanup_(job_clearp) struct vc_job old = {0};
        int r = wait_settled(a, q->job, &old);
        if (r == 0) {
                json_t *again = acquire_again(&old, canon_nodes);
                if (again) {
                        vc_state_unlock(a->st);
                        return again;
                }
        } else if (r != -ENOENT) {
                vc_state_unlock(a->st);
                return vc_rpc_error(VC_ERR_INTERNAL, "state database error");
        }
        json_t *refused = choose(a, c, &p);
        if (refused) {
                vc_state_unlock(a->st);
                log_warning("job %lld: %s", (long long)q->job, json_string_value(json_object_get(refused, "error")));
                return refused;
        }
        _cleanup_(json_decrefp) json_t *plan = vc_plan_json(&p, q->job, canon_spec, q->uid, lease);
        _cleanup_(json_decrefp) json_t *steps = vc_plan_steps(c, &p, q->job);
        if (vc_plan_storage_steps(c, &p, plan, &spec, q->job, steps, &err) < 0) {
                vc_state_unlock(a->st);
                return vc_rpc_error(VC_ERR_BAD_REQUEST, "spec: %s", err);
        }
        int lr = vc_plan_l2_json(c, &p, &spec, plan, &err);
        if (lr < 0) {
                vc_state_unlock(a->st);
                return vc_rpc_error(lr == -ENOSPC ? VC_ERR_EXHAUSTED : VC_ERR_BAD_REQUEST, "%s", err);
        }
        /* the gateways fetch the job's OpenVPN key (op "chap", what "tunnel") once the journal made it */
        if (p.l2ext == VC_L2EXT_OPENVPN && p.mode == VC_L2_STITCHED) {
                _cleanup_free_ char *keyfile = vc_tunnel_key_path(c->state_dir, q->job);
                json_array_append_new(steps, json_pack("{s:s, s:{s:I, s:s}}", "kind", "tunnel.key", "args", "job",
                                                       (json_int_t)q->job, "file", keyfile));
        }
        /* the nodes fetch the job's SSH seed (op "chap", what "ssh") to derive its keys (sshkey.h) */
        const struct vc_image *im = spec.image[0] ? vc_conf_image(c, spec.image) : NULL;
        if (im && im->context == VC_CTX_CLOUD_INIT) {
                _cleanup_free_ char *seedfile = vc_ssh_seed_path(c->state_dir, q->job);
                json_array_append_new(steps, json_pack("{s:s, s:{s:I, s:s}}", "kind", "ssh.seed", "args", "job",
                                                       (json_int_t)q->job, "file", seedfile));
        }
        _cleanup_free_ char *plan_text = json_dumps(plan, JSON_COMPACT);
        struct vc_job row = {.job = q->job, .uid = q->uid, .state = JS_ACQUIRING,
                             .mode = (char *)vc_l2_name(p.mode), .vni = p.vni, .spec = canon_spec,
                             .nodes = canon_nodes, .plan = plan_text, .lease = lease, .since = time(NULL)};
        bool committed;
        r = record_acquire(a, &row, &p, steps, &committed);
        if (!committed) {
                /* nothing was committed: nothing to undo */
                vc_state_unlock(a->st);
                return vc_rpc_error(VC_ERR_INTERNAL, "job %lld: cannot record the allocation: %s", (long long)q->job,
                                    strerror(-r));
        }
        inflight_set(a, q->job, true);
        vc_state_unlock(a->st);

        if (r < 0)
                err = xstrdup("injected failure (acquire.commit.after)");
        else
                r = run_and_hold(a, q->job, &err);
        json_t *reply;
        if (r == 0) {
                log_info("job %lld: acquired (%s, %s)", (long long)q->job, vc_l2_name(p.mode), canon_nodes);
                json_object_set_new(plan, "state", json_string(JS_HELD));
                reply = vc_rpc_ok();
                json_object_set(reply, "plan", plan);
        } else {
                reply = acquire_failed(a, q->job, err);
        }
        vc_state_lock(a->st);
        inflight_set(a, q->job, false);
        vc_state_broadcast(a->st);
        vc_state_unlock(a->st);
        return reply;
}

json_t *vc_alloc_release(struct vc_alloc *a, int64_t job, const char *reason) {
        vc_state_lock(a->st);
        _cleanup_(job_clearp) struct vc_job j = {0};
        int r = wait_settled(a, job, &j);
        if (r == -ENOENT || (r == 0 && (streq(j.state, JS_RELEASED) || streq(j.state, JS_FAILED)))) {
                vc_state_unlock(a->st);
                json_t *reply = vc_rpc_ok();
                json_object_set_new(reply, "released", json_false());
                json_object_set_new(reply, "note", json_sprintf("job %lld holds nothing", (long long)job));
                return reply;
        }
        if (r < 0) {
                vc_state_unlock(a->st);
                return vc_rpc_error(VC_ERR_INTERNAL, "state database error");
        }
        r = vc_state_begin(a->st);
        if (r == 0)
                r = FAILPOINT("release.commit.before");
        if (r == 0)
                r = vc_state_job_set(a->st, job, JS_RELEASING, NULL);
        if (r == 0)
                r = vc_state_history_add(a->st, job, "release", reason);
        if (r == 0)
                r = vc_state_commit(a->st);
        if (r < 0) {
                vc_state_rollback(a->st);
                vc_state_unlock(a->st);
                return vc_rpc_error(VC_ERR_INTERNAL, "job %lld: cannot record the release: %s", (long long)job,
                                    strerror(-r));
        }
        r = FAILPOINT("release.commit.after");
        inflight_set(a, job, true);
        vc_state_unlock(a->st);

        _cleanup_free_ char *err = NULL;
        if (r == 0)
                r = undo_and_free(a, job, JS_RELEASED, "released", "release.done.before", "release.done.after", &err);
        else
                err = xstrdup("injected failure (release.commit.after)");

        vc_state_lock(a->st);
        inflight_set(a, job, false);
        _cleanup_(job_clearp) struct vc_job now = {0};
        bool done = vc_state_job_get(a->st, job, &now) == 0 && streq(now.state, JS_RELEASED);
        if (r < 0 && !done)
                (void)vc_state_job_set(a->st, job, JS_RELEASING, err);
        vc_state_broadcast(a->st);
        vc_state_unlock(a->st);
        if (r < 0 && done) {
                log_error("job %lld: released, then: %s", (long long)job, err);
                return vc_rpc_error(VC_ERR_STEP_FAILED, "job %lld: released, then: %s", (long long)job, err);
        }
        if (r < 0) {
                log_error("job %lld: release failed (will retry): %s", (long long)job, err);
                return vc_rpc_error(VC_ERR_STEP_FAILED, "job %lld: release failed, the reaper retries it: %s",
                                    (long long)job, err);
        }
        log_info("job %lld: released (%s)", (long long)job, reason);
        json_t *reply = vc_rpc_ok();
        json_object_set_new(reply, "released", json_true());
        return reply;
}

int vc_alloc_recover(struct vc_alloc *a) {
        /* A job left acquiring is rolled back; one left releasing is finished. */
        static const struct {
                const char *from, *to, *event, *what;
        } left[] = {
                {JS_ACQUIRING, JS_FAILED, "rolled-back-at-restart", "acquired, rolling back"},
                {JS_RELEASING, JS_RELEASED, "released-at-restart", "released, finishing"},
        };
        int first = 0;
        for (size_t k = 0; k < ARRAY_SIZE(left); k++) {
                vc_state_lock(a->st);
                json_t *jobs = vc_state_jobs_in(a->st, left[k].from);
                vc_state_unlock(a->st);
                size_t i;
                json_t *v;
                json_array_foreach(jobs, i, v) {
                        int64_t job = json_integer_value(v);
                        _cleanup_free_ char *err = NULL;
                        log_notice("job %lld: the daemon stopped while it was being %s", (long long)job, left[k].what);
                        int r = undo_and_free(a, job, left[k].to, left[k].event, NULL, NULL, &err);
                        if (r < 0) {
                                log_error("job %lld: %s (the reaper retries)", (long long)job, err);
                                first = first ? first : r;
                        }
                }
                json_decref(jobs);
        }
        return first;
}

int64_t vc_alloc_job_owner(struct vc_alloc *a, int64_t job) {
        struct vc_job j = {0};
        vc_state_lock(a->st);
        int r = vc_state_job_get(a->st, job, &j);
        vc_state_unlock(a->st);
        int64_t uid = r < 0 ? r : j.uid;
        vc_job_clear(&j);
        return uid;
}
