#include "bridge.h"

#include <errno.h>
#include <net/if.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/vlan.h>

#include "log.h"
#include "netns.h"
#include "nl.h"
#include "util.h"

#define VLAN_MIN 1
#define VLAN_MAX 4094

/* The 802.1Q module creates this in every network namespace once loaded. */
#define PROC_NET_VLAN "/proc/net/vlan/config"

int vc_vlan_ifname(const char *trunk, int vlan, char **name, char **err) {
        int r = vc_ifname_check(trunk, err);
        if (r < 0)
                return r;
        if (vlan < VLAN_MIN || vlan > VLAN_MAX) {
                *err = xasprintf("VLAN id %d on %s is out of range (%d-%d)", vlan, trunk, VLAN_MIN, VLAN_MAX);
                return -ERANGE;
        }
        _cleanup_free_ char *n = xasprintf("%s.%d", trunk, vlan);
        if (strlen(n) > IFNAMSIZ - 1) {
                *err = xasprintf("VLAN interface name '%s' (TRUNK.VLAN) is longer than %d characters", n,
                                 IFNAMSIZ - 1);
                return -ENAMETOOLONG;
        }
        *name = TAKE_PTR(n);
        return 0;
}

/* delete_link: remove name; 0 when it is already gone. */
static int delete_link(struct vc_nl *c, const char *name, char **err) {
        _cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
        if (!l)
                abort();
        rtnl_link_set_name(l, name);
        int r = rtnl_link_delete(c->sk, l);
        if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
                return 0;
        if (r < 0) {
                *err = xasprintf("deleting %s: %s", name, nl_geterror(r));
                return vc_nl_errno(r);
        }
        log_debug("deleted %s", name);
        return 0;
}

/* check_vlan: l (called vname) is 802.1Q id vlan on the trunk with index tidx. */
static int check_vlan(struct vc_nl *c, struct rtnl_link *l, const char *vname, const char *trunk, int tidx, int vlan,
                      char **err) {
        if (!rtnl_link_is_vlan(l)) {
                _cleanup_free_ char *kind = vc_nl_kind_of(l);
                *err = xasprintf("%s exists but is not an 802.1Q VLAN interface (it has %s)", vname, kind);
                return -EEXIST;
        }
        int id = rtnl_link_vlan_get_id(l), lower = rtnl_link_get_link(l);
        if (id != vlan || lower != tidx) {
                char buf[IFNAMSIZ + 16];
                if (!rtnl_link_i2name(c->links, lower, buf, sizeof buf))
                        snprintf(buf, sizeof buf, "ifindex %d", lower);
                *err = xasprintf("%s exists but is VLAN %d on %s, not VLAN %d on %s", vname, id, buf, vlan, trunk);
                return -EEXIST;
        }
        return 0;
}

static int check_bridge(struct rtnl_link *l, const char *bridge, char **err) {
        if (rtnl_link_is_bridge(l))
                return 0;
        _cleanup_free_ char *kind = vc_nl_kind_of(l);
        *err = xasprintf("%s exists but is not a bridge (it has %s)", bridge, kind);
        return -EEXIST;
}

/* ensure_vlan: vname (802.1Q vlan on trunk) exists and is up; *made when this call created it. */
static int ensure_vlan(struct vc_nl *c, const char *trunk, int tidx, int vlan, const char *vname, bool *made,
                       char **err) {
        for (int attempt = 0;; attempt++) {
                _cleanup_link_ struct rtnl_link *l = vc_nl_get(c, vname);
                if (l) {
                        int r = check_vlan(c, l, vname, trunk, tidx, vlan, err);
                        return r < 0 ? r : vc_nl_set_up(c, l, vname, err);
                }
                _cleanup_link_ struct rtnl_link *n = rtnl_link_vlan_alloc();
                if (!n)
                        abort();
                rtnl_link_set_name(n, vname);
                rtnl_link_set_link(n, tidx);
                rtnl_link_vlan_set_id(n, (uint16_t)vlan);
                rtnl_link_set_flags(n, IFF_UP);
                int r = rtnl_link_add(c->sk, n, NLM_F_CREATE | NLM_F_EXCL);
                if (r == -NLE_EXIST && attempt == 0) {
                        /* made by someone else since we listed: check theirs */
                        r = vc_nl_refill(c, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (r == -NLE_OPNOTSUPP) {
                        /* The kernel says EOPNOTSUPP both for an unknown link kind and for a
                         * lower device that cannot carry VLANs; the module's proc file tells
                         * them apart (a failed add has already tried to load 8021q). */
                        if (access(PROC_NET_VLAN, F_OK) == 0)
                                *err = xasprintf("%s on %s: %s does not support 802.1Q VLANs (%s)", vname, trunk,
                                                 trunk, nl_geterror(r));
                        else
                                *err = xasprintf("%s on %s: kernel has no 802.1Q support (CONFIG_VLAN_8021Q)", vname,
                                                 trunk);
                        return -EOPNOTSUPP;
                }
                if (r < 0) {
                        *err = xasprintf("creating %s (VLAN %d on %s): %s", vname, vlan, trunk, nl_geterror(r));
                        return vc_nl_errno(r);
                }
                *made = true;
                log_debug("created %s (802.1Q VLAN %d on %s)", vname, vlan, trunk);
                return vc_nl_refill(c, err);
        }
}

/* ensure_bridge: bridge exists and is up; *made when this call created it. */
static int ensure_bridge(struct vc_nl *c, const char *bridge, bool *made, char **err) {
        for (int attempt = 0;; attempt++) {
                _cleanup_link_ struct rtnl_link *l = vc_nl_get(c, bridge);
                if (l) {
                        int r = check_bridge(l, bridge, err);
                        return r < 0 ? r : vc_nl_set_up(c, l, bridge, err);
                }
                _cleanup_link_ struct rtnl_link *n = rtnl_link_bridge_alloc();
                if (!n)
                        abort();
                rtnl_link_set_name(n, bridge);
                rtnl_link_set_flags(n, IFF_UP);
                int r = rtnl_link_add(c->sk, n, NLM_F_CREATE | NLM_F_EXCL);
                if (r == -NLE_EXIST && attempt == 0) {
                        r = vc_nl_refill(c, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (r < 0) {
                        *err = xasprintf("creating bridge %s: %s", bridge, nl_geterror(r));
                        return vc_nl_errno(r);
                }
                *made = true;
                log_debug("created bridge %s", bridge);
                return vc_nl_refill(c, err);
        }
}

/* enslave: link becomes a port of bridge (already checked to be a bridge). */
static int enslave(struct vc_nl *c, const char *link, const char *bridge, char **err) {
        _cleanup_link_ struct rtnl_link *l = vc_nl_get(c, link);
        _cleanup_link_ struct rtnl_link *b = vc_nl_get(c, bridge);
        if (!l) {
                *err = xasprintf("interface %s does not exist", link);
                return -ENODEV;
        }
        if (!b) {
                *err = xasprintf("bridge %s does not exist", bridge);
                return -ENODEV;
        }
        int master = rtnl_link_get_master(l), bidx = rtnl_link_get_ifindex(b);
        if (master == bidx)
                return 0;
        if (master != 0) {
                char buf[IFNAMSIZ + 16];
                if (!rtnl_link_i2name(c->links, master, buf, sizeof buf))
                        snprintf(buf, sizeof buf, "ifindex %d", master);
                *err = xasprintf("%s is already a port of %s, not of %s", link, buf, bridge);
                return -EBUSY;
        }
        int r = rtnl_link_enslave(c->sk, b, l);
        if (r < 0) {
                *err = xasprintf("making %s a port of bridge %s: %s", link, bridge, nl_geterror(r));
                return vc_nl_errno(r);
        }
        log_debug("%s is a port of %s", link, bridge);
        return 0;
}

/* ports_of: names of the links whose master is bidx. */
static char **ports_of(struct vc_nl *c, int bidx) {
        char **v = xcalloc(1, sizeof(char *));
        for (struct nl_object *o = nl_cache_get_first(c->links); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *l = (struct rtnl_link *)o;
                if (rtnl_link_get_master(l) == bidx && rtnl_link_get_ifindex(l) != bidx && rtnl_link_get_name(l))
                        strv_push(&v, rtnl_link_get_name(l));
        }
        return v;
}

/* open_vlan_bridge: check the names of TRUNK.VLAN (into *vname) and bridge, and open a context. */
static int open_vlan_bridge(const char *trunk, int vlan, const char *bridge, char **vname, struct vc_nl *c,
                            char **err) {
        int r = vc_vlan_ifname(trunk, vlan, vname, err);
        if (r < 0)
                return r;
        r = vc_ifname_check(bridge, err);
        if (r < 0)
                return r;
        return vc_nl_open(c, NULL, err);
}

int vc_bridge_vlan_up(const char *trunk, int vlan, const char *bridge, char **err) {
        _cleanup_free_ char *vname = NULL;
        _cleanup_nl_ struct vc_nl c = {0};
        int r = open_vlan_bridge(trunk, vlan, bridge, &vname, &c, err);
        if (r < 0)
                return r;
        _cleanup_link_ struct rtnl_link *t = vc_nl_get(&c, trunk);
        if (!t) {
                *err = xasprintf("trunk interface %s does not exist", trunk);
                return -ENODEV;
        }
        bool made_vlan = false, made_bridge = false;
        r = ensure_vlan(&c, trunk, rtnl_link_get_ifindex(t), vlan, vname, &made_vlan, err);
        if (r < 0)
                return r;
        r = ensure_bridge(&c, bridge, &made_bridge, err);
        if (r >= 0)
                r = enslave(&c, vname, bridge, err);
        if (r < 0) {
                /* Undo only what this call made, newest first; the first error stays in *err. */
                const char *made[] = {made_bridge ? bridge : NULL, made_vlan ? vname : NULL};
                for (size_t i = 0; i < ARRAY_SIZE(made); i++) {
                        if (!made[i])
                                continue;
                        _cleanup_free_ char *e2 = NULL;
                        if (delete_link(&c, made[i], &e2) < 0)
                                log_warning("undoing %s: %s", made[i], e2);
                }
                return r;
        }
        log_info("%s (VLAN %d on %s) is a port of bridge %s%s", vname, vlan, trunk, bridge,
                 made_vlan || made_bridge ? "" : " (already)");
        return 0;
}

int vc_bridge_vlan_down(const char *trunk, int vlan, const char *bridge, char **err) {
        _cleanup_free_ char *vname = NULL;
        _cleanup_nl_ struct vc_nl c = {0};
        int r = open_vlan_bridge(trunk, vlan, bridge, &vname, &c, err);
        if (r < 0)
                return r;
        _cleanup_link_ struct rtnl_link *b = vc_nl_get(&c, bridge);
        if (b) {
                r = check_bridge(b, bridge, err);
                if (r < 0)
                        return r;
                _cleanup_strv_ char **ports = ports_of(&c, rtnl_link_get_ifindex(b));
                for (char **p = ports; *p; p++)
                        if (!streq(*p, vname)) {
                                log_info("bridge %s still has port %s (another user): leaving it and %s", bridge, *p,
                                         vname);
                                return 0;
                        }
                r = delete_link(&c, bridge, err);
                if (r < 0)
                        return r;
                r = vc_nl_refill(&c, err);
                if (r < 0)
                        return r;
        }
        _cleanup_link_ struct rtnl_link *v = vc_nl_get(&c, vname);
        if (!v) {
                log_debug("%s and %s are gone", bridge, vname);
                return 0;
        }
        _cleanup_link_ struct rtnl_link *t = vc_nl_get(&c, trunk);
        r = check_vlan(&c, v, vname, trunk, t ? rtnl_link_get_ifindex(t) : 0, vlan, err);
        if (r < 0)
                return r;
        int master = rtnl_link_get_master(v);
        if (master != 0) {
                char buf[IFNAMSIZ + 16];
                if (!rtnl_link_i2name(c.links, master, buf, sizeof buf))
                        snprintf(buf, sizeof buf, "ifindex %d", master);
                log_info("%s is a port of %s, not of %s: leaving it", vname, buf, bridge);
                return 0;
        }
        r = delete_link(&c, vname, err);
        if (r < 0)
                return r;
        log_info("deleted bridge %s and %s", bridge, vname);
        return 0;
}

int vc_bridge_create(const char *bridge, char **err) {
        int r = vc_ifname_check(bridge, err);
        if (r < 0)
                return r;
        _cleanup_nl_ struct vc_nl c = {0};
        r = vc_nl_open(&c, NULL, err);
        if (r < 0)
                return r;
        bool made = false;
        return ensure_bridge(&c, bridge, &made, err);
}

/* open_bridge: a context and the existing bridge named bridge (-ENODEV: none, -EINVAL: not a bridge). */
static int open_bridge(struct vc_nl *c, const char *bridge, struct rtnl_link **b, char **err) {
        int r = vc_nl_open(c, NULL, err);
        if (r < 0)
                return r;
        *b = vc_nl_get(c, bridge);
        if (!*b) {
                *err = xasprintf("bridge %s does not exist", bridge);
                return -ENODEV;
        }
        return check_bridge(*b, bridge, err) < 0 ? -EINVAL : 0;
}

int vc_link_enslave(const char *link, const char *bridge, char **err) {
        int r = vc_ifname_check(link, err);
        if (r < 0)
                return r;
        r = vc_ifname_check(bridge, err);
        if (r < 0)
                return r;
        _cleanup_nl_ struct vc_nl c = {0};
        _cleanup_link_ struct rtnl_link *b = NULL;
        r = open_bridge(&c, bridge, &b, err);
        if (r < 0)
                return r;
        return enslave(&c, link, bridge, err);
}

int vc_link_delete(const char *name, char **err) {
        int r = vc_ifname_check(name, err);
        if (r < 0)
                return r;
        _cleanup_nl_ struct vc_nl c = {0};
        r = vc_nl_open(&c, NULL, err);
        if (r < 0)
                return r;
        return delete_link(&c, name, err);
}

int vc_bridge_ports(const char *bridge, char ***ports, char **err) {
        int r = vc_ifname_check(bridge, err);
        if (r < 0)
                return r;
        _cleanup_nl_ struct vc_nl c = {0};
        _cleanup_link_ struct rtnl_link *b = NULL;
        r = open_bridge(&c, bridge, &b, err);
        if (r < 0)
                return r;
        *ports = ports_of(&c, rtnl_link_get_ifindex(b));
        return 0;
}
