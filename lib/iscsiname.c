#include "iscsiname.h"

#include <ctype.h>

#include "util.h"

char *vc_iqn_target(const char *base, int64_t job) { return xasprintf("%s:target.%lld", base, (long long)job); }

char *vc_iqn_initiator(const char *base, int64_t job, const char *node) {
        char *s = xasprintf("%s:%lld.%s", base, (long long)job, node);
        for (char *c = s + strlen(base) + 1; *c; c++) {
                *c = (char)tolower((unsigned char)*c);
                if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
                        *c = '-';
        }
        return s;
}

char *vc_chap_user(int64_t job) { return xasprintf("vcluster-%lld", (long long)job); }

char *vc_volume_name(int64_t job, const char *guest) { return xasprintf("vc-%lld-%s", (long long)job, guest); }
