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

/* hosts: every guest of the cluster (its /etc/hosts, known_hosts and the
 * access path's list), each with the node it runs on. */
static int hosts(const struct vc_jobplan *p, const struct vc_spec *spec, int64_t job, struct vc_nodeplan *out,
                 char **err) {
        struct vc_nodeplan_guest *all = NULL;
        size_t n = 0;
        int r = vc_plan_guest_list(p, spec, job, NULL, &all, &n, err);
        if (r < 0)
                return r;
        out->hosts = xcalloc(n + 1, sizeof(*out->hosts));
        for (size_t i = 0; i < n; i++)
                out->hosts[i] = (struct vc_nodeplan_host){.name = TAKE_PTR(all[i].name), .ip = TAKE_PTR(all[i].ip),
                                                          .node = TAKE_PTR(all[i].node)};
        out->n_hosts = n;
        vc_nodeplan_guests_free(all, n);
        return 0;
}

int vc_bringup_node_plan(const struct vc_hook_env *e, const struct vc_node_links *links, const json_t *job,
                         struct vc_nodeplan *plan, char **err) {
        *plan = (struct vc_nodeplan){0};
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = {0};
        _cleanup_(vc_nodeplan_clear) struct vc_nodeplan out = {0};
        if (vc_jobplan_from_json(job, &p, err) < 0 || vc_spec_parse(p.spec, &out.spec, err) < 0)
                return -EINVAL;
        const struct vc_jobplan_site *site = vc_jobplan_site_of(&p, e->node);
        if (!site) {
                *err = xasprintf("node %s is not in the job's plan", e->node);
                return -EINVAL;
        }
        /* the guests' names, places and addresses are computed from the sites as every host does (guestplan.h) */
        _cleanup_strv_ char **all = NULL;
        char frontend[VC_GUEST_NAME_MAX + 1];
        if (vc_plan_guests(&p, out.spec.name, out.spec.vms, NULL, &all, err) < 0)
                return -EINVAL;
        if (vc_plan_frontend(&p, out.spec.name, out.spec.frontend, frontend, sizeof(frontend)) < 0) {
                *err = xstrdup("cannot name the frontend guest");
                return -EINVAL;
        }
        if (vc_plan_guest_list(&p, &out.spec, e->job, e->node, &out.guests, &out.n_guests, err) < 0 ||
            hosts(&p, &out.spec, e->job, &out, err) < 0)
                return -EINVAL;
        out.job = e->job;
        out.node = xstrdup(e->node);
        out.uid = p.uid;
        out.mode = xstrdup(p.mode);
        out.has_vni = p.has_vni;
        out.vni = p.vni;
        out.spec_text = xstrdup(p.spec);
        out.site.name = xstrdup(site->name);
        out.site.id = site->id;
        out.site.vlan = site->vlan;
        out.site.gateway = xstrdup(site->gateway);
        out.is_gateway = streq(site->gateway, e->node);
        out.cluster_nodes = vc_hostlist_compress(all);
        out.frontend = xstrdup(frontend);
        out.image = out.spec.image[0] ? xstrdup(out.spec.image) : NULL;
        if (links->plan(&p, (size_t)(site - p.sites), &out.l2, err) < 0)
                return -EINVAL;
        /* the access path's place (lib/access.h): this node among all the plan's nodes */
        size_t index = 0;
        for (size_t s = 0; s < p.n_sites; s++)
                for (size_t k = 0; k < p.sites[s].n_nodes; k++, index++)
                        if (streq(p.sites[s].nodes[k], e->node))
                                out.access_index = (int64_t)index;
        out.access_sites = (int64_t)p.n_sites;
        *plan = out;
        out = (struct vc_nodeplan){0};
        return 0;
}

/* The plan's "alloc" is {cpus (the kernel's ids, cpumap.h), slurm_cpus,
 * ncpus, mem, mem_by: "memtune" or "cgroup" when mem bounds them}: the
 * guests are pinned to those CPUs and bounded by that memory (steps.c).
 * The controller's prolog holds a job whose guests do not fit before it
 * gets here, unless slurmctld could not tell it; guests that cannot be
 * pinned are not started. */
int vc_bringup_alloc(const struct vc_hook_env *e, struct vc_nodeplan *plan, char **err) {
        const struct vc_spec *spec = &plan->spec;
        if (!spec->image[0])
                return 0;
        if (!vc_slurm_available()) {
                log_warning("job %lld on %s: no slurm.conf (SLURM_CONF or /etc/slurm/slurm.conf): the guests are not "
                            "pinned to the job's CPUs", (long long)e->job, e->node);
                return 0;
        }
        _cleanup_(json_decrefp) json_t *allocs = NULL;
        int r = vc_slurm_guests_fit(e->job, e->node, spec, &allocs, err);
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
        /* vc_slurm_guests_fit gives every node of the job {cpus, ncpus, mem} (slurmalloc.h) */
        json_t *mine = json_object_get(allocs, e->node);
        const char *slurm_ids = json_string_value(json_object_get(mine, "cpus"));
        _cleanup_free_ char *kernel_ids = NULL, *why = NULL;
        if ((r = vc_cpus_to_kernel(VC_SYSFS_CPU, slurm_ids, &kernel_ids, &why)) < 0) {
                *err = xasprintf("cannot pin the guests to the job's CPUs: %s", why);
                return r;
        }
        struct vc_nodeplan_alloc *a = xcalloc(1, sizeof(*a));
        /* cpus as the kernel numbers them (what libvirt pins to), Slurm's own beside */
        a->cpus = TAKE_PTR(kernel_ids);
        a->slurm_cpus = xstrdup(slurm_ids);
        a->ncpus = json_integer_value(json_object_get(mine, "ncpus"));
        a->mem = json_integer_value(json_object_get(mine, "mem"));
        /* Where Slurm's own memory cgroup will hold the adopted QEMU to the
         * job's memory, that bound is the job's, shared with its processes;
         * libvirt's per-guest cap would only be a cruder second one. */
        if (a->mem)
                a->mem_by = xstrdup(vc_slurm_cgroup_bounds_memory() ? "cgroup" : "memtune");
        plan->alloc = a;
        log_info("job %lld on %s: guests pinned to CPUs %s (Slurm's CPU ids %s)%s", (long long)e->job, e->node,
                 a->cpus, a->slurm_cpus,
                 !a->mem_by ? ""
                 : streq(a->mem_by, "cgroup") ? ", memory bounded by the job's memory cgroup (ConstrainRAMSpace)"
                                              : ", memory bounded by <memtune> hard_limit");
        return 0;
}
