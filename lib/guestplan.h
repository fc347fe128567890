/* guestplan.h — everything about a guest that every host must compute the
 * same way from the job's plan and spec: its name (guestname.h), its place
 * in the cluster, its MAC and its address.
 *
 *   k        1-based position of the guest in the whole cluster: sites in
 *            plan order, each site's nodes in job order, `vms` per node.
 *            The frontend (frontend=yes) is k = 1.
 *   address  subnet + k in the spec's subnet (so .1, .2, … for a /24); a
 *            cluster larger than its subnet is refused.
 *   MAC      02:SS:JJ:JJ:NN:NN — locally administered unicast, SS the site
 *            id, JJJJ the low 16 bits of the job id, NNNN the guest's number
 *            within its site. Unique within the site's VLAN of the job, and
 *            readable: a MAC says which site and which guest it is.
 *   domain   "vcluster-JOB-NAME", the libvirt domain name: unique per host.
 *   tap      "vc" JOB(hex) "." k(hex), at most 15 characters: the host-side
 *            interface, unique per host even when one host runs several
 *            slurmd of the same job.
 */
#ifndef VC_GUESTPLAN_H
#define VC_GUESTPLAN_H

#include <stdint.h>

#include "jobplan.h"
#include "nodeplan.h"
#include "spec.h"

/* The largest cluster a tap name can number. */
#define VC_GUESTS_MAX 0xffff

/* vc_guest_mac: the MAC of guest n (per-site number) of site_id in job, as "02:…" into buf[18]. */
void vc_guest_mac(int site_id, int64_t job, unsigned long n, char buf[18]);
/* vc_guest_public_mac: the frontend's public NIC's MAC from its cluster MAC
 * (02:… → 06:…, still locally administered unicast) into buf[18]. */
void vc_guest_public_mac(const char *mac, char buf[18]);
/* vc_guest_addr: subnet + k as dotted text into buf[16]; -ERANGE when k
 * does not fit the subnet (network and broadcast addresses excluded). */
int vc_guest_addr(uint32_t subnet, unsigned prefix, unsigned long k, char buf[16]);
/* vc_guest_count_check: 0 when a cluster of total guests fits the spec's
 * subnet and VC_GUESTS_MAX, else -EINVAL with *err giving both numbers. */
int vc_guest_count_check(const struct vc_spec *spec, size_t total, char **err);
/* vc_plan_guest_list: the guests of plan p (all when node is NULL, else
 * those of node) into *out, *count of them (vc_nodeplan_guests_free), each
 * with its volume when the spec has disk= and its site's plan entry names
 * its storage (iscsiname.h); 0, or -EINVAL with *err (a site id not 1..255,
 * node not in the plan, a cluster too large for its subnet or for
 * VC_GUESTS_MAX). */
int vc_plan_guest_list(const struct vc_jobplan *p, const struct vc_spec *spec, int64_t job, const char *node,
                       struct vc_nodeplan_guest **out, size_t *count, char **err);

#endif
