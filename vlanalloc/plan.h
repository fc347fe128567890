/* plan.h — what a job gets, before anything is done: its nodes grouped by
 * site (in the order the job lists them, so a site's first node is its
 * gateway), the L2 mode, the VLAN id per site, the VNI, and the journal
 * steps that make it so. Pure logic over the configuration. */
#ifndef VC_PLAN_H
#define VC_PLAN_H

#include <jansson.h>
#include <stdint.h>

#include "conf.h"
#include "spec.h"

struct vc_plan_site {
        const struct vc_site *site;
        char **nodes; /* NULL-terminated, job order */
        int vlan;
        const struct vc_storage *storage; /* keeps the guests' disk= volumes; NULL: none */
        const char *wan;  /* stitched: the gateway's WanAddr (borrowed from the config) */
        bool cache;       /* stitched, cache=on, not the first site: its gateway runs a squid */
};

struct vc_plan {
        struct vc_plan_site *sites;
        size_t n;
        enum vc_l2 mode; /* VC_L2_SHARED or VC_L2_STITCHED once decided */
        int64_t vni;     /* -1: none (single site or shared) */
        enum vc_l2ext l2ext; /* stitched: how the gateways are joined */
};

/* The most sites an OpenVPN-stitched job may span: the first site's gateway
 * runs one tunnel per other site, on ports OpenvpnPort + (VNI - first VNI)
 * * VC_OPENVPN_SPOKES_MAX + (site - 1). */
#define VC_OPENVPN_SPOKES_MAX 16

/* vc_plan_group: group nodes by site; -EINVAL with *err for a node in no site or listed twice. */
int vc_plan_group(const struct vc_conf *c, char *const *nodes, struct vc_plan *p, char **err);
/* vc_plan_mode: resolve l2=auto|shared|stitched for the grouped sites into p->mode;
 * -EINVAL when shared is asked across sites whose trunks are not joined. */
int vc_plan_mode(struct vc_plan *p, enum vc_l2 requested, char **err);
/* vc_plan_json: the plan as returned by acquire/show. */
json_t *vc_plan_json(const struct vc_plan *p, int64_t job, const char *spec, int64_t uid, int64_t lease);
/* vc_plan_steps: the journal steps ([{kind,args}]) for the plan, one per switch of each site. */
json_t *vc_plan_steps(const struct vc_conf *c, const struct vc_plan *p, int64_t job);
/* vc_plan_storage: choose each site's storage for a spec with disk=: 0, or
 * -EINVAL with *err when a site has none or the job needs more volumes
 * than MaxVolumes. */
int vc_plan_storage(const struct vc_conf *c, struct vc_plan *p, const struct vc_spec *spec, char **err);
/* vc_plan_storage_steps: append to steps the storage steps (storage_step.h)
 * of plan (as vc_plan_json made it): one storage.chap for the job, then a
 * storage.volumes and a storage.export per site with storage. */
int vc_plan_storage_steps(const struct vc_conf *c, const struct vc_plan *p, const json_t *plan,
                          const struct vc_spec *spec, int64_t job, json_t *steps, char **err);
/* vc_plan_l2: for a stitched plan, the tunnel kind (openvpn when any of the
 * job's sites asks for it), every gateway's WanAddr and which sites run a
 * cache (every site but the first, unless cache=off); -EINVAL with *err for a
 * gateway without WanAddr= or too many sites for OpenVPN. Nothing for shared. */
int vc_plan_l2(const struct vc_conf *c, struct vc_plan *p, const struct vc_spec *spec, char **err);
/* vc_plan_l2_json: add to plan (as vc_plan_json made it, VNI chosen) the
 * tunnel (l2ext, tunnel_port) and each site's wan and cache {address,
 * size_mb, preload, parent, bypass}; the cache takes the subnet's last
 * addresses (site 2 the last, site 3 the one before…), the guests its first.
 * -ENOSPC with *err when OpenVPN's ports would pass 65535. */
int vc_plan_l2_json(const struct vc_conf *c, const struct vc_plan *p, const struct vc_spec *spec, json_t *plan,
                    char **err);
/* vc_plan_clear: free the grouping. */
void vc_plan_clear(struct vc_plan *p);

#endif
