/* fuzz_ovsdb — a Port row as ovsdb-server returns it (switchcfg/ovs_port.c),
 * which the ovs driver and the node's port steps parse before acting. */
#include "fuzz.h"
#include "ovs_port.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        json_t *row = json_loadb((const char *)data, size, 0, NULL);
        if (!row)
                return 0;
        struct vc_ovs_port p = {0};
        _cleanup_free_ char *err = NULL;
        if (vc_ovs_port_parse(row, &p, &err) == 0)
                vc_ovs_port_clear(&p);
        json_decref(row);
        return 0;
}
