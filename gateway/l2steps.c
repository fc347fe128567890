#include "l2steps.h"

#include <arpa/inet.h>
#include <errno.h>

#include "jsonread.h"
#include "l2ext.h"
#include "spec.h"
#include "util.h"

int vc_node_l2_plan(const struct vc_jobplan *job, size_t index, struct vc_nodeplan_l2 **out, char **err) {
        *out = NULL;
        if (!streq(job->mode, "stitched") || !job->l2ext || streq(job->l2ext, "none"))
                return 0;
        /* vlanallocd gives a stitched plan with tunnels their port and every
         * gateway's WAN address: without them the sites would come up cut
         * off from each other, so the node refuses rather than build half */
        if (!job->has_tunnel_port)
                return vc_fail(err, -EINVAL, "plan: stitched over %s but no tunnel_port", job->l2ext);
        for (size_t i = 0; i < job->n_sites; i++)
                if (!job->sites[i].wan)
                        return vc_fail(err, -EINVAL, "plan: stitched over %s but site %s has no WAN address",
                                       job->l2ext, job->sites[i].name);
        struct vc_spec spec;
        if (vc_spec_parse(job->spec, &spec, err) < 0)
                return -EINVAL;
        char subnet[24], net[16];
        struct in_addr a = {.s_addr = htonl(spec.subnet)};
        inet_ntop(AF_INET, &a, net, sizeof(net));
        snprintf(subnet, sizeof(subnet), "%s/%u", net, spec.prefix);
        struct vc_nodeplan_l2 *l = xcalloc(1, sizeof(*l));
        l->kind = xstrdup(job->l2ext);
        l->port = job->tunnel_port;
        l->has_vni = job->has_vni;
        l->vni = job->vni;
        l->index = (int64_t)index;
        l->subnet = xstrdup(subnet);
        l->sites = xcalloc(job->n_sites + 1, sizeof(*l->sites));
        for (size_t i = 0; i < job->n_sites; i++) {
                const struct vc_jobplan_site *s = &job->sites[i];
                struct vc_nodeplan_l2_site *ls = &l->sites[l->n_sites++];
                ls->name = xstrdup(s->name);
                ls->wan = xstrdup(s->wan);
                if (s->cache) {
                        ls->cache = xcalloc(1, sizeof(*ls->cache));
                        *ls->cache = (struct vc_jobplan_cache){
                                .address = xstrdup(s->cache->address), .size_mb = s->cache->size_mb,
                                .preload = s->cache->preload ? xstrdup(s->cache->preload) : NULL,
                                .parent = s->cache->parent ? xstrdup(s->cache->parent) : NULL,
                                .bypass = s->cache->bypass ? xstrdup(s->cache->bypass) : NULL};
                }
        }
        *out = l;
        return 0;
}

/* l2_of: the tunnel this node builds: a gateway's, of a stitched job (NULL: none). */
static const struct vc_nodeplan_l2 *l2_of(const struct vc_nodeplan *plan) {
        return plan->is_gateway ? plan->l2 : NULL;
}

bool vc_node_l2_openvpn(const struct vc_nodeplan *plan) {
        const struct vc_nodeplan_l2 *l2 = l2_of(plan);
        return l2 && streq(l2->kind, "openvpn");
}

size_t vc_node_l2_tunnels(const struct vc_nodeplan *plan) {
        const struct vc_nodeplan_l2 *l2 = l2_of(plan);
        if (!l2 || streq(l2->kind, "none") || l2->n_sites < 2)
                return 0;
        if (!vc_node_l2_openvpn(plan))
                return 1;
        /* star: the hub (first site) runs one per spoke, a spoke one */
        return l2->index == 0 ? l2->n_sites - 1 : 1;
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

static int add_openvpn(struct vc_journal *j, const struct vc_nodecfg *nc, const struct vc_nodeplan_l2 *l2,
                       const char *netns, const char *dir, int64_t job, char **err) {
        size_t me = (size_t)l2->index;
        for (size_t s = 0; s < l2->n_sites; s++) {
                /* spoke s meets the hub on port + s - 1 */
                if (s == me || (me != 0 && s != 0))
                        continue;
                size_t spoke = me == 0 ? s : me;
                /* made in the WAN namespace first, where other jobs' taps live too */
                char dev[16];
                if (!vc_l2_tap_name(job, me == 0, spoke, dev)) {
                        *err = xasprintf("job %lld: no tap name for site %zu", (long long)job, spoke);
                        return -EINVAL;
                }
                int r = add(j, "l2.openvpn",
                            json_pack("{s:I, s:s, s:o, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "job", (json_int_t)job,
                                      "netns", netns, "wan_netns", vc_jstr_or_null(nc->wan_netns), "local",
                                      nc->wan_addr, "remote", l2->sites[s].wan, "port",
                                      (json_int_t)(l2->port + (int64_t)spoke - 1), "dev", dev, "dir", dir, "role",
                                      me == 0 ? "hub" : "spoke", "spoke", (json_int_t)spoke),
                            err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* add_vxlan: the one l2.vxlan step of this gateway, towards every other site's WAN address. */
static int add_vxlan(struct vc_journal *j, const struct vc_nodecfg *nc, const struct vc_nodeplan_l2 *l2,
                     const char *netns, int64_t job, char **err) {
        json_t *remotes = json_array();
        for (size_t i = 0; i < l2->n_sites; i++)
                if (i != (size_t)l2->index)
                        json_array_append_new(remotes, json_string(l2->sites[i].wan));
        return add(j, "l2.vxlan",
                   json_pack("{s:I, s:s, s:o, s:s, s:o, s:o, s:I, s:s}", "job", (json_int_t)job, "netns", netns,
                             "wan_netns", vc_jstr_or_null(nc->wan_netns), "local", nc->wan_addr, "remotes", remotes,
                             "vni", l2->has_vni ? json_integer(l2->vni) : json_null(), "port", (json_int_t)l2->port,
                             "dev", "vx0"),
                   err);
}

/* add_cache: the cache.squid step of this site's cache, in dir/cache. */
static int add_cache(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodeplan_l2 *l2,
                     const struct vc_jobplan_cache *cache, const char *netns, const char *dir, int64_t job,
                     char **err) {
        _cleanup_free_ char *cdir = xasprintf("%s/cache", dir);
        json_t *bypass = json_array();
        if (cache->bypass)
                json_array_append_new(bypass, json_string(cache->bypass));
        return add(j, "cache.squid",
                   json_pack("{s:I, s:s, s:s, s:i, s:i, s:s, s:I, s:s, s:s, s:o, s:o, s:o}", "job", (json_int_t)job,
                             "netns", netns, "dir", cdir, "port", 3129, "proxy_port", 3130, "user", c->cache_user,
                             "size_mb", (json_int_t)cache->size_mb, "subnet", l2->subnet, "lan", "lan0", "bypass",
                             bypass, "parent", vc_jstr_or_null(cache->parent), "preload",
                             vc_jstr_or_null(cache->preload)),
                   err);
}

int vc_node_add_l2(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodecfg *nc,
                   const struct vc_nodeplan *plan, const char *dir, char **err) {
        if (vc_node_l2_tunnels(plan) == 0)
                return 0;
        const struct vc_nodeplan_l2 *l2 = l2_of(plan);
        const char *node = plan->node;
        if (nc->host_net != VC_HOSTNET_OVS) {
                *err = xasprintf("node %s: a stitched segment needs HostNet=ovs on the gateway", node);
                return -EINVAL;
        }
        if (!nc->wan_addr) {
                *err = xasprintf("node %s: gateway of a stitched job, but its NodeName line has no WanAddr=", node);
                return -EINVAL;
        }
        int64_t job = plan->job;
        const struct vc_jobplan_cache *cache = l2->sites[l2->index].cache;
        const char *address = cache ? cache->address : NULL;
        _cleanup_free_ char *netns = vc_l2_netns_name(job, node);
        char port[16];
        if (!vc_l2_port_name(job, plan->site.id, port)) {
                *err = xasprintf("job %lld: plan: no switch port name for site %s", (long long)job, plan->site.name);
                return -EINVAL;
        }
        int r = add(j, "l2.segment",
                    json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:i, s:o}", "job", (json_int_t)job, "netns", netns,
                              "ovs_db", nc->ovs_db, "ovs_bridge", nc->ovs_bridge, "ovs_netns",
                              vc_jstr_or_null(nc->ovs_netns), "port", port, "vlan", plan->site.vlan, "address",
                              vc_jstr_or_null(address)),
                    err);
        if (r == 0 && vc_node_l2_openvpn(plan))
                r = add_openvpn(j, nc, l2, netns, dir, job, err);
        else if (r == 0)
                r = add_vxlan(j, nc, l2, netns, job, err);
        if (r == 0 && address)
                r = add_cache(j, c, l2, cache, netns, dir, job, err);
        return r;
}
