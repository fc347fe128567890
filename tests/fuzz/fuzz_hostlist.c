/* fuzz_hostlist — Slurm hostlists and switch port lists (lib/hostlist.c), as
 * the daemon expands a job's node list and the config's NodePorts=. */
#include "fuzz.h"
#include "hostlist.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 512) /* the ranges, not the length, make an expansion big */
                return 0;
        _cleanup_free_ char *text = fuzz_str(data, size), *err = NULL, *err2 = NULL;
        _cleanup_strv_ char **hosts = NULL, **ports = NULL;
        (void)vc_hostlist_expand(text, &hosts, &err);
        (void)vc_portlist_expand(text, &ports, &err2);
        return 0;
}
