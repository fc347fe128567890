/* nodeplan.h — one node's part of a job's plan as one typed model: what the
 * node prolog derives from vlanallocd's plan (jobplan.h) and from Slurm for
 * this node, what its steps are built from, and what it records as
 * StateDir/nodes/NODE/JOB/plan.json for the SPANK plugin and the tests;
 * converted from and to that JSON by one pair of functions, the only code
 * that knows it.
 *
 * The JSON, keys in this order:
 *   job (int), node, uid (int), mode, vni (int | null), spec,
 *   site {name, id (int), vlan (int), gateway}, is_gateway (bool),
 *   guests [{name, k (int), site?, site_id (int), node, mac, ip,
 *            prefix (int), domain, tap, frontend (bool),
 *            volume? {storage, portal?, iqn, lun (int), initiator, user,
 *                     name, bytes (int)}}]        (guestplan.h, this node's)
 *   cluster_nodes (hostlist of every guest), frontend (its name),
 *   hosts [{name, ip}]                            (every guest of the cluster)
 *   image (string | null),
 *   l2 (null | {kind, port (int), vni (int | null), index (int), subnet,
 *               sites [{name, wan, cache (null | as in jobplan.h)}]}),
 *   access {index (int), sites (int), nodes [string]}  (nodes[i]: hosts[i]'s node)
 *   alloc? {cpus, ncpus (int), mem (int), slurm_cpus, mem_by?},
 *   gid? (int), share? (string)
 * Optional members absent stay absent on the way back; keys the model does
 * not know are ignored.
 */
#ifndef VC_NODEPLAN_H
#define VC_NODEPLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "jobplan.h"
#include "spec.h"

/* A guest's disk= volume: LUN lun of target iqn at portal (iscsiname.h). */
struct vc_nodeplan_volume {
        char *storage, *portal; /* portal NULL: none in the plan */
        char *iqn, *initiator, *user, *name;
        int64_t lun, bytes;
};

/* One guest of this node (guestplan.h says how each member is chosen). */
struct vc_nodeplan_guest {
        char *name;
        int64_t k;
        char *site; /* NULL: none */
        int site_id;
        char *node, *mac, *ip;
        int prefix;
        char *domain, *tap;
        bool frontend;
        struct vc_nodeplan_volume *volume; /* NULL: no disk= */
};

/* One guest of the cluster, for /etc/hosts, known_hosts and the access path. */
struct vc_nodeplan_host {
        char *name, *ip, *node;
};

/* A remote site as the gateway's tunnel and cache steps see it. */
struct vc_nodeplan_l2_site {
        char *name, *wan;
        struct vc_jobplan_cache *cache; /* NULL: none */
};

/* A stitched job's tunnel, as this node (a gateway when is_gateway) builds it. */
struct vc_nodeplan_l2 {
        char *kind; /* "vxlan" | "openvpn" */
        int64_t port;
        bool has_vni;
        int64_t vni;
        int64_t index; /* this node's site among sites */
        char *subnet;  /* ADDR/PREFIX, the cluster's */
        struct vc_nodeplan_l2_site *sites;
        size_t n_sites;
};

/* What Slurm allocated the job on this node (node/nodeplan.c). */
struct vc_nodeplan_alloc {
        char *cpus;       /* the kernel's CPU ids (cpumap.h) */
        char *slurm_cpus; /* Slurm's own ids for them; NULL: not converted */
        int64_t ncpus, mem;
        char *mem_by; /* "memtune" | "cgroup"; NULL: memory not bounded */
};

struct vc_nodeplan {
        int64_t job, uid;
        char *node, *mode, *spec_text;
        struct vc_spec spec; /* spec_text parsed */
        bool has_vni;
        int64_t vni;
        struct {
                char *name, *gateway;
                int id, vlan;
        } site;
        bool is_gateway;
        struct vc_nodeplan_guest *guests;
        size_t n_guests;
        char *cluster_nodes, *frontend;
        struct vc_nodeplan_host *hosts;
        size_t n_hosts;
        char *image;               /* NULL: no guests */
        struct vc_nodeplan_l2 *l2; /* NULL: no tunnel */
        int64_t access_index, access_sites;
        struct vc_nodeplan_alloc *alloc; /* NULL: not known */
        bool has_gid;
        int64_t gid;
        char *share; /* the job's directory the guests mount; NULL: none */
};

/* vc_nodeplan_from_json: o as a node plan into *p (zeroed first); 0, or
 * -EINVAL with *err naming the first malformed member ("node plan:
 * guests[1].mac: missing") and *p empty. */
int vc_nodeplan_from_json(const json_t *o, struct vc_nodeplan *p, char **err);
/* vc_nodeplan_to_json: p as the node plan's JSON (new reference). */
json_t *vc_nodeplan_to_json(const struct vc_nodeplan *p);
/* vc_nodeplan_hosts_json: p's hosts as [{name, ip}], what cloud-init's
 * /etc/hosts and known_hosts are made from (new reference). */
json_t *vc_nodeplan_hosts_json(const struct vc_nodeplan *p);
/* vc_nodeplan_guest_to_json: one guest as in the node plan's "guests" (new reference). */
json_t *vc_nodeplan_guest_to_json(const struct vc_nodeplan_guest *g);
/* vc_nodeplan_guests_free: free n guests and the array. */
void vc_nodeplan_guests_free(struct vc_nodeplan_guest *g, size_t n);
/* vc_nodeplan_l2_free: free l (NULL: nothing). */
void vc_nodeplan_l2_free(struct vc_nodeplan_l2 *l);
/* vc_nodeplan_clear: free p's members and zero it (cleanup-attribute compatible). */
void vc_nodeplan_clear(struct vc_nodeplan *p);
/* vc_nodeplan_volumes: how many guests of p have a volume (disk=). */
size_t vc_nodeplan_volumes(const struct vc_nodeplan *p);

#endif
