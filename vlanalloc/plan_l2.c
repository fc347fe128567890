/* The multi-site half of a stitched plan: how the gateways are joined (VXLAN
 * or OpenVPN, the UDP port), where they are reached (WanAddr), and which
 * sites run a per-cluster cache at which address. */
#include "plan.h"

#include <errno.h>

#include "guestplan.h"
#include "jobplan.h"
#include "util.h"

int vc_plan_l2(const struct vc_conf *c, struct vc_plan *p, const struct vc_spec *spec, char **err) {
        if (p->mode != VC_L2_STITCHED)
                return 0;
        /* none: the sites join their VLANs themselves; it cannot mix with our tunnels */
        size_t none = 0;
        for (size_t i = 0; i < p->n; i++)
                none += p->sites[i].site->l2ext == VC_L2EXT_NONE;
        if (none == p->n) {
                p->l2ext = VC_L2EXT_NONE;
                return 0;
        }
        if (none) {
                for (size_t i = 0; i < p->n; i++)
                        if (p->sites[i].site->l2ext == VC_L2EXT_NONE) {
                                *err = xasprintf("l2=stitched: site '%s' has L2Ext=none (its WAN joins the VLANs) but "
                                                 "other sites of the job want a tunnel: no single segment", p->sites[i].site->name);
                                return -EINVAL;
                        }
        }
        p->l2ext = VC_L2EXT_VXLAN;
        for (size_t i = 0; i < p->n; i++) {
                struct vc_plan_site *ps = &p->sites[i];
                /* one site demanding encryption makes every tunnel of the job encrypted */
                if (ps->site->l2ext == VC_L2EXT_OPENVPN)
                        p->l2ext = VC_L2EXT_OPENVPN;
                const char *gw = ps->nodes[0];
                ps->wan = vc_conf_node(c, gw)->wan_addr;
                if (!ps->wan) {
                        *err = xasprintf("l2=stitched: node %s, the job's gateway at site '%s' (its first node "
                                         "there), has no WanAddr= on a NodeName line, so no tunnel can reach it",
                                         gw, ps->site->name);
                        return -EINVAL;
                }
                ps->cache = i > 0 && spec->cache;
        }
        if (p->l2ext == VC_L2EXT_OPENVPN && p->n - 1 > VC_OPENVPN_SPOKES_MAX) {
                *err = xasprintf("l2=stitched: %zu sites; an OpenVPN-stitched job spans at most %d", p->n,
                                 VC_OPENVPN_SPOKES_MAX + 1);
                return -EINVAL;
        }
        /* the caches take addresses at the top of the subnet the guests count up in */
        size_t caches = 0, guests = 0;
        for (size_t i = 0; i < p->n; i++) {
                caches += p->sites[i].cache;
                guests += strv_len(p->sites[i].nodes) * (spec->image[0] ? spec->vms : 0);
        }
        if (caches && vc_guest_count_check(spec, guests + caches, err) < 0) {
                char *why = *err;
                *err = xasprintf("%s (with the %zu address(es) the remote sites' caches take)", why, caches);
                free(why);
                return -EINVAL;
        }
        return 0;
}

/* update: plan's members become m's, in place (a key plan has keeps its
 * place; new ones come last, as vc_jobplan_to_json orders them). */
static int update(json_t *plan, const struct vc_jobplan *m) {
        _cleanup_(json_decrefp) json_t *o = vc_jobplan_to_json(m);
        return o && json_object_update(plan, o) == 0 ? 0 : -ENOMEM;
}

int vc_plan_l2_json(const struct vc_conf *c, const struct vc_plan *p, const struct vc_spec *spec, json_t *plan,
                    char **err) {
        if (p->mode != VC_L2_STITCHED)
                return 0;
        /* the plan's JSON is the model's (jobplan.h): read, add the tunnel, write back in place */
        _cleanup_(vc_jobplan_clear) struct vc_jobplan m = {0};
        int r = vc_jobplan_from_json(plan, &m, err);
        if (r < 0)
                return r;
        if (p->l2ext == VC_L2EXT_NONE) {
                m.l2ext = xstrdup("none");
                return update(plan, &m);
        }
        unsigned port = c->vxlan_port;
        if (p->l2ext == VC_L2EXT_OPENVPN) {
                uint64_t first = c->openvpn_port + (uint64_t)(p->vni - c->vni_lo) * VC_OPENVPN_SPOKES_MAX;
                if (first + VC_OPENVPN_SPOKES_MAX - 1 > 65535) {
                        *err = xasprintf("no OpenVPN port free: VNI %lld would use ports from %llu, past 65535 "
                                         "(lower OpenvpnPort=%u)", (long long)p->vni, (unsigned long long)first,
                                         c->openvpn_port);
                        return -ENOSPC;
                }
                port = (unsigned)first;
        }
        m.l2ext = xstrdup(vc_l2ext_name(p->l2ext));
        m.has_tunnel_port = true;
        m.tunnel_port = port;
        unsigned long hosts = (1ul << (32 - spec->prefix)) - 2, top = 0;
        for (size_t i = 0; i < p->n && i < m.n_sites; i++) {
                struct vc_jobplan_site *s = &m.sites[i];
                s->wan = p->sites[i].wan ? xstrdup(p->sites[i].wan) : NULL;
                if (!p->sites[i].cache)
                        continue;
                const struct vc_site *site = p->sites[i].site;
                char ip[16];
                if (vc_guest_addr(spec->subnet, spec->prefix, hosts - top++, ip) < 0) {
                        *err = xasprintf("site %s: no address left in the subnet for its cache", site->name);
                        return -ERANGE;
                }
                s->cache = xcalloc(1, sizeof(*s->cache));
                *s->cache = (struct vc_jobplan_cache){
                        .address = xasprintf("%s/%u", ip, spec->prefix), .size_mb = (int64_t)site->cache_mb,
                        .preload = site->cache_preload ? xstrdup(site->cache_preload) : NULL,
                        .parent = site->cache_parent ? xstrdup(site->cache_parent) : NULL,
                        .bypass = site->cache_bypass ? xstrdup(site->cache_bypass) : NULL};
        }
        return update(plan, &m);
}
