/* nl.h — one rtnetlink socket and the link cache of a network namespace
 * (libnl-3 route), as node/bridge.c and the gateway's l2 steps both use them, and
 * libnl's errors as -errno.
 *
 * Contract: vc_nl_open connects in namespace ns (a name under /run/netns,
 * or NULL for the caller's own; netns.h) and lists its links; the socket
 * stays bound there. Errors name the namespace and carry libnl's reason.
 */
#ifndef VC_NL_H
#define VC_NL_H

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "util.h"

struct vc_nl {
        const char *ns; /* borrowed; NULL: the caller's own namespace */
        struct nl_sock *sk;
        struct nl_cache *links;
};

/* vc_nl_errno: a libnl error (negative NLE_*) as the nearest -errno. */
int vc_nl_errno(int nlerr);
/* vc_nl_where: ns for messages ("vcl-42", or "this node's own namespace"). */
const char *vc_nl_where(const char *ns);
/* vc_nl_open: c connected in ns, its link cache filled; 0 or -errno with *err (c needs vc_nl_done either way). */
int vc_nl_open(struct vc_nl *c, const char *ns, char **err);
/* vc_nl_done: close the socket and free the cache (safe twice). */
void vc_nl_done(struct vc_nl *c);
#define _cleanup_nl_ _cleanup_(vc_nl_done)
/* vc_nl_refill: the cache again after a change (new links, masters, flags). */
int vc_nl_refill(struct vc_nl *c, char **err);
/* vc_nl_get: the link called name (a reference to put), or NULL. */
static inline struct rtnl_link *vc_nl_get(struct vc_nl *c, const char *name) {
        return rtnl_link_get_by_name(c->links, name);
}
/* vc_nl_set_up: link l (called name, in c's namespace) is up; 0 when it already was. */
int vc_nl_set_up(struct vc_nl *c, struct rtnl_link *l, const char *name, char **err);
/* vc_nl_kind_of: what a link is, for messages: "kind veth", or that it has none (malloc'd). */
char *vc_nl_kind_of(struct rtnl_link *l);

/* vc_nl_linkp: cleanup function dropping a link reference. */
static inline void vc_nl_linkp(struct rtnl_link **l) {
        if (*l)
                rtnl_link_put(*l);
}
#define _cleanup_link_ _cleanup_(vc_nl_linkp)

/* vc_nl_addrp: cleanup function dropping an address reference. */
static inline void vc_nl_addrp(struct nl_addr **a) {
        if (*a)
                nl_addr_put(*a);
}
#define _cleanup_nladdr_ _cleanup_(vc_nl_addrp)

#endif
