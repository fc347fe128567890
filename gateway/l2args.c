/* l2args.c — the args of the l2 steps, checked before anything is touched (l2ext.h). */
#include "l2int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>

#include "netns.h"
#include "util.h"

#define VNI_MAX 16777215

void vc_l2args_done(struct l2args *a) { strv_free(a->remotes); }

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

int vc_l2_segment_args(const json_t *args, struct l2args *a, char **err) {
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

int vc_l2_vxlan_args(const json_t *args, struct l2args *a, char **err) {
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

int vc_l2_openvpn_args(const json_t *args, struct l2args *a, char **err) {
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

/* vc_l2_need_ns: namespace ns exists; what names the argument for the message. */
int vc_l2_need_ns(const struct l2args *a, const char *ns, const char *what, char **err) {
        if (vc_netns_exists(ns))
                return 0;
        *err = xasprintf("%s: %s %s does not exist%s", a->kind, what, ns,
                         ns == a->netns ? " (is l2.segment done?)" : "");
        return -ENOENT;
}
