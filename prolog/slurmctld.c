/* slurmctld.c — PrologSlurmctld (prolog.h): acquire the job's VLANs from
 * vlanallocd, the job's end time as their lease; on failure exit 1 so Slurm
 * requeues the job, with the reason in its AdminComment (held when retrying
 * cannot help: a refused request, guests that do not fit the allocation). */
#include <errno.h>

#include "client.h"
#include "jobfit.h"
#include "log.h"
#include "prolog.h"
#include "rpc.h"
#include "slurmalloc.h"
#include "slurmjob.h"
#include "spec.h"
#include "util.h"

/* An acquire configures switches; vlanalloc(8) allows as long. */
#define CALL_TIMEOUT_S 600
/* How long the controller's prolog keeps trying: after that Slurm requeues the job. */
#define CTLD_PATIENCE_S 20

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

/* guests_fit_job: before any VLAN is taken, the spec's guests must fit what
 * Slurm allocated the job on every node (jobfit.h). A job that does not is
 * held with the reason, as retrying cannot help, and no node is drained
 * (a node prolog's failure would drain it). When slurmctld cannot say,
 * the node prologs ask again. */
static int guests_fit_job(const struct vc_hook_env *e) {
        struct vc_spec spec;
        _cleanup_free_ char *err = NULL;
        /* a bad spec is vlanallocd's to refuse, with its own words */
        if (!vc_slurm_available() || vc_spec_parse(e->spec, &spec, &err) < 0 || !spec.image[0])
                return 0;
        _cleanup_(json_decrefp) json_t *allocs = NULL;
        int r = vc_slurm_guests_fit(e->job, NULL, &spec, &allocs, &err);
        if (r == -E2BIG) {
                log_error("job %lld: refused: %s", (long long)e->job, err);
                _cleanup_free_ char *note = xasprintf(VC_NOTE_PREFIX "refused, held: %s", err);
                vc_slurm_job_note_best_effort(e->job, note, true);
                return -1;
        }
        if (r < 0)
                log_warning("job %lld: cannot check that the guests fit its allocation (%s): the node prologs will",
                            (long long)e->job, err);
        return 0;
}

int vc_prolog_slurmctld(const struct vc_hook_env *e, const struct vc_conf *c) {
        if (!e->nodes || !*e->nodes) {
                log_error("job %lld: SLURM_JOB_NODELIST is empty", (long long)e->job);
                return 1;
        }
        if (guests_fit_job(e) < 0)
                return 1;
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
        /* acquire is safe to repeat: the same job and nodes get the same plan */
        _cleanup_free_ char *asking = xasprintf("job %lld: acquire on %s", (long long)e->job, e->nodes);
        int r = vc_client_call_patiently(c, req, CALL_TIMEOUT_S, CTLD_PATIENCE_S, asking, &reply, &err);
        uint64_t ms = now_ms() - t0;
        if (r < 0) {
                log_error("job %lld: acquire on %s: %s", (long long)e->job, e->nodes, err);
                _cleanup_free_ char *note = xasprintf(VC_NOTE_PREFIX "VLAN service unreachable, retrying: %s", err);
                vc_slurm_job_note_best_effort(e->job, note, false);
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
                vc_slurm_job_note_best_effort(e->job, note, hopeless);
                return 1;
        }
        char what[512];
        json_t *plan = json_object_get(reply, "plan");
        describe_plan(plan, what, sizeof(what));
        log_notice("job %lld: acquired %s (%s, nodes %s) in %llu ms", (long long)e->job, what,
                   json_string_value(json_object_get(plan, "mode")), e->nodes, (unsigned long long)ms);
        /* A job that waited carries our note: it is no longer true. */
        if (sj.admin_comment && !strncmp(sj.admin_comment, VC_NOTE_PREFIX, strlen(VC_NOTE_PREFIX)))
                vc_slurm_job_note_best_effort(e->job, "", false);
        return 0;
}
