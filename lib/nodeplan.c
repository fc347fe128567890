/* nodeplan.c — see nodeplan.h. The only code that knows the node plan's JSON. */
#include "nodeplan.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "jsonread.h"
#include "util.h"

static int not_object(char **err, const struct vc_jpath *at) {
        *err = xasprintf("%s: %s: not an object", at->doc, at->path);
        return -EINVAL;
}

static int int_in(const json_t *o, const struct vc_jpath *at, const char *key, int64_t lo, int64_t hi, int *out,
                  char **err) {
        int64_t v = 0;
        int r = vc_jint(o, at, key, lo, hi, false, &v, NULL, err);
        if (r == 0)
                *out = (int)v;
        return r;
}

static int volume_from(const json_t *o, const struct vc_jpath *up, struct vc_nodeplan_volume **out, char **err) {
        struct vc_jpath at = vc_jpath_sub(up, "volume");
        if (!json_is_object(o))
                return not_object(err, &at);
        struct vc_nodeplan_volume *v = *out = xcalloc(1, sizeof(*v));
        int r = vc_jstr(o, &at, "storage", false, &v->storage, err);
        if (r == 0)
                r = vc_jstr(o, &at, "portal", true, &v->portal, err);
        if (r == 0)
                r = vc_jstr(o, &at, "iqn", false, &v->iqn, err);
        if (r == 0)
                r = vc_jint(o, &at, "lun", 0, INT64_MAX, false, &v->lun, NULL, err);
        if (r == 0)
                r = vc_jstr(o, &at, "initiator", false, &v->initiator, err);
        if (r == 0)
                r = vc_jstr(o, &at, "user", false, &v->user, err);
        if (r == 0)
                r = vc_jstr(o, &at, "name", false, &v->name, err);
        if (r == 0)
                r = vc_jint(o, &at, "bytes", 0, INT64_MAX, false, &v->bytes, NULL, err);
        return r;
}

static int guest_from(const json_t *o, const struct vc_jpath *at, struct vc_nodeplan_guest *g, char **err) {
        if (!json_is_object(o))
                return not_object(err, at);
        int r = vc_jstr(o, at, "name", false, &g->name, err);
        if (r == 0)
                r = vc_jint(o, at, "k", 1, INT64_MAX, false, &g->k, NULL, err);
        if (r == 0)
                r = vc_jstr(o, at, "site", true, &g->site, err);
        if (r == 0)
                r = int_in(o, at, "site_id", INT_MIN, INT_MAX, &g->site_id, err);
        if (r == 0)
                r = vc_jstr(o, at, "node", false, &g->node, err);
        if (r == 0)
                r = vc_jstr(o, at, "mac", false, &g->mac, err);
        if (r == 0)
                r = vc_jstr(o, at, "ip", false, &g->ip, err);
        if (r == 0)
                r = int_in(o, at, "prefix", 0, 32, &g->prefix, err);
        if (r == 0)
                r = vc_jstr(o, at, "domain", false, &g->domain, err);
        if (r == 0)
                r = vc_jstr(o, at, "tap", false, &g->tap, err);
        if (r == 0)
                r = vc_jbool(o, at, "frontend", &g->frontend, err);
        json_t *vol = json_object_get(o, "volume");
        if (r == 0 && vol)
                r = volume_from(vol, at, &g->volume, err);
        return r;
}

static void volume_free(struct vc_nodeplan_volume *v) {
        if (!v)
                return;
        free(v->storage);
        free(v->portal);
        free(v->iqn);
        free(v->initiator);
        free(v->user);
        free(v->name);
        free(v);
}

void vc_nodeplan_guests_free(struct vc_nodeplan_guest *g, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(g[i].name);
                free(g[i].site);
                free(g[i].node);
                free(g[i].mac);
                free(g[i].ip);
                free(g[i].domain);
                free(g[i].tap);
                volume_free(g[i].volume);
        }
        free(g);
}

static int guests_at(const json_t *list, const struct vc_jpath *up, const char *key, struct vc_nodeplan_guest **out,
                     size_t *n, char **err) {
        *out = NULL;
        *n = 0;
        if (!json_is_array(list))
                return vc_jbad(err, up, key, list ? "not an array" : "missing");
        struct vc_nodeplan_guest *g = xcalloc(json_array_size(list) + 1, sizeof(*g));
        size_t i;
        json_t *o;
        json_array_foreach(list, i, o) {
                struct vc_jpath at = vc_jpath_sub(up, "%s[%zu]", key, i);
                int r = guest_from(o, &at, &g[i], err);
                if (r < 0) {
                        vc_nodeplan_guests_free(g, i + 1);
                        return r;
                }
        }
        *out = g;
        *n = json_array_size(list);
        return 0;
}

void vc_nodeplan_l2_free(struct vc_nodeplan_l2 *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n_sites; i++) {
                free(l->sites[i].name);
                free(l->sites[i].wan);
                vc_jobplan_cache_free(l->sites[i].cache);
        }
        free(l->sites);
        free(l->kind);
        free(l->subnet);
        free(l);
}

static int l2_from(const json_t *o, const struct vc_jpath *top, struct vc_nodeplan_l2 **out, char **err) {
        struct vc_jpath at = vc_jpath_sub(top, "l2");
        if (!json_is_object(o))
                return not_object(err, &at);
        struct vc_nodeplan_l2 *l = *out = xcalloc(1, sizeof(*l));
        int r = vc_jstr(o, &at, "kind", false, &l->kind, err);
        if (r == 0)
                r = vc_jint(o, &at, "port", 0, 65535, false, &l->port, NULL, err);
        if (r == 0)
                r = vc_jint(o, &at, "vni", 0, INT64_MAX, true, &l->vni, &l->has_vni, err);
        if (r == 0)
                r = vc_jint(o, &at, "index", 0, INT64_MAX, false, &l->index, NULL, err);
        if (r == 0)
                r = vc_jstr(o, &at, "subnet", false, &l->subnet, err);
        if (r < 0)
                return r;
        json_t *sites = json_object_get(o, "sites"), *s;
        if (!json_is_array(sites))
                return vc_jbad(err, &at, "sites", sites ? "not an array" : "missing");
        l->sites = xcalloc(json_array_size(sites) + 1, sizeof(*l->sites));
        size_t i;
        json_array_foreach(sites, i, s) {
                struct vc_jpath sat = vc_jpath_sub(&at, "sites[%zu]", i);
                struct vc_nodeplan_l2_site *ls = &l->sites[l->n_sites++];
                if (!json_is_object(s))
                        return not_object(err, &sat);
                if ((r = vc_jstr(s, &sat, "name", false, &ls->name, err)) < 0 ||
                    (r = vc_jstr(s, &sat, "wan", false, &ls->wan, err)) < 0)
                        return r;
                json_t *c = json_object_get(s, "cache");
                if (c && !json_is_null(c) && (r = vc_jobplan_cache_from_json(c, &sat, &ls->cache, err)) < 0)
                        return r;
        }
        if ((size_t)l->index >= l->n_sites)
                return vc_jbad(err, &at, "index", "beyond its sites");
        return 0;
}

static int hosts_from(const json_t *o, const struct vc_jpath *top, struct vc_nodeplan *p, char **err) {
        json_t *hosts = json_object_get(o, "hosts"), *access = json_object_get(o, "access"), *h;
        if (!json_is_array(hosts))
                return vc_jbad(err, top, "hosts", hosts ? "not an array" : "missing");
        struct vc_jpath aat = vc_jpath_sub(top, "access");
        if (!json_is_object(access))
                return vc_jbad(err, top, "access", access ? "not an object" : "missing");
        int r = vc_jint(access, &aat, "index", 0, INT64_MAX, false, &p->access_index, NULL, err);
        if (r == 0)
                r = vc_jint(access, &aat, "sites", 0, INT64_MAX, false, &p->access_sites, NULL, err);
        if (r < 0)
                return r;
        json_t *nodes = json_object_get(access, "nodes");
        if (!json_is_array(nodes) || json_array_size(nodes) != json_array_size(hosts))
                return vc_jbad(err, &aat, "nodes", "not an array as long as hosts");
        p->hosts = xcalloc(json_array_size(hosts) + 1, sizeof(*p->hosts));
        size_t i;
        json_array_foreach(hosts, i, h) {
                struct vc_jpath at = vc_jpath_sub(top, "hosts[%zu]", i);
                struct vc_nodeplan_host *ph = &p->hosts[p->n_hosts++];
                if (!json_is_object(h))
                        return not_object(err, &at);
                if ((r = vc_jstr(h, &at, "name", false, &ph->name, err)) < 0 ||
                    (r = vc_jstr(h, &at, "ip", false, &ph->ip, err)) < 0)
                        return r;
                json_t *n = json_array_get(nodes, i);
                if (!json_is_string(n)) {
                        *err = xasprintf("%s: access.nodes[%zu]: not a string", top->doc, i);
                        return -EINVAL;
                }
                ph->node = xstrdup(json_string_value(n));
        }
        return 0;
}

static int alloc_from(const json_t *o, const struct vc_jpath *top, struct vc_nodeplan_alloc **out, char **err) {
        struct vc_jpath at = vc_jpath_sub(top, "alloc");
        if (!json_is_object(o))
                return not_object(err, &at);
        struct vc_nodeplan_alloc *a = *out = xcalloc(1, sizeof(*a));
        int r = vc_jstr(o, &at, "cpus", false, &a->cpus, err);
        if (r == 0)
                r = vc_jint(o, &at, "ncpus", 0, INT64_MAX, false, &a->ncpus, NULL, err);
        if (r == 0)
                r = vc_jint(o, &at, "mem", 0, INT64_MAX, false, &a->mem, NULL, err);
        if (r == 0)
                r = vc_jstr(o, &at, "slurm_cpus", true, &a->slurm_cpus, err);
        if (r == 0)
                r = vc_jstr(o, &at, "mem_by", true, &a->mem_by, err);
        return r;
}

static int site_from(const json_t *o, const struct vc_jpath *top, struct vc_nodeplan *p, char **err) {
        struct vc_jpath at = vc_jpath_sub(top, "site");
        if (!json_is_object(o))
                return vc_jbad(err, top, "site", o ? "not an object" : "missing");
        int r = vc_jstr(o, &at, "name", false, &p->site.name, err);
        if (r == 0)
                r = int_in(o, &at, "id", INT_MIN, INT_MAX, &p->site.id, err);
        if (r == 0)
                r = int_in(o, &at, "vlan", INT_MIN, INT_MAX, &p->site.vlan, err);
        if (r == 0)
                r = vc_jstr(o, &at, "gateway", false, &p->site.gateway, err);
        return r;
}

static int from_json(const json_t *o, const struct vc_jpath *top, struct vc_nodeplan *p, char **err) {
        if (!json_is_object(o)) {
                *err = xasprintf("%s: not an object", top->doc);
                return -EINVAL;
        }
        int r = vc_jint(o, top, "job", 1, INT64_MAX, false, &p->job, NULL, err);
        if (r == 0)
                r = vc_jstr(o, top, "node", false, &p->node, err);
        if (r == 0)
                r = vc_jint(o, top, "uid", 0, UINT32_MAX, false, &p->uid, NULL, err);
        if (r == 0)
                r = vc_jstr(o, top, "mode", false, &p->mode, err);
        if (r == 0)
                r = vc_jint(o, top, "vni", 0, INT64_MAX, true, &p->vni, &p->has_vni, err);
        if (r == 0)
                r = vc_jstr(o, top, "spec", false, &p->spec_text, err);
        if (r == 0) {
                _cleanup_free_ char *why = NULL;
                if (vc_spec_parse(p->spec_text, &p->spec, &why) < 0)
                        r = vc_jbad(err, top, "spec", why);
        }
        if (r == 0)
                r = site_from(json_object_get(o, "site"), top, p, err);
        if (r == 0)
                r = vc_jbool(o, top, "is_gateway", &p->is_gateway, err);
        if (r == 0)
                r = guests_at(json_object_get(o, "guests"), top, "guests", &p->guests, &p->n_guests, err);
        if (r == 0)
                r = vc_jstr(o, top, "cluster_nodes", false, &p->cluster_nodes, err);
        if (r == 0)
                r = vc_jstr(o, top, "frontend", false, &p->frontend, err);
        if (r == 0)
                r = hosts_from(o, top, p, err);
        if (r == 0)
                r = vc_jstr(o, top, "image", true, &p->image, err);
        json_t *l2 = json_object_get(o, "l2"), *alloc = json_object_get(o, "alloc");
        if (r == 0 && l2 && !json_is_null(l2))
                r = l2_from(l2, top, &p->l2, err);
        if (r == 0 && alloc)
                r = alloc_from(alloc, top, &p->alloc, err);
        if (r == 0)
                r = vc_jint(o, top, "gid", 0, UINT32_MAX, true, &p->gid, &p->has_gid, err);
        if (r == 0)
                r = vc_jstr(o, top, "share", true, &p->share, err);
        return r;
}

int vc_nodeplan_from_json(const json_t *o, struct vc_nodeplan *p, char **err) {
        struct vc_jpath top = {.doc = "node plan"};
        *p = (struct vc_nodeplan){0};
        int r = from_json(o, &top, p, err);
        if (r < 0)
                vc_nodeplan_clear(p);
        return r;
}

json_t *vc_nodeplan_guest_to_json(const struct vc_nodeplan_guest *g) {
        json_t *o = json_pack("{s:s, s:I, s:s?, s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:b}", "name", g->name, "k",
                              (json_int_t)g->k, "site", g->site, "site_id", g->site_id, "node", g->node, "mac",
                              g->mac, "ip", g->ip, "prefix", g->prefix, "domain", g->domain, "tap", g->tap,
                              "frontend", g->frontend);
        const struct vc_nodeplan_volume *v = g->volume;
        if (o && v)
                json_object_set_new(o, "volume",
                                    json_pack("{s:s, s:s?, s:s, s:I, s:s, s:s, s:s, s:I}", "storage", v->storage,
                                              "portal", v->portal, "iqn", v->iqn, "lun", (json_int_t)v->lun,
                                              "initiator", v->initiator, "user", v->user, "name", v->name, "bytes",
                                              (json_int_t)v->bytes));
        return o;
}

static json_t *l2_to(const struct vc_nodeplan_l2 *l) {
        if (!l)
                return json_null();
        json_t *sites = json_array();
        for (size_t i = 0; i < l->n_sites; i++) {
                const struct vc_nodeplan_l2_site *s = &l->sites[i];
                json_array_append_new(sites, json_pack("{s:s, s:s, s:o}", "name", s->name, "wan", s->wan, "cache",
                                                       s->cache ? vc_jobplan_cache_to_json(s->cache) : json_null()));
        }
        return json_pack("{s:s, s:I, s:o, s:I, s:s, s:o}", "kind", l->kind, "port", (json_int_t)l->port, "vni",
                         l->has_vni ? json_integer(l->vni) : json_null(), "index", (json_int_t)l->index, "subnet",
                         l->subnet, "sites", sites);
}

json_t *vc_nodeplan_hosts_json(const struct vc_nodeplan *p) {
        json_t *hosts = json_array();
        for (size_t i = 0; i < p->n_hosts; i++)
                json_array_append_new(hosts, json_pack("{s:s, s:s}", "name", p->hosts[i].name, "ip", p->hosts[i].ip));
        return hosts;
}

json_t *vc_nodeplan_to_json(const struct vc_nodeplan *p) {
        json_t *guests = json_array(), *hosts = vc_nodeplan_hosts_json(p), *where = json_array();
        for (size_t i = 0; i < p->n_guests; i++)
                json_array_append_new(guests, vc_nodeplan_guest_to_json(&p->guests[i]));
        for (size_t i = 0; i < p->n_hosts; i++)
                json_array_append_new(where, json_string(p->hosts[i].node));
        json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:{s:s, s:i, s:i, s:s}, s:b, s:o, s:s, s:s, s:o, "
                              "s:o, s:o, s:{s:I, s:I, s:o}}",
                              "job", (json_int_t)p->job, "node", p->node, "uid", (json_int_t)p->uid, "mode", p->mode,
                              "vni", p->has_vni ? json_integer(p->vni) : json_null(), "spec", p->spec_text, "site",
                              "name", p->site.name, "id", p->site.id, "vlan", p->site.vlan, "gateway",
                              p->site.gateway, "is_gateway", p->is_gateway, "guests", guests, "cluster_nodes",
                              p->cluster_nodes, "frontend", p->frontend, "hosts", hosts, "image",
                              vc_jstr_or_null(p->image), "l2", l2_to(p->l2), "access", "index",
                              (json_int_t)p->access_index, "sites", (json_int_t)p->access_sites, "nodes", where);
        if (!o)
                return NULL;
        const struct vc_nodeplan_alloc *a = p->alloc;
        if (a) {
                json_t *ao = json_pack("{s:s, s:I, s:I}", "cpus", a->cpus, "ncpus", (json_int_t)a->ncpus, "mem",
                                       (json_int_t)a->mem);
                if (ao && a->slurm_cpus)
                        json_object_set_new(ao, "slurm_cpus", json_string(a->slurm_cpus));
                if (ao && a->mem_by)
                        json_object_set_new(ao, "mem_by", json_string(a->mem_by));
                json_object_set_new(o, "alloc", ao);
        }
        if (p->has_gid)
                json_object_set_new(o, "gid", json_integer(p->gid));
        if (p->share)
                json_object_set_new(o, "share", json_string(p->share));
        return o;
}

void vc_nodeplan_clear(struct vc_nodeplan *p) {
        free(p->node);
        free(p->mode);
        free(p->spec_text);
        free(p->site.name);
        free(p->site.gateway);
        vc_nodeplan_guests_free(p->guests, p->n_guests);
        free(p->cluster_nodes);
        free(p->frontend);
        for (size_t i = 0; i < p->n_hosts; i++) {
                free(p->hosts[i].name);
                free(p->hosts[i].ip);
                free(p->hosts[i].node);
        }
        free(p->hosts);
        free(p->image);
        vc_nodeplan_l2_free(p->l2);
        if (p->alloc) {
                free(p->alloc->cpus);
                free(p->alloc->slurm_cpus);
                free(p->alloc->mem_by);
                free(p->alloc);
        }
        free(p->share);
        *p = (struct vc_nodeplan){0};
}

size_t vc_nodeplan_volumes(const struct vc_nodeplan *p) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_guests; i++)
                n += p->guests[i].volume != NULL;
        return n;
}
