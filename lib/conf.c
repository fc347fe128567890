/* conf.c — the vc_conf object: loading (text via conf_parse.c, then the
 * checks that need the whole file), sharing, lookups.
 */
#include "conf_internal.h"

#include "util.h"

#include <errno.h>
#include <syslog.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>

const char *vc_conf_path(void) {
        /* secure_getenv: a privileged caller must not be pointed at another file. */
        const char *e = secure_getenv("VCLUSTER_CONF");
        return e && *e ? e : VC_CONF_DEFAULT;
}

int conf_fail_at(struct conf_parser *p, const char *file, unsigned line, const char *fmt, ...) {
        if (p->err)
                return -EINVAL;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *why = xvasprintf(fmt, ap);
        va_end(ap);
        p->err = line ? xasprintf("%s:%u: %s", file, line, why) : xasprintf("%s: %s", file, why);
        return -EINVAL;
}

/* The buffer grows because groups with many members overflow the sysconf
 * size hint. */
int conf_lookup_id(const char *name, bool group, unsigned *id) {
        for (size_t sz = 4096; sz <= (1u << 22); sz *= 2) {
                _cleanup_free_ char *buf = xmalloc(sz);
                int r;
                if (group) {
                        struct group gr, *res = NULL;
                        r = getgrnam_r(name, &gr, buf, sz, &res);
                        if (r == 0 && res)
                                *id = gr.gr_gid;
                        else if (r == 0)
                                r = ENOENT;
                } else {
                        struct passwd pw, *res = NULL;
                        r = getpwnam_r(name, &pw, buf, sz, &res);
                        if (r == 0 && res)
                                *id = pw.pw_uid;
                        else if (r == 0)
                                r = ENOENT;
                }
                if (r != ERANGE)
                        return -r;
        }
        return -ERANGE;
}

int vc_conf_check_ids(const struct vc_conf *c, char **err) {
        if (!c->unresolved)
                return 0;
        *err = xstrdup(c->unresolved);
        return -ENOENT;
}

void conf_site_clear(struct vc_site *s) {
        free(s->name);
        free(s->ranges);
        strv_free(s->nodes);
        free(s->gateway);
        free(s->l2domain);
        free(s->storage);
        free(s->cache_preload);
        free(s->cache_parent);
        free(s->cache_bypass);
        memset(s, 0, sizeof(*s));
}

static void conf_free(struct vc_conf *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_sites; i++)
                conf_site_clear(&c->sites[i]);
        for (size_t i = 0; i < c->n_switches; i++)
                conf_switch_clear(&c->switches[i]);
        free(c->sites);
        free(c->switches);
        for (size_t i = 0; i < c->n_images; i++)
                conf_image_clear(&c->images[i]);
        free(c->images);
        for (size_t i = 0; i < c->n_nodecfgs; i++)
                conf_nodecfg_clear(&c->nodecfgs[i]);
        free(c->nodecfgs);
        for (size_t i = 0; i < c->n_storages; i++)
                conf_storage_clear(&c->storages[i]);
        free(c->storages);
        conf_nodecfg_clear(&c->node_default);
        free(c->node_index);
        free(c->port_index);
        free(c->path);
        free(c->controller_host);
        free(c->controller_port);
        free(c->state_dir);
        free(c->cache_user);
        free(c->slurm_user);
        free(c->admin_group);
        free(c->unresolved);
        free(c->munge_socket);
        free(c);
}

static void conf_freep(struct vc_conf **c) { conf_free(*c); }

static void parser_done(struct conf_parser *p) {
        free(p->err);
        strv_free(p->files);
        free(p->site_loc);
        free(p->switch_loc);
        free(p->image_loc);
        free(p->nodecfg_loc);
        free(p->storage_loc);
}

static void set_defaults(struct vc_conf *c) {
        c->state_dir = xstrdup("/var/lib/vcluster");
        c->lease_grace = 300;
        c->reap_interval = 30;
        c->vni_lo = 5000;
        c->vni_hi = 16777215;
        c->vxlan_port = 4789;
        c->openvpn_port = 20000; /* below Linux's ephemeral ports (32768-60999) */
        c->cache_user = xstrdup("proxy");
        c->log_level = LOG_INFO;
        c->syslog_facility = LOG_DAEMON;
        conf_nodecfg_default(&c->node_default);
        c->limits = (struct vc_limits){
                .max_nodes = 0,
                .max_vms_per_node = 16,
                .max_cpus = 64,
                .max_mem = 256ULL << 30,
                .max_disk = 16ULL << 40,
                .max_volumes = 256,
        };
}

static int cmp_index(const void *a, const void *b) {
        const struct vc_node_index *x = a, *y = b;
        int r = strcmp(x->node, y->node);
        if (r)
                return r;
        /* Ties by site so a clash is reported at the later site's line. */
        return (x->site > y->site) - (x->site < y->site);
}

static int build_node_index(struct conf_parser *p) {
        struct vc_conf *c = p->c;
        size_t n = 0;
        for (size_t i = 0; i < c->n_sites; i++)
                n += c->sites[i].n_nodes;
        c->node_index = xcalloc(n, sizeof(*c->node_index));
        c->n_node_index = n;
        size_t k = 0;
        for (size_t i = 0; i < c->n_sites; i++)
                for (size_t j = 0; j < c->sites[i].n_nodes; j++)
                        c->node_index[k++] = (struct vc_node_index){c->sites[i].nodes[j], i};
        qsort(c->node_index, n, sizeof(*c->node_index), cmp_index);
        for (size_t i = 1; i < n; i++) {
                const struct vc_node_index *a = &c->node_index[i - 1], *b = &c->node_index[i];
                if (!streq(a->node, b->node))
                        continue;
                const struct conf_loc *at = &p->site_loc[b->site];
                if (a->site == b->site)
                        return conf_fail_at(p, at->file, at->line,
                                            "node '%s' appears twice in site '%s'", b->node,
                                            c->sites[b->site].name);
                return conf_fail_at(p, at->file, at->line,
                                    "node '%s' is in site '%s' (%s:%u) and site '%s'", b->node,
                                    c->sites[a->site].name, p->site_loc[a->site].file,
                                    p->site_loc[a->site].line, c->sites[b->site].name);
        }
        return 0;
}

static int finish(struct conf_parser *p, const char *path) {
        struct vc_conf *c = p->c;
        if (!c->controller_host)
                return conf_fail_at(p, path, 0, "missing ControllerAddr");
        /* switches refer to sites by name and to their nodes */
        int r = build_node_index(p);
        if (r < 0)
                return r;
        r = conf_check_switches(p);
        if (r < 0)
                return r;
        r = conf_check_nodecfgs(p);
        if (r < 0)
                return r;
        r = conf_check_storages(p);
        if (r < 0)
                return r;
        if (!c->slurm_user) {
                unsigned uid;
                if (conf_lookup_id("slurm", false, &uid) == 0) {
                        c->slurm_user = xstrdup("slurm");
                        c->slurm_uid = uid;
                } else {
                        c->slurm_user = xstrdup("root");
                        c->slurm_uid = 0;
                }
        }
        return 0;
}

int vc_conf_load(const char *path, struct vc_conf **out, char **err) {
        _cleanup_(conf_freep) struct vc_conf *c = xcalloc(1, sizeof(*c));
        _cleanup_(parser_done) struct conf_parser p = {.c = c};
        c->refs = 1;
        c->path = xstrdup(path);
        set_defaults(c);
        int r = conf_parse_top(&p, path);
        if (r >= 0)
                r = finish(&p, path);
        if (r < 0) {
                if (err)
                        *err = p.err ? TAKE_PTR(p.err)
                                     : xasprintf("%s: %s", path, strerror(-r));
                return r;
        }
        *out = TAKE_PTR(c);
        return 0;
}

struct vc_conf *vc_conf_ref(struct vc_conf *c) {
        if (c)
                __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
        return c;
}

void vc_conf_unref(struct vc_conf *c) {
        /* Release/acquire so the last dropper sees every other user's reads done. */
        if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
                conf_free(c);
}

const struct vc_site *vc_conf_site(const struct vc_conf *c, const char *name) {
        for (size_t i = 0; i < c->n_sites; i++)
                if (streq(c->sites[i].name, name))
                        return &c->sites[i];
        return NULL;
}

static int cmp_key(const void *key, const void *elem) {
        return strcmp(key, ((const struct vc_node_index *)elem)->node);
}

const struct vc_site *vc_conf_site_of_node(const struct vc_conf *c, const char *node) {
        if (!c->n_node_index)
                return NULL;
        const struct vc_node_index *e =
                bsearch(node, c->node_index, c->n_node_index, sizeof(*e), cmp_key);
        return e ? &c->sites[e->site] : NULL;
}

bool vc_site_has_vlan(const struct vc_site *s, int id) {
        size_t lo = 0, hi = s->n_ranges;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (id < s->ranges[mid].lo)
                        hi = mid;
                else if (id > s->ranges[mid].hi)
                        lo = mid + 1;
                else
                        return true;
        }
        return false;
}

unsigned vc_site_range_size(const struct vc_site *s) {
        unsigned n = 0;
        for (size_t i = 0; i < s->n_ranges; i++)
                n += (unsigned)(s->ranges[i].hi - s->ranges[i].lo + 1);
        return n;
}

char *vc_ranges_format(const struct vc_range *r, size_t n) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                abort();
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s%d", i ? "," : "", r[i].lo);
                if (r[i].hi != r[i].lo)
                        fprintf(f, "-%d", r[i].hi);
        }
        if (fclose(f) != 0 || !buf)
                abort();
        return buf;
}

const char *vc_l2ext_name(enum vc_l2ext k) {
        return k == VC_L2EXT_OPENVPN ? "openvpn" : k == VC_L2EXT_NONE ? "none" : "vxlan";
}
