/* choose.h — which VLAN ids a job gets: pure logic, no I/O.
 *
 * A site's usable ids are its configured ranges minus ids held by jobs or
 * drained. Shared mode needs one id free at every site of the job; stitched
 * mode takes each site's own lowest free id. Lowest-first keeps choices
 * deterministic and the used part of a range compact.
 */
#ifndef VC_CHOOSE_H
#define VC_CHOOSE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* A set of VLAN ids 0..4095. */
struct vc_vlanset {
        uint64_t w[64];
};

/* vc_vlanset_from_site: the ids in the site's ranges. */
void vc_vlanset_from_site(struct vc_vlanset *s, const struct vc_site *site);
/* vc_vlanset_add / _del / _has: single-id operations (ids outside 1..4094 ignored). */
void vc_vlanset_add(struct vc_vlanset *s, int id);
void vc_vlanset_del(struct vc_vlanset *s, int id);
int vc_vlanset_has(const struct vc_vlanset *s, int id);
/* vc_vlanset_minus: a &= ~b (take out the ids of b). */
void vc_vlanset_minus(struct vc_vlanset *a, const struct vc_vlanset *b);
/* vc_vlanset_count: how many ids are in the set. */
unsigned vc_vlanset_count(const struct vc_vlanset *s);
/* vc_vlanset_first: lowest id in the set, or -1. */
int vc_vlanset_first(const struct vc_vlanset *s);

/* vc_pick_shared: lowest id in every free[i]; 0, or -ENOSPC. */
int vc_pick_shared(const struct vc_vlanset *free, size_t n, int *vlan);
/* vc_pick_stitched: lowest id of each free[i] into vlans[i]; 0, or -ENOSPC
 * when any site has none (vlans[i] = -1 marks which). */
int vc_pick_stitched(const struct vc_vlanset *free, size_t n, int *vlans);
/* vc_pick_vni: lowest value in [lo,hi] not in the sorted busy[]; 0 or -ENOSPC. */
int vc_pick_vni(uint32_t lo, uint32_t hi, const uint32_t *busy, size_t n, uint32_t *out);

#endif
