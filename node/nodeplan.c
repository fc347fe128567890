/* nodeplan.c — this node's part of the job's plan, and what Slurm allocated
 * the job here (bringup_int.h). */
#include <errno.h>

#include "bringup_int.h"
#include "cpumap.h"
#include "guestname.h"
#include "guestplan.h"
#include "hostlist.h"
#include "jobplan.h"
#include "log.h"
#include "slurmalloc.h"
#include "slurmjob.h"
#include "spec.h"
#include "util.h"

json_t *vc_bringup_node_plan(const struct vc_hook_env *e, const struct vc_node_links *links, const json_t *job,
                             char **err) {
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = {0};
        if (vc_jobplan_from_json(job, &p, err) < 0)
                return NULL;
        struct vc_spec spec;
        if (vc_spec_parse(p.spec, &spec, err) < 0)
                return NULL;
        const struct vc_jobplan_site *site = vc_jobplan_site_of(&p, e->node);
        if (!site) {
                *err = xasprintf("node %s is not in the job's plan", e->node);
                return NULL;
        }
        /* the guests' names, places and addresses are computed from the sites as every host does (guestplan.h) */
        json_t *sites = json_object_get(job, "sites");
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
        json_t *out = json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:{s:s, s:i, s:i, s:s}, s:b, s:o, s:s, s:s}", "job",
                                (json_int_t)e->job, "node", e->node, "uid", (json_int_t)p.uid, "mode", p.mode, "vni",
                                p.has_vni ? json_integer(p.vni) : json_null(), "spec", p.spec, "site", "name",
                                site->name, "id", site->id, "vlan", site->vlan, "gateway", site->gateway, "is_gateway",
                                streq(site->gateway, e->node), "guests", guests, "cluster_nodes", all_text,
                                "frontend", frontend);
        json_t *everyone = NULL;
        if (vc_plan_guest_list(sites, &spec, e->job, NULL, &everyone, err) < 0) {
                json_decref(out);
                return NULL;
        }
        json_t *hosts = json_array(), *where = json_array(), *h;
        size_t i;
        json_array_foreach(everyone, i, h) {
                json_array_append_new(hosts, json_pack("{s:O, s:O}", "name", json_object_get(h, "name"), "ip",
                                                       json_object_get(h, "ip")));
                json_array_append(where, json_object_get(h, "node"));
        }
        json_decref(everyone);
        if (out) {
                /* every guest of the cluster: its /etc/hosts and known_hosts */
                json_object_set_new(out, "hosts", hosts);
                json_object_set_new(out, "image", spec.image[0] ? json_string(spec.image) : json_null());
                json_object_set_new(out, "l2", links->plan(&p, (size_t)(site - p.sites)));
                /* the access path's place (lib/access.h): this node among all the plan's nodes */
                size_t index = 0, at = 0;
                for (size_t s = 0; s < p.n_sites; s++)
                        for (size_t k = 0; k < p.sites[s].n_nodes; k++, index++)
                                if (streq(p.sites[s].nodes[k], e->node))
                                        at = index;
                json_object_set_new(out, "access", json_pack("{s:I, s:I, s:o}", "index", (json_int_t)at, "sites",
                                                             (json_int_t)p.n_sites, "nodes", where));
        } else {
                json_decref(hosts);
                json_decref(where);
        }
        return out;
}

/* The plan's "alloc" is {cpus (the kernel's ids, cpumap.h), slurm_cpus,
 * ncpus, mem, mem_by: "memtune" or "cgroup" when mem bounds them}: the
 * guests are pinned to those CPUs and bounded by that memory (steps.c).
 * The controller's prolog holds a job whose guests do not fit before it
 * gets here, unless slurmctld could not tell it; guests that cannot be
 * pinned are not started. */
int vc_bringup_alloc(const struct vc_hook_env *e, json_t *plan, char **err) {
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
                vc_slurm_job_note_best_effort(e->job, note, true);
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
        log_info("job %lld on %s: guests pinned to CPUs %s (Slurm's CPU ids %s)%s", (long long)e->job, e->node,
                 json_string_value(json_object_get(mine, "cpus")), json_string_value(json_object_get(mine, "slurm_cpus")),
                 !mem_by ? ""
                 : streq(mem_by, "cgroup") ? ", memory bounded by the job's memory cgroup (ConstrainRAMSpace)"
                                           : ", memory bounded by <memtune> hard_limit");
        return 0;
}
