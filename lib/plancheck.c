/* plancheck.c — see plancheck.h. */
#include "plancheck.h"

#include <errno.h>
#include <string.h>

#include "hostlist.h"
#include "util.h"

static bool in_list(char *const *v, const char *s) {
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

/* check_site: one entry of plan.sites against its Site= line. */
static int check_site(const struct vc_conf *c, const json_t *s, bool stitched, char *const *job_nodes,
                      char **err) {
        const char *name = json_string_value(json_object_get(s, "name"));
        const struct vc_site *site = name ? vc_conf_site(c, name) : NULL;
        if (!site) {
                *err = xasprintf("plan names site '%s', which vcluster.conf does not declare", name ? name : "?");
                return -EINVAL;
        }
        json_t *vlan = json_object_get(s, "vlan");
        json_int_t v = json_is_integer(vlan) ? json_integer_value(vlan) : -1;
        if (v < VC_VLAN_MIN || v > VC_VLAN_MAX || !vc_site_has_vlan(site, (int)v)) {
                _cleanup_free_ char *ranges = vc_ranges_format(site->ranges, site->n_ranges);
                *err = json_is_integer(vlan)
                               ? xasprintf("plan gives site %s VLAN %lld, outside its VlanIds=%s", name,
                                           (long long)v, ranges)
                               : xasprintf("plan gives site %s no VLAN id", name);
                return -EINVAL;
        }
        const char *gateway = json_string_value(json_object_get(s, "gateway"));
        json_t *nodes = json_object_get(s, "nodes"), *n;
        size_t i;
        bool gateway_found = false;
        if (!json_is_array(nodes) || json_array_size(nodes) == 0) {
                *err = xasprintf("plan gives site %s no nodes", name);
                return -EINVAL;
        }
        json_array_foreach(nodes, i, n) {
                const char *node = json_string_value(n);
                const struct vc_site *of = node ? vc_conf_site_of_node(c, node) : NULL;
                if (of != site) {
                        *err = xasprintf("plan puts node %s in site %s, which does not list it", node ? node : "?",
                                         name);
                        return -EINVAL;
                }
                if (job_nodes && !in_list(job_nodes, node)) {
                        *err = xasprintf("plan puts node %s in the job, which Slurm did not give it", node);
                        return -EINVAL;
                }
                if (gateway && streq(gateway, node))
                        gateway_found = true;
        }
        if (!gateway_found) {
                *err = xasprintf("plan gives site %s gateway %s, which is not one of its nodes in the job", name,
                                 gateway ? gateway : "(none)");
                return -EINVAL;
        }
        json_t *wan = json_object_get(s, "wan");
        if (stitched && wan) {
                const char *want = vc_conf_node(c, gateway)->wan_addr;
                if (!json_is_string(wan) || !want || !streq(json_string_value(wan), want)) {
                        *err = xasprintf("plan gives gateway %s WAN address %s, but its WanAddr= is %s", gateway,
                                         json_is_string(wan) ? json_string_value(wan) : "?", want ? want : "unset");
                        return -EINVAL;
                }
        } else if (wan && !json_is_null(wan)) {
                *err = xasprintf("plan gives site %s a WAN address although the job is not stitched", name);
                return -EINVAL;
        }
        return 0;
}

int vc_plan_check(const struct vc_conf *c, const json_t *plan, int64_t job, const char *job_nodes, char **err) {
        json_t *id = json_object_get(plan, "job");
        if (!json_is_integer(id) || json_integer_value(id) != job) {
                *err = xasprintf("plan is for job %lld, not job %lld",
                                 json_is_integer(id) ? (long long)json_integer_value(id) : -1LL, (long long)job);
                return -EINVAL;
        }
        const char *mode = json_string_value(json_object_get(plan, "mode"));
        if (!mode || (!streq(mode, "shared") && !streq(mode, "stitched"))) {
                *err = xasprintf("plan has an unknown L2 mode '%s'", mode ? mode : "?");
                return -EINVAL;
        }
        bool stitched = streq(mode, "stitched");
        json_t *vni = json_object_get(plan, "vni");
        if (vni && !json_is_null(vni)) {
                if (!json_is_integer(vni) || json_integer_value(vni) < c->vni_lo ||
                    json_integer_value(vni) > c->vni_hi) {
                        *err = xasprintf("plan gives VNI %lld, outside VniRange=%u-%u",
                                         json_is_integer(vni) ? (long long)json_integer_value(vni) : -1LL,
                                         (unsigned)c->vni_lo, (unsigned)c->vni_hi);
                        return -EINVAL;
                }
        }
        _cleanup_strv_ char **nodes = NULL;
        if (job_nodes) {
                int r = vc_hostlist_expand(job_nodes, &nodes, err);
                if (r < 0)
                        return r;
        }
        json_t *sites = json_object_get(plan, "sites"), *s;
        size_t i;
        if (!json_is_array(sites) || json_array_size(sites) == 0) {
                *err = xstrdup("plan has no sites");
                return -EINVAL;
        }
        json_array_foreach(sites, i, s) {
                int r = check_site(c, s, stitched, nodes, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
