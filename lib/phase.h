/* phase.h — how far a virtual cluster has come, as its user sees it.
 *
 * Each node of a job reports its own phase to vlanallocd (node prolog:
 * "starting" while its guests come up, "ready" once its part of the plan is
 * recorded and its guests are up, "failed" when its prolog failed). With a
 * node's report come its guests' phases: defined, started, up, failed. The
 * cluster's
 * phase is derived from the allocation's state and those reports:
 *   starting  VLANs being acquired, or some node has not reported ready
 *   ready     VLANs held and every node ready
 *   failed    the acquire failed or some node failed
 *   ending    VLANs being released
 *   ended     released
 */
#ifndef VC_PHASE_H
#define VC_PHASE_H

#include <stdbool.h>
#include <stddef.h>

#define VC_PHASE_STARTING "starting"
#define VC_PHASE_READY "ready"
#define VC_PHASE_FAILED "failed"

/* vc_node_phase_known: whether a node may report phase p. */
bool vc_node_phase_known(const char *p);
/* vc_guest_phase_known: whether a guest may be reported in phase p. */
bool vc_guest_phase_known(const char *p);
/* vc_node_phase_list: the known node phases, "a, b" (static). */
const char *vc_node_phase_list(void);
/* vc_cluster_phase: the cluster's phase from its allocation state (state.h's
 * JS_* words) and its n nodes' phases (NULL: not reported yet). */
const char *vc_cluster_phase(const char *alloc_state, size_t n, const char *const *node_phases);
/* vc_cluster_phase_final: whether a cluster in phase p can never become ready
 * any more, or already is: what `vcluster wait` waits for. */
bool vc_cluster_phase_final(const char *p);

#endif
