/* conf_node.c — NodeName= lines: how a compute node hosts guests (its host
 * network, libvirt, boot patience). A node named on no line gets the
 * defaults; a node named on two lines is refused, so what a node does never
 * depends on line order. NodeName=DEFAULT, as in slurm.conf, changes the
 * defaults; it must come before every other NodeName line, so that it means
 * the same for all of them. */
#include "conf_internal.h"

#include "hostlist.h"
#include "util.h"

#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <strings.h>

enum { N_NAME, N_HOSTNET, N_OVSBRIDGE, N_OVSDB, N_TRUNK, N_PUBLIC, N_LIBVIRT, N_DOMTYPE, N_BOOT, N_ISCSI,
       N_WANADDR, N_WANNETNS, N_OVSNETNS, N_COUNT };
static const char *const node_keys[N_COUNT] = {"NodeName",     "HostNet",     "OvsBridge",    "OvsDb",
                                               "Trunk",        "PublicBridge", "Libvirt",     "DomainType",
                                               "BootTimeout",  "IscsiAttach", "WanAddr",      "WanNetns",
                                               "OvsNetns"};
static const struct keyset node_set = {"NodeName line", node_keys, N_COUNT};

#define DEFAULT_OVS_BRIDGE "br-vcluster"
#define DEFAULT_OVS_DB "unix:/var/run/openvswitch/db.sock"
#define DEFAULT_LIBVIRT "qemu:///system"
#define DEFAULT_BOOT_TIMEOUT 300

void conf_nodecfg_default(struct vc_nodecfg *n) {
        *n = (struct vc_nodecfg){.host_net = VC_HOSTNET_OVS,
                                 .ovs_bridge = xstrdup(DEFAULT_OVS_BRIDGE),
                                 .ovs_db = xstrdup(DEFAULT_OVS_DB),
                                 .libvirt_uri = xstrdup(DEFAULT_LIBVIRT),
                                 .boot_timeout = DEFAULT_BOOT_TIMEOUT};
}

static int check_ifname(struct conf_parser *p, const char *key, const char *val) {
        int r = conf_check_name(p, key, val);
        if (r < 0)
                return r;
        if (strlen(val) >= IFNAMSIZ)
                return conf_fail(p, "%s=%s: an interface name has at most %d characters", key, val, IFNAMSIZ - 1);
        return 0;
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

/* copy_defaults: n = d's settings (no node list), every string its own. */
static void copy_defaults(struct vc_nodecfg *n, const struct vc_nodecfg *d) {
        *n = *d;
        n->nodes = NULL;
        n->ovs_bridge = dup_or_null(d->ovs_bridge);
        n->ovs_db = dup_or_null(d->ovs_db);
        n->trunk = dup_or_null(d->trunk);
        n->public_bridge = dup_or_null(d->public_bridge);
        n->libvirt_uri = dup_or_null(d->libvirt_uri);
        n->wan_addr = dup_or_null(d->wan_addr);
        n->wan_netns = dup_or_null(d->wan_netns);
        n->ovs_netns = dup_or_null(d->ovs_netns);
}

static void replace(char **slot, const char *val) {
        free(*slot);
        *slot = xstrdup(val);
}

int conf_parse_node(struct conf_parser *p, char *const *w) {
        struct vc_conf *c = p->c;
        const char *v[N_COUNT] = {0};
        int r = conf_collect(p, w, &node_set, v);
        if (r < 0)
                return r;
        bool is_default = strcasecmp(v[N_NAME], "DEFAULT") == 0;
        if (is_default && c->n_nodecfgs > 0)
                return conf_fail(p, "NodeName=DEFAULT must come before the NodeName lines (one is at %s:%u), "
                                    "so that it means the same for all of them",
                                 p->nodecfg_loc[0].file, p->nodecfg_loc[0].line);
        if (is_default && v[N_WANADDR])
                return conf_fail(p, "NodeName=DEFAULT: WanAddr= is one node's address, not a default");
        _cleanup_(conf_nodecfg_clear) struct vc_nodecfg n = {0};
        copy_defaults(&n, &c->node_default);
        _cleanup_free_ char *herr = NULL;
        if (!is_default && vc_hostlist_expand(v[N_NAME], &n.nodes, &herr) < 0)
                return conf_fail(p, "NodeName=%s: %s", v[N_NAME], herr);
        if (v[N_HOSTNET]) {
                if (strcasecmp(v[N_HOSTNET], "ovs") == 0)
                        n.host_net = VC_HOSTNET_OVS;
                else if (strcasecmp(v[N_HOSTNET], "bridge") == 0)
                        n.host_net = VC_HOSTNET_BRIDGE;
                else
                        return conf_fail(p, "HostNet=%s: not a host network (ovs or bridge)", v[N_HOSTNET]);
                /* a default's Trunk= belongs to the default's bridge network only */
                if (n.host_net == VC_HOSTNET_OVS && !v[N_TRUNK]) {
                        free(n.trunk);
                        n.trunk = NULL;
                }
        }
        if (v[N_TRUNK])
                replace(&n.trunk, v[N_TRUNK]);
        if (n.host_net == VC_HOSTNET_BRIDGE && !n.trunk)
                return conf_fail(p, "NodeName=%s: HostNet=bridge needs Trunk= (the interface carrying the VLANs)",
                                 v[N_NAME]);
        if (n.host_net == VC_HOSTNET_OVS && v[N_TRUNK])
                return conf_fail(p, "NodeName=%s: Trunk= only goes with HostNet=bridge (with ovs the bridge "
                                    "OvsBridge= carries the VLANs)", v[N_NAME]);
        if (n.host_net == VC_HOSTNET_BRIDGE && (v[N_OVSBRIDGE] || v[N_OVSDB]))
                return conf_fail(p, "NodeName=%s: %s= only goes with HostNet=ovs", v[N_NAME],
                                 v[N_OVSBRIDGE] ? "OvsBridge" : "OvsDb");
        if (v[N_OVSBRIDGE]) {
                if ((r = check_ifname(p, "OvsBridge", v[N_OVSBRIDGE])) < 0)
                        return r;
                replace(&n.ovs_bridge, v[N_OVSBRIDGE]);
        }
        if (v[N_OVSDB]) {
                if (strncmp(v[N_OVSDB], "unix:", 5) != 0 && strncmp(v[N_OVSDB], "tcp:", 4) != 0)
                        return conf_fail(p, "OvsDb=%s: not an OVSDB remote (unix:PATH or tcp:HOST:PORT)", v[N_OVSDB]);
                replace(&n.ovs_db, v[N_OVSDB]);
        }
        if (v[N_TRUNK] && (r = check_ifname(p, "Trunk", v[N_TRUNK])) < 0)
                return r;
        if (v[N_PUBLIC]) {
                if ((r = check_ifname(p, "PublicBridge", v[N_PUBLIC])) < 0)
                        return r;
                replace(&n.public_bridge, v[N_PUBLIC]);
        }
        if (v[N_LIBVIRT]) {
                if (!strstr(v[N_LIBVIRT], ":///") && !strstr(v[N_LIBVIRT], "://"))
                        return conf_fail(p, "Libvirt=%s: not a libvirt URI (e.g. qemu:///system)", v[N_LIBVIRT]);
                replace(&n.libvirt_uri, v[N_LIBVIRT]);
        }
        if (v[N_DOMTYPE]) {
                if (strcasecmp(v[N_DOMTYPE], "qemu") == 0)
                        n.tcg = true;
                else if (strcasecmp(v[N_DOMTYPE], "kvm") != 0)
                        return conf_fail(p, "DomainType=%s: not a domain type (kvm, or qemu for software emulation)",
                                         v[N_DOMTYPE]);
        }
        if (v[N_ISCSI]) {
                if (strcasecmp(v[N_ISCSI], "host") == 0)
                        n.iscsi_host = true;
                else if (strcasecmp(v[N_ISCSI], "qemu") != 0)
                        return conf_fail(p, "IscsiAttach=%s: not an attach mode (qemu: QEMU logs in itself; host: "
                                            "open-iscsi on the node)", v[N_ISCSI]);
        }
        if (v[N_WANADDR]) {
                struct in_addr a;
                if (inet_pton(AF_INET, v[N_WANADDR], &a) != 1)
                        return conf_fail(p, "WanAddr=%s: not an IPv4 address", v[N_WANADDR]);
                replace(&n.wan_addr, v[N_WANADDR]);
        }
        for (int k = N_WANNETNS; k <= N_OVSNETNS; k++) {
                if (!v[k])
                        continue;
                if ((r = conf_check_name(p, node_keys[k], v[k])) < 0)
                        return r;
                replace(k == N_WANNETNS ? &n.wan_netns : &n.ovs_netns, v[k]);
        }
        if (v[N_OVSNETNS] && n.host_net != VC_HOSTNET_OVS)
                return conf_fail(p, "NodeName=%s: OvsNetns= only goes with HostNet=ovs", v[N_NAME]);
        if (v[N_BOOT] && (r = conf_parse_secs(p, "BootTimeout", v[N_BOOT], 1, &n.boot_timeout)) < 0)
                return r;
        if (is_default) {
                conf_nodecfg_clear(&c->node_default);
                c->node_default = n;
                memset(&n, 0, sizeof(n));
                return 0;
        }
        for (char **nd = n.nodes; *nd; nd++)
                for (size_t i = 0; i < c->n_nodecfgs; i++)
                        if (strv_contains(c->nodecfgs[i].nodes, *nd))
                                return conf_fail(p, "node '%s' is already configured by the NodeName line at %s:%u",
                                                 *nd, p->nodecfg_loc[i].file, p->nodecfg_loc[i].line);
        conf_append_loc(p, &p->nodecfg_loc, c->n_nodecfgs);
        c->nodecfgs = xrealloc(c->nodecfgs, (c->n_nodecfgs + 1) * sizeof(*c->nodecfgs));
        c->nodecfgs[c->n_nodecfgs++] = n;
        memset(&n, 0, sizeof(n));
        return 0;
}

int conf_check_nodecfgs(struct conf_parser *p) {
        struct vc_conf *c = p->c;
        for (size_t i = 0; i < c->n_nodecfgs; i++)
                for (char **nd = c->nodecfgs[i].nodes; *nd; nd++)
                        if (!vc_conf_site_of_node(c, *nd))
                                return conf_fail_at(p, p->nodecfg_loc[i].file, p->nodecfg_loc[i].line,
                                                    "NodeName: node '%s' is in no site", *nd);
        return 0;
}

const struct vc_nodecfg *vc_conf_node(const struct vc_conf *c, const char *node) {
        for (size_t i = 0; i < c->n_nodecfgs; i++)
                if (strv_contains(c->nodecfgs[i].nodes, node))
                        return &c->nodecfgs[i];
        return &c->node_default;
}

void conf_nodecfg_clear(struct vc_nodecfg *n) {
        strv_free(n->nodes);
        free(n->ovs_bridge);
        free(n->ovs_db);
        free(n->trunk);
        free(n->public_bridge);
        free(n->libvirt_uri);
        free(n->wan_addr);
        free(n->wan_netns);
        free(n->ovs_netns);
        memset(n, 0, sizeof(*n));
}
