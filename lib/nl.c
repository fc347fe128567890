#include "nl.h"

#include <errno.h>
#include <net/if.h>

#include "netns.h"

int vc_nl_errno(int nlerr) {
        switch (nlerr < 0 ? -nlerr : nlerr) {
        case NLE_INTR: return -EINTR;
        case NLE_BAD_SOCK: return -EBADF;
        case NLE_AGAIN: return -EAGAIN;
        case NLE_NOMEM: return -ENOMEM;
        case NLE_EXIST: return -EEXIST;
        case NLE_INVAL: return -EINVAL;
        case NLE_RANGE: return -ERANGE;
        case NLE_MSGSIZE: return -EMSGSIZE;
        case NLE_OPNOTSUPP: return -EOPNOTSUPP;
        case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
        case NLE_OBJ_NOTFOUND: return -ENOENT;
        case NLE_NOATTR:
        case NLE_MISSING_ATTR: return -ENODATA;
        case NLE_NOADDR: return -EADDRNOTAVAIL;
        case NLE_BUSY: return -EBUSY;
        case NLE_NOACCESS: return -EACCES;
        case NLE_PERM:
        case NLE_IMMUTABLE: return -EPERM;
        case NLE_NODEV: return -ENODEV;
        case NLE_SEQ_MISMATCH:
        case NLE_MSG_OVERFLOW:
        case NLE_MSG_TRUNC:
        case NLE_MSG_TOOSHORT:
        case NLE_ATTRSIZE:
        case NLE_PARSE_ERR: return -EBADMSG;
        case NLE_PROTO_MISMATCH:
        case NLE_MSGTYPE_NOSUPPORT: return -EPROTONOSUPPORT;
        case NLE_DUMP_INTR: return -EAGAIN;
        default: return -EIO;
        }
}

const char *vc_nl_where(const char *ns) { return ns ? ns : "this node's own namespace"; }

static int connect_in(void *arg, char **err) {
        struct vc_nl *c = arg;
        c->sk = nl_socket_alloc();
        if (!c->sk)
                abort();
        int r = nl_connect(c->sk, NETLINK_ROUTE);
        if (r < 0) {
                *err = xasprintf("%s: cannot connect to rtnetlink: %s", vc_nl_where(c->ns), nl_geterror(r));
                return vc_nl_errno(r);
        }
        return 0;
}

int vc_nl_open(struct vc_nl *c, const char *ns, char **err) {
        *c = (struct vc_nl){.ns = ns};
        /* a socket opened inside stays bound to that namespace */
        int r = ns ? vc_netns_run(ns, connect_in, c, err) : connect_in(c, err);
        if (r < 0)
                return r;
        r = rtnl_link_alloc_cache(c->sk, AF_UNSPEC, &c->links);
        if (r < 0) {
                c->links = NULL;
                *err = xasprintf("%s: cannot list links: %s", vc_nl_where(ns), nl_geterror(r));
                return vc_nl_errno(r);
        }
        return 0;
}

void vc_nl_done(struct vc_nl *c) {
        if (c->links)
                nl_cache_free(c->links);
        if (c->sk)
                nl_socket_free(c->sk); /* closes it too */
        c->links = NULL;
        c->sk = NULL;
}

int vc_nl_refill(struct vc_nl *c, char **err) {
        int r = nl_cache_refill(c->sk, c->links);
        if (r < 0) {
                *err = xasprintf("%s: cannot list links: %s", vc_nl_where(c->ns), nl_geterror(r));
                return vc_nl_errno(r);
        }
        return 0;
}

char *vc_nl_kind_of(struct rtnl_link *l) {
        const char *k = rtnl_link_get_type(l);
        return k ? xasprintf("kind %s", k) : xstrdup("no link kind: a physical or loopback device");
}

int vc_nl_set_up(struct vc_nl *c, struct rtnl_link *l, const char *name, char **err) {
        if (rtnl_link_get_flags(l) & IFF_UP)
                return 0;
        struct rtnl_link *change = rtnl_link_alloc();
        if (!change)
                abort();
        rtnl_link_set_flags(change, IFF_UP);
        int r = rtnl_link_change(c->sk, l, change, 0);
        rtnl_link_put(change);
        if (r < 0) {
                *err = xasprintf("bringing %s in %s up: %s", name, vc_nl_where(c->ns), nl_geterror(r));
                return vc_nl_errno(r);
        }
        return 0;
}
