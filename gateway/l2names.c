/* l2names.c — the names a gateway gives a job's pieces (l2ext.h). */
#include "l2ext.h"

#include "util.h"

/* ifname: "PREFIXJOB.N" (hex) into buf, or NULL when job < 1 or it passes IFNAMSIZ - 1. */
static const char *ifname(const char *prefix, int64_t job, unsigned long long n, char buf[16]) {
        if (job < 1)
                return NULL;
        int w = snprintf(buf, 16, "%s%llx.%llx", prefix, (unsigned long long)job, n);
        return w > 0 && w < 16 ? buf : NULL;
}

const char *vc_l2_port_name(int64_t job, int site_id, char buf[16]) {
        return site_id < 1 ? NULL : ifname("vcg", job, (unsigned long long)site_id, buf);
}

const char *vc_l2_tap_name(int64_t job, bool hub, size_t spoke, char buf[16]) {
        return spoke < 1 ? NULL : ifname(hub ? "vct" : "vcs", job, spoke, buf);
}

char *vc_l2_netns_name(int64_t job, const char *node) { return xasprintf("vcl-%lld-%s", (long long)job, node); }
