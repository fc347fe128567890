#include "cpulist.h"

#include <errno.h>

#include "util.h"

int vc_cpulist_parse(const char *s, bool **set) {
        *set = xcalloc(VC_CPUS_MAX, sizeof(bool));
        const char *p = s;
        while (*p && *p != '\n') {
                char *end;
                errno = 0;
                long a, b;
                if (*p < '0' || *p > '9' || (a = strtol(p, &end, 10), errno) || a >= VC_CPUS_MAX)
                        goto bad;
                b = a;
                if (*end == '-') {
                        p = end + 1;
                        if (*p < '0' || *p > '9' || (b = strtol(p, &end, 10), errno) || b < a || b >= VC_CPUS_MAX)
                                goto bad;
                }
                for (long i = a; i <= b; i++)
                        (*set)[i] = true;
                p = end;
                if (*p == ',' && p[1] && p[1] != '\n')
                        p++;
                else if (*p && *p != '\n')
                        goto bad;
        }
        return 0;
bad:
        free(*set);
        *set = NULL;
        return -EINVAL;
}

char *vc_cpulist_format(const bool *set) {
        char *out = xstrdup("");
        for (int i = 0; i < VC_CPUS_MAX; i++) {
                if (!set[i])
                        continue;
                int j = i;
                while (j + 1 < VC_CPUS_MAX && set[j + 1])
                        j++;
                char *next = j > i ? xasprintf("%s%s%d-%d", out, *out ? "," : "", i, j)
                                   : xasprintf("%s%s%d", out, *out ? "," : "", i);
                free(out);
                out = next;
                i = j;
        }
        return out;
}

bool vc_cpulist_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > VC_CPULIST_TEXT_MAX || strspn(s, "0123456789,-") != n)
                return false;
        _cleanup_free_ bool *set = NULL;
        return vc_cpulist_parse(s, &set) == 0;
}
