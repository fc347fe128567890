/* segment.c — the step l2.segment (l2ext.h): the cluster namespace, br0, the
 * veth to the OVS bridge. */
#include "l2int.h"

#include <errno.h>

#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include "journal.h"
#include "log.h"
#include "netns.h"
#include "util.h"

/* add_address: address (A/LEN) on br0 in c's namespace; 0 when it is there. */
static int add_address(struct vc_nl *c, const char *address, char **err) {
        _cleanup_nladdr_ struct nl_addr *local = NULL;
        int r = nl_addr_parse(address, AF_UNSPEC, &local);
        if (r < 0) {
                *err = xasprintf("address %s for %s in %s: %s", address, VC_L2_BRIDGE, vc_nl_where(c->ns), nl_geterror(r));
                return vc_nl_errno(r);
        }
        _cleanup_link_ struct rtnl_link *b = vc_nl_get(c, VC_L2_BRIDGE);
        struct rtnl_addr *ad = rtnl_addr_alloc();
        if (!ad || !b)
                abort();
        rtnl_addr_set_ifindex(ad, rtnl_link_get_ifindex(b));
        rtnl_addr_set_local(ad, local);
        r = rtnl_addr_add(c->sk, ad, 0);
        rtnl_addr_put(ad);
        if (r < 0 && r != -NLE_EXIST) {
                *err = xasprintf("adding address %s to %s in %s: %s", address, VC_L2_BRIDGE, vc_nl_where(c->ns),
                                 nl_geterror(r));
                return vc_nl_errno(r);
        }
        return 0;
}

/* ensure_bridge: br0 exists in c's namespace (a bridge) and is up. */
static int ensure_bridge(struct vc_nl *c, char **err) {
        _cleanup_link_ struct rtnl_link *b = vc_nl_get(c, VC_L2_BRIDGE);
        if (b && !rtnl_link_is_bridge(b)) {
                _cleanup_free_ char *has = vc_nl_kind_of(b);
                *err = xasprintf("%s in %s exists but is not a bridge (it has %s)", VC_L2_BRIDGE, vc_nl_where(c->ns), has);
                return -EEXIST;
        }
        if (!b) {
                _cleanup_link_ struct rtnl_link *n = rtnl_link_bridge_alloc();
                if (!n)
                        abort();
                rtnl_link_set_name(n, VC_L2_BRIDGE);
                int r = rtnl_link_add(c->sk, n, NLM_F_CREATE | NLM_F_EXCL);
                if (r < 0 && r != -NLE_EXIST) {
                        *err = xasprintf("creating bridge %s in %s: %s", VC_L2_BRIDGE, vc_nl_where(c->ns), nl_geterror(r));
                        return vc_nl_errno(r);
                }
                if ((r = vc_nl_refill(c, err)) < 0)
                        return r;
        }
        return vc_l2_link_up(c, VC_L2_BRIDGE, err);
}

/* ensure_veth: port (in ovs) ⇄ lan0 (in job) exist; *made when this call made them. */
static int ensure_veth(const struct l2args *a, struct vc_nl *job, struct vc_nl *ovs, int jobfd, bool *made,
                       char **err) {
        _cleanup_link_ struct rtnl_link *p = vc_nl_get(ovs, a->port);
        _cleanup_link_ struct rtnl_link *l = vc_nl_get(job, VC_L2_LAN);
        if (p && l) {
                /* Ours from an earlier run only if they are each other's peer. */
                const char *pk = rtnl_link_get_type(p), *lk = rtnl_link_get_type(l);
                if (pk && lk && streq(pk, "veth") && streq(lk, "veth") &&
                    rtnl_link_get_link(p) == rtnl_link_get_ifindex(l) &&
                    rtnl_link_get_link(l) == rtnl_link_get_ifindex(p))
                        return 0;
                *err = xasprintf("%s in %s and %s in %s exist but are not a veth pair", a->port, vc_nl_where(a->ovs_netns),
                                 VC_L2_LAN, a->netns);
                return -EEXIST;
        }
        if (p || l) {
                *err = p ? xasprintf("%s already exists in %s (without its peer %s in %s): not ours", a->port,
                                     vc_nl_where(a->ovs_netns), VC_L2_LAN, a->netns)
                         : xasprintf("%s already exists in %s (without its peer %s in %s): not ours", VC_L2_LAN,
                                     a->netns, a->port, vc_nl_where(a->ovs_netns));
                return -EEXIST;
        }
        _cleanup_link_ struct rtnl_link *v = rtnl_link_veth_alloc();
        if (!v)
                abort();
        _cleanup_link_ struct rtnl_link *peer = rtnl_link_veth_get_peer(v);
        rtnl_link_set_name(v, a->port);
        rtnl_link_set_name(peer, VC_L2_LAN);
        rtnl_link_set_ns_fd(peer, jobfd);
        int r = rtnl_link_add(ovs->sk, v, NLM_F_CREATE | NLM_F_EXCL);
        if (r < 0) {
                *err = xasprintf("creating veth %s (in %s) ⇄ %s (in %s): %s", a->port, vc_nl_where(a->ovs_netns), VC_L2_LAN,
                                 a->netns, nl_geterror(r));
                return vc_nl_errno(r);
        }
        *made = true;
        log_debug("created veth %s (in %s) ⇄ %s (in %s)", a->port, vc_nl_where(a->ovs_netns), VC_L2_LAN, a->netns);
        if ((r = vc_nl_refill(ovs, err)) < 0)
                return r;
        return vc_nl_refill(job, err);
}

/* segment_links: everything of the segment but the OVS port. */
static int segment_links(const struct l2args *a, bool *made_veth, char **err) {
        _cleanup_close_ int jobfd = -1;
        _cleanup_nl_ struct vc_nl job = {0}, ovs = {0};
        int r;
        if ((r = vc_netns_open(a->netns, &jobfd, err)) < 0 || (r = vc_nl_open(&job, a->netns, err)) < 0 ||
            (r = vc_nl_open(&ovs, a->ovs_netns, err)) < 0)
                return r;
        if ((r = vc_l2_link_up(&job, "lo", err)) < 0 || (r = ensure_bridge(&job, err)) < 0 ||
            (r = ensure_veth(a, &job, &ovs, jobfd, made_veth, err)) < 0 ||
            (r = vc_l2_join_bridge(&job, VC_L2_LAN, err)) < 0 ||
            (r = vc_l2_link_up(&ovs, a->port, err)) < 0)
                return r;
        return a->address ? add_address(&job, a->address, err) : 0;
}

/* The tunnels carry the site's 1500-byte frames inside a WAN packet of the
 * same size (VXLAN adds 50 bytes, OpenVPN up to ~100): a full-size TCP
 * segment with DF set would be fragmented or dropped on the way, and TCP
 * crawls. Every TCP SYN the segment's bridge forwards (or sends: the cache)
 * gets its MSS lowered to what fits a 1500-byte WAN path with either tunnel.
 * The table lives and dies with the namespace. */
#define VC_L2_MSS 1360

/* clamp_mss: load the MSS clamp into the namespace's nftables (replacing ours). */
static int clamp_mss(const char *netns, char **err) {
        _cleanup_free_ char *rules = xasprintf(
                "table bridge vcl2\ndelete table bridge vcl2\ntable bridge vcl2 {\n"
                "\tchain forward { type filter hook forward priority 0; policy accept;\n"
                "\t\ttcp flags syn tcp option maxseg size > %d tcp option maxseg size set %d\n\t}\n"
                "\tchain output { type filter hook output priority 0; policy accept;\n"
                "\t\ttcp flags syn tcp option maxseg size > %d tcp option maxseg size set %d\n\t}\n}\n",
                VC_L2_MSS, VC_L2_MSS, VC_L2_MSS, VC_L2_MSS);
        _cleanup_free_ char *why = NULL;
        int r = vc_netns_nft(netns, rules, &why);
        if (r < 0)
                *err = xasprintf("the TCP MSS clamp: %s", why);
        return r;
}

/* delete_port_veth: the veth end port in ovs_netns is gone (0 when that namespace is). */
static int delete_port_veth(const struct l2args *a, char **err) {
        if (!vc_netns_exists(a->ovs_netns))
                return 0;
        _cleanup_nl_ struct vc_nl ovs = {0};
        int r = vc_nl_open(&ovs, a->ovs_netns, err);
        return r < 0 ? r : vc_l2_link_delete(&ovs, a->port, "veth", err);
}

int vc_l2_segment_do(void *ctx, json_t *args, char **err) {
        _cleanup_(vc_l2args_done) struct l2args a;
        int r = vc_l2_segment_args(args, &a, err);
        if (r < 0)
                return vc_step_untouched(r);
        if (!vc_netns_exists(a.ovs_netns)) {
                *err = xasprintf("%s: OVS namespace (\"ovs_netns\") %s does not exist", a.kind, a.ovs_netns);
                return vc_step_untouched(-ENOENT);
        }
        bool made_ns = false, made_veth = false, made_port = false;
        if ((r = vc_netns_add(a.netns, &made_ns, err)) < 0)
                return vc_step_untouched(r);
        r = segment_links(&a, &made_veth, err);
        if (r >= 0)
                r = clamp_mss(a.netns, err);
        if (r >= 0)
                r = vc_l2_ovs_port_add(&a, &made_port, err);
        if (r >= 0) {
                log_info("%s: %s ⇄ %s in %s, a port of %s (tag %d) in %s%s", a.netns, VC_L2_LAN, a.port,
                         vc_nl_where(a.ovs_netns), a.ovs_bridge, a.vlan, a.ovs_db, made_ns ? "" : " (already)");
                return 0;
        }
        /* Undo only what this call made, newest first; the first error stays in *err. */
        _cleanup_free_ char *e2 = NULL;
        if (made_port && vc_l2_ovs_port_remove(&a, &e2) < 0)
                log_warning("%s: undoing the OVS port %s: %s", a.kind, a.port, e2);
        free(TAKE_PTR(e2));
        if (made_veth && delete_port_veth(&a, &e2) < 0)
                log_warning("%s: undoing %s: %s", a.kind, a.port, e2);
        free(TAKE_PTR(e2));
        if (made_ns && vc_netns_del(a.netns, &e2) < 0)
                log_warning("%s: undoing %s: %s", a.kind, a.netns, e2);
        return r;
}

int vc_l2_segment_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(vc_l2args_done) struct l2args a;
        int r = vc_l2_segment_args(args, &a, err);
        if (r < 0 || (r = vc_l2_ovs_port_remove(&a, err)) < 0 || (r = delete_port_veth(&a, err)) < 0 ||
            (r = vc_netns_del(a.netns, err)) < 0)
                return r;
        log_info("%s: OVS port %s, its veth and %s are gone", a.kind, a.port, a.netns);
        return 0;
}
