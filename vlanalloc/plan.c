#include "plan.h"
#include "switch.h"

#include <errno.h>

#include "jobplan.h"
#include "util.h"

void vc_plan_clear(struct vc_plan *p) {
        for (size_t i = 0; i < p->n; i++)
                strv_free(p->sites[i].nodes);
        free(p->sites);
        *p = (struct vc_plan){0};
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* first_duplicate: a name listed twice, or NULL; sorted copy, so a 60 000-node
 * job costs n log n, not n². */
static const char *first_duplicate(char *const *nodes, size_t n) {
        _cleanup_free_ const char **sorted = xmalloc(n * sizeof(char *));
        memcpy(sorted, nodes, n * sizeof(char *));
        qsort(sorted, n, sizeof(char *), cmp_str);
        for (size_t i = 1; i < n; i++)
                if (streq(sorted[i - 1], sorted[i]))
                        return sorted[i];
        return NULL;
}

int vc_plan_group(const struct vc_conf *c, char *const *nodes, struct vc_plan *p, char **err) {
        *p = (struct vc_plan){.vni = -1};
        size_t n = strv_len(nodes);
        if (n == 0) {
                *err = xstrdup("nodes: empty node list");
                return -EINVAL;
        }
        const char *dup = first_duplicate(nodes, n);
        if (dup) {
                *err = xasprintf("nodes: '%s' is listed twice", dup);
                return -EINVAL;
        }
        /* Two passes — which site, then fill exact-size lists — keep this linear. */
        _cleanup_free_ size_t *site_of = xmalloc(n * sizeof(size_t));
        _cleanup_free_ size_t *count = NULL;
        for (size_t k = 0; k < n; k++) {
                const struct vc_site *s = vc_conf_site_of_node(c, nodes[k]);
                if (!s) {
                        *err = xasprintf("nodes: '%s' is in no site of %s", nodes[k], c->path);
                        vc_plan_clear(p);
                        return -EINVAL;
                }
                size_t i = 0;
                while (i < p->n && p->sites[i].site != s)
                        i++;
                if (i == p->n) {
                        p->sites = xrealloc(p->sites, (p->n + 1) * sizeof(*p->sites));
                        p->sites[p->n++] = (struct vc_plan_site){.site = s, .vlan = -1};
                        count = xrealloc(count, p->n * sizeof(size_t));
                        count[i] = 0;
                }
                site_of[k] = i;
                count[i]++;
        }
        for (size_t i = 0; i < p->n; i++) {
                p->sites[i].nodes = xcalloc(count[i] + 1, sizeof(char *));
                count[i] = 0;
        }
        for (size_t k = 0; k < n; k++) {
                struct vc_plan_site *ps = &p->sites[site_of[k]];
                ps->nodes[count[site_of[k]]++] = xstrdup(nodes[k]);
        }
        /* A site's Gateway= node, when the job has it, leads its site's list:
         * the first node of a site is the job's gateway there. */
        for (size_t i = 0; i < p->n; i++) {
                const char *gw = p->sites[i].site->gateway;
                char **v = p->sites[i].nodes;
                for (size_t k = 1; gw && v[k]; k++)
                        if (streq(v[k], gw)) {
                                char *g = v[k];
                                memmove(v + 1, v, k * sizeof(*v));
                                v[0] = g;
                                break;
                        }
        }
        return 0;
}

static bool trunks_joined(const struct vc_plan *p) {
        const char *d = p->sites[0].site->l2domain;
        for (size_t i = 1; i < p->n; i++) {
                const char *e = p->sites[i].site->l2domain;
                if (!d || !e || !streq(d, e))
                        return false;
        }
        return true;
}

int vc_plan_mode(struct vc_plan *p, enum vc_l2 requested, char **err) {
        bool joined = p->n == 1 || trunks_joined(p);
        switch (requested) {
        case VC_L2_AUTO:
                p->mode = joined ? VC_L2_SHARED : VC_L2_STITCHED;
                break;
        case VC_L2_SHARED:
                if (!joined) {
                        *err = xasprintf("l2=shared: sites %s and %s do not share an L2Domain, so one VLAN "
                                         "cannot span them (use l2=stitched or l2=auto)",
                                         p->sites[0].site->name, p->sites[1].site->name);
                        return -EINVAL;
                }
                p->mode = VC_L2_SHARED;
                break;
        case VC_L2_STITCHED:
                /* One site has nothing to stitch: its own VLAN is the whole segment. */
                p->mode = p->n == 1 ? VC_L2_SHARED : VC_L2_STITCHED;
                break;
        }
        return 0;
}

json_t *vc_plan_json(const struct vc_plan *p, int64_t job, const char *spec, int64_t uid, int64_t lease) {
        /* the plan's JSON is the model's (jobplan.h); these are borrowed, never freed here */
        _cleanup_free_ struct vc_jobplan_site *sites = xcalloc(p->n + 1, sizeof(*sites));
        _cleanup_free_ struct vc_jobplan_storage *storage = xcalloc(p->n + 1, sizeof(*storage));
        for (size_t i = 0; i < p->n; i++) {
                struct vc_jobplan_site *s = &sites[i];
                s->name = p->sites[i].site->name;
                s->id = p->sites[i].site->id;
                s->vlan = p->sites[i].vlan;
                s->gateway = p->sites[i].nodes[0];
                s->nodes = p->sites[i].nodes;
                s->n_nodes = strv_len(p->sites[i].nodes);
                const struct vc_storage *st = p->sites[i].storage;
                if (st) {
                        storage[i] = (struct vc_jobplan_storage){.name = st->name, .host = st->host,
                                                                 .portal = st->portal, .iqn_base = st->iqn_base};
                        s->storage = &storage[i];
                }
        }
        struct vc_jobplan plan = {.job = job, .uid = uid, .mode = (char *)vc_l2_name(p->mode), .spec = (char *)spec,
                                  .has_vni = p->vni >= 0, .vni = p->vni, .has_lease = lease > 0, .lease = lease,
                                  .sites = sites, .n_sites = p->n};
        return vc_jobplan_to_json(&plan);
}

static json_t *switch_args(const struct vc_switch *sw, const char *site, int vlan, int64_t job) {
        json_t *opts = vc_switch_opts_json(sw);
        json_t *args = json_pack("{s:s, s:s, s:s, s:i, s:o, s:I, s:o, s:[], s:[]}", "switch", sw->name, "driver",
                                 sw->driver, "site", site, "vlan", vlan, "name",
                                 json_sprintf("vcluster-%lld", (long long)job), "job", (json_int_t)job, "opts", opts,
                                 "tagged", "untagged");
        if (sw->secret_file)
                json_object_set_new(args, "secret_file", json_string(sw->secret_file));
        /* uplinks carry every cluster VLAN of the site, always tagged */
        json_t *tagged = json_object_get(args, "tagged");
        for (char **u = sw->uplinks; *u; u++)
                json_array_append_new(tagged, json_string(*u));
        return args;
}

json_t *vc_plan_steps(const struct vc_conf *c, const struct vc_plan *p, int64_t job) {
        json_t *steps = json_array();
        _cleanup_free_ json_t **by_switch = xcalloc(c->n_switches + 1, sizeof(json_t *));
        for (size_t i = 0; i < p->n; i++) {
                const struct vc_site *s = p->sites[i].site;
                for (size_t k = 0; k < c->n_switches; k++)
                        if (streq(c->switches[k].site, s->name))
                                by_switch[k] = switch_args(&c->switches[k], s->name, p->sites[i].vlan, job);
                /* each node's port goes to the switch it is cabled to */
                for (char **n = p->sites[i].nodes; *n; n++) {
                        const char *port;
                        const struct vc_switch *sw = vc_conf_switch_of_node(c, *n, &port);
                        if (!sw)
                                continue;
                        json_t *args = by_switch[sw - c->switches];
                        json_array_append_new(json_object_get(args, sw->access ? "untagged" : "tagged"),
                                              json_string(port));
                }
                for (size_t k = 0; k < c->n_switches; k++) {
                        if (!by_switch[k])
                                continue;
                        json_array_append_new(steps, json_pack("{s:s, s:o}", "kind", "switch.vlan", "args", by_switch[k]));
                        by_switch[k] = NULL;
                }
        }
        return steps;
}
