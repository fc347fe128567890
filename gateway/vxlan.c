/* vxlan.c — the step l2.vxlan (l2ext.h): the VXLAN device, its FDB entries
 * and the WAN side's source filter. */
#include "l2int.h"

#include <errno.h>

#include <linux/if_ether.h>
#include <linux/neighbour.h>

#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>

#include "journal.h"
#include "log.h"
#include "netns.h"
#include "util.h"

#define VXLAN_MTU 1500

/* check_vxlan: an existing dev is a vxlan device of this VNI. */
static int check_vxlan(const struct l2args *a, struct rtnl_link *l, char **err) {
        uint32_t id = 0;
        if (!rtnl_link_is_vxlan(l)) {
                _cleanup_free_ char *has = vc_nl_kind_of(l);
                *err = xasprintf("%s in %s exists but is not a VXLAN device (it has %s)", a->dev, a->netns, has);
                return -EEXIST;
        }
        if (rtnl_link_vxlan_get_id(l, &id) < 0 || id != (uint32_t)a->vni) {
                *err = xasprintf("%s in %s exists but is VXLAN id %u, not %lld", a->dev, a->netns, id, a->vni);
                return -EEXIST;
        }
        if (rtnl_link_vxlan_get_learning(l) > 0) {
                *err = xasprintf("%s in %s exists but learns remote addresses (an older version made it?)", a->dev,
                                 a->netns);
                return -EEXIST;
        }
        return 0;
}

static int make_vxlan(const struct l2args *a, struct vc_nl *wan, int jobfd, char **err) {
        _cleanup_link_ struct rtnl_link *l = rtnl_link_vxlan_alloc();
        _cleanup_nladdr_ struct nl_addr *local = NULL, *remote = NULL;
        if (!l || nl_addr_parse(a->local, a->family, &local) < 0)
                abort();
        rtnl_link_set_name(l, a->dev);
        rtnl_link_set_mtu(l, VXLAN_MTU);
        rtnl_link_set_ns_fd(l, jobfd);
        rtnl_link_vxlan_set_id(l, (uint32_t)a->vni);
        rtnl_link_vxlan_set_local(l, local);
        rtnl_link_vxlan_set_port(l, (uint32_t)a->udp_port);
        /* No source address learned from what arrives: frames go only where
         * the job's plan says the peers are (the remote, or the all-zero FDB
         * entries), never to whoever sent something into the VNI. */
        rtnl_link_vxlan_set_learning(l, 0);
        if (strv_len(a->remotes) == 1) {
                if (nl_addr_parse(a->remotes[0], a->family, &remote) < 0)
                        abort();
                rtnl_link_vxlan_set_group(l, remote);
        }
        int r = rtnl_link_add(wan->sk, l, NLM_F_CREATE | NLM_F_EXCL);
        if (r == -NLE_OPNOTSUPP) {
                *err = xasprintf("creating %s in %s: kernel has no VXLAN support (CONFIG_VXLAN)", a->dev, a->netns);
                return -EOPNOTSUPP;
        }
        if (r == -NLE_EXIST) {
                *err = xasprintf("creating %s in %s: %s (another VXLAN device with VNI %lld and port %lld may "
                                 "already use %s in %s)",
                                 a->dev, a->netns, nl_geterror(r), a->vni, a->udp_port, a->local,
                                 vc_nl_where(a->wan_netns));
                return -EEXIST;
        }
        if (r < 0) {
                *err = xasprintf("creating %s (VXLAN %lld, local %s, port %lld, socket in %s) in %s: %s", a->dev,
                                 a->vni, a->local, a->udp_port, vc_nl_where(a->wan_netns), a->netns, nl_geterror(r));
                return vc_nl_errno(r);
        }
        log_debug("created %s (VXLAN %lld, local %s) in %s, socket in %s", a->dev, a->vni, a->local, a->netns,
                  vc_nl_where(a->wan_netns));
        return 0;
}

/* add_fdb: an all-zero FDB entry of dev towards each remote (head-end replication). */
static int add_fdb(const struct l2args *a, struct vc_nl *job, char **err) {
        _cleanup_link_ struct rtnl_link *l = vc_nl_get(job, a->dev);
        if (!l) {
                *err = xasprintf("%s in %s vanished", a->dev, a->netns);
                return -ENODEV;
        }
        _cleanup_nladdr_ struct nl_addr *zero = nl_addr_build(AF_LLC, (const unsigned char[ETH_ALEN]){0}, ETH_ALEN);
        if (!zero)
                abort();
        for (char **rm = a->remotes; *rm; rm++) {
                _cleanup_nladdr_ struct nl_addr *dst = NULL;
                struct rtnl_neigh *n = rtnl_neigh_alloc();
                if (!n || nl_addr_parse(*rm, a->family, &dst) < 0)
                        abort();
                rtnl_neigh_set_ifindex(n, rtnl_link_get_ifindex(l));
                rtnl_neigh_set_lladdr(n, zero);
                rtnl_neigh_set_dst(n, dst); /* sets the family from dst: AF_BRIDGE comes after */
                rtnl_neigh_set_family(n, AF_BRIDGE);
                rtnl_neigh_set_flags(n, NTF_SELF);
                rtnl_neigh_set_state(n, NUD_PERMANENT | NUD_NOARP);
                int r = rtnl_neigh_add(job->sk, n, NLM_F_CREATE | NLM_F_APPEND);
                rtnl_neigh_put(n);
                if (r < 0) {
                        *err = xasprintf("adding FDB entry 00:00:00:00:00:00 dst %s to %s in %s: %s", *rm, a->dev,
                                         a->netns, nl_geterror(r));
                        return vc_nl_errno(r);
                }
        }
        return 0;
}

/* The WAN side's filter. The kernel's VXLAN socket takes a packet for its
 * VNI from any source address; learning off only stops replies from going
 * back to it. So an nftables table in the WAN namespace (where that socket
 * lives) drops UDP to the VXLAN port carrying this VNI unless it comes from
 * one of the job's peer gateways. The table is per cluster namespace, so the
 * jobs on one WAN namespace never touch each other's rules (one per device: a
 * failed second device never takes the first one's filter away). */
#define VXLAN_TABLE_PREFIX "vcvx-"

char *vc_l2_vxlan_ruleset(const char *table, int family, const char *local, long long port, long long vni,
                          char *const *remotes) {
        const char *ip = family == AF_INET6 ? "ip6" : "ip";
        _cleanup_free_ char *set = strv_join((char **)remotes, ", ");
        /* @th,96,24: the VNI, bits 32-55 of the VXLAN header after the 8-byte UDP header */
        return xasprintf("table inet %s\ndelete table inet %s\ntable inet %s {\n"
                         "\tchain input {\n\t\ttype filter hook input priority filter - 10; policy accept;\n"
                         "\t\t%s daddr %s udp dport %lld @th,96,24 %lld %s saddr != { %s } counter drop\n"
                         "\t}\n}\n",
                         table, table, table, ip, local, port, vni, ip, set);
}

/* wan_filter_table: the filter's table name for a's device in its cluster namespace (malloc'd). */
static char *wan_filter_table(const struct l2args *a) {
        return xasprintf(VXLAN_TABLE_PREFIX "%s-%s", a->netns, a->dev);
}

/* wan_filter_add: the filter of a's VNI loaded into the WAN namespace (replacing ours). */
static int wan_filter_add(const struct l2args *a, char **err) {
        _cleanup_free_ char *table = wan_filter_table(a);
        _cleanup_free_ char *rules =
                vc_l2_vxlan_ruleset(table, a->family, a->local, a->udp_port, a->vni, a->remotes);
        _cleanup_free_ char *why = NULL;
        int r = vc_netns_nft(a->wan_netns, rules, &why);
        if (r < 0)
                *err = xasprintf("%s: the source filter of VNI %lld: %s", a->kind, a->vni, why);
        return r;
}

/* wan_filter_del: the filter's table is gone from the WAN namespace (0 when it or the namespace is). */
static int wan_filter_del(const struct l2args *a, char **err) {
        if (!vc_netns_exists(a->wan_netns))
                return 0;
        _cleanup_free_ char *table = wan_filter_table(a);
        /* made empty first, so deleting never fails for want of it */
        _cleanup_free_ char *rules = xasprintf("table inet %s\ndelete table inet %s\n", table, table);
        _cleanup_free_ char *why = NULL;
        int r = vc_netns_nft(a->wan_netns, rules, &why);
        if (r < 0)
                *err = xasprintf("%s: removing the source filter of VNI %lld: %s", a->kind, a->vni, why);
        return r;
}

int vc_l2_vxlan_do(void *ctx, json_t *args, char **err) {
        _cleanup_(vc_l2args_done) struct l2args a;
        int r = vc_l2_vxlan_args(args, &a, err);
        if (r < 0 || (r = vc_l2_need_ns(&a, a.netns, "network namespace", err)) < 0 ||
            (r = vc_l2_need_ns(&a, a.wan_netns, "WAN namespace (\"wan_netns\")", err)) < 0)
                return vc_step_untouched(r);
        _cleanup_close_ int jobfd = -1;
        _cleanup_nl_ struct vc_nl job = {0}, wan = {0};
        if ((r = vc_netns_open(a.netns, &jobfd, err)) < 0 || (r = vc_nl_open(&job, a.netns, err)) < 0 ||
            (r = vc_nl_open(&wan, a.wan_netns, err)) < 0)
                return vc_step_untouched(r);
        bool made = false, existed;
        {
                _cleanup_link_ struct rtnl_link *old = vc_nl_get(&job, a.dev);
                existed = old != NULL;
                if (old && (r = check_vxlan(&a, old, err)) < 0)
                        return vc_step_untouched(r); /* nothing made, an existing device only looked at */
        }
        /* The filter comes before the device, so no moment has the VNI open to everyone. */
        if ((r = wan_filter_add(&a, err)) < 0)
                return existed ? r : vc_step_untouched(r);
        if (!existed && (r = make_vxlan(&a, &wan, jobfd, err)) >= 0)
                made = true;
        if (r >= 0 && (r = vc_nl_refill(&job, err)) >= 0 &&
            (strv_len(a.remotes) < 2 || (r = add_fdb(&a, &job, err)) >= 0))
                r = vc_l2_join_bridge(&job, a.dev, err);
        if (r < 0) {
                /* The device takes its FDB entries and its place in br0 with it; the filter stays
                 * when a device of an earlier run stays. */
                _cleanup_free_ char *e2 = NULL;
                if (existed)
                        return r;
                if (made && vc_l2_link_delete(&job, a.dev, "vxlan", &e2) < 0) {
                        log_warning("%s: undoing %s: %s", a.kind, a.dev, e2);
                        return r;
                }
                free(TAKE_PTR(e2));
                if (wan_filter_del(&a, &e2) < 0) {
                        log_warning("%s: undoing %s's filter: %s", a.kind, a.dev, e2);
                        return r;
                }
                return vc_step_untouched(r);
        }
        _cleanup_free_ char *rs = strv_join(a.remotes, ", ");
        log_info("%s: %s (VXLAN %lld, %s → %s, port %lld) is a port of %s%s", a.netns, a.dev, a.vni, a.local, rs,
                 a.udp_port, VC_L2_BRIDGE, made ? "" : " (already)");
        return 0;
}

int vc_l2_vxlan_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(vc_l2args_done) struct l2args a;
        int r = vc_l2_vxlan_args(args, &a, err);
        if (r < 0)
                return r;
        /* the device first: while it exists, its filter stays */
        if (vc_netns_exists(a.netns)) {
                _cleanup_nl_ struct vc_nl job = {0};
                if ((r = vc_nl_open(&job, a.netns, err)) < 0 || (r = vc_l2_link_delete(&job, a.dev, "vxlan", err)) < 0)
                        return r;
        }
        if ((r = wan_filter_del(&a, err)) < 0)
                return r;
        log_info("%s: %s is gone from %s, its source filter from %s", a.kind, a.dev, a.netns,
                 vc_nl_where(a.wan_netns));
        return 0;
}
