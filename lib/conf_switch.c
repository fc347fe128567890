/* conf_switch.c — SwitchName= lines: the common keys, each driver's own
 * keys, node-to-port cabling (NodePorts=), and the whole-file checks on it.
 *
 * lib/ may not depend on switchcfg, so the drivers and the keys each takes
 * are listed here; a driver added to switchcfg adds its line to the table.
 */
#include "conf_internal.h"

#include "hostlist.h"
#include "util.h"

#include <errno.h>
#include <strings.h>

enum {
        W_NAME,
        W_SITE,
        W_DRIVER,
        W_NODE_PORTS,
        W_UPLINKS,
        W_NODE_PORT_MODE,
        W_SECRET,
        W_COMMON, /* keys after this one belong to drivers */
        W_HOST = W_COMMON,
        W_PORT,
        W_VERSION,
        W_TIMEOUT,
        W_RETRIES,
        W_DB,
        W_BRIDGE,
        W_PROGRAM,
        W_COUNT
};
static const char *const switch_keys[W_COUNT] = {
        "SwitchName", "Site",    "Driver",  "NodePorts", "Uplinks", "NodePortMode",
        "SecretFile", "Host",    "Port",    "Version",   "Timeout", "Retries",
        "Db",         "Bridge",  "Program"};
static const struct keyset switch_set = {"SwitchName line", switch_keys, W_COUNT};

struct driver_keys {
        const char *name;
        const int *keys, *required; /* terminated by -1 */
        bool needs_secret;
        bool numeric_ports; /* ports are bit positions in a PortList */
};

static const int none_keys[] = {-1};
static const int snmp_keys[] = {W_HOST, W_PORT, W_VERSION, W_TIMEOUT, W_RETRIES, -1};
static const int snmp_required[] = {W_HOST, -1};
static const int ovs_keys[] = {W_DB, W_BRIDGE, W_TIMEOUT, -1};
static const int ovs_required[] = {W_DB, W_BRIDGE, -1};
static const int exec_keys[] = {W_PROGRAM, W_TIMEOUT, -1};
static const int exec_required[] = {W_PROGRAM, -1};

static const struct driver_keys drivers[] = {
        {"none", none_keys, none_keys, false, false},
        {"snmp", snmp_keys, snmp_required, true, true},
        {"ovs", ovs_keys, ovs_required, false, false},
        {"exec", exec_keys, exec_required, false, false},
};

static bool in(const int *list, int k) {
        for (; *list >= 0; list++)
                if (*list == k)
                        return true;
        return false;
}

static char *key_names(const int *list) {
        const char *names[W_COUNT];
        size_t n = 0;
        for (; *list >= 0; list++)
                names[n++] = switch_keys[*list];
        return n ? strv_join_n(names, n, ", ") : xstrdup("none");
}

static const struct driver_keys *find_driver(struct conf_parser *p, const char *name) {
        for (size_t d = 0; d < ARRAY_SIZE(drivers); d++)
                if (streq(drivers[d].name, name))
                        return &drivers[d];
        const char *names[ARRAY_SIZE(drivers)];
        for (size_t d = 0; d < ARRAY_SIZE(drivers); d++)
                names[d] = drivers[d].name;
        _cleanup_free_ char *known = strv_join_n(names, ARRAY_SIZE(drivers), ", ");
        conf_fail(p, "Driver=%s: unknown driver (known: %s)", name, known);
        return NULL;
}

/* Driver values are checked here so a typo fails at load, not at the first job. */
static int check_opt(struct conf_parser *p, int k, const char *val) {
        unsigned long long n;
        unsigned secs;
        switch (k) {
        case W_PORT:
                return conf_parse_number(p, "Port", val, 1, 65535, &n);
        case W_RETRIES:
                return conf_parse_number(p, "Retries", val, 0, 10, &n);
        case W_TIMEOUT:
                return conf_parse_secs(p, "Timeout", val, 1, &secs);
        case W_VERSION:
                if (!streq(val, "2c") && !streq(val, "3"))
                        return conf_fail(p, "Version=%s: must be 2c or 3", val);
                return 0;
        case W_DB:
                if (strncmp(val, "unix:/", 6) != 0 && strncmp(val, "tcp:", 4) != 0)
                        return conf_fail(p, "Db=%s: must be unix:/PATH or tcp:HOST:PORT", val);
                return 0;
        case W_PROGRAM:
                if (val[0] != '/')
                        return conf_fail(p, "Program=%s: not an absolute path", val);
                return 0;
        }
        return 0;
}

static int expand(struct conf_parser *p, const char *key, const char *whole, const char *expr, bool ports,
                  char ***out) {
        _cleanup_free_ char *herr = NULL;
        if ((ports ? vc_portlist_expand : vc_hostlist_expand)(expr, out, &herr) < 0)
                return conf_fail(p, "%s=%s: %s", key, whole, herr);
        return 0;
}

/* NodePorts=HOSTLIST:PORTS — both sides hostlist expressions, paired in order. */
static int parse_node_ports(struct conf_parser *p, const char *val, struct vc_switch *s) {
        const char *colon = strchr(val, ':');
        if (!colon || colon == val || !colon[1])
                return conf_fail(p, "NodePorts=%s: not HOSTLIST:PORTS (e.g. n[1-4]:[1-4])", val);
        _cleanup_free_ char *hosts = xasprintf("%.*s", (int)(colon - val), val);
        int r = expand(p, "NodePorts", val, hosts, false, &s->nodes);
        if (r == 0)
                r = expand(p, "NodePorts", val, colon + 1, true, &s->ports);
        if (r < 0)
                return r;
        size_t nn = strv_len(s->nodes), np = strv_len(s->ports);
        if (nn != np)
                return conf_fail(p, "NodePorts=%s: %zu node(s) but %zu port(s)", val, nn, np);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A port cabled twice on one switch would be configured for two purposes. */
static int check_ports_unique(struct conf_parser *p, const struct vc_switch *s) {
        _cleanup_free_ char **all = NULL;
        size_t n = 0, cap = strv_len(s->ports) + strv_len(s->uplinks);
        all = xcalloc(cap + 1, sizeof(char *));
        for (char **q = s->ports; q && *q; q++)
                all[n++] = *q;
        for (char **q = s->uplinks; q && *q; q++)
                all[n++] = *q;
        qsort(all, n, sizeof(char *), cmp_str);
        for (size_t i = 1; i < n; i++)
                if (streq(all[i], all[i - 1]))
                        return conf_fail(p, "switch '%s': port '%s' is used twice (NodePorts/Uplinks)",
                                         s->name, all[i]);
        return 0;
}

int conf_parse_switch(struct conf_parser *p, char *const *w) {
        struct vc_conf *c = p->c;
        const char *v[W_COUNT] = {0};
        int r = conf_collect(p, w, &switch_set, v);
        if (r < 0)
                return r;
        const char *name = v[W_NAME];
        r = conf_check_name(p, "SwitchName", name);
        if (r < 0)
                return r;
        static const int required[] = {W_SITE, W_DRIVER};
        for (size_t i = 0; i < ARRAY_SIZE(required); i++)
                if (!v[required[i]])
                        return conf_fail(p, "switch '%s': missing %s", name, switch_keys[required[i]]);
        for (size_t i = 0; i < c->n_switches; i++)
                if (streq(c->switches[i].name, name))
                        return conf_fail(p, "duplicate switch name '%s' (first at %s:%u)", name,
                                         p->switch_loc[i].file, p->switch_loc[i].line);
        const struct driver_keys *d = find_driver(p, v[W_DRIVER]);
        if (!d)
                return -EINVAL;

        _cleanup_(conf_switch_clear) struct vc_switch s = {0};
        s.opts = xcalloc(1, sizeof(char *));
        for (int k = W_COMMON; k < W_COUNT; k++) {
                if (!v[k])
                        continue;
                if (!in(d->keys, k)) {
                        _cleanup_free_ char *known = key_names(d->keys);
                        return conf_fail(p, "switch '%s': %s= is not a key of driver %s (its keys: %s)",
                                         name, switch_keys[k], d->name, known);
                }
                r = check_opt(p, k, v[k]);
                if (r < 0)
                        return r;
                _cleanup_free_ char *kv = xasprintf("%s=%s", switch_keys[k], v[k]);
                strv_push(&s.opts, kv);
        }
        for (const int *k = d->required; *k >= 0; k++)
                if (!v[*k])
                        return conf_fail(p, "switch '%s': driver %s needs %s=", name, d->name,
                                         switch_keys[*k]);
        if (d->needs_secret && !v[W_SECRET])
                return conf_fail(p, "switch '%s': driver %s needs SecretFile= (its credentials)",
                                 name, d->name);
        if (v[W_SECRET])
                s.secret_file = conf_resolve(p->file, v[W_SECRET]);
        if (v[W_NODE_PORT_MODE]) {
                if (strcasecmp(v[W_NODE_PORT_MODE], "access") == 0)
                        s.access = true;
                else if (strcasecmp(v[W_NODE_PORT_MODE], "trunk") != 0)
                        return conf_fail(p, "NodePortMode=%s: must be trunk or access",
                                         v[W_NODE_PORT_MODE]);
        }
        if (v[W_NODE_PORTS]) {
                r = parse_node_ports(p, v[W_NODE_PORTS], &s);
                if (r < 0)
                        return r;
        } else {
                s.nodes = xcalloc(1, sizeof(char *));
                s.ports = xcalloc(1, sizeof(char *));
        }
        if (v[W_UPLINKS]) {
                r = expand(p, "Uplinks", v[W_UPLINKS], v[W_UPLINKS], true, &s.uplinks);
                if (r < 0)
                        return r;
        } else
                s.uplinks = xcalloc(1, sizeof(char *));
        s.name = xstrdup(name);
        for (char **q = s.ports; d->numeric_ports && *q; q++)
                if (conf_parse_number(p, "NodePorts port", *q, 1, 4096, &(unsigned long long){0}) < 0)
                        return -EINVAL;
        for (char **q = s.uplinks; d->numeric_ports && *q; q++)
                if (conf_parse_number(p, "Uplinks port", *q, 1, 4096, &(unsigned long long){0}) < 0)
                        return -EINVAL;
        r = check_ports_unique(p, &s);
        if (r < 0)
                return r;
        s.site = xstrdup(v[W_SITE]);
        s.driver = xstrdup(v[W_DRIVER]);

        conf_append_loc(p, &p->switch_loc, c->n_switches);
        c->switches = xrealloc(c->switches, (c->n_switches + 1) * sizeof(*c->switches));
        c->switches[c->n_switches++] = s;
        memset(&s, 0, sizeof(s));
        return 0;
}

static int cmp_port_index(const void *a, const void *b) {
        const struct vc_port_index *x = a, *y = b;
        int r = strcmp(x->node, y->node);
        return r ? r : (x->sw > y->sw) - (x->sw < y->sw);
}

int conf_check_switches(struct conf_parser *p) {
        struct vc_conf *c = p->c;
        size_t n = 0;
        for (size_t i = 0; i < c->n_switches; i++) {
                const struct vc_switch *s = &c->switches[i];
                const struct conf_loc *at = &p->switch_loc[i];
                const struct vc_site *site = vc_conf_site(c, s->site);
                if (!site)
                        return conf_fail_at(p, at->file, at->line, "switch '%s': unknown site '%s'",
                                            s->name, s->site);
                for (char **q = s->nodes; *q; q++) {
                        const struct vc_site *ns = vc_conf_site_of_node(c, *q);
                        if (ns != site)
                                return conf_fail_at(p, at->file, at->line,
                                                    "switch '%s': NodePorts node '%s' is not a node of site '%s'%s%s",
                                                    s->name, *q, s->site, ns ? " but of site " : "",
                                                    ns ? ns->name : "");
                        n++;
                }
        }
        c->port_index = xcalloc(n + 1, sizeof(*c->port_index));
        size_t k = 0;
        for (size_t i = 0; i < c->n_switches; i++)
                for (size_t j = 0; c->switches[i].nodes[j]; j++)
                        c->port_index[k++] = (struct vc_port_index){c->switches[i].nodes[j], i, j};
        c->n_port_index = n;
        qsort(c->port_index, n, sizeof(*c->port_index), cmp_port_index);
        for (size_t i = 1; i < n; i++) {
                const struct vc_port_index *a = &c->port_index[i - 1], *b = &c->port_index[i];
                if (!streq(a->node, b->node))
                        continue;
                const struct conf_loc *at = &p->switch_loc[b->sw];
                if (a->sw == b->sw)
                        return conf_fail_at(p, at->file, at->line, "switch '%s': node '%s' is cabled twice",
                                            c->switches[b->sw].name, b->node);
                return conf_fail_at(p, at->file, at->line,
                                    "node '%s' is on switch '%s' (%s:%u) and switch '%s': a node may be on one switch only",
                                    b->node, c->switches[a->sw].name, p->switch_loc[a->sw].file,
                                    p->switch_loc[a->sw].line, c->switches[b->sw].name);
        }
        return 0;
}

static int cmp_key(const void *key, const void *elem) {
        return strcmp(key, ((const struct vc_port_index *)elem)->node);
}

const struct vc_switch *vc_conf_switch_of_node(const struct vc_conf *c, const char *node,
                                               const char **port) {
        const struct vc_port_index *e =
                c->n_port_index ? bsearch(node, c->port_index, c->n_port_index, sizeof(*e), cmp_key) : NULL;
        if (!e)
                return NULL;
        const struct vc_switch *s = &c->switches[e->sw];
        if (port)
                *port = s->ports[e->port];
        return s;
}

const char *vc_switch_opt(const struct vc_switch *s, const char *key) {
        size_t klen = strlen(key);
        for (char **o = s->opts; o && *o; o++)
                if (strncmp(*o, key, klen) == 0 && (*o)[klen] == '=')
                        return *o + klen + 1;
        return NULL;
}

void conf_switch_clear(struct vc_switch *s) {
        free(s->name);
        free(s->site);
        free(s->driver);
        strv_free(s->opts);
        free(s->secret_file);
        strv_free(s->nodes);
        strv_free(s->ports);
        strv_free(s->uplinks);
        memset(s, 0, sizeof(*s));
}
