/* l2ext.c — the steps l2.segment, l2.vxlan and l2.openvpn (l2ext.h).
 *
 * Every netlink socket is opened inside the namespace it acts on (netns.h)
 * and stays bound to it, so one step talks to several namespaces at once
 * without moving the thread around: vcl-JOB, where ovs-vswitchd runs, and
 * the WAN namespace. Devices that must cross are made in one and given
 * IFLA_NET_NS_FD of the other (the veth peer, the vxlan device) or moved
 * afterwards (the openvpn tap). */
#include "l2ext.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sys/stat.h>

#include <linux/if_ether.h>
#include <linux/neighbour.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>

#include "journal.h"
#include "log.h"
#include "netns.h"
#include "ovsdb.h"
#include "run.h"
#include "nl.h"
#include "pidref.h"
#include "util.h"

#define OVSDB_TIMEOUT_MS 10000
#define VNI_MAX 16777215
#define VXLAN_MTU 1500
#define OPENVPN_START_TIMEOUT_MS 30000
#define TAP_WAIT_MS 10000
#define PIDFILE_GRACE_MS 2000
#define STOP_TERM_MS 10000
#define STOP_KILL_MS 5000
#define KEY_BEGIN "-----BEGIN OpenVPN Static key V1-----"
#define KEY_END "-----END OpenVPN Static key V1-----"
#define KEY_LINE 32

/* ---- names ---------------------------------------------------------- */

/* ifname: "PREFIXJOB.N" (hex) into buf, or NULL when job < 1 or it passes IFNAMSIZ - 1. */
static const char *ifname(const char *prefix, int64_t job, unsigned long long n, char buf[16]) {
        if (job < 1)
                return NULL;
        int w = snprintf(buf, 16, "%s%llx.%llx", prefix, (unsigned long long)job, n);
        return w > 0 && w < 16 ? buf : NULL;
}

const char *vc_l2_port_name(int64_t job, int site_id, char buf[16]) {
        return site_id < 1 ? NULL : ifname("vcg", job, (unsigned long long)site_id, buf);
}

const char *vc_l2_tap_name(int64_t job, bool hub, size_t spoke, char buf[16]) {
        return spoke < 1 ? NULL : ifname(hub ? "vct" : "vcs", job, spoke, buf);
}

char *vc_l2_netns_name(int64_t job, const char *node) { return xasprintf("vcl-%lld-%s", (long long)job, node); }

static void nl_addrp(struct nl_addr **a) {
        if (*a)
                nl_addr_put(*a);
}
#define _cleanup_nladdr_ _cleanup_(nl_addrp)

/* link_up: name (in c's namespace, must exist) is up. */
static int link_up(struct vc_nl *c, const char *name, char **err) {
        _cleanup_link_ struct rtnl_link *l = vc_nl_get(c, name);
        if (!l) {
                *err = xasprintf("%s in %s does not exist", name, vc_nl_where(c->ns));
                return -ENODEV;
        }
        return vc_nl_set_up(c, l, name, err);
}

/* link_delete: name is gone from c's namespace; only a link of kind (NULL:
 * any) is deleted, another is left with a warning. 0 when it is not there. */
static int link_delete(struct vc_nl *c, const char *name, const char *kind, char **err) {
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

/* join_bridge: link (in c's namespace) is a port of br0 and up. */
static int join_bridge(struct vc_nl *c, const char *link, char **err) {
        int r = vc_nl_refill(c, err);
        if (r >= 0)
                r = enslave(c, link, err);
        if (r >= 0)
                r = vc_nl_refill(c, err);
        return r < 0 ? r : link_up(c, link, err);
}

/* ---- args ------------------------------------------------------------ */

/* What every step's args name; which members are used depends on the step. */
struct l2args {
        const char *kind;
        int64_t job;
        const char *netns, *ovs_db, *ovs_bridge, *ovs_netns, *port, *address;
        int vlan;
        const char *wan_netns, *local, *remote, *dev, *dir;
        bool hub;       /* l2.openvpn: the TLS server of the star */
        long long spoke; /* l2.openvpn: which spoke this tunnel joins (1…); 0 when not given */
        char **remotes;
        int family; /* of local */
        long long vni, udp_port;
};

static void l2args_done(struct l2args *a) { strv_free(a->remotes); }

/* bad: -EINVAL, the step's argument key is what it must not be. */
static int bad(char **err, const struct l2args *a, const char *key, const char *what) {
        return vc_fail(err, -EINVAL, "%s: \"%s\" %s", a->kind, key, what);
}

/* get_str: a string member; nullable: may also be null or missing (*out NULL). */
static int get_str(const json_t *args, struct l2args *a, const char *key, bool nullable, const char **out,
                   char **err) {
        json_t *v = json_object_get(args, key);
        *out = NULL;
        if ((!v || json_is_null(v)) && nullable)
                return 0;
        if (!json_is_string(v) || !*json_string_value(v))
                return bad(err, a, key, nullable ? "must be a non-empty string or null" : "must be a non-empty string");
        *out = json_string_value(v);
        return 0;
}

static int get_int(const json_t *args, struct l2args *a, const char *key, long long min, long long max,
                   long long *out, char **err) {
        json_t *v = json_object_get(args, key);
        if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
                _cleanup_free_ char *what = xasprintf("must be an integer in %lld-%lld", min, max);
                return bad(err, a, key, what);
        }
        *out = json_integer_value(v);
        return 0;
}

static int get_ifname(const json_t *args, struct l2args *a, const char *key, const char **out, char **err) {
        int r = get_str(args, a, key, false, out, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *e = NULL;
        if ((r = vc_ifname_check(*out, &e)) < 0)
                *err = xasprintf("%s: \"%s\": %s", a->kind, key, e);
        return r;
}

static int get_netns(const json_t *args, struct l2args *a, const char *key, bool nullable, const char **out,
                     char **err) {
        int r = get_str(args, a, key, nullable, out, err);
        if (r < 0 || !*out)
                return r;
        _cleanup_free_ char *e = NULL;
        if ((r = vc_netns_name_check(*out, &e)) < 0)
                *err = xasprintf("%s: \"%s\": %s", a->kind, key, e);
        return r;
}

/* addr_family: AF_INET or AF_INET6 for a plain address, else 0. */
static int addr_family(const char *s) {
        unsigned char buf[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, s, buf) == 1)
                return AF_INET;
        if (inet_pton(AF_INET6, s, buf) == 1)
                return AF_INET6;
        return 0;
}

static int get_addr(const json_t *args, struct l2args *a, const char *key, const char **out, int *family,
                    char **err) {
        int r = get_str(args, a, key, false, out, err);
        if (r < 0)
                return r;
        if (!(*family = addr_family(*out))) {
                _cleanup_free_ char *what = xasprintf("'%s' is not an IPv4 or IPv6 address", *out);
                return bad(err, a, key, what);
        }
        return 0;
}

/* get_common: job, netns (both steps' and the tunnels'). */
static int get_common(const json_t *args, struct l2args *a, char **err) {
        if (!json_is_object(args)) {
                *err = xasprintf("%s: args must be a JSON object", a->kind);
                return -EINVAL;
        }
        long long job;
        int r = get_int(args, a, "job", 1, INT64_MAX, &job, err);
        if (r < 0)
                return r;
        a->job = job;
        return get_netns(args, a, "netns", false, &a->netns, err);
}

static int segment_args(const json_t *args, struct l2args *a, char **err) {
        *a = (struct l2args){.kind = "l2.segment"};
        long long vlan;
        int r;
        if ((r = get_common(args, a, err)) < 0 || (r = get_str(args, a, "ovs_db", false, &a->ovs_db, err)) < 0 ||
            (r = get_str(args, a, "ovs_bridge", false, &a->ovs_bridge, err)) < 0 ||
            (r = get_netns(args, a, "ovs_netns", true, &a->ovs_netns, err)) < 0 ||
            (r = get_ifname(args, a, "port", &a->port, err)) < 0 ||
            (r = get_int(args, a, "vlan", 1, 4094, &vlan, err)) < 0 ||
            (r = get_str(args, a, "address", true, &a->address, err)) < 0)
                return r;
        a->vlan = (int)vlan;
        if (streq(a->port, VC_L2_LAN) || streq(a->port, VC_L2_BRIDGE))
                return bad(err, a, "port",
                           "must not be " VC_L2_LAN " or " VC_L2_BRIDGE " (the names inside the netns)");
        if (a->address) {
                const char *slash = strchr(a->address, '/');
                _cleanup_free_ char *host = slash ? strndup(a->address, (size_t)(slash - a->address)) : NULL;
                if (slash && !host)
                        abort();
                unsigned long long len;
                int fam = host ? addr_family(host) : 0;
                if (!fam || parse_uint(slash + 1, 0, fam == AF_INET ? 32 : 128, &len) < 0) {
                        _cleanup_free_ char *what =
                                xasprintf("'%s' is not ADDRESS/PREFIXLEN (IPv4 or IPv6)", a->address);
                        return bad(err, a, "address", what);
                }
        }
        return 0;
}

static int tunnel_args(const json_t *args, struct l2args *a, char **err) {
        int r;
        if ((r = get_common(args, a, err)) < 0 || (r = get_netns(args, a, "wan_netns", true, &a->wan_netns, err)) < 0 ||
            (r = get_addr(args, a, "local", &a->local, &a->family, err)) < 0 ||
            (r = get_int(args, a, "port", 1, 65535, &a->udp_port, err)) < 0 ||
            (r = get_ifname(args, a, "dev", &a->dev, err)) < 0)
                return r;
        if (streq(a->dev, VC_L2_LAN) || streq(a->dev, VC_L2_BRIDGE) || streq(a->dev, "lo"))
                return bad(err, a, "dev", "must not be " VC_L2_LAN ", " VC_L2_BRIDGE " or lo");
        return 0;
}

/* nft_name_ok: s may be part of an nftables table name as nft's scanner reads one, unquoted. */
static bool nft_name_ok(const char *s) {
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
                        return false;
        return true;
}

static int vxlan_args(const json_t *args, struct l2args *a, char **err) {
        *a = (struct l2args){.kind = "l2.vxlan"};
        int r = tunnel_args(args, a, err);
        if (r < 0 || (r = get_int(args, a, "vni", 1, VNI_MAX, &a->vni, err)) < 0)
                return r;
        json_t *rs = json_object_get(args, "remotes"), *v;
        size_t i;
        if (!json_is_array(rs) || json_array_size(rs) == 0)
                return bad(err, a, "remotes", "must be a non-empty array of addresses");
        a->remotes = xcalloc(1, sizeof(char *));
        json_array_foreach(rs, i, v) {
                const char *s = json_string_value(v);
                if (!s || addr_family(s) != a->family) {
                        _cleanup_free_ char *what = xasprintf("[%zu] is not an %s address like \"local\" (%s)", i,
                                                              a->family == AF_INET ? "IPv4" : "IPv6", a->local);
                        return bad(err, a, "remotes", what);
                }
                if (streq(s, a->local) || strv_contains(a->remotes, s)) {
                        _cleanup_free_ char *what = xasprintf("[%zu] (%s) is %s", i, s,
                                                              streq(s, a->local) ? "the local address" : "given twice");
                        return bad(err, a, "remotes", what);
                }
                strv_push(&a->remotes, s);
        }
        if (!nft_name_ok(a->netns) || !nft_name_ok(a->dev))
                return bad(err, a, nft_name_ok(a->netns) ? "dev" : "netns",
                           "must be letters, digits, '_', '.' and '-' only (it names an nftables table)");
        return 0;
}

static int openvpn_args(const json_t *args, struct l2args *a, char **err) {
        *a = (struct l2args){.kind = "l2.openvpn"};
        int fam, r = tunnel_args(args, a, err);
        if (r < 0 || (r = get_addr(args, a, "remote", &a->remote, &fam, err)) < 0 ||
            (r = get_str(args, a, "dir", false, &a->dir, err)) < 0)
                return r;
        if (fam != a->family)
                return bad(err, a, "remote", "must be of the same address family as \"local\"");
        if (streq(a->local, a->remote))
                return bad(err, a, "remote", "is the local address");
        if (a->dir[0] != '/')
                return bad(err, a, "dir", "must be an absolute path");
        /* role and spoke name the TLS peers; undo does without them (a journal of an older version has none) */
        const char *role;
        if ((r = get_str(args, a, "role", true, &role, err)) < 0)
                return r;
        if (role && !streq(role, "hub") && !streq(role, "spoke"))
                return bad(err, a, "role", "must be \"hub\" or \"spoke\"");
        a->hub = role && streq(role, "hub");
        if (role && (r = get_int(args, a, "spoke", 1, 255, &a->spoke, err)) < 0)
                return r;
        return 0;
}

/* ---- OVSDB ----------------------------------------------------------- */

static int ovs_transact(const char *db, json_t *ops, json_t **res, char **err) {
        return vc_ovsdb_transact_at(db, OVSDB_TIMEOUT_MS, ops, res, err);
}


/* port_row: the Port row named port (new reference in *row, NULL when none). */
static int port_row(const char *db, const char *port, json_t **row, char **err) {
        *row = NULL;
        _cleanup_(json_decrefp) json_t *ops = json_pack("[{s:s, s:s, s:o, s:[s,s]}]", "op", "select", "table", "Port",
                                                        "where", vc_ovsdb_where_name(port), "columns", "_uuid",
                                                        "external_ids");
        _cleanup_(json_decrefp) json_t *res = NULL;
        int r = ovs_transact(db, ops, &res, err);
        if (r < 0)
                return r;
        *row = json_incref(json_array_get(json_object_get(json_array_get(res, 0), "rows"), 0));
        return 0;
}

/* row_job: the port row's external_ids:vcluster-job (malloc'd), or NULL. */
static char *row_job(json_t *row) {
        _cleanup_(json_decrefp) json_t *ids = vc_ovsdb_map_object(json_object_get(row, "external_ids"));
        const char *j = json_string_value(json_object_get(ids, VC_OVS_JOB_KEY));
        return j ? xstrdup(j) : NULL;
}

/* ovs_port_add: port is on bridge with tag vlan and the job's mark; *made when this call added it. */
static int ovs_port_add(const struct l2args *a, bool *made, char **err) {
        _cleanup_free_ char *jid = xasprintf("%lld", (long long)a->job);
        for (int attempt = 0;; attempt++) {
                _cleanup_(json_decrefp) json_t *row = NULL;
                int r = port_row(a->ovs_db, a->port, &row, err);
                if (r < 0)
                        return r;
                _cleanup_(json_decrefp) json_t *ops = NULL;
                if (row) {
                        _cleanup_free_ char *owner = row_job(row);
                        if (!owner || !streq(owner, jid)) {
                                *err = xasprintf("OVS port %s already exists in %s and is not job %s's "
                                                 "(external_ids:%s=%s)",
                                                 a->port, a->ovs_db, jid, VC_OVS_JOB_KEY, owner ? owner : "none");
                                return -EEXIST;
                        }
                        /* ours from an earlier run: make it what it should be */
                        json_t *uuid = json_object_get(row, "_uuid");
                        ops = json_pack("[{s:s, s:s, s:o, s:{s:i}}, {s:s, s:s, s:o, s:[[s,s,[s,[O]]]]}]", "op",
                                        "update", "table", "Port", "where",
                                        json_pack("[[s,s,O]]", "_uuid", "==", uuid), "row", "tag", a->vlan, "op",
                                        "mutate", "table", "Bridge", "where", vc_ovsdb_where_name(a->ovs_bridge), "mutations",
                                        "ports", "insert", "set", uuid);
                } else {
                        ops = json_pack(
                                "[{s:s, s:s, s:o, s:[s], s:s, s:[], s:i},"
                                " {s:s, s:s, s:{s:s}, s:s},"
                                " {s:s, s:s, s:{s:s, s:[s,s], s:i, s:[s,[[s,s]]]}, s:s},"
                                " {s:s, s:s, s:o, s:[[s,s,[s,[[s,s]]]]]}]",
                                "op", "wait", "table", "Port", "where", vc_ovsdb_where_name(a->port), "columns", "name",
                                "until", "==", "rows", "timeout", 0,
                                "op", "insert", "table", "Interface", "row", "name", a->port, "uuid-name", "vciface",
                                "op", "insert", "table", "Port", "row", "name", a->port, "interfaces", "named-uuid",
                                "vciface", "tag", a->vlan, "external_ids", "map", VC_OVS_JOB_KEY, jid, "uuid-name", "vcport",
                                "op", "mutate", "table", "Bridge", "where", vc_ovsdb_where_name(a->ovs_bridge), "mutations",
                                "ports", "insert", "set", "named-uuid", "vcport");
                }
                if (!ops)
                        abort();
                _cleanup_(json_decrefp) json_t *res = NULL;
                r = ovs_transact(a->ovs_db, ops, &res, err);
                if (r == -EAGAIN && attempt == 0) {
                        free(*err); /* the port appeared meanwhile: look again */
                        *err = NULL;
                        continue;
                }
                if (r < 0)
                        return r;
                json_t *mut = json_array_get(res, json_array_size(res) - 1);
                if (json_integer_value(json_object_get(mut, "count")) < 1) {
                        /* a new Port nothing refers to is dropped by the commit */
                        *err = xasprintf("OVS bridge %s does not exist in %s", a->ovs_bridge, a->ovs_db);
                        return -ENODEV;
                }
                *made = !row;
                return 0;
        }
}

/* ovs_port_remove: port is on no bridge any more, when it is this job's. */
static int ovs_port_remove(const struct l2args *a, char **err) {
        _cleanup_(json_decrefp) json_t *row = NULL;
        int r = port_row(a->ovs_db, a->port, &row, err);
        if (r < 0 || !row)
                return r;
        _cleanup_free_ char *owner = row_job(row), *jid = xasprintf("%lld", (long long)a->job);
        if (!owner || !streq(owner, jid)) {
                log_warning("OVS port %s in %s is not job %s's (external_ids:%s=%s): leaving it", a->port, a->ovs_db,
                            jid, VC_OVS_JOB_KEY, owner ? owner : "none");
                return 0;
        }
        json_t *uuid = json_object_get(row, "_uuid");
        /* Every bridge that has it lets it go; a Port nothing refers to is deleted. */
        _cleanup_(json_decrefp) json_t *ops =
                json_pack("[{s:s, s:s, s:[[s,s,[s,[O]]]], s:[[s,s,[s,[O]]]]}]", "op", "mutate", "table", "Bridge",
                          "where", "ports", "includes", "set", uuid, "mutations", "ports", "delete", "set", uuid);
        if (!ops)
                abort();
        _cleanup_(json_decrefp) json_t *res = NULL;
        if ((r = ovs_transact(a->ovs_db, ops, &res, err)) < 0)
                return r;
        log_debug("removed OVS port %s", a->port);
        return 0;
}

/* ---- l2.segment -------------------------------------------------------- */

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
        return link_up(c, VC_L2_BRIDGE, err);
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
        if ((r = link_up(&job, "lo", err)) < 0 || (r = ensure_bridge(&job, err)) < 0 ||
            (r = ensure_veth(a, &job, &ovs, jobfd, made_veth, err)) < 0 ||
            (r = join_bridge(&job, VC_L2_LAN, err)) < 0 ||
            (r = link_up(&ovs, a->port, err)) < 0)
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
        return r < 0 ? r : link_delete(&ovs, a->port, "veth", err);
}

int vc_l2_segment_do(void *ctx, json_t *args, char **err) {
        _cleanup_(l2args_done) struct l2args a;
        int r = segment_args(args, &a, err);
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
                r = ovs_port_add(&a, &made_port, err);
        if (r >= 0) {
                log_info("%s: %s ⇄ %s in %s, a port of %s (tag %d) in %s%s", a.netns, VC_L2_LAN, a.port,
                         vc_nl_where(a.ovs_netns), a.ovs_bridge, a.vlan, a.ovs_db, made_ns ? "" : " (already)");
                return 0;
        }
        /* Undo only what this call made, newest first; the first error stays in *err. */
        _cleanup_free_ char *e2 = NULL;
        if (made_port && ovs_port_remove(&a, &e2) < 0)
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
        _cleanup_(l2args_done) struct l2args a;
        int r = segment_args(args, &a, err);
        if (r < 0 || (r = ovs_port_remove(&a, err)) < 0 || (r = delete_port_veth(&a, err)) < 0 ||
            (r = vc_netns_del(a.netns, err)) < 0)
                return r;
        log_info("%s: OVS port %s, its veth and %s are gone", a.kind, a.port, a.netns);
        return 0;
}

/* ---- l2.vxlan -------------------------------------------------------- */

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

/* need_ns: namespace ns exists; what names the argument for the message. */
static int need_ns(const struct l2args *a, const char *ns, const char *what, char **err) {
        if (vc_netns_exists(ns))
                return 0;
        *err = xasprintf("%s: %s %s does not exist%s", a->kind, what, ns,
                         ns == a->netns ? " (is l2.segment done?)" : "");
        return -ENOENT;
}

int vc_l2_vxlan_do(void *ctx, json_t *args, char **err) {
        _cleanup_(l2args_done) struct l2args a;
        int r = vxlan_args(args, &a, err);
        if (r < 0 || (r = need_ns(&a, a.netns, "network namespace", err)) < 0 ||
            (r = need_ns(&a, a.wan_netns, "WAN namespace (\"wan_netns\")", err)) < 0)
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
                r = join_bridge(&job, a.dev, err);
        if (r < 0) {
                /* The device takes its FDB entries and its place in br0 with it; the filter stays
                 * when a device of an earlier run stays. */
                _cleanup_free_ char *e2 = NULL;
                if (existed)
                        return r;
                if (made && link_delete(&job, a.dev, "vxlan", &e2) < 0) {
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
        _cleanup_(l2args_done) struct l2args a;
        int r = vxlan_args(args, &a, err);
        if (r < 0)
                return r;
        /* the device first: while it exists, its filter stays */
        if (vc_netns_exists(a.netns)) {
                _cleanup_nl_ struct vc_nl job = {0};
                if ((r = vc_nl_open(&job, a.netns, err)) < 0 || (r = link_delete(&job, a.dev, "vxlan", err)) < 0)
                        return r;
        }
        if ((r = wan_filter_del(&a, err)) < 0)
                return r;
        log_info("%s: %s is gone from %s, its source filter from %s", a.kind, a.dev, a.netns,
                 vc_nl_where(a.wan_netns));
        return 0;
}

/* ---- l2.openvpn ------------------------------------------------------ */

int vc_l2_key_text(const char *hex, char **text, char **err) {
        *text = NULL;
        if (!hex || !*hex) {
                *err = xstrdup("the job has no tunnel key");
                return -EINVAL;
        }
        size_t n = strspn(hex, "0123456789abcdef");
        bool tail_ok = true;
        for (const char *p = hex + n; *p; p++)
                tail_ok &= isspace((unsigned char)*p) != 0;
        if (n != VC_L2_KEY_HEX_LEN || !tail_ok) {
                *err = xasprintf("the job's tunnel key is not %d lowercase hex digits", VC_L2_KEY_HEX_LEN);
                return -EINVAL;
        }
        size_t lines = VC_L2_KEY_HEX_LEN / KEY_LINE,
               len = strlen(KEY_BEGIN) + 1 + lines * (KEY_LINE + 1) + strlen(KEY_END) + 1;
        char *t = xmalloc(len + 1), *o = t;
        o = stpcpy(o, KEY_BEGIN "\n");
        for (size_t i = 0; i < lines; i++) {
                memcpy(o, hex + i * KEY_LINE, KEY_LINE);
                o += KEY_LINE;
                *o++ = '\n';
        }
        stpcpy(o, KEY_END "\n");
        *text = t;
        return 0;
}

char **vc_l2_openvpn_argv(const struct vc_l2_ovpn *o) {
        char p[16];
        snprintf(p, sizeof p, "%d", o->port);
        /* TLS (not the deprecated static-key mode): ephemeral ECDH keys per session, so the
         * job's secret, should it leak later, opens no recorded traffic; tls-crypt with that
         * secret hides and authenticates the handshake itself. After setup openvpn runs as
         * user:group in an empty chroot; persist-key/-tun let it restart (ping-restart)
         * without reading a file or opening a device again. */
        const char *v[] = {"openvpn", "--dev-type", "tap", "--dev", o->dev, "--proto", "udp", "--local", o->local,
                           "--lport", p, "--remote", o->remote, "--rport", p,
                           o->hub ? "--tls-server" : "--tls-client", "--ca", o->ca, "--cert", o->cert, "--key",
                           o->key, "--tls-crypt", o->tls_crypt, "--tls-version-min", "1.3", "--remote-cert-tls",
                           o->hub ? "client" : "server", "--verify-x509-name", o->peer_cn, "name",
                           "--data-ciphers", "AES-256-GCM:CHACHA20-POLY1305", "--ping", "5", "--ping-restart", "30",
                           "--persist-tun", "--persist-key", "--user", o->user, "--group", o->group, "--chroot",
                           o->chroot, "--tmp-dir", "/", "--daemon", "--writepid", o->pidfile, "--log", o->logfile};
        char **argv = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
                strv_push(&argv, v[i]);
                if (o->hub && streq(v[i], "--tls-server"))
                        strv_push(&argv, "--dh"), strv_push(&argv, "none"); /* ECDH only */
        }
        return argv;
}

/* The files of one openvpn: the tls-crypt key (the job's secret in static-key
 * format), the per-job CA's certificate, this gateway's certificate and
 * private key, pid and log, and the empty directory it is chrooted into. */
struct ovpn_files {
        char *key, *ca, *cert, *id, *pid, *log, *root;
};

static void ovpn_files_done(struct ovpn_files *f) {
        free(f->key);
        free(f->ca);
        free(f->cert);
        free(f->id);
        free(f->pid);
        free(f->log);
        free(f->root);
}

static void ovpn_files_get(const struct l2args *a, struct ovpn_files *f) {
        f->key = xasprintf("%s/%s.key", a->dir, a->dev);
        f->ca = xasprintf("%s/%s.ca.pem", a->dir, a->dev);
        f->cert = xasprintf("%s/%s.crt.pem", a->dir, a->dev);
        f->id = xasprintf("%s/%s.id.pem", a->dir, a->dev);
        f->pid = xasprintf("%s/%s.pid", a->dir, a->dev);
        f->log = xasprintf("%s/%s.log", a->dir, a->dev);
        f->root = xasprintf("%s/%s.root", a->dir, a->dev);
}

/* log_tail: the last lines of openvpn's log, "; "-joined (malloc'd), without its timestamps. */
static char *log_tail(const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (read_file(path, &text, &len, 1u << 20) < 0 || len == 0)
                return xasprintf("no log in %s", path);
        _cleanup_strv_ char **lines = vc_log_tail(text, 3);
        for (char **l = lines; *l; l++)
                /* "2026-01-02 03:04:05 message" */
                if (strlen(*l) > 20 && isdigit((unsigned char)(*l)[0]) && (*l)[4] == '-' && (*l)[19] == ' ')
                        memmove(*l, *l + 20, strlen(*l + 20) + 1);
        return strv_join(lines, "; ");
}

/* is_our_openvpn: whether process pid is openvpn run with --writepid pidfile. */
static bool is_our_openvpn(pid_t pid, const char *pidfile) {
        _cleanup_free_ char *argv = NULL;
        size_t len;
        if (vc_proc_cmdline(pid, &argv, &len) < 0)
                return false; /* gone, or a zombie */
        const char *base = strrchr(argv, '/');
        return streq(base ? base + 1 : argv, "openvpn") && vc_argv_has_pair(argv, len, "--writepid", pidfile);
}

/* openvpn_stop: the openvpn of pidfile is no longer running (0 when it was not). */
static int openvpn_stop(const char *dev, const char *pidfile, char **err) {
        pid_t pid;
        int r = vc_pid_file_read(pidfile, &pid);
        if (r == -ENOENT)
                return 0;
        if (r == -EINVAL) {
                log_warning("openvpn for %s: %s holds no pid: ignoring it", dev, pidfile);
                return 0;
        }
        if (r < 0)
                return vc_fail(err, r, "openvpn for %s: reading %s: %s", dev, pidfile, strerror(-r));
        /* The handle pins the process we check, so a pid used again in between is never signalled. */
        _cleanup_(vc_pidref_done) struct vc_pidref p = VC_PIDREF_NULL;
        if (vc_pidref_set_pid(&p, pid) < 0)
                return 0;
        if (!is_our_openvpn(pid, pidfile)) {
                log_info("openvpn for %s: pid %d of %s is not that openvpn (any more): nothing to stop", dev, (int)pid,
                         pidfile);
                return 0;
        }
        _cleanup_free_ char *what = xasprintf("openvpn for %s: pid", dev);
        r = vc_pidrefs_stop(&p, 1, NULL, STOP_TERM_MS, STOP_KILL_MS, what, NULL);
        if (r == -ETIMEDOUT)
                return vc_fail(err, r, "openvpn for %s: pid %d does not end, even after SIGKILL", dev, (int)pid);
        if (r < 0)
                return vc_fail(err, r, "openvpn for %s: signalling pid %d: %s", dev, (int)pid, strerror(-r));
        return 0;
}

/* remove_files: the keys, certificates, pid and log files and the chroot are gone. */
static int remove_files(const char *dev, const struct ovpn_files *f, char **err) {
        const char *paths[] = {f->key, f->ca, f->cert, f->id, f->pid, f->log};
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
                if (unlink(paths[i]) < 0 && errno != ENOENT) {
                        return vc_fail_errno(err, "openvpn for %s: removing %s", dev, paths[i]);
                }
        if (rmdir(f->root) < 0 && errno != ENOENT) {
                return vc_fail_errno(err, "openvpn for %s: removing %s", dev, f->root);
        }
        return 0;
}

/* ---- the job's TLS credentials --------------------------------------- */

/* Every gateway of the job holds the same secret (sealed to it by the
 * controller), so each derives the same per-job CA key from it and signs
 * its own certificate with it: the peers trust exactly the holders of the
 * secret, as with the static key, but the data channel's keys are
 * ephemeral. The CA key only ever passes through a pipe to openssl; this
 * gateway's own key is fresh and never leaves it. */
#define CA_LABEL "vcluster openvpn ca\n"
#define CERT_DAYS "3650"
#define OPENSSL_TIMEOUT_MS 20000
/* PKCS#8 for an Ed25519 key: this DER prefix, then the 32-byte seed. */
static const unsigned char ED25519_PKCS8[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                              0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};

/* openssl: run openssl with argv (input on its stdin), 0 or -EIO with its words in *err. */
static int openssl(const char *what, const char *const argv[], const char *input, char **out, char **err) {
        struct vc_run_result res = {0};
        int r = vc_run(argv, input, OPENSSL_TIMEOUT_MS, &res);
        if (r == 0 && (res.status != 0 || res.timed_out))
                r = -EIO;
        if (r < 0) {
                const char *why = res.err && *res.err ? res.err : res.timed_out ? "timed out" : strerror(-r);
                size_t n = strcspn(why, "\n");
                *err = xasprintf("openssl (%s): %.*s%s", what, (int)n, why, r == -EIO ? "" : " (is openssl installed?)");
        } else if (out) {
                *out = TAKE_PTR(res.out);
        }
        if (res.out)
                explicit_bzero(res.out, res.out_len);
        vc_run_result_free(&res);
        return r;
}

static char *base64(const unsigned char *in, size_t n) {
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
        for (size_t i = 0; i < n; i += 3) {
                unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
                *o++ = tab[v >> 18 & 63];
                *o++ = tab[v >> 12 & 63];
                *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? tab[v & 63] : '=';
        }
        *o = 0;
        return out;
}

/* ca_key: the job's CA private key (PEM, malloc'd; the caller wipes it) from its secret hex. */
static int ca_key(const char *hex, char **pem, char **err) {
        _cleanup_secret_ char *input = xasprintf(CA_LABEL "%.*s", VC_L2_KEY_HEX_LEN, hex);
        _cleanup_secret_ char *digest = NULL;
        const char *argv[] = {"openssl", "dgst", "-sha256", "-r", NULL};
        int r = openssl("deriving the job's CA key", argv, input, &digest, err);
        if (r < 0)
                return r;
        unsigned char der[sizeof ED25519_PKCS8 + 32];
        memcpy(der, ED25519_PKCS8, sizeof ED25519_PKCS8);
        for (size_t i = 0; i < 32; i++) {
                unsigned v;
                if (!isxdigit((unsigned char)digest[2 * i]) || !isxdigit((unsigned char)digest[2 * i + 1]) ||
                    sscanf(digest + 2 * i, "%2x", &v) != 1) {
                        explicit_bzero(der, sizeof der);
                        *err = xstrdup("openssl dgst gave no SHA-256 digest");
                        return -EIO;
                }
                der[sizeof ED25519_PKCS8 + i] = (unsigned char)v;
        }
        _cleanup_secret_ char *b64 = base64(der, sizeof der);
        explicit_bzero(der, sizeof der);
        *pem = xasprintf("-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", b64);
        return 0;
}

/* cn_of: the certificate name of the hub, or of spoke n. */
static char *cn_of(bool hub, long long n) { return hub ? xstrdup("hub") : xasprintf("spoke-%lld", n); }

/* make_credentials: the CA certificate, this gateway's key and its certificate signed by the CA, in f. */
static int make_credentials(const struct l2args *a, const struct ovpn_files *f, const char *hex, char **err) {
        _cleanup_secret_ char *cakey = NULL;
        int r = ca_key(hex, &cakey, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *casubj = xasprintf("/CN=vcluster job %lld", (long long)a->job);
        _cleanup_free_ char *cn = cn_of(a->hub, a->spoke);
        _cleanup_free_ char *subj = xasprintf("/CN=%s", cn);
        _cleanup_free_ char *eku = xasprintf("extendedKeyUsage=%s", a->hub ? "serverAuth" : "clientAuth");
        /* The CA certificate is made here too, from the same key and name as at every peer:
         * a certificate signed by that key checks against any of them. */
        const char *ca_argv[] = {"openssl", "req", "-x509", "-new", "-key", "/dev/stdin", "-subj", casubj, "-days",
                                 "36500", "-set_serial", "1", "-addext", "basicConstraints=critical,CA:TRUE",
                                 "-addext", "keyUsage=critical,keyCertSign", "-out", f->ca, NULL};
        const char *id_argv[] = {"openssl", "genpkey", "-algorithm", "ed25519", "-out", f->id, NULL};
        const char *crt_argv[] = {"openssl", "req", "-new", "-x509", "-key", f->id, "-subj", subj, "-CA", f->ca,
                                  "-CAkey", "/dev/stdin", "-days", CERT_DAYS, "-addext",
                                  "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature",
                                  "-addext", eku, "-out", f->cert, NULL};
        /* the private key file: 0600 from the start, whatever openssl's umask */
        _cleanup_close_ int fd = open(f->id, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                return vc_fail_errno(err, "creating %s", f->id);
        }
        if ((r = openssl("the job's CA certificate", ca_argv, cakey, NULL, err)) < 0 ||
            (r = openssl("this gateway's key", id_argv, NULL, NULL, err)) < 0 ||
            (r = openssl("this gateway's certificate", crt_argv, cakey, NULL, err)) < 0)
                return r;
        return fchmod(fd, 0600) < 0 ? -errno : 0;
}

/* user_group: whom openvpn runs as after setup: nobody, in nogroup (Debian) or else nobody. */
static void user_group(const char **user, const char **group) {
        *user = "nobody";
        *group = getgrnam("nogroup") ? "nogroup" : "nobody";
}

/* write_key: the static key file, 0600, made new (never through a link). */
static int write_key(const char *path, const char *text, char **err) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                return vc_fail_errno(err, "creating the key file %s", path);
        }
        int r = write_all(fd, text, strlen(text));
        if (r == 0 && fchmod(fd, 0600) < 0) /* whatever the umask */
                r = -errno;
        if (r < 0) {
                *err = xasprintf("writing the key file %s: %s", path, strerror(-r));
                unlink(path);
        }
        return r;
}

struct start {
        char **argv;
        struct vc_run_result res;
        int r;
};

/* start_fn: run openvpn (it daemonizes) from the thread that is in the WAN namespace. */
static int start_fn(void *arg, char **err) {
        struct start *s = arg;
        s->r = vc_run((const char *const *)s->argv, NULL, OPENVPN_START_TIMEOUT_MS, &s->res);
        return 0;
}

/* start_openvpn: openvpn started in wan_netns, its tap there within TAP_WAIT_MS. */
static int start_openvpn(const struct l2args *a, const struct ovpn_files *f, struct vc_nl *wan, char **err) {
        _cleanup_free_ char *peer = cn_of(!a->hub, a->spoke);
        struct vc_l2_ovpn o = {.dev = a->dev, .local = a->local, .remote = a->remote, .port = (int)a->udp_port,
                               .hub = a->hub, .peer_cn = peer, .ca = f->ca, .cert = f->cert, .key = f->id,
                               .tls_crypt = f->key, .chroot = f->root, .pidfile = f->pid, .logfile = f->log};
        user_group(&o.user, &o.group);
        _cleanup_strv_ char **argv = vc_l2_openvpn_argv(&o);
        struct start s = {.argv = argv};
        int r = vc_netns_run(a->wan_netns, start_fn, &s, err);
        if (r < 0)
                return r;
        if (s.r < 0) {
                *err = xasprintf("openvpn for %s: %s (is OpenVPN installed?)", a->dev, s.res.err);
                vc_run_result_free(&s.res);
                return s.r;
        }
        if (s.res.status != 0 || s.res.timed_out) {
                _cleanup_free_ char *tail = log_tail(f->log);
                bool late = s.res.timed_out;
                *err = xasprintf("openvpn for %s in %s %s: %s%s%s", a->dev, vc_nl_where(a->wan_netns),
                                 late ? "did not start in time" : "failed to start", tail, *s.res.err ? "; " : "",
                                 s.res.err);
                vc_run_result_free(&s.res);
                return late ? -ETIMEDOUT : -EIO;
        }
        vc_run_result_free(&s.res);
        /* The daemon writes its pid file after its parent returned; it removes it when it ends. */
        for (uint64_t start = now_ms(), until = start + TAP_WAIT_MS;;) {
                if ((r = vc_nl_refill(wan, err)) < 0)
                        return r;
                _cleanup_link_ struct rtnl_link *t = vc_nl_get(wan, a->dev);
                if (t)
                        return 0;
                bool ended = now_ms() > start + PIDFILE_GRACE_MS && access(f->pid, F_OK) < 0;
                if (ended || now_ms() >= until) {
                        _cleanup_free_ char *tail = log_tail(f->log);
                        *err = xasprintf("openvpn for %s: no tap %s in %s %s: %s", a->dev, a->dev, vc_nl_where(a->wan_netns),
                                         ended ? "and openvpn has ended" : "after 10 s", tail);
                        return -ETIMEDOUT;
                }
                usleep(50 * 1000);
        }
}

/* move_tap: the tap from the WAN namespace into the job's. */
static int move_tap(const struct l2args *a, struct vc_nl *wan, int jobfd, char **err) {
        _cleanup_link_ struct rtnl_link *t = vc_nl_get(wan, a->dev);
        _cleanup_link_ struct rtnl_link *change = rtnl_link_alloc();
        if (!t || !change)
                abort();
        rtnl_link_set_ns_fd(change, jobfd);
        int r = rtnl_link_change(wan->sk, t, change, 0);
        if (r < 0) {
                *err = xasprintf("moving %s from %s into %s: %s", a->dev, vc_nl_where(a->wan_netns), a->netns,
                                 nl_geterror(r));
                return vc_nl_errno(r);
        }
        return 0;
}

/* openvpn_up: everything after the key file. */
static int openvpn_up(const struct l2args *a, const struct ovpn_files *f, struct vc_nl *job, struct vc_nl *wan,
                      int jobfd, char **err) {
        int r = start_openvpn(a, f, wan, err);
        if (r < 0 || (r = move_tap(a, wan, jobfd, err)) < 0)
                return r;
        return join_bridge(job, a->dev, err);
}

int vc_l2_openvpn_do(void *ctx, json_t *args, char **err) {
        const struct vc_gateway_ctx *c = ctx;
        _cleanup_(l2args_done) struct l2args a;
        int r = openvpn_args(args, &a, err);
        if (r == 0 && a.spoke == 0) {
                *err = xasprintf("%s: \"role\" must be \"hub\" or \"spoke\" (it names the TLS peers)", a.kind);
                r = -EINVAL;
        }
        if (r < 0)
                return vc_step_untouched(r);
        _cleanup_secret_ char *keytext = NULL;
        _cleanup_free_ char *kerr = NULL;
        if ((r = vc_l2_key_text(c ? c->tunnel_key : NULL, &keytext, &kerr)) < 0) {
                *err = xasprintf("%s: %s: %s", a.kind, a.dev, kerr);
                return vc_step_untouched(r);
        }
        _cleanup_(ovpn_files_done) struct ovpn_files f = {0};
        ovpn_files_get(&a, &f);
        _cleanup_close_ int jobfd = -1;
        _cleanup_nl_ struct vc_nl job = {0}, wan = {0};
        if ((r = need_ns(&a, a.netns, "network namespace", err)) < 0 ||
            (r = need_ns(&a, a.wan_netns, "WAN namespace (\"wan_netns\")", err)) < 0 ||
            (r = vc_netns_open(a.netns, &jobfd, err)) < 0 || (r = vc_nl_open(&job, a.netns, err)) < 0 ||
            (r = vc_nl_open(&wan, a.wan_netns, err)) < 0)
                return vc_step_untouched(r);
        if (mkdir(a.dir, 0700) < 0 && errno != EEXIST) {
                return vc_step_untouched(vc_fail_errno(err, "%s: creating %s", a.kind, a.dir));
        }
        /* An openvpn of this pid file from an earlier run goes first, with its tap. */
        if ((r = openvpn_stop(a.dev, f.pid, err)) < 0 || (r = remove_files(a.dev, &f, err)) < 0 ||
            (r = vc_nl_refill(&wan, err)) < 0 || (r = vc_nl_refill(&job, err)) < 0)
                return r;
        {
                _cleanup_link_ struct rtnl_link *in_wan = vc_nl_get(&wan, a.dev);
                _cleanup_link_ struct rtnl_link *in_job = vc_nl_get(&job, a.dev);
                if (in_wan || in_job) {
                        *err = xasprintf("%s: %s already exists in %s, and no openvpn of %s has it", a.kind, a.dev,
                                         in_job ? a.netns : vc_nl_where(a.wan_netns), f.pid);
                        return -EEXIST;
                }
        }
        if ((r = write_key(f.key, keytext, err)) < 0)
                return r;
        if (mkdir(f.root, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                *err = xasprintf("%s: creating %s: %s", a.kind, f.root, strerror(-r));
        }
        if (r == 0 && (r = make_credentials(&a, &f, c->tunnel_key, &kerr)) < 0)
                *err = xasprintf("%s: %s: %s", a.kind, a.dev, kerr);
        if (r < 0 || (r = openvpn_up(&a, &f, &job, &wan, jobfd, err)) < 0) {
                _cleanup_free_ char *e2 = NULL;
                if (openvpn_stop(a.dev, f.pid, &e2) < 0)
                        log_warning("%s: undoing openvpn for %s: %s", a.kind, a.dev, e2);
                /* the log stays for the admin to read; the keys go */
                const char *secret[] = {f.key, f.id};
                for (size_t i = 0; i < ARRAY_SIZE(secret); i++)
                        if (unlink(secret[i]) < 0 && errno != ENOENT)
                                log_warning("%s: removing %s: %s", a.kind, secret[i], strerror(errno));
                return r;
        }
        log_info("%s: %s (openvpn TLS %s %s:%lld ⇄ %s:%lld, from %s) is a port of %s", a.netns, a.dev,
                 a.hub ? "server" : "client", a.local, a.udp_port, a.remote, a.udp_port, vc_nl_where(a.wan_netns),
                 VC_L2_BRIDGE);
        return 0;
}

int vc_l2_openvpn_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(l2args_done) struct l2args a;
        int r = openvpn_args(args, &a, err);
        if (r < 0)
                return r;
        _cleanup_(ovpn_files_done) struct ovpn_files f = {0};
        ovpn_files_get(&a, &f);
        if ((r = openvpn_stop(a.dev, f.pid, err)) < 0 || (r = remove_files(a.dev, &f, err)) < 0)
                return r;
        log_info("%s: no openvpn for %s runs, its files are gone", a.kind, a.dev);
        return 0;
}
