/* conf_parse.c — vcluster.conf text into a vc_conf: files and includes,
 * words, keys, and the checks that one line can make on its own. Checks
 * that need the whole file (switch → site, node in two sites, required
 * globals) live in conf.c.
 */
#include "conf_internal.h"

#include "conf_regex.h"
#include "hostlist.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <syslog.h>
#include <fcntl.h>
#include <limits.h>
#include <strings.h>
#include <sys/stat.h>


enum { S_NAME, S_ID, S_VLANS, S_NODES, S_GATEWAY, S_L2DOMAIN, S_STORAGE, S_L2EXT, S_CACHE_SIZE, S_CACHE_PRELOAD,
       S_CACHE_PARENT, S_CACHE_BYPASS, S_COUNT };
static const char *const site_keys[S_COUNT] = {"SiteName",    "SiteId",       "VlanIds",     "Nodes",
                                               "Gateway",     "L2Domain",     "Storage",     "L2Ext",
                                               "CacheSize",   "CachePreload", "CacheParent", "CacheBypass"};
static const struct keyset site_set = {"SiteName line", site_keys, S_COUNT};

static const char *const global_keys[G_COUNT] = {
        "ControllerAddr", "StateDir",    "SlurmUser",    "AdminGroup",
        "LeaseGrace",     "MungeSocket", "ReapInterval", "VniRange",
        "VxlanPort",      "OpenvpnPort", "CacheUser",    "DebugLevel",
        "SyslogFacility"};
static const struct keyset global_set = {"global line", global_keys, G_COUNT};

static const char *const limits_keys[L_COUNT] = {"MaxNodes", "MaxVmsPerNode", "MaxCpus",
                                                 "MaxMem", "MaxDisk", "MaxVolumes"};
static const struct keyset limits_set = {"Limits line", limits_keys, L_COUNT};

struct range_kind {
        const char *key, *unit;
        unsigned long long min, max;
};
static const struct range_kind vlan_kind = {"VlanIds", "VLAN id", VC_VLAN_MIN, VC_VLAN_MAX};
static const struct range_kind vni_kind = {"VniRange", "VNI", 1, 16777215};

/* Names end up in guest names, paths and JSON, so keep them plain. */
int conf_check_name(struct conf_parser *p, const char *key, const char *val) {
        /* "..", "-x": a path component or an option, never a name */
        if (!isalnum((unsigned char)val[0]))
                return conf_fail(p, "%s=%s: must start with a letter or digit", key, val);
        for (const char *s = val; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
                        return conf_fail(p, "%s=%s: only letters, digits, '.', '_' and '-' are allowed",
                                    key, val);
        return 0;
}

/* resolve: rel taken relative to the directory of base, as Include does. */
char *conf_resolve(const char *base, const char *rel) {
        const char *slash = strrchr(base, '/');
        if (rel[0] == '/' || !slash)
                return xstrdup(rel);
        return xasprintf("%.*s/%s", (int)(slash - base), base, rel);
}

static const char *open_error(int r) {
        return r == -EINVAL ? "not a regular file" : strerror(-r);
}

static int open_regular(const char *path, FILE **out, struct stat *st) {
        /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
         * writer forever, before fstat could refuse it. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0)
                return -errno;
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        if (!S_ISREG(st->st_mode))
                return -EINVAL;
        if (fcntl(fd, F_SETFL, 0) < 0)
                return -errno;
        FILE *f = fdopen(fd, "r");
        if (!f)
                return -errno;
        TAKE_FD(fd);
        *out = f;
        return 0;
}

static int split_words(struct conf_parser *p, const char *line, char ***out) {
        _cleanup_strv_ char **w = xcalloc(1, sizeof(char *));
        _cleanup_free_ char *buf = xmalloc(strlen(line) + 1);
        const char *s = line;
        for (;;) {
                while (isspace((unsigned char)*s))
                        s++;
                if (!*s || *s == '#')
                        break;
                size_t n = 0;
                bool quoted = false;
                for (; *s; s++) {
                        if (*s == '"') {
                                quoted = !quoted;
                                continue;
                        }
                        if (!quoted && (isspace((unsigned char)*s) || *s == '#'))
                                break;
                        buf[n++] = *s;
                }
                if (quoted)
                        return conf_fail(p, "unterminated '\"'");
                buf[n] = 0;
                strv_push(&w, buf);
        }
        *out = TAKE_PTR(w);
        return 0;
}

/* collect: match each Key=Value word against ks; vals[i] points into w. */
int conf_collect(struct conf_parser *p, char *const *w, const struct keyset *ks,
                 const char **vals) {
        for (; *w; w++) {
                const char *eq = strchr(*w, '=');
                if (!eq)
                        return conf_fail(p, "'%s' is not Key=Value", *w);
                size_t klen = (size_t)(eq - *w), i;
                for (i = 0; i < ks->n; i++)
                        if (strlen(ks->names[i]) == klen &&
                            strncasecmp(*w, ks->names[i], klen) == 0)
                                break;
                if (i == ks->n) {
                        _cleanup_free_ char *known = strv_join_n(ks->names, ks->n, ", ");
                        return conf_fail(p, "unknown key '%.*s' in %s (known: %s)", (int)klen, *w,
                                    ks->what, known);
                }
                if (vals[i])
                        return conf_fail(p, "duplicate key %s on one line", ks->names[i]);
                if (!eq[1])
                        return conf_fail(p, "%s: empty value", ks->names[i]);
                vals[i] = eq + 1;
        }
        return 0;
}

int conf_parse_number(struct conf_parser *p, const char *key, const char *val,
                      unsigned long long min, unsigned long long max, unsigned long long *out) {
        unsigned long long v;
        int r = parse_uint(val, 0, ULLONG_MAX, &v);
        if (r == -EINVAL)
                return conf_fail(p, "%s=%s: not a number", key, val);
        if (r < 0 || v < min || v > max)
                return conf_fail(p, "%s=%s outside %llu..%llu", key, val, min, max);
        *out = v;
        return 0;
}

static int parse_bound(struct conf_parser *p, const struct range_kind *k, const char *whole,
                       const char *txt, size_t len, unsigned long long *out) {
        _cleanup_free_ char *s = xasprintf("%.*s", (int)len, txt);
        unsigned long long v;
        int r = parse_uint(s, 0, ULLONG_MAX, &v);
        if (r == -EINVAL)
                return conf_fail(p, "%s=%s: '%s' is not a number", k->key, whole, s);
        if (r < 0 || v < k->min || v > k->max)
                return conf_fail(p, "%s=%s: %s %s outside %llu..%llu", k->key, whole, k->unit, s,
                            k->min, k->max);
        *out = v;
        return 0;
}

/* parse_range: "N" or "LO-HI", len bytes at elem, both ends inside k's bounds. */
static int parse_range(struct conf_parser *p, const struct range_kind *k, const char *whole,
                       const char *elem, size_t len, struct vc_range *out) {
        if (len == 0)
                return conf_fail(p, "%s=%s: empty element", k->key, whole);
        const char *dash = memchr(elem, '-', len);
        unsigned long long lo, hi;
        int r = parse_bound(p, k, whole, elem, dash ? (size_t)(dash - elem) : len, &lo);
        if (r < 0)
                return r;
        hi = lo;
        if (dash) {
                r = parse_bound(p, k, whole, dash + 1, len - (size_t)(dash - elem) - 1, &hi);
                if (r < 0)
                        return r;
        }
        if (lo > hi)
                return conf_fail(p, "%s=%s: range start %llu is above its end %llu", k->key, whole,
                            lo, hi);
        out->lo = (int)lo;
        out->hi = (int)hi;
        return 0;
}

static int cmp_range(const void *a, const void *b) {
        const struct vc_range *x = a, *y = b;
        return (x->lo > y->lo) - (x->lo < y->lo);
}

static int parse_vlans(struct conf_parser *p, const char *val, const char *site,
                       struct vc_site *s) {
        size_t n = 1;
        for (const char *c = val; *c; c++)
                n += *c == ',';
        s->ranges = xcalloc(n, sizeof(*s->ranges));
        const char *e = val;
        for (size_t i = 0; i < n; i++) {
                size_t len = strcspn(e, ",");
                int r = parse_range(p, &vlan_kind, val, e, len, &s->ranges[i]);
                if (r < 0)
                        return r;
                s->n_ranges++;
                e += len + 1;
        }
        qsort(s->ranges, n, sizeof(*s->ranges), cmp_range);
        /* Sorted by start, and we stop at the first overlap, so the previous
         * range is always the one reaching furthest. */
        for (size_t i = 1; i < n; i++) {
                if (s->ranges[i].lo <= s->ranges[i - 1].hi) {
                        _cleanup_free_ char *a = vc_ranges_format(&s->ranges[i], 1);
                        _cleanup_free_ char *b = vc_ranges_format(&s->ranges[i - 1], 1);
                        return conf_fail(p, "VlanIds: %s overlaps %s in site '%s'", a, b, site);
                }
        }
        return 0;
}

void conf_append_loc(struct conf_parser *p, struct conf_loc **locs, size_t n) {
        *locs = xrealloc(*locs, (n + 1) * sizeof(**locs));
        (*locs)[n] = (struct conf_loc){p->file, p->line};
}

static int parse_size_key(struct conf_parser *p, const char *key, const char *val, uint64_t *out);
static int parse_abs_path(struct conf_parser *p, const char *key, const char *val, char **out);

/* parse_site_l2: L2Ext= and the Cache* keys, v[0..4] in site_keys order from S_L2EXT. */
static int parse_site_l2(struct conf_parser *p, const char *const *v, struct vc_site *s) {
        enum { X, SIZE, PRELOAD, PARENT, BYPASS };
        int r;
        s->l2ext = VC_L2EXT_VXLAN;
        if (v[X]) {
                if (strcasecmp(v[X], "openvpn") == 0)
                        s->l2ext = VC_L2EXT_OPENVPN;
                else if (strcasecmp(v[X], "none") == 0)
                        s->l2ext = VC_L2EXT_NONE;
                else if (strcasecmp(v[X], "vxlan") != 0)
                        return conf_fail(p, "L2Ext=%s: not a tunnel kind (vxlan, openvpn for an encrypted path, or "
                                            "none when the site's WAN joins the VLANs itself)", v[X]);
        }
        s->cache_mb = 4096;
        if (v[SIZE]) {
                uint64_t bytes;
                if ((r = parse_size_key(p, "CacheSize", v[SIZE], &bytes)) < 0)
                        return r;
                /* squid's own ceiling for one cache_dir is far above; this is what cache.squid takes */
                if (bytes < (16u << 20) || bytes / (1u << 20) > (1u << 24))
                        return conf_fail(p, "CacheSize=%s: outside 16M..16T", v[SIZE]);
                s->cache_mb = (unsigned)(bytes >> 20);
        }
        if (v[PRELOAD] && (r = parse_abs_path(p, "CachePreload", v[PRELOAD], &s->cache_preload)) < 0)
                return r;
        if (v[PARENT]) {
                const char *colon = strrchr(v[PARENT], ':');
                unsigned long long port;
                if (!colon || colon == v[PARENT] || parse_uint(colon + 1, 1, 65535, &port) < 0 ||
                    strcspn(v[PARENT], " \t\"'") != strlen(v[PARENT]))
                        return conf_fail(p, "CacheParent=%s is not HOST:PORT", v[PARENT]);
                s->cache_parent = xstrdup(v[PARENT]);
        }
        if (v[BYPASS]) {
                /* Never regcomp here: every program loads this file (sbatch too),
                 * and a pattern can cost regcomp gigabytes (conf_regex.h). */
                _cleanup_free_ char *why = NULL;
                if (vc_ere_check(v[BYPASS], &why) < 0)
                        return conf_fail(p, "CacheBypass=%s: not a regular expression squid can take: %s",
                                         v[BYPASS], why);
                /* squid.conf takes it as one word, a leading - or + as a flag */
                bool plain = strchr("-+", v[BYPASS][0]) == NULL || !v[BYPASS][0];
                for (const unsigned char *q = (const unsigned char *)v[BYPASS]; plain && *q; q++)
                        plain = *q > ' ' && *q < 0x7f && *q != '"';
                if (!plain)
                        return conf_fail(p, "CacheBypass=%s: printable ASCII without blanks or quotes, not starting "
                                            "with - or + (write \\s for a blank)", v[BYPASS]);
                s->cache_bypass = xstrdup(v[BYPASS]);
        }
        return 0;
}

static int parse_site(struct conf_parser *p, char *const *w) {
        struct vc_conf *c = p->c;
        const char *v[S_COUNT] = {0};
        int r = conf_collect(p, w, &site_set, v);
        if (r < 0)
                return r;
        const char *name = v[S_NAME];
        r = conf_check_name(p, "SiteName", name);
        if (r < 0)
                return r;
        static const int required[] = {S_ID, S_VLANS, S_NODES};
        for (size_t i = 0; i < ARRAY_SIZE(required); i++)
                if (!v[required[i]])
                        return conf_fail(p, "site '%s': missing %s", name, site_keys[required[i]]);
        for (size_t i = 0; i < c->n_sites; i++)
                if (streq(c->sites[i].name, name))
                        return conf_fail(p, "duplicate site name '%s' (first at %s:%u)", name,
                                    p->site_loc[i].file, p->site_loc[i].line);

        _cleanup_(conf_site_clear) struct vc_site s = {0};
        s.name = xstrdup(name);
        unsigned long long id;
        r = conf_parse_number(p, "SiteId", v[S_ID], 1, 255, &id);
        if (r < 0)
                return r;
        s.id = (int)id;
        for (size_t i = 0; i < c->n_sites; i++)
                if (c->sites[i].id == s.id)
                        return conf_fail(p, "SiteId %d already used by site '%s' (%s:%u)", s.id,
                                    c->sites[i].name, p->site_loc[i].file, p->site_loc[i].line);
        r = parse_vlans(p, v[S_VLANS], name, &s);
        if (r < 0)
                return r;
        _cleanup_free_ char *herr = NULL;
        r = vc_hostlist_expand(v[S_NODES], &s.nodes, &herr);
        if (r < 0)
                return conf_fail(p, "Nodes=%s: %s", v[S_NODES], herr);
        s.n_nodes = strv_len(s.nodes);
        if (v[S_GATEWAY]) {
                size_t i = 0;
                while (i < s.n_nodes && !streq(s.nodes[i], v[S_GATEWAY]))
                        i++;
                if (i == s.n_nodes)
                        return conf_fail(p, "Gateway=%s is not one of the nodes of site '%s'",
                                    v[S_GATEWAY], name);
        }
        s.gateway = v[S_GATEWAY] ? xstrdup(v[S_GATEWAY]) : NULL;
        if (v[S_L2DOMAIN]) {
                r = conf_check_name(p, "L2Domain", v[S_L2DOMAIN]);
                if (r < 0)
                        return r;
                s.l2domain = xstrdup(v[S_L2DOMAIN]);
        }
        if (v[S_STORAGE]) {
                r = conf_check_name(p, "Storage", v[S_STORAGE]);
                if (r < 0)
                        return r;
                s.storage = xstrdup(v[S_STORAGE]);
        }
        if ((r = parse_site_l2(p, v + S_L2EXT, &s)) < 0)
                return r;

        conf_append_loc(p, &p->site_loc, c->n_sites);
        c->sites = xrealloc(c->sites, (c->n_sites + 1) * sizeof(*c->sites));
        c->sites[c->n_sites++] = s;
        memset(&s, 0, sizeof(s));
        return 0;
}

int conf_parse_secs(struct conf_parser *p, const char *key, const char *val, unsigned min,
                    unsigned *out) {
        unsigned long long v;
        int r = parse_duration(val, &v);
        if (r == -EINVAL)
                return conf_fail(p, "%s=%s: not a duration (seconds, or a number with s, m, h or d)",
                            key, val);
        if (r < 0 || v < min || v > UINT_MAX)
                return conf_fail(p, "%s=%s outside %us..%us", key, val, min, UINT_MAX);
        *out = (unsigned)v;
        return 0;
}

static int parse_abs_path(struct conf_parser *p, const char *key, const char *val, char **out) {
        if (val[0] != '/')
                return conf_fail(p, "%s=%s: not an absolute path", key, val);
        free(*out);
        *out = xstrdup(val);
        return 0;
}

static int parse_hostport(struct conf_parser *p, const char *val) {
        struct vc_conf *c = p->c;
        const char *colon = strrchr(val, ':');
        if (!colon || colon == val || !colon[1])
                return conf_fail(p, "ControllerAddr=%s is not HOST:PORT", val);
        const char *host = val;
        size_t hlen = (size_t)(colon - val);
        if (host[0] == '[' || host[hlen - 1] == ']') {
                if (host[0] != '[' || host[hlen - 1] != ']' || hlen <= 2)
                        return conf_fail(p, "ControllerAddr=%s is not HOST:PORT (write IPv6 as [ADDR]:PORT)", val);
                host++;
                hlen -= 2;
        } else if (memchr(host, ':', hlen)) {
                return conf_fail(p, "ControllerAddr=%s is not HOST:PORT (write IPv6 as [ADDR]:PORT)",
                            val);
        }
        unsigned long long port;
        if (parse_uint(colon + 1, 1, 65535, &port) < 0)
                return conf_fail(p, "ControllerAddr=%s: port '%s' is not a number in 1..65535", val,
                            colon + 1);
        c->controller_host = xasprintf("%.*s", (int)hlen, host);
        c->controller_port = xstrdup(colon + 1);
        return 0;
}

static int set_global(struct conf_parser *p, int k, const char *val) {
        struct vc_conf *c = p->c;
        unsigned id;
        int r;
        switch (k) {
        case G_CONTROLLER_ADDR:
                return parse_hostport(p, val);
        case G_STATE_DIR:
                return parse_abs_path(p, "StateDir", val, &c->state_dir);
        case G_MUNGE_SOCKET:
                return parse_abs_path(p, "MungeSocket", val, &c->munge_socket);
        case G_SLURM_USER:
        case G_ADMIN_GROUP:
                r = conf_lookup_id(val, k == G_ADMIN_GROUP, &id);
                if (r == -ENOENT) {
                        /* Only vlanallocd acts on these ids: a login node or a compute
                         * node need not know the group or user (vc_conf_check_ids). */
                        id = (unsigned)-1;
                        if (!c->unresolved)
                                c->unresolved = xasprintf("%s:%u: unknown %s '%s'", p->file, p->line,
                                                          global_keys[k], val);
                } else if (r < 0)
                        return conf_fail(p, "%s '%s': %s", global_keys[k], val, strerror(-r));
                if (k == G_SLURM_USER) {
                        c->slurm_user = xstrdup(val);
                        c->slurm_uid = id;
                } else {
                        c->admin_group = xstrdup(val);
                        c->admin_gid = id;
                }
                return 0;
        case G_LEASE_GRACE:
                return conf_parse_secs(p, "LeaseGrace", val, 0, &c->lease_grace);
        case G_REAP_INTERVAL:
                /* 0 would make the reaper spin. */
                return conf_parse_secs(p, "ReapInterval", val, 1, &c->reap_interval);
        case G_VXLAN_PORT:
        case G_OPENVPN_PORT: {
                unsigned long long port;
                r = conf_parse_number(p, global_keys[k], val, 1, 65535, &port);
                if (r == 0)
                        *(k == G_VXLAN_PORT ? &c->vxlan_port : &c->openvpn_port) = (unsigned)port;
                return r;
        }
        case G_CACHE_USER:
                /* only the gateways that run a squid need the user to exist (cache.squid checks it there) */
                if ((r = conf_check_name(p, "CacheUser", val)) < 0)
                        return r;
                free(c->cache_user);
                c->cache_user = xstrdup(val);
                return 0;
        case G_DEBUG_LEVEL:
        case G_SYSLOG_FACILITY: {
                static const struct {
                        const char *name;
                        int v;
                } levels[] = {{"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
                              {"info", LOG_INFO}, {"debug", LOG_DEBUG}},
                  facilities[] = {{"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
                                  {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
                                  {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
                                  {"local7", LOG_LOCAL7}};
                bool lvl = k == G_DEBUG_LEVEL;
                size_t n = lvl ? ARRAY_SIZE(levels) : ARRAY_SIZE(facilities);
                for (size_t i = 0; i < n; i++)
                        if (strcasecmp(val, lvl ? levels[i].name : facilities[i].name) == 0) {
                                *(lvl ? &c->log_level : &c->syslog_facility) = lvl ? levels[i].v : facilities[i].v;
                                return 0;
                        }
                return conf_fail(p, lvl ? "DebugLevel=%s: not a level (error, warning, notice, info, debug)"
                                        : "SyslogFacility=%s: not a facility (daemon, user, local0..local7)",
                                 val);
        }
        case G_VNI_RANGE: {
                struct vc_range rg;
                r = parse_range(p, &vni_kind, val, val, strlen(val), &rg);
                if (r < 0)
                        return r;
                c->vni_lo = (uint32_t)rg.lo;
                c->vni_hi = (uint32_t)rg.hi;
                return 0;
        }
        }
        return -EINVAL;
}

static int parse_size_key(struct conf_parser *p, const char *key, const char *val,
                          uint64_t *out) {
        /* One rule with the spec's mem=/disk=: a bare number is MiB. */
        int r = parse_size_mib(val, out);
        if (r == -ERANGE)
                return conf_fail(p, "%s=%s: too large", key, val);
        if (r < 0)
                return conf_fail(p, "%s=%s: not a size (MiB, or a number with K, M, G or T)", key,
                            val);
        if (*out == 0)
                return conf_fail(p, "%s=%s: must be above 0", key, val);
        return 0;
}

static int set_limit(struct conf_parser *p, int k, const char *val) {
        struct vc_limits *l = &p->c->limits;
        unsigned long long v;
        int r;
        switch (k) {
        case L_MAX_NODES:
        case L_MAX_VMS_PER_NODE:
        case L_MAX_CPUS:
                /* Only MaxNodes has an "unlimited" meaning for 0. */
                r = conf_parse_number(p, limits_keys[k], val, k == L_MAX_NODES ? 0 : 1, UINT_MAX, &v);
                if (r < 0)
                        return r;
                *(k == L_MAX_NODES ? &l->max_nodes
                  : k == L_MAX_CPUS ? &l->max_cpus
                                    : &l->max_vms_per_node) = (unsigned)v;
                return 0;
        case L_MAX_MEM:
                return parse_size_key(p, "MaxMem", val, &l->max_mem);
        case L_MAX_DISK:
                return parse_size_key(p, "MaxDisk", val, &l->max_disk);
        case L_MAX_VOLUMES:
                r = conf_parse_number(p, "MaxVolumes", val, 1, UINT_MAX, &v);
                if (r == 0)
                        l->max_volumes = (unsigned)v;
                return r;
        }
        return -EINVAL;
}

/* parse_singletons: global and Limits keys may be spread over several lines
 * but each is set once in the whole configuration. */
typedef int (*setter_fn)(struct conf_parser *p, int key, const char *val);
static int parse_singletons(struct conf_parser *p, char *const *w, const struct keyset *ks,
                            struct conf_loc *locs, setter_fn set) {
        const char *v[(int)G_COUNT > (int)L_COUNT ? (int)G_COUNT : (int)L_COUNT] = {0};
        int r = conf_collect(p, w, ks, v);
        if (r < 0)
                return r;
        for (size_t k = 0; k < ks->n; k++) {
                if (!v[k])
                        continue;
                if (locs[k].file)
                        return conf_fail(p, "%s already set at %s:%u", ks->names[k], locs[k].file,
                                    locs[k].line);
                locs[k] = (struct conf_loc){p->file, p->line};
                r = set(p, (int)k, v[k]);
                if (r < 0)
                        return r;
        }
        return 0;
}

#define CONF_LINE_MAX (1 << 20)

static int parse_stream(struct conf_parser *p, FILE *f);

static int include(struct conf_parser *p, const char *arg) {
        if (p->depth >= CONF_MAX_INCLUDE_DEPTH)
                return conf_fail(p, "Include '%s': includes nested deeper than %d", arg,
                            CONF_MAX_INCLUDE_DEPTH);
        _cleanup_free_ char *path = conf_resolve(p->file, arg);
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;
        int r = open_regular(path, &f, &st);
        if (r < 0)
                return conf_fail(p, "Include '%s': %s", path, open_error(r));
        for (int i = 0; i <= p->depth; i++)
                if (p->stack[i].dev == st.st_dev && p->stack[i].ino == st.st_ino)
                        return conf_fail(p, "Include '%s' loops back to '%s'", path, p->stack[i].file);

        const char *saved_file = p->file;
        unsigned saved_line = p->line;
        strv_push(&p->files, path);
        p->file = p->files[strv_len(p->files) - 1];
        p->depth++;
        p->stack[p->depth].dev = st.st_dev;
        p->stack[p->depth].ino = st.st_ino;
        p->stack[p->depth].file = p->file;
        r = parse_stream(p, f);
        p->depth--;
        p->file = saved_file;
        p->line = saved_line;
        return r;
}

static int parse_line(struct conf_parser *p, const char *line) {
        _cleanup_strv_ char **w = NULL;
        int r = split_words(p, line, &w);
        if (r < 0 || !w[0])
                return r;
        if (!strchr(w[0], '=')) {
                if (strcasecmp(w[0], "Include") == 0) {
                        if (strv_len(w) != 2)
                                return conf_fail(p, "Include takes exactly one file");
                        return include(p, w[1]);
                }
                if (strcasecmp(w[0], "Limits") == 0)
                        return parse_singletons(p, w + 1, &limits_set, p->limits_loc, set_limit);
                return conf_fail(p, "'%s' is not Key=Value (nor Include or Limits)", w[0]);
        }
        if (strncasecmp(w[0], "SiteName=", 9) == 0)
                return parse_site(p, w);
        if (strncasecmp(w[0], "SwitchName=", 11) == 0)
                return conf_parse_switch(p, w);
        if (strncasecmp(w[0], "ImageName=", 10) == 0)
                return conf_parse_image(p, w);
        if (strncasecmp(w[0], "NodeName=", 9) == 0)
                return conf_parse_node(p, w);
        if (strncasecmp(w[0], "StorageName=", 12) == 0)
                return conf_parse_storage(p, w);
        return parse_singletons(p, w, &global_set, p->global_loc, set_global);
}

/* ends_continued: line (its newline stripped) ends in a backslash, as
 * slurm.conf continues a line; the backslash is cut off. */
static bool ends_continued(char *line) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        if (n == 0 || line[n - 1] != '\\')
                return false;
        line[n - 1] = ' ';
        return true;
}

static int parse_stream(struct conf_parser *p, FILE *f) {
        _cleanup_free_ char *line = NULL, *joined = NULL;
        size_t cap = 0;
        ssize_t len;
        unsigned first = 0; /* where a continued line began: errors name it */
        p->line = 0;
        while ((len = getline(&line, &cap, f)) >= 0) {
                p->line++;
                /* A config line is words, not data: refuse before parsing megabytes. */
                if (len > CONF_LINE_MAX || (joined && strlen(joined) + (size_t)len > CONF_LINE_MAX))
                        return conf_fail(p, "line longer than %d bytes", CONF_LINE_MAX);
                if (strlen(line) != (size_t)len)
                        return conf_fail(p, "NUL byte in line");
                bool more = ends_continued(line);
                if (joined) {
                        char *j = xasprintf("%s%s", joined, line);
                        free(joined);
                        joined = j;
                } else {
                        joined = xstrdup(line);
                        first = p->line;
                }
                if (more)
                        continue;
                unsigned last = p->line;
                p->line = first;
                int r = parse_line(p, joined);
                p->line = last;
                free(joined);
                joined = NULL;
                if (r < 0)
                        return r;
        }
        if (ferror(f))
                return conf_fail_at(p, p->file, 0, "read error: %s", strerror(errno));
        if (joined) {
                p->line = first;
                return conf_fail(p, "the file ends inside a line continued with '\\'");
        }
        return 0;
}

int conf_parse_top(struct conf_parser *p, const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;
        int r = open_regular(path, &f, &st);
        if (r < 0) {
                conf_fail_at(p, path, 0, "%s", open_error(r));
                return r;
        }
        strv_push(&p->files, path);
        p->file = p->files[0];
        p->depth = 0;
        p->stack[0].dev = st.st_dev;
        p->stack[0].ino = st.st_ino;
        p->stack[0].file = p->file;
        return parse_stream(p, f);
}
