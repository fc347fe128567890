/* vcluster-prolog — Slurm's PrologSlurmctld and Prolog for virtual-cluster
 * jobs, one program dispatching on SLURM_SCRIPT_CONTEXT:
 *   prolog_slurmctld  acquire the job's VLANs from vlanallocd (lease: the
 *                     job's end time); on failure exit 1 so Slurm requeues
 *                     it, with the reason in the job's AdminComment
 *   prolog_slurmd     fetch the plan, record this node's part of it through
 *                     the node's journal; on a stitched job's gateway, join
 *                     the site's VLAN to the tunnel to the other sites and,
 *                     at a site other than the first, start the cluster's
 *                     cache (l2steps.h); when the job names an image, bring
 *                     its guests up on this node (host network, their
 *                     volumes made attachable with the job's CHAP secret,
 *                     libvirt domains defined and started, each reporting up),
 *                     reporting every guest's phase; then the node ready.
 *                     Any failure undoes this node's journal and exits 1.
 * A job without --vcluster (no SPANK_VCLUSTER) exits 0 before anything else:
 * no configuration read, no connection.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <time.h>

#include "chap.h"
#include "client.h"
#include "cloudinit.h"
#include "conf.h"
#include "cpumap.h"
#include "failpoint.h"
#include "gateway.h"
#include "guestname.h"
#include "guestplan.h"
#include "hook.h"
#include "hostlist.h"
#include "l2steps.h"
#include "log.h"
#include "node.h"
#include "nodestate.h"
#include "phase.h"
#include "plancheck.h"
#include "ready.h"
#include "rpc.h"
#include "seed.h"
#include "slurmalloc.h"
#include "slurmjob.h"
#include "sshkey.h"
#include "spec.h"
#include "steps.h"
#include "userdata.h"
#include "userkeys.h"
#include "util.h"

/* An acquire configures switches; vlanalloc(8) allows as long. */
#define CALL_TIMEOUT_S 600
/* How long a node prolog keeps trying to reach vlanallocd. */
#define NODE_PATIENCE_S 30
/* How long the controller's prolog does: after that Slurm requeues the job. */
#define CTLD_PATIENCE_S 20

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
                note_job(e->job, note, true);
                return -1;
        }
        if (r < 0)
                log_warning("job %lld: cannot check that the guests fit its allocation (%s): the node prologs will",
                            (long long)e->job, err);
        return 0;
}

static int prolog_slurmctld(const struct vc_hook_env *e, const struct vc_conf *c) {
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

/* call_patiently: vc_client_call, retried with backoff while vlanallocd
 * cannot be reached or is busy (a restart, a network blip, a flood) for up
 * to NODE_PATIENCE_S: a node prolog that fails drains its node, which a
 * moment's outage should not do. A reply, even a refusal, ends it. */
static int call_patiently(const struct vc_hook_env *e, const struct vc_conf *c, const json_t *req,
                          json_t **reply, char **err) {
        _cleanup_free_ char *what = xasprintf("job %lld on %s", (long long)e->job, e->node);
        return vc_client_call_patiently(c, req, CALL_TIMEOUT_S, NODE_PATIENCE_S, what, reply, err);
}

/* The CPU ids this node pins the job's guests to (node_alloc), sent with
 * every report of the guests' phases so `vcluster status` shows them. */
static const char *pinned_cpus;

/* report: tell vlanallocd this node's phase. A lost report only keeps
 * `vcluster wait` waiting; it must not fail (and drain) a working node. */
static void report_guests(const struct vc_hook_env *e, const struct vc_conf *c, const char *phase,
                          const char *detail, json_t *guests) {
        _cleanup_(json_decrefp) json_t *req = json_pack("{s:s, s:I, s:s, s:s}", "op", "node_phase", "job",
                                                        (json_int_t)e->job, "node", e->node, "phase", phase);
        if (detail)
                json_object_set_new(req, "detail", json_string(detail));
        if (guests)
                json_object_set_new(req, "guests", guests);
        if (guests && pinned_cpus)
                json_object_set_new(req, "cpus", json_string(pinned_cpus));
        _cleanup_(json_decrefp) json_t *reply = NULL;
        _cleanup_free_ char *err = NULL;
        if (call_patiently(e, c, req, &reply, &err) < 0)
                log_warning("job %lld on %s: reporting phase %s: %s", (long long)e->job, e->node, phase, err);
        else if (!json_is_true(json_object_get(reply, "ok")))
                log_warning("job %lld on %s: reporting phase %s refused: %s", (long long)e->job, e->node, phase,
                            json_string_value(json_object_get(reply, "error")));
}

static void report(const struct vc_hook_env *e, const struct vc_conf *c, const char *phase, const char *detail) {
        report_guests(e, c, phase, detail, NULL);
}

/* all_guests: {name: phase} for every guest of plan (new reference). */
static json_t *all_guests(const json_t *plan, const char *phase) {
        json_t *o = json_object(), *g;
        size_t i;
        json_array_foreach(json_object_get(plan, "guests"), i, g)
                json_object_set_new(o, json_string_value(json_object_get(g, "name")), json_string(phase));
        return o;
}

/* node_plan: this node's part of the job's plan, as the SPANK plugin and the
 * node's later steps read it. */
static json_t *node_plan(const struct vc_hook_env *e, const json_t *job, char **err) {
        const char *spec_text = json_string_value(json_object_get(job, "spec"));
        struct vc_spec spec;
        if (vc_spec_parse(spec_text, &spec, err) < 0)
                return NULL;
        json_t *sites = json_object_get(job, "sites"), *site = NULL, *s;
        size_t i, k, index = 0;
        json_t *nd;
        json_array_foreach(sites, i, s) {
                json_array_foreach(json_object_get(s, "nodes"), k, nd) {
                        if (json_is_string(nd) && streq(json_string_value(nd), e->node)) {
                                site = s;
                                index = i;
                        }
                }
        }
        if (!site) {
                *err = xasprintf("node %s is not in the job's plan", e->node);
                return NULL;
        }
        _cleanup_strv_ char **all = NULL;
        char frontend[VC_GUEST_NAME_MAX + 1];
        if (vc_plan_guests(sites, spec.name, spec.vms, NULL, &all, err) < 0)
                return NULL;
        if (vc_plan_frontend(sites, spec.name, spec.frontend, frontend, sizeof(frontend)) < 0) {
                *err = xstrdup("cannot name the frontend guest");
                return NULL;
        }
        json_t *guests = NULL;
        if (vc_plan_guest_list(sites, &spec, e->job, e->node, &guests, err) < 0)
                return NULL;
        _cleanup_free_ char *all_text = vc_hostlist_compress(all);
        const char *gateway = json_string_value(json_object_get(site, "gateway"));
        json_t *out = json_pack("{s:I, s:s, s:O, s:O, s:O, s:O, s:{s:O, s:O, s:O, s:O}, s:b, s:o, s:s, s:s}", "job",
                         (json_int_t)e->job, "node", e->node, "uid", json_object_get(job, "uid"), "mode",
                         json_object_get(job, "mode"), "vni", json_object_get(job, "vni"), "spec",
                         json_object_get(job, "spec"), "site", "name", json_object_get(site, "name"), "id",
                         json_object_get(site, "id"), "vlan", json_object_get(site, "vlan"), "gateway",
                         json_object_get(site, "gateway"), "is_gateway", gateway && streq(gateway, e->node),
                         "guests", guests, "cluster_nodes", all_text, "frontend", frontend);
        json_t *everyone = NULL;
        if (vc_plan_guest_list(sites, &spec, e->job, NULL, &everyone, err) < 0) {
                json_decref(out);
                return NULL;
        }
        json_t *hosts = json_array(), *h;
        json_array_foreach(everyone, i, h)
                json_array_append_new(hosts, json_pack("{s:O, s:O}", "name", json_object_get(h, "name"), "ip",
                                                       json_object_get(h, "ip")));
        json_decref(everyone);
        if (out) {
                /* every guest of the cluster: its /etc/hosts and known_hosts */
                json_object_set_new(out, "hosts", hosts);
                json_object_set_new(out, "image", spec.image[0] ? json_string(spec.image) : json_null());
                json_object_set_new(out, "l2", vc_node_l2_plan(job, index));
        } else {
                json_decref(hosts);
        }
        return out;
}

/* node_alloc: what Slurm allocated the job on this node, into the node's
 * plan as "alloc" {cpus (the kernel's ids, cpumap.h), slurm_cpus, ncpus,
 * mem, mem_by: "memtune" or "cgroup" when mem bounds them} (the guests are pinned to those CPUs
 * and bounded by that memory, steps.c); -E2BIG with *err when the guests
 * do not fit it (the controller's prolog holds such a job before it gets
 * here, unless slurmctld could not tell it), -errno when slurmctld cannot
 * say: guests that cannot be pinned are not started. */
static int node_alloc(const struct vc_hook_env *e, json_t *plan, char **err) {
        struct vc_spec spec;
        int r = vc_spec_parse(json_string_value(json_object_get(plan, "spec")), &spec, err);
        if (r < 0 || !spec.image[0])
                return r;
        if (!vc_slurm_available()) {
                log_warning("job %lld on %s: no slurm.conf (SLURM_CONF or /etc/slurm/slurm.conf): the guests are not "
                            "pinned to the job's CPUs", (long long)e->job, e->node);
                return 0;
        }
        _cleanup_(json_decrefp) json_t *allocs = NULL;
        r = vc_slurm_guests_fit(e->job, e->node, &spec, &allocs, err);
        if (r == -E2BIG) {
                _cleanup_free_ char *note = xasprintf(VC_NOTE_PREFIX "refused, held: %s", *err);
                note_job(e->job, note, true);
        } else if (r < 0) {
                char *why = *err;
                *err = xasprintf("cannot pin the guests to the job's CPUs: %s", why);
                free(why);
        }
        if (r < 0)
                return r;
        json_t *mine = json_object_get(allocs, e->node);
        const char *slurm_ids = json_string_value(json_object_get(mine, "cpus"));
        _cleanup_free_ char *kernel_ids = NULL, *why = NULL;
        if ((r = vc_cpus_to_kernel(VC_SYSFS_CPU, slurm_ids, &kernel_ids, &why)) < 0) {
                *err = xasprintf("cannot pin the guests to the job's CPUs: %s", why);
                return r;
        }
        /* "cpus" as the kernel numbers them (what libvirt pins to), Slurm's own beside */
        json_object_set(mine, "slurm_cpus", json_object_get(mine, "cpus"));
        json_object_set_new(mine, "cpus", json_string(kernel_ids));
        /* Where Slurm's own memory cgroup will hold the adopted QEMU to the
         * job's memory, that bound is the job's, shared with its processes;
         * libvirt's per-guest cap would only be a cruder second one. */
        const char *mem_by = NULL;
        if (json_integer_value(json_object_get(mine, "mem")))
                mem_by = vc_slurm_cgroup_bounds_memory() ? "cgroup" : "memtune";
        if (mem_by)
                json_object_set_new(mine, "mem_by", json_string(mem_by));
        json_object_set(plan, "alloc", mine);
        pinned_cpus = json_string_value(json_object_get(json_object_get(plan, "alloc"), "cpus"));
        log_info("job %lld on %s: guests pinned to CPUs %s (Slurm's CPU ids %s)%s", (long long)e->job, e->node,
                 pinned_cpus, json_string_value(json_object_get(mine, "slurm_cpus")),
                 !mem_by ? ""
                 : streq(mem_by, "cgroup") ? ", memory bounded by the job's memory cgroup (ConstrainRAMSpace)"
                                           : ", memory bounded by <memtune> hard_limit");
        return 0;
}

/* A node's run of the prolog: the journal and what reporting needs. */
struct node_run {
        const struct vc_hook_env *e;
        const struct vc_conf *c;
        struct vc_journal j;
        struct vc_node_ctx ctx;
};

/* stage: run the steps just added; on failure the caller rolls back. */
static int stage(struct node_run *n, const char *what, char **err) {
        uint64_t t0 = now_ms();
        int r = vc_journal_run(&n->j, err);
        if (r == 0)
                log_info("job %lld on %s: %s in %llu ms", (long long)n->e->job, n->e->node, what,
                         (unsigned long long)(now_ms() - t0));
        return r;
}

/* fetch_job_secret: one of the job's secrets (op "chap", what), asked of
 * vlanallocd as patiently as the plan was; a refusal (-ENOENT: no such job,
 * no such secret) ends it at once. */
static int fetch_job_secret(struct node_run *n, const char *what, const char *name, char **out, char **err) {
        uint64_t until = now_ms() + NODE_PATIENCE_S * 1000;
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

/* fetch_secret: the job's CHAP secret (tunnel: its OpenVPN key) into *out,
 * asked of vlanallocd as patiently as the plan was; a refusal (-ENOENT: no
 * such job, no such secret) ends it at once. */
static int fetch_secret(struct node_run *n, bool tunnel, char **out, char **err) {
        return tunnel ? fetch_job_secret(n, "tunnel", "tunnel key", out, err)
                      : fetch_job_secret(n, "chap", "CHAP secret", out, err);
}

/* volumes: the steps that let the guests reach their volumes; they run
 * before guest.define, so the epilog's undo (in reverse) destroys the
 * domains before it takes the secret or the session away. The secret
 * lives in the ctx only while they run. */
static int volumes(struct node_run *n, const struct vc_nodecfg *nc, const json_t *plan, char **err) {
        size_t count = vc_node_plan_volumes(plan);
        if (count == 0)
                return 0;
        int r = fetch_secret(n, false, &n->ctx.chap, err);
        if (r == 0)
                r = vc_node_add_storage(&n->j, nc, plan, err);
        if (r == 0) {
                char what[96];
                snprintf(what, sizeof(what), nc->iscsi_host ? "%zu volume(s) logged in (open-iscsi)"
                                                            : "CHAP secret of %zu volume(s) given to libvirt", count);
                r = stage(n, what, err);
        }
        vc_node_ctx_chap_clear(&n->ctx);
        return r;
}

/* links: on a stitched job's gateway, the cluster's namespace, its tunnel to
 * the other sites and (not at the first site) its cache, before any guest
 * boots, so the segment is whole when they come up. OpenVPN's key lives in
 * the ctx only while its steps run. */
static int links(struct node_run *n, const json_t *plan, const char *dir, char **err) {
        size_t tunnels = vc_node_l2_tunnels(plan);
        if (tunnels == 0)
                return 0;
        int r = 0;
        if (vc_node_l2_openvpn(plan))
                r = fetch_secret(n, true, &n->ctx.gw.tunnel_key, err);
        if (r == 0)
                r = vc_node_add_l2(&n->j, n->c, vc_conf_node(n->c, n->e->node), plan, dir, err);
        if (r == 0) {
                char what[96];
                snprintf(what, sizeof(what), "%zu %s tunnel(s) to the job's other sites up", tunnels,
                         vc_node_l2_openvpn(plan) ? "OpenVPN" : "VXLAN");
                r = stage(n, what, err);
        }
        vc_node_ctx_chap_clear(&n->ctx);
        return r;
}

/* user_data: the user's own user-data (user-data=), which sbatch read as
 * the user and passed as SPANK_VCLUSTER_USER_DATA (base64), checked again
 * here: the hooks trust nothing from the submitting side. */
static int user_data(struct node_run *n, const struct vc_spec *spec, char **err) {
        if (!spec->user_data[0])
                return 0;
        const char *b64 = getenv("SPANK_" VC_USER_DATA_ENV);
        if (!b64) {
                *err = xasprintf("user-data=%s: its text did not reach the node (no SPANK_" VC_USER_DATA_ENV ")",
                                 spec->user_data);
                return -EINVAL;
        }
        _cleanup_free_ char *why = NULL;
        if (vc_base64_decode(b64, &n->ctx.user_data, &n->ctx.user_data_len) < 0 ||
            vc_user_data_check(n->ctx.user_data, n->ctx.user_data_len, &why) < 0) {
                *err = xasprintf("user-data=%s: %s", spec->user_data, why ? why : "not base64");
                return -EINVAL;
        }
        return 0;
}

/* job_user: the job's user as the node knows it, for its guests. */
static int job_user(int64_t uid, json_t **user, char **home, char **err) {
        struct passwd pw, *pwp = NULL;
        struct group gr, *grp = NULL;
        char buf[4096], gbuf[4096];
        if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp) {
                *err = xasprintf("the job's user (uid %lld) is not known on this node", (long long)uid);
                return -ENOENT;
        }
        if (getgrgid_r(pw.pw_gid, &gr, gbuf, sizeof(gbuf), &grp) != 0 || !grp) {
                *err = xasprintf("user %s: primary group %u is not known on this node", pw.pw_name,
                                 (unsigned)pw.pw_gid);
                return -ENOENT;
        }
        *user = json_pack("{s:s, s:s, s:I, s:I}", "name", pw.pw_name, "group", gr.gr_name, "uid", (json_int_t)uid,
                          "gid", (json_int_t)pw.pw_gid);
        *home = xstrdup(pw.pw_dir);
        return 0;
}

/* seeds: for a cloud-init image, the job's keys for its user on this node
 * and a NoCloud seed per guest, before the guests are defined. The SSH
 * seed and the user's user-data live in the ctx only while these run. */
static int seeds(struct node_run *n, const json_t *plan, const char *dir, char **err) {
        struct vc_spec spec;
        int r = vc_spec_parse(json_string_value(json_object_get(plan, "spec")), &spec, err);
        if (r < 0)
                return r;
        const struct vc_image *im = spec.image[0] ? vc_conf_image(n->c, spec.image) : NULL;
        if (!im || im->context != VC_CTX_CLOUD_INIT)
                return 0;
        _cleanup_(json_decrefp) json_t *user = NULL;
        _cleanup_free_ char *home = NULL;
        if ((r = job_user(json_integer_value(json_object_get(plan, "uid")), &user, &home, err)) < 0)
                return r;
        json_t *keys = NULL;
        if ((r = vc_user_pubkeys((uid_t)json_integer_value(json_object_get(user, "uid")),
                                 (gid_t)json_integer_value(json_object_get(user, "gid")), home, &keys, err)) < 0)
                return r;
        json_object_set_new(user, "keys", keys);
        json_object_set_new(user, "sudo", json_boolean(spec.sudo));
        if ((r = user_data(n, &spec, err)) == 0)
                r = fetch_job_secret(n, "ssh", "SSH seed", &n->ctx.ssh_seed, err);
        const json_t *hosts = json_object_get(plan, "hosts");
        _cleanup_free_ char *known = r == 0 ? vc_seed_known_hosts(n->ctx.ssh_seed, hosts) : NULL;
        if (r == 0 && !known) {
                *err = xstrdup("the job's SSH seed from vlanallocd is malformed");
                r = -EBADMSG;
        }
        if (r == 0) {
                _cleanup_free_ char *kdir = vc_user_keys_dir(n->c->state_dir, n->e->node, (long long)n->e->job);
                r = vc_journal_add(&n->j, "user.keys",
                                   json_pack("{s:s, s:I, s:O, s:O, s:s}", "dir", kdir, "job", (json_int_t)n->e->job,
                                             "uid", json_object_get(user, "uid"), "gid",
                                             json_object_get(user, "gid"), "known_hosts", known));
        }
        const json_t *l2 = json_object_get(plan, "l2");
        unsigned mtu = vc_ci_mtu(json_is_object(l2) ? json_string_value(json_object_get(l2, "kind")) : NULL);
        json_t *g;
        size_t i;
        json_array_foreach(json_object_get(plan, "guests"), i, g) {
                if (r < 0)
                        break;
                const char *name = json_string_value(json_object_get(g, "name"));
                _cleanup_free_ char *path = vc_guest_seed_path(dir, name ? name : "?");
                _cleanup_free_ char *instance = xasprintf("vcluster-%lld-%u-%s", (long long)n->e->job,
                                                          n->e->restarts, name ? name : "?");
                json_t *cg = json_pack("{s:O, s:s, s:O, s:O, s:O, s:i}", "name", json_object_get(g, "name"),
                                       "instance", instance, "mac", json_object_get(g, "mac"), "ip",
                                       json_object_get(g, "ip"), "prefix", json_object_get(g, "prefix"), "mtu",
                                       (int)mtu);
                const char *mac = json_string_value(json_object_get(g, "mac"));
                const struct vc_nodecfg *nc = vc_conf_node(n->c, n->e->node);
                if (json_is_true(json_object_get(g, "frontend")) && nc->public_bridge && mac) {
                        char pmac[18];
                        vc_guest_public_mac(mac, pmac);
                        json_object_set_new(cg, "public_mac", json_string(pmac));
                }
                r = vc_journal_add(&n->j, "guest.seed",
                                   json_pack("{s:s, s:I, s:o, s:O, s:O, s:s, s:b}", "path", path, "job",
                                             (json_int_t)n->e->job, "guest", cg, "user", user, "hosts", hosts,
                                             "known_hosts", known, "user_part", n->ctx.user_data != NULL));
        }
        if (r == 0)
                r = stage(n, "cloud-init seeds made", err);
        vc_node_ctx_chap_clear(&n->ctx);
        return r;
}

static void guest_up(void *arg, const char *name) {
        struct node_run *n = arg;
        report_guests(n->e, n->c, "starting", NULL, json_pack("{s:s}", name, "up"));
}

/* guests_up: define, start and wait for this node's guests (plan has an image). */
static int guests_up(struct node_run *n, const json_t *plan, const char *dir, char **err) {
        const struct vc_nodecfg *nc = vc_conf_node(n->c, n->e->node);
        json_t *guests = json_object_get(plan, "guests");
        size_t count = json_array_size(guests);
        int r = vc_node_add_net(&n->j, nc, plan, err);
        if (r == 0)
                r = stage(n, nc->host_net == VC_HOSTNET_OVS ? "OVS bridge checked" : "VLAN bridge made", err);
        if (r == 0)
                r = volumes(n, nc, plan, err);
        if (r == 0)
                r = seeds(n, plan, dir, err);
        if (r == 0)
                r = vc_node_add_define(&n->j, n->c, nc, plan, dir, err);
        if (r == 0)
                r = stage(n, "guests defined", err);
        if (r < 0)
                return r;
        report_guests(n->e, n->c, "starting", NULL, all_guests(plan, "defined"));
        r = vc_node_add_start(&n->j, nc, plan, err);
        if (r == 0)
                r = stage(n, "guests started", err);
        if (r < 0)
                return r;
        report_guests(n->e, n->c, "starting", NULL, all_guests(plan, "started"));
        if ((r = FAILPOINT("node.guests.started")) < 0) {
                *err = xstrdup("failpoint node.guests.started");
                return r;
        }
        virConnectPtr conn;
        if ((r = vc_node_conn(&n->ctx, nc->libvirt_uri, &conn, err)) < 0)
                return r;
        _cleanup_free_ struct vc_ready_guest *rg = xcalloc(count ? count : 1, sizeof(*rg));
        _cleanup_free_ struct vc_guest_files *files = xcalloc(count ? count : 1, sizeof(*files));
        json_t *g;
        size_t i;
        json_array_foreach(guests, i, g) {
                const char *name = json_string_value(json_object_get(g, "name"));
                if ((r = vc_guest_files_get(dir, name, false, &files[i], err)) < 0)
                        break;
                rg[i] = (struct vc_ready_guest){.name = name,
                                                .domain = json_string_value(json_object_get(g, "domain")),
                                                .agent = files[i].agent, .console = files[i].console};
        }
        uint64_t t0 = now_ms();
        if (r == 0)
                r = vc_guests_wait_up(conn, rg, count, nc->boot_timeout, guest_up, n, err);
        if (r == 0)
                log_info("job %lld on %s: %zu guest(s) up in %llu ms", (long long)n->e->job, n->e->node, count,
                         (unsigned long long)(now_ms() - t0));
        for (i = 0; i < count; i++)
                vc_guest_files_clear(&files[i]);
        return r;
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
        /* Root acts on this plan: it must fit the node's own vcluster.conf. */
        if (vc_plan_check(c, job, e->job, e->nodes, &err) < 0) {
                log_error("job %lld on %s: refusing the plan vlanallocd gave: %s", (long long)e->job, e->node, err);
                report(e, c, VC_PHASE_FAILED, err);
                return 1;
        }
        _cleanup_(json_decrefp) json_t *plan = node_plan(e, job, &err);
        if (!plan || node_alloc(e, plan, &err) < 0) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                report(e, c, VC_PHASE_FAILED, err);
                return 1;
        }
        _cleanup_free_ char *dir = vc_node_job_dir(c->state_dir, e->node, e->job);
        struct node_run n = {.e = e, .c = c};
        vc_node_ctx_init(&n.ctx);
        n.j.ctx = &n.ctx;
        /* a host's steps: the node's, and the gateway's when it is one */
        _cleanup_free_ struct vc_step_kind *kinds = vc_step_kinds_join(vc_node_step_kinds, vc_gateway_step_kinds);
        int r = vc_node_job_dir_make(dir, &err);
        if (r == 0)
                r = vc_node_journal_open(dir, kinds, &n.j, &err);
        if (r < 0) {
                log_error("job %lld on %s: %s", (long long)e->job, e->node, err);
                report(e, c, VC_PHASE_FAILED, err);
                vc_node_ctx_done(&n.ctx);
                return 1;
        }
        /* A journal with work still to undo: an earlier run of this job here
         * whose epilog never ran (slurmd killed, node rebooted). Undo it first. */
        if (vc_journal_pending(&n.j) > 0) {
                log_warning("job %lld on %s: undoing %zu step(s) an earlier run left", (long long)e->job, e->node,
                            vc_journal_pending(&n.j));
                r = vc_journal_undo(&n.j, &err);
        }
        _cleanup_free_ char *plan_path = xasprintf("%s/%s", dir, VC_NODE_PLAN);
        if (r == 0)
                r = vc_journal_add(&n.j, "node.plan", json_pack("{s:s, s:O}", "path", plan_path, "plan", plan));
        if (r == 0)
                r = stage(&n, "plan recorded", &err);
        /* guests are booted only from an image: without one the job gets its network alone */
        bool has_guests = json_is_string(json_object_get(plan, "image"));
        if (r == 0)
                r = links(&n, plan, dir, &err);
        if (r == 0 && has_guests)
                r = guests_up(&n, plan, dir, &err);
        if (r < 0) {
                const char *why = err ? err : strerror(-r);
                log_error("job %lld on %s: %s", (long long)e->job, e->node, why);
                _cleanup_free_ char *uerr = NULL;
                if (vc_journal_undo(&n.j, &uerr) < 0)
                        log_error("job %lld on %s: rollback incomplete: %s", (long long)e->job, e->node, uerr);
                else if (vc_node_job_dir_remove(dir, &uerr) < 0)
                        log_error("job %lld on %s: %s", (long long)e->job, e->node, uerr);
                report_guests(e, c, VC_PHASE_FAILED, why, has_guests ? all_guests(plan, "failed") : NULL);
                vc_journal_file_close(&n.j);
                vc_node_ctx_done(&n.ctx);
                return 1;
        }
        vc_journal_file_close(&n.j);
        vc_node_ctx_done(&n.ctx);
        json_t *site = json_object_get(plan, "site");
        log_notice("job %lld on %s: site %s VLAN %lld%s, %zu guest(s) up", (long long)e->job, e->node,
                   json_string_value(json_object_get(site, "name")),
                   (long long)json_integer_value(json_object_get(site, "vlan")),
                   json_is_true(json_object_get(plan, "is_gateway")) ? " (gateway)" : "",
                   has_guests ? json_array_size(json_object_get(plan, "guests")) : 0);
        report(e, c, VC_PHASE_READY, NULL);
        return 0;
}

int main(void) {
        if (!vc_hook_spec())
                return 0;
        vc_hook_log_open("vcluster-prolog");
        vc_hook_path();
        struct vc_hook_env e;
        _cleanup_free_ char *err = NULL;
        if (vc_failpoint_setup(getenv("VCLUSTER_FAILPOINTS"), &err) < 0) {
                log_error("%s", err);
                return 1;
        }
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
        vc_log_set_level(c->log_level); /* DebugLevel=debug shows the hooks' debug lines */
        vc_log_set_facility(c->syslog_facility);
        log_debug("job %lld: %s on %s, configuration %s", (long long)e.job, e.ctx_name, e.node ? e.node : "the controller",
                  c->path);
        return e.ctx == VC_HOOK_PROLOG_SLURMCTLD ? prolog_slurmctld(&e, c) : prolog_slurmd(&e, c);
}
