#include "phase.h"

#include "util.h"

static const char *const node_phases[] = {VC_PHASE_STARTING, VC_PHASE_READY, VC_PHASE_FAILED};
static const char *const guest_phases[] = {"defined", "started", "up", VC_PHASE_FAILED};

bool vc_guest_phase_known(const char *p) {
        for (size_t i = 0; p && i < ARRAY_SIZE(guest_phases); i++)
                if (streq(p, guest_phases[i]))
                        return true;
        return false;
}

bool vc_node_phase_known(const char *p) {
        for (size_t i = 0; p && i < ARRAY_SIZE(node_phases); i++)
                if (streq(p, node_phases[i]))
                        return true;
        return false;
}

const char *vc_node_phase_list(void) { return "starting, ready, failed"; }

const char *vc_cluster_phase(const char *alloc_state, size_t n, const char *const *phases) {
        if (!alloc_state)
                return "unknown";
        if (streq(alloc_state, "acquiring"))
                return "starting";
        if (streq(alloc_state, "releasing"))
                return "ending";
        if (streq(alloc_state, "released"))
                return "ended";
        if (!streq(alloc_state, "held"))
                return "failed";
        bool all_ready = n > 0;
        for (size_t i = 0; i < n; i++) {
                if (phases[i] && streq(phases[i], VC_PHASE_FAILED))
                        return "failed";
                if (!phases[i] || !streq(phases[i], VC_PHASE_READY))
                        all_ready = false;
        }
        return all_ready ? "ready" : "starting";
}

bool vc_cluster_phase_final(const char *p) {
        return streq(p, "ready") || streq(p, "failed") || streq(p, "ended") || streq(p, "ending");
}
