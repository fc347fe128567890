#include "l2steps.h"

#include <arpa/inet.h>
#include <errno.h>

#include "l2ext.h"
#include "spec.h"
#include "util.h"

json_t *vc_node_l2_plan(const struct vc_jobplan *job, size_t index) {
        if (!streq(job->mode, "stitched") || !job->l2ext || streq(job->l2ext, "none"))
                return json_null();
        /* a stitched plan with tunnels always has their port and every gateway's WAN address */
        if (!job->has_tunnel_port)
                return NULL;
        struct vc_spec spec;
        _cleanup_free_ char *err = NULL;
        char subnet[24] = "";
        if (vc_spec_parse(job->spec, &spec, &err) == 0) {
                struct in_addr a = {.s_addr = htonl(spec.subnet)};
                char net[16];
                inet_ntop(AF_INET, &a, net, sizeof(net));
                snprintf(subnet, sizeof(subnet), "%s/%u", net, spec.prefix);
        }
        json_t *sites = json_array();
        for (size_t i = 0; i < job->n_sites; i++) {
                const struct vc_jobplan_site *s = &job->sites[i];
                if (!s->wan) {
                        json_decref(sites);
                        return NULL;
                }
                const struct vc_jobplan_cache *c = s->cache;
                json_array_append_new(sites, json_pack("{s:s, s:s, s:o}", "name", s->name, "wan", s->wan, "cache",
                                                       c ? vc_jobplan_cache_to_json(c) : json_null()));
        }
        return json_pack("{s:s, s:I, s:o, s:I, s:s, s:o}", "kind", job->l2ext, "port", (json_int_t)job->tunnel_port,
                         "vni", job->has_vni ? json_integer(job->vni) : json_null(), "index", (json_int_t)index,
                         "subnet", subnet, "sites", sites);
}

static json_t *l2_of(const json_t *plan) {
        json_t *l2 = json_object_get(plan, "l2");
        return json_is_true(json_object_get(plan, "is_gateway")) && json_is_object(l2) ? l2 : NULL;
}

bool vc_node_l2_openvpn(const json_t *plan) {
        json_t *l2 = l2_of(plan);
        const char *kind = l2 ? json_string_value(json_object_get(l2, "kind")) : NULL;
        return kind && streq(kind, "openvpn");
}

size_t vc_node_l2_tunnels(const json_t *plan) {
        json_t *l2 = l2_of(plan);
        const char *kind = l2 ? json_string_value(json_object_get(l2, "kind")) : NULL;
        if (!kind || streq(kind, "none"))
                return 0;
        size_t n = json_array_size(json_object_get(l2, "sites"));
        if (n < 2)
                return 0;
        if (!vc_node_l2_openvpn(plan))
                return 1;
        /* star: the hub (first site) runs one per spoke, a spoke one */
        return json_integer_value(json_object_get(l2, "index")) == 0 ? n - 1 : 1;
}

/* add: journal a step whose args json_pack built (NULL: the plan lacked a member). */
static int add(struct vc_journal *j, const char *kind, json_t *args, char **err) {
        if (!args) {
                *err = xasprintf("plan: cannot build the %s step (a member is missing)", kind);
                return -EINVAL;
        }
        int r = vc_journal_add(j, kind, args);
        if (r < 0)
                *err = xasprintf("cannot journal %s: %s", kind, strerror(-r));
        return r;
}

/* nullable: a JSON string of s, or null. */
static json_t *nullable(const char *s) { return s ? json_string(s) : json_null(); }

static int add_openvpn(struct vc_journal *j, const struct vc_nodecfg *nc, const json_t *l2, const char *netns,
                       const char *dir, int64_t job, char **err) {
        json_t *sites = json_object_get(l2, "sites");
        size_t me = (size_t)json_integer_value(json_object_get(l2, "index"));
        int64_t port0 = json_integer_value(json_object_get(l2, "port"));
        for (size_t s = 0; s < json_array_size(sites); s++) {
                /* spoke s meets the hub on port0 + s - 1 */
                if (s == me || (me != 0 && s != 0))
                        continue;
                size_t spoke = me == 0 ? s : me;
                /* made in the WAN namespace first, where other jobs' taps live too */
                char dev[16];
                if (!vc_l2_tap_name(job, me == 0, spoke, dev)) {
                        *err = xasprintf("job %lld: no tap name for site %zu", (long long)job, spoke);
                        return -EINVAL;
                }
                const char *remote = json_string_value(json_object_get(json_array_get(sites, s), "wan"));
                if (!remote) {
                        *err = xasprintf("plan: site %zu has no WAN address", s);
                        return -EINVAL;
                }
                int r = add(j, "l2.openvpn",
                            json_pack("{s:I, s:s, s:o, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "job", (json_int_t)job,
                                      "netns", netns, "wan_netns", nullable(nc->wan_netns), "local", nc->wan_addr,
                                      "remote", remote, "port", (json_int_t)(port0 + (int64_t)spoke - 1), "dev", dev,
                                      "dir", dir, "role", me == 0 ? "hub" : "spoke", "spoke", (json_int_t)spoke),
                            err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* add_vxlan: the one l2.vxlan step of gateway me, towards every other site's WAN address. */
static int add_vxlan(struct vc_journal *j, const struct vc_nodecfg *nc, json_t *l2, size_t me, const char *netns,
                     int64_t job, char **err) {
        json_t *remotes = json_array(), *s;
        size_t i;
        json_array_foreach(json_object_get(l2, "sites"), i, s) {
                if (i != me)
                        json_array_append(remotes, json_object_get(s, "wan"));
        }
        return add(j, "l2.vxlan",
                   json_pack("{s:I, s:s, s:o, s:s, s:o, s:O, s:O, s:s}", "job", (json_int_t)job, "netns", netns,
                             "wan_netns", nullable(nc->wan_netns), "local", nc->wan_addr, "remotes", remotes, "vni",
                             json_object_get(l2, "vni"), "port", json_object_get(l2, "port"), "dev", "vx0"),
                   err);
}

/* add_cache: the cache.squid step of this site's cache (its plan entry cache), in dir/cache. */
static int add_cache(struct vc_journal *j, const struct vc_conf *c, json_t *l2, json_t *cache, const char *netns,
                     const char *dir, int64_t job, char **err) {
        _cleanup_free_ char *cdir = xasprintf("%s/cache", dir);
        json_t *bypass = json_array();
        const char *re = json_string_value(json_object_get(cache, "bypass"));
        if (re)
                json_array_append_new(bypass, json_string(re));
        return add(j, "cache.squid",
                   json_pack("{s:I, s:s, s:s, s:i, s:i, s:s, s:O, s:O, s:s, s:o, s:O, s:O}", "job", (json_int_t)job,
                             "netns", netns, "dir", cdir, "port", 3129, "proxy_port", 3130, "user", c->cache_user,
                             "size_mb", json_object_get(cache, "size_mb"), "subnet", json_object_get(l2, "subnet"),
                             "lan", "lan0", "bypass", bypass, "parent", json_object_get(cache, "parent"), "preload",
                             json_object_get(cache, "preload")),
                   err);
}

int vc_node_add_l2(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodecfg *nc, const json_t *plan,
                   const char *dir, char **err) {
        if (vc_node_l2_tunnels(plan) == 0)
                return 0;
        json_t *l2 = l2_of(plan);
        const char *node = json_string_value(json_object_get(plan, "node"));
        if (nc->host_net != VC_HOSTNET_OVS) {
                *err = xasprintf("node %s: a stitched segment needs HostNet=ovs on the gateway", node);
                return -EINVAL;
        }
        if (!nc->wan_addr) {
                *err = xasprintf("node %s: gateway of a stitched job, but its NodeName line has no WanAddr=", node);
                return -EINVAL;
        }
        int64_t job = json_integer_value(json_object_get(plan, "job"));
        size_t me = (size_t)json_integer_value(json_object_get(l2, "index"));
        json_t *sites = json_object_get(l2, "sites");
        json_t *cache = json_object_get(json_array_get(sites, me), "cache");
        const char *address = json_is_object(cache) ? json_string_value(json_object_get(cache, "address")) : NULL;
        _cleanup_free_ char *netns = vc_l2_netns_name(job, node);
        char port[16];
        if (!vc_l2_port_name(job, (int)json_integer_value(json_object_get(json_object_get(plan, "site"), "id")), port)) {
                *err = xasprintf("job %lld: plan: no switch port name for site %s", (long long)job,
                                 json_string_value(json_object_get(json_object_get(plan, "site"), "name")));
                return -EINVAL;
        }
        int vlan = (int)json_integer_value(json_object_get(json_object_get(plan, "site"), "vlan"));
        int r = add(j, "l2.segment",
                               json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:i, s:o}", "job", (json_int_t)job, "netns",
                                         netns, "ovs_db", nc->ovs_db, "ovs_bridge", nc->ovs_bridge, "ovs_netns",
                                         nullable(nc->ovs_netns), "port", port, "vlan", vlan, "address",
                                         nullable(address)),
                    err);
        if (r == 0 && vc_node_l2_openvpn(plan)) {
                r = add_openvpn(j, nc, l2, netns, dir, job, err);
                if (r < 0)
                        return r;
        } else if (r == 0) {
                r = add_vxlan(j, nc, l2, me, netns, job, err);
        }
        if (r == 0 && address)
                r = add_cache(j, c, l2, cache, netns, dir, job, err);
        return r;
}
