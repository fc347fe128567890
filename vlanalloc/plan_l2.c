/* The multi-site half of a stitched plan: how the gateways are joined (VXLAN
 * or OpenVPN, the UDP port), where they are reached (WanAddr), and which
 * sites run a per-cluster cache at which address. */
#include "plan.h"

#include <errno.h>

#include "guestplan.h"
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

int vc_plan_l2_json(const struct vc_conf *c, const struct vc_plan *p, const struct vc_spec *spec, json_t *plan,
                    char **err) {
        if (p->mode != VC_L2_STITCHED)
                return 0;
        if (p->l2ext == VC_L2EXT_NONE) {
                json_object_set_new(plan, "l2ext", json_string("none"));
                return 0;
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
        json_object_set_new(plan, "l2ext", json_string(vc_l2ext_name(p->l2ext)));
        json_object_set_new(plan, "tunnel_port", json_integer(port));
        unsigned long hosts = (1ul << (32 - spec->prefix)) - 2, top = 0;
        json_t *sites = json_object_get(plan, "sites");
        for (size_t i = 0; i < p->n; i++) {
                json_t *s = json_array_get(sites, i);
                json_object_set_new(s, "wan", json_string(p->sites[i].wan));
                if (!p->sites[i].cache)
                        continue;
                const struct vc_site *site = p->sites[i].site;
                char ip[16];
                if (vc_guest_addr(spec->subnet, spec->prefix, hosts - top++, ip) < 0) {
                        *err = xasprintf("site %s: no address left in the subnet for its cache", site->name);
                        return -ERANGE;
                }
                json_t *cache = json_pack("{s:o, s:I, s:o, s:o, s:o}", "address",
                                          json_sprintf("%s/%u", ip, spec->prefix), "size_mb",
                                          (json_int_t)site->cache_mb,
                                          "preload", site->cache_preload ? json_string(site->cache_preload) : json_null(),
                                          "parent", site->cache_parent ? json_string(site->cache_parent) : json_null(),
                                          "bypass", site->cache_bypass ? json_string(site->cache_bypass) : json_null());
                json_object_set_new(s, "cache", cache);
        }
        return 0;
}
