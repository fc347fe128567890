/* l2links.c — the links of a cluster namespace: up, gone, a port of br0 (libnl-3). */
#include "l2int.h"

#include <errno.h>

#include <netlink/route/link.h>

#include "log.h"
#include "netns.h"
#include "util.h"

/* vc_l2_link_up: name (in c's namespace, must exist) is up. */
int vc_l2_link_up(struct vc_nl *c, const char *name, char **err) {
        _cleanup_link_ struct rtnl_link *l = vc_nl_get(c, name);
        if (!l) {
                *err = xasprintf("%s in %s does not exist", name, vc_nl_where(c->ns));
                return -ENODEV;
        }
        return vc_nl_set_up(c, l, name, err);
}

/* vc_l2_link_delete: name is gone from c's namespace; only a link of kind (NULL:
 * any) is deleted, another is left with a warning. 0 when it is not there. */
int vc_l2_link_delete(struct vc_nl *c, const char *name, const char *kind, char **err) {
        _cleanup_link_ struct rtnl_link *l = vc_nl_get(c, name);
        if (!l)
                return 0;
        const char *k = rtnl_link_get_type(l);
        if (kind && (!k || !streq(k, kind))) {
                _cleanup_free_ char *has = vc_nl_kind_of(l);
                log_warning("%s in %s has %s, not kind %s: not ours, leaving it", name, vc_nl_where(c->ns), has, kind);
                return 0;
        }
        int r = rtnl_link_delete(c->sk, l);
        if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
                return 0;
        if (r < 0) {
                *err = xasprintf("deleting %s in %s: %s", name, vc_nl_where(c->ns), nl_geterror(r));
                return vc_nl_errno(r);
        }
        log_debug("deleted %s in %s", name, vc_nl_where(c->ns));
        return 0;
}

/* enslave: link is a port of the bridge br0 (both in c's namespace). */
static int enslave(struct vc_nl *c, const char *link, char **err) {
        _cleanup_link_ struct rtnl_link *l = vc_nl_get(c, link);
        _cleanup_link_ struct rtnl_link *b = vc_nl_get(c, VC_L2_BRIDGE);
        if (!l || !b) {
                *err = xasprintf("%s in %s does not exist%s", l ? VC_L2_BRIDGE : link, vc_nl_where(c->ns),
                                 l ? " (is l2.segment done?)" : "");
                return -ENODEV;
        }
        int master = rtnl_link_get_master(l), bidx = rtnl_link_get_ifindex(b);
        if (master == bidx)
                return 0;
        if (master != 0) {
                *err = xasprintf("%s in %s is already a port of ifindex %d, not of %s", link, vc_nl_where(c->ns), master,
                                 VC_L2_BRIDGE);
                return -EBUSY;
        }
        int r = rtnl_link_enslave(c->sk, b, l);
        if (r < 0) {
                *err = xasprintf("making %s a port of %s in %s: %s", link, VC_L2_BRIDGE, vc_nl_where(c->ns), nl_geterror(r));
                return vc_nl_errno(r);
        }
        return 0;
}

/* vc_l2_join_bridge: link (in c's namespace) is a port of br0 and up. */
int vc_l2_join_bridge(struct vc_nl *c, const char *link, char **err) {
        int r = vc_nl_refill(c, err);
        if (r >= 0)
                r = enslave(c, link, err);
        if (r >= 0)
                r = vc_nl_refill(c, err);
        return r < 0 ? r : vc_l2_link_up(c, link, err);
}
