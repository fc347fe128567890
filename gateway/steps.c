/* steps.c — the gateway's step kinds (gateway.h). */
#include "gateway.h"

#include "cache.h"
#include "l2ext.h"

const struct vc_step_kind vc_gateway_step_kinds[] = {
        {"l2.segment", vc_l2_segment_do, vc_l2_segment_undo, false},
        {"l2.vxlan", vc_l2_vxlan_do, vc_l2_vxlan_undo, false},
        {"l2.openvpn", vc_l2_openvpn_do, vc_l2_openvpn_undo, false},
        {"cache.squid", vc_cache_squid_do, vc_cache_squid_undo, false},
        {NULL, NULL, NULL, false},
};
