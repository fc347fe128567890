#include "hostfile.h"

#include <errno.h>

#include "util.h"

/* host_name: letters, digits, '-' and '.', as guest names are: nothing a
 * hostfile's reader could take for an option or a second field. */
static bool host_name(const char *s) {
        if (!s || !*s || strlen(s) > 253 || *s == '-')
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '-' || *s == '.'))
                        return false;
        return true;
}

int vc_hostfile_text(const json_t *hosts, unsigned slots, char **text, char **err) {
        *text = NULL;
        if (slots == 0) {
                *err = xstrdup("hostfile: a guest has at least one CPU (slots=0)");
                return -EINVAL;
        }
        if (!json_is_array(hosts)) {
                *err = xstrdup("hostfile: the cluster's hosts are not a list");
                return -EINVAL;
        }
        char *t = xstrdup("");
        size_t i;
        json_t *h;
        json_array_foreach(hosts, i, h) {
                const char *name = json_string_value(json_object_get(h, "name"));
                if (!host_name(name)) {
                        *err = xasprintf("hostfile: host %zu has no name that could be a host name", i);
                        free(t);
                        return -EINVAL;
                }
                char *n = xasprintf("%s" VC_HOSTFILE_LINE, t, name, slots);
                free(t);
                t = n;
        }
        *text = t;
        return 0;
}
