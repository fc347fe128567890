/* vcluster-prolog — Slurm's PrologSlurmctld and Prolog for virtual-cluster
 * jobs, one program dispatching on SLURM_SCRIPT_CONTEXT:
 *   prolog_slurmctld  acquire the job's VLANs from vlanallocd (lease: the
 *                     job's end time); on failure exit 1 so Slurm requeues
 *                     it, with the reason in the job's AdminComment
 *   prolog_slurmd     fetch the plan, record this node's part of it through
 *                     the node's journal, report the node ready
 * A job without --vcluster (no SPANK_VCLUSTER) exits 0 before anything else:
 * no configuration read, no connection.
 */
#include <errno.h>
#include <time.h>

#include "client.h"
#include "conf.h"
#include "guestname.h"
#include "hook.h"
#include "hostlist.h"
#include "log.h"
#include "nodestate.h"
#include "phase.h"
#include "rpc.h"
#include "slurmjob.h"
#include "spec.h"
#include "util.h"

/* An acquire configures switches; vlanalloc(8) allows as long. */
#define CALL_TIMEOUT_S 600
/* How long a node prolog keeps trying to reach vlanallocd. */
#define NODE_PATIENCE_S 30

/* note_job: tell the job's owner why it cannot start (AdminComment), and hold
 * it when retrying cannot help. Best effort: the exit status is what counts. */
static void note_job(int64_t job, const char *note, bool hold) {
        if (!vc_slurm_available()) {
                log_warning("job %lld: no slurm.conf (SLURM_CONF or /etc/slurm/slurm.conf): cannot note \"%s\" on it",
                            (long long)job, note);
                return;
        }
        _cleanup_free_ char *err = NULL;
        if (vc_slurm_job_note(job, note, hold, &err) < 0)
                log_warning("job %lld: %s", (long long)job, err);
        else
                log_info("job %lld: %s\"%s\"", (long long)job, hold ? "held: " : "noted: ", note);
}

static void describe_plan(const json_t *plan, char *buf, size_t n) {
        size_t used = 0, i;
        json_t *s;
        buf[0] = 0;
        json_array_foreach(json_object_get(plan, "sites"), i, s) {
                int w = snprintf(buf + used, n - used, "%ssite %s VLAN %lld", i ? ", " : "",
                                 json_string_value(json_object_get(s, "name")),
                                 (long long)json_integer_value(json_object_get(s, "vlan")));
                if (w < 0 || (size_t)w >= n - used)
                        return;
                used += (size_t)w;
        }
}

static int prolog_slurmctld(const struct vc_hook_env *e, const struct vc_conf *c) {
        if (!e->nodes || !*e->nodes) {
                log_error("job %lld: SLURM_JOB_NODELIST is empty", (long long)e->job);
                return 1;
        }
        _cleanup_free_ char *err = NULL;
        _cleanup_(vc_slurm_job_clear) struct vc_slurm_job sj = {0};
        if (!vc_slurm_available())
                log_warning("job %lld: no slurm.conf (SLURM_CONF or /etc/slurm/slurm.conf): acquiring without a lease",
                            (long long)e->job);
        else if (vc_slurm_job_get(e->job, &sj, &err) < 0) {
                log_warning("job %lld: %s; acquiring without a lease", (long long)e->job, err);
                free(TAKE_PTR(err));
        }
        _cleanup_(json_decrefp) json_t *req =
                json_pack("{s:s, s:I, s:s, s:s, s:I, s:I}", "op", "acquire", "job", (json_int_t)e->job, "nodes",
                          e->nodes, "spec", e->spec, "end", (json_int_t)sj.end, "uid", (json_int_t)e->uid);
        _cleanup_(json_decrefp) json_t *reply = NULL;
        uint64_t t0 = now_ms();
        int r = vc_client_call(c, req, CALL_TIMEOUT_S, &reply, &err);
        uint64_t ms = now_ms() - t0;
        if (r < 0) {
                log_error("job %lld: acquire on %s: %s", (long long)e->job, e->nodes, err);
                _cleanup_free_ char *note = xasprintf(VC_NOTE_PREFIX "VLAN service unreachable, retrying: %s", err);
                note_job(e->job, note, false);
                return 1;
        }
        if (!json_is_true(json_object_get(reply, "ok"))) {
                const char *code = json_string_value(json_object_get(reply, "code"));
                const char *why = json_string_value(json_object_get(reply, "error"));
                if (!why)
                        why = "no reason given";
                log_error("job %lld: acquire on %s refused (%s): %s", (long long)e->job, e->nodes,
                          code ? code : "?", why);
                /* An exhausted pool frees up: wait (Slurm retries, our epilogs wake
                 * it early). A refused request never gets better: hold it. */
                bool exhausted = code && streq(code, VC_ERR_EXHAUSTED);
                bool hopeless = code && streq(code, VC_ERR_BAD_REQUEST);
                _cleanup_free_ char *note = exhausted ? xasprintf(VC_WAIT_NOTE ": %s", why)
                                            : hopeless ? xasprintf(VC_NOTE_PREFIX "refused, held: %s", why)
                                                       : xasprintf(VC_NOTE_PREFIX "could not set up the network, retrying: %s", why);
                note_job(e->job, note, hopeless);
                return 1;
        }
        char what[512];
        json_t *plan = json_object_get(reply, "plan");
        describe_plan(plan, what, sizeof(what));
        log_notice("job %lld: acquired %s (%s, nodes %s) in %llu ms", (long long)e->job, what,
                   json_string_value(json_object_get(plan, "mode")), e->nodes, (unsigned long long)ms);
        /* A job that waited carries our note: it is no longer true. */
        if (sj.admin_comment && !strncmp(sj.admin_comment, VC_NOTE_PREFIX, strlen(VC_NOTE_PREFIX)))
                note_job(e->job, "", false);
        return 0;
}

/* call_patiently: vc_client_call, retried while vlanallocd cannot be reached
 * (a restart, a network blip) for up to NODE_PATIENCE_S: a node prolog that
 * fails drains its node, which a moment's outage should not do. A reply,
 * even a refusal, ends it. */
static int call_patiently(const struct vc_hook_env *e, const struct vc_conf *c, const json_t *req,
                          json_t **reply, char **err) {
        uint64_t until = now_ms() + NODE_PATIENCE_S * 1000;
        for (;;) {
                int r = vc_client_call(c, req, CALL_TIMEOUT_S, reply, err);
                if (r == 0 || now_ms() >= until)
                        return r;
                log_warning("job %lld on %s: %s; retrying", (long long)e->job, e->node, *err);
                free(*err);
                *err = NULL;
                sleep(1);
        }
}

/* report: tell vlanallocd this node's phase. A lost report only keeps
 * `vcluster wait` waiting; it must not fail (and drain) a working node. */
static void report(const struct vc_hook_env *e, const struct vc_conf *c, const char *phase, const char *detail) {
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:I, s:s, s:s}", "op", "node_phase", "job",
                                                        (json_int_t)e->job, "node", e->node, "phase", phase);
        if (detail)
                json_object_set_new(req, "detail", json_string(detail));
        _cleanup_(json_decrefp) json_t *reply = NULL;
        _cleanup_free_ char *err = NULL;
        if (call_patiently(e, c, req, &reply, &err) < 0)
                log_warning("job %lld on %s: reporting phase %s: %s", (long long)e->job, e->node, phase, err);
        else if (!json_is_true(json_object_get(reply, "ok")))
                log_warning("job %lld on %s: reporting phase %s refused: %s", (long long)e->job, e->node, phase,
                            json_string_value(json_object_get(reply, "error")));
}

/* node_plan: this node's part of the job's plan, as the SPANK plugin and the
 * node's later steps read it. */
static json_t *node_plan(const struct vc_hook_env *e, const json_t *job, char **err) {
        const char *spec_text = json_string_value(json_object_get(job, "spec"));
        struct vc_spec spec;
        if (vc_spec_parse(spec_text, &spec, err) < 0)
                return NULL;
        json_t *sites = json_object_get(job, "sites"), *site = NULL, *s;
        size_t i, k;
        json_t *nd;
        json_array_foreach(sites, i, s) {
                json_array_foreach(json_object_get(s, "nodes"), k, nd) {
                        if (json_is_string(nd) && streq(json_string_value(nd), e->node))
                                site = s;
                }
        }
        if (!site) {
                *err = xasprintf("node %s is not in the job's plan", e->node);
                return NULL;
        }
        _cleanup_strv_ char **mine = NULL, **all = NULL;
        char frontend[VC_GUEST_NAME_MAX + 1];
        if (vc_plan_guests(sites, spec.name, spec.vms, e->node, &mine, err) < 0 ||
            vc_plan_guests(sites, spec.name, spec.vms, NULL, &all, err) < 0)
                return NULL;
        if (vc_plan_frontend(sites, spec.name, spec.frontend, frontend, sizeof(frontend)) < 0) {
                *err = xstrdup("cannot name the frontend guest");
                return NULL;
        }
        json_t *guests = json_array();
        for (char **g = mine; *g; g++)
                json_array_append_new(guests, json_string(*g));
        _cleanup_free_ char *all_text = vc_hostlist_compress(all);
        const char *gateway = json_string_value(json_object_get(site, "gateway"));
        return json_pack("{s:I, s:s, s:O, s:O, s:O, s:O, s:{s:O, s:O, s:O, s:O}, s:b, s:o, s:s, s:s}", "job",
                         (json_int_t)e->job, "node", e->node, "uid", json_object_get(job, "uid"), "mode",
                         json_object_get(job, "mode"), "vni", json_object_get(job, "vni"), "spec",
                         json_object_get(job, "spec"), "site", "name", json_object_get(site, "name"), "id",
                         json_object_get(site, "id"), "vlan", json_object_get(site, "vlan"), "gateway",
                         json_object_get(site, "gateway"), "is_gateway", gateway && streq(gateway, e->node),
                         "guests", guests, "cluster_nodes", all_text, "frontend", frontend);
}

static int prolog_slurmd(const struct vc_hook_env *e, const struct vc_conf *c) {
        _cleanup_free_ char *err = NULL;
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:I}", "op", "show", "job", (json_int_t)e->job);
        _cleanup_(json_decrefp) json_t *reply = NULL;
        if (call_patiently(e, c, req, &reply, &err) < 0) {
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
                report(e, c, VC_PHASE_FAILED, err);
                return 1;
        }
        _cleanup_(json_decrefp) json_t *plan = node_plan(e, job, &err);
        if (!plan) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                report(e, c, VC_PHASE_FAILED, err);
                return 1;
        }
        _cleanup_free_ char *dir = vc_node_job_dir(c->state_dir, e->node, e->job);
        struct vc_journal j = {0};
        int r = vc_node_job_dir_make(dir, &err);
        if (r == 0)
                r = vc_node_journal_open(dir, &j, &err);
        if (r < 0) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                report(e, c, VC_PHASE_FAILED, err);
                return 1;
        }
        /* A journal with work still to undo: an earlier run of this job here
         * whose epilog never ran (slurmd killed, node rebooted). Undo it first. */
        if (vc_journal_pending(&j) > 0) {
                log_warning("job %lld on %s: undoing %zu step(s) an earlier run left", (long long)e->job, e->node,
                            vc_journal_pending(&j));
                r = vc_journal_undo(&j, &err);
        }
        _cleanup_free_ char *plan_path = xasprintf("%s/%s", dir, VC_NODE_PLAN);
        if (r == 0)
                r = vc_journal_add(&j, "node.plan", json_pack("{s:s, s:O}", "path", plan_path, "plan", plan));
        if (r == 0)
                r = vc_journal_run(&j, &err);
        if (r < 0) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err ? err : strerror(-r));
                _cleanup_free_ char *uerr = NULL;
                if (vc_journal_undo(&j, &uerr) < 0)
                        log_error("job %lld on %s: rollback incomplete: %s", (long long)e->job, e->node, uerr);
                report(e, c, VC_PHASE_FAILED, err ? err : strerror(-r));
                vc_journal_file_close(&j);
                return 1;
        }
        vc_journal_file_close(&j);
        json_t *site = json_object_get(plan, "site");
        log_notice("job %lld on %s: plan recorded: site %s VLAN %lld%s", (long long)e->job, e->node,
                   json_string_value(json_object_get(site, "name")),
                   (long long)json_integer_value(json_object_get(site, "vlan")),
                   json_is_true(json_object_get(plan, "is_gateway")) ? " (gateway)" : "");
        report(e, c, VC_PHASE_READY, NULL);
        return 0;
}

int main(void) {
        if (!vc_hook_spec())
                return 0;
        vc_hook_log_open("vcluster-prolog");
        struct vc_hook_env e;
        _cleanup_free_ char *err = NULL;
        if (vc_hook_env_read(&e, &err) < 0) {
                log_error("%s", err);
                return 1;
        }
        if (!vc_hook_ctx_is_prolog(e.ctx)) {
                log_error("job %lld: vcluster-prolog run as %s: configure vcluster-epilog as Epilog and EpilogSlurmctld",
                          (long long)e.job, e.ctx_name);
                return 1;
        }
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_conf_load(vc_conf_path(), &c, &err) < 0) {
                log_error("job %lld: %s", (long long)e.job, err);
                if (e.ctx == VC_HOOK_PROLOG_SLURMCTLD) {
                        _cleanup_free_ char *note = xasprintf(VC_NOTE_PREFIX "configuration error, retrying: %s", err);
                        note_job(e.job, note, false);
                }
                return 1;
        }
        return e.ctx == VC_HOOK_PROLOG_SLURMCTLD ? prolog_slurmctld(&e, c) : prolog_slurmd(&e, c);
}
