/* jobplan.c — see jobplan.h. The only code that knows the plan's JSON. */
#include "jobplan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "jsonread.h"
#include "util.h"

static int storage_from(const json_t *o, const struct vc_jpath *up, struct vc_jobplan_storage **out, char **err) {
        struct vc_jpath at = vc_jpath_sub(up, "storage");
        if (!json_is_object(o))
                return vc_jbad(err, up, "storage", "not an object");
        struct vc_jobplan_storage *s = *out = xcalloc(1, sizeof(*s));
        int r = vc_jstr(o, &at, "name", false, &s->name, err);
        if (r == 0)
                r = vc_jstr(o, &at, "host", false, &s->host, err);
        if (r == 0)
                r = vc_jstr(o, &at, "portal", false, &s->portal, err);
        if (r == 0)
                r = vc_jstr(o, &at, "iqn_base", false, &s->iqn_base, err);
        return r;
}

int vc_jobplan_cache_from_json(const json_t *o, const struct vc_jpath *up, struct vc_jobplan_cache **out, char **err) {
        struct vc_jpath at = vc_jpath_sub(up, "cache");
        if (!json_is_object(o))
                return vc_jbad(err, up, "cache", "not an object");
        struct vc_jobplan_cache *c = *out = xcalloc(1, sizeof(*c));
        int r = vc_jstr(o, &at, "address", false, &c->address, err);
        if (r == 0)
                r = vc_jint(o, &at, "size_mb", 0, INT64_MAX, false, &c->size_mb, NULL, err);
        if (r == 0)
                r = vc_jstr(o, &at, "preload", true, &c->preload, err);
        if (r == 0)
                r = vc_jstr(o, &at, "parent", true, &c->parent, err);
        if (r == 0)
                r = vc_jstr(o, &at, "bypass", true, &c->bypass, err);
        return r;
}

static int site_from(const json_t *o, size_t i, struct vc_jobplan_site *s, char **err) {
        struct vc_jpath top = {.doc = "plan"}, at = vc_jpath_sub(&top, "sites[%zu]", i);
        if (!json_is_object(o)) {
                *err = xasprintf("plan: %s: not an object", at.path);
                return -EINVAL;
        }
        int64_t v;
        int r = vc_jstr(o, &at, "name", false, &s->name, err);
        if (r == 0 && (r = vc_jint(o, &at, "id", INT_MIN, INT_MAX, false, &v, NULL, err)) == 0)
                s->id = (int)v;
        if (r == 0 && (r = vc_jint(o, &at, "vlan", INT_MIN, INT_MAX, false, &v, NULL, err)) == 0)
                s->vlan = (int)v;
        if (r == 0)
                r = vc_jstr(o, &at, "gateway", false, &s->gateway, err);
        if (r < 0)
                return r;
        json_t *nodes = json_object_get(o, "nodes"), *n;
        if (!json_is_array(nodes))
                return vc_jbad(err, &at, "nodes", nodes ? "not an array" : "missing");
        s->nodes = xcalloc(json_array_size(nodes) + 1, sizeof(char *));
        size_t k;
        json_array_foreach(nodes, k, n) {
                if (!json_is_string(n)) {
                        *err = xasprintf("plan: %s.nodes[%zu]: not a string", at.path, k);
                        return -EINVAL;
                }
                s->nodes[s->n_nodes++] = xstrdup(json_string_value(n));
        }
        json_t *st = json_object_get(o, "storage"), *cache = json_object_get(o, "cache");
        if (st && (r = storage_from(st, &at, &s->storage, err)) < 0)
                return r;
        if ((r = vc_jstr(o, &at, "wan", true, &s->wan, err)) < 0)
                return r;
        if (cache && (r = vc_jobplan_cache_from_json(cache, &at, &s->cache, err)) < 0)
                return r;
        return 0;
}

static int sites_from(const json_t *sites, struct vc_jobplan *p, char **err) {
        struct vc_jpath at = {.doc = "plan"};
        if (!json_is_array(sites))
                return vc_jbad(err, &at, "sites", sites ? "not an array" : "missing");
        p->sites = xcalloc(json_array_size(sites) + 1, sizeof(*p->sites));
        size_t i;
        json_t *s;
        json_array_foreach(sites, i, s) {
                p->n_sites++;
                int r = site_from(s, i, &p->sites[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int vc_jobplan_from_text(const char *text, struct vc_jobplan *p, char **err) {
        *p = (struct vc_jobplan){0};
        json_error_t je;
        _cleanup_(json_decrefp) json_t *o = text ? json_loads(text, 0, &je) : NULL;
        if (!o) {
                *err = xasprintf("plan: not JSON: %s", text ? je.text : "no plan");
                return -EINVAL;
        }
        return vc_jobplan_from_json(o, p, err);
}

int vc_jobplan_sites_from_json(const json_t *sites, struct vc_jobplan *p, char **err) {
        *p = (struct vc_jobplan){0};
        int r = sites_from(sites, p, err);
        if (r < 0)
                vc_jobplan_clear(p);
        return r;
}

int vc_jobplan_from_json(const json_t *o, struct vc_jobplan *p, char **err) {
        struct vc_jpath at = {.doc = "plan"};
        *p = (struct vc_jobplan){0};
        if (!json_is_object(o)) {
                *err = xstrdup("plan: not an object");
                return -EINVAL;
        }
        int r = vc_jint(o, &at, "job", 1, INT64_MAX, false, &p->job, NULL, err);
        if (r == 0)
                r = vc_jint(o, &at, "uid", 0, UINT32_MAX, false, &p->uid, NULL, err);
        if (r == 0)
                r = vc_jstr(o, &at, "mode", false, &p->mode, err);
        if (r == 0)
                r = vc_jstr(o, &at, "spec", false, &p->spec, err);
        if (r == 0)
                r = vc_jint(o, &at, "vni", 0, INT64_MAX, true, &p->vni, &p->has_vni, err);
        if (r == 0)
                r = vc_jint(o, &at, "lease", 1, INT64_MAX, true, &p->lease, &p->has_lease, err);
        if (r == 0)
                r = sites_from(json_object_get(o, "sites"), p, err);
        if (r == 0)
                r = vc_jstr(o, &at, "l2ext", true, &p->l2ext, err);
        if (r == 0)
                r = vc_jint(o, &at, "tunnel_port", 1, 65535, true, &p->tunnel_port, &p->has_tunnel_port, err);
        if (r < 0)
                vc_jobplan_clear(p);
        return r;
}

json_t *vc_jobplan_cache_to_json(const struct vc_jobplan_cache *c) {
        return json_pack("{s:s, s:I, s:o, s:o, s:o}", "address", c->address, "size_mb", (json_int_t)c->size_mb,
                         "preload", vc_jstr_or_null(c->preload), "parent", vc_jstr_or_null(c->parent), "bypass",
                         vc_jstr_or_null(c->bypass));
}

static json_t *site_to(const struct vc_jobplan_site *s) {
        json_t *nodes = json_array();
        for (size_t k = 0; k < s->n_nodes; k++)
                json_array_append_new(nodes, json_string(s->nodes[k]));
        json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:o}", "name", s->name, "id", s->id, "vlan", s->vlan, "gateway",
                              s->gateway, "nodes", nodes);
        const struct vc_jobplan_storage *st = s->storage;
        if (st)
                json_object_set_new(o, "storage", json_pack("{s:s, s:s, s:s, s:s}", "name", st->name, "host",
                                                            st->host, "portal", st->portal, "iqn_base", st->iqn_base));
        if (s->wan)
                json_object_set_new(o, "wan", json_string(s->wan));
        if (s->cache)
                json_object_set_new(o, "cache", vc_jobplan_cache_to_json(s->cache));
        return o;
}

json_t *vc_jobplan_to_json(const struct vc_jobplan *p) {
        json_t *sites = json_array();
        for (size_t i = 0; i < p->n_sites; i++)
                json_array_append_new(sites, site_to(&p->sites[i]));
        json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:o}", "job", (json_int_t)p->job, "uid",
                              (json_int_t)p->uid, "mode", p->mode, "spec", p->spec, "vni",
                              p->has_vni ? json_integer(p->vni) : json_null(), "lease",
                              p->has_lease ? json_integer(p->lease) : json_null(), "sites", sites);
        if (o && p->l2ext)
                json_object_set_new(o, "l2ext", json_string(p->l2ext));
        if (o && p->has_tunnel_port)
                json_object_set_new(o, "tunnel_port", json_integer(p->tunnel_port));
        return o;
}

static void site_clear(struct vc_jobplan_site *s) {
        free(s->name);
        free(s->gateway);
        strv_free(s->nodes);
        if (s->storage) {
                free(s->storage->name);
                free(s->storage->host);
                free(s->storage->portal);
                free(s->storage->iqn_base);
                free(s->storage);
        }
        free(s->wan);
        vc_jobplan_cache_free(s->cache);
}

void vc_jobplan_cache_free(struct vc_jobplan_cache *c) {
        if (!c)
                return;
        free(c->address);
        free(c->preload);
        free(c->parent);
        free(c->bypass);
        free(c);
}

void vc_jobplan_clear(struct vc_jobplan *p) {
        for (size_t i = 0; i < p->n_sites; i++)
                site_clear(&p->sites[i]);
        free(p->sites);
        free(p->mode);
        free(p->spec);
        free(p->l2ext);
        *p = (struct vc_jobplan){0};
}

const struct vc_jobplan_site *vc_jobplan_site_of(const struct vc_jobplan *p, const char *node) {
        for (size_t i = 0; i < p->n_sites; i++)
                for (size_t k = 0; k < p->sites[i].n_nodes; k++)
                        if (streq(p->sites[i].nodes[k], node))
                                return &p->sites[i];
        return NULL;
}
