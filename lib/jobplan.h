/* jobplan.h — the job's plan as one typed model: what vlanallocd decides
 * for a virtual-cluster job (its sites, their VLANs, nodes, gateways,
 * storage hosts, the tunnel between them and the remote sites' caches),
 * converted from and to the plan's JSON by one pair of functions, the only
 * code that knows that JSON (wireguard-tools' containers.h is the model).
 *
 * The JSON, as vlanallocd stores it, sends it ("show": the reply's "job")
 * and the nodes record it, keys in this order:
 *   job (int), uid (int), mode ("shared" | "stitched"), spec (string),
 *   vni (int | null), lease (int | null; absent in plans older than it: read as null),
 *   sites [{name, id (int), vlan (int), gateway, nodes [string],
 *           storage? {name, host, portal, iqn_base},
 *           wan? (string), cache? {address, size_mb (int),
 *                                  preload, parent, bypass (string | null)}}],
 *   l2ext? ("none" | "vxlan" | "openvpn"), tunnel_port? (int)
 * A member absent stays absent on the way back (vc_jobplan_to_json gives
 * the same text as what was parsed, byte for byte, keys in that order);
 * keys the model does not know (a "show" reply's own) are ignored.
 */
#ifndef VC_JOBPLAN_H
#define VC_JOBPLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "jsonread.h"

/* A site's storage host (plan_storage.c chooses it). */
struct vc_jobplan_storage {
        char *name, *host, *portal, *iqn_base;
};

/* A remote site's cache on its gateway (gateway/cache.h). */
struct vc_jobplan_cache {
        char *address; /* ADDR/PREFIX in the cluster's subnet */
        int64_t size_mb;
        char *preload, *parent, *bypass; /* NULL: none */
};

struct vc_jobplan_site {
        char *name;
        int id, vlan;
        char *gateway;  /* the site's first node in the job */
        char **nodes;   /* NULL-terminated, job order */
        size_t n_nodes;
        struct vc_jobplan_storage *storage; /* NULL: none */
        char *wan;      /* the gateway's WanAddr=, stitched jobs with a tunnel only; else NULL */
        struct vc_jobplan_cache *cache;     /* NULL: none */
};

struct vc_jobplan {
        int64_t job, uid;
        char *mode, *spec;
        bool has_vni, has_lease; /* false: null (or absent, as plans before them were) */
        int64_t vni, lease;
        struct vc_jobplan_site *sites;
        size_t n_sites;
        char *l2ext;   /* NULL: absent (not stitched) */
        bool has_tunnel_port;
        int64_t tunnel_port;
};

/* vc_jobplan_from_json: o as a plan into *p (zeroed first); 0, or -EINVAL
 * with *err naming the first malformed member ("sites[1].vlan: not an
 * integer") and *p empty. */
int vc_jobplan_from_json(const json_t *o, struct vc_jobplan *p, char **err);
/* vc_jobplan_from_text: the plan as vlanallocd stores it (JSON text) into
 * *p; 0, or -EINVAL with *err (not JSON, or as vc_jobplan_from_json) and *p
 * empty. */
int vc_jobplan_from_text(const char *text, struct vc_jobplan *p, char **err);
/* vc_jobplan_sites_from_json: a plan's "sites" alone (as a cluster's status
 * carries them) into p's sites, the rest of *p zeroed; 0, or -EINVAL with
 * *err as vc_jobplan_from_json. */
int vc_jobplan_sites_from_json(const json_t *sites, struct vc_jobplan *p, char **err);
/* vc_jobplan_to_json: p as the plan's JSON (new reference). */
json_t *vc_jobplan_to_json(const struct vc_jobplan *p);
/* vc_jobplan_cache_to_json: a site's cache as in the plan (new reference;
 * the gateway's node plan carries it as it is). */
json_t *vc_jobplan_cache_to_json(const struct vc_jobplan_cache *c);
/* vc_jobplan_cache_from_json: o as a site's cache (at: where the site is,
 * for messages) into *out (malloc'd; vc_jobplan_cache_free); 0, or -EINVAL
 * with *err naming the member and *out to be freed by the caller. */
int vc_jobplan_cache_from_json(const json_t *o, const struct vc_jpath *at, struct vc_jobplan_cache **out,
                               char **err);
/* vc_jobplan_cache_free: free c and its members (NULL: nothing). */
void vc_jobplan_cache_free(struct vc_jobplan_cache *c);
/* vc_jobplan_clear: free p's members and zero it (cleanup-attribute compatible). */
void vc_jobplan_clear(struct vc_jobplan *p);
/* vc_jobplan_site_of: the site of p that lists node, or NULL. */
const struct vc_jobplan_site *vc_jobplan_site_of(const struct vc_jobplan *p, const char *node);

#endif
