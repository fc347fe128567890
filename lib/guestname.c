#include "guestname.h"

#include <errno.h>

#include "util.h"

int vc_guest_name(const char *name, int site_id, unsigned long n, char *buf, size_t len) {
        int w = snprintf(buf, len, "%s-%d-%lu", name, site_id, n);
        if (w < 0 || (size_t)w >= len || w > VC_GUEST_NAME_MAX) {
                if (len)
                        buf[0] = 0;
                return -ENAMETOOLONG;
        }
        return 0;
}

/* site_of: the id and node array of one entry of "sites"; -EINVAL if malformed. */
static int site_of(const json_t *site, int *id, json_t **nodes) {
        json_t *i = json_object_get(site, "id");
        *nodes = json_object_get(site, "nodes");
        if (!json_is_integer(i) || json_integer_value(i) < 1 || json_integer_value(i) > 255 ||
            !json_is_array(*nodes))
                return -EINVAL;
        *id = (int)json_integer_value(i);
        return 0;
}

int vc_plan_guests(const json_t *sites, const char *name, unsigned vms, const char *node, char ***out,
                   char **err) {
        _cleanup_strv_ char **v = NULL;
        bool found = false;
        size_t i, k;
        json_t *site, *nd;
        *out = NULL;
        if (!json_is_array(sites) || vms < 1) {
                *err = xstrdup("plan has no \"sites\" array (or vms < 1)");
                return -EINVAL;
        }
        json_array_foreach(sites, i, site) {
                int id;
                json_t *nodes;
                if (site_of(site, &id, &nodes) < 0) {
                        *err = xasprintf("plan site %zu: needs \"id\" (1..255) and \"nodes\"", i);
                        return -EINVAL;
                }
                json_array_foreach(nodes, k, nd) {
                        if (!json_is_string(nd)) {
                                *err = xasprintf("plan site %zu: node %zu is not a string", i, k);
                                return -EINVAL;
                        }
                        bool mine = !node || streq(json_string_value(nd), node);
                        found |= mine;
                        for (unsigned g = 0; mine && g < vms; g++) {
                                char buf[VC_GUEST_NAME_MAX + 1];
                                if (vc_guest_name(name, id, (unsigned long)k * vms + g + 1, buf, sizeof(buf)) < 0) {
                                        *err = xasprintf("guest name '%s-%d-%lu' is longer than %d characters",
                                                         name, id, (unsigned long)k * vms + g + 1, VC_GUEST_NAME_MAX);
                                        return -EINVAL;
                                }
                                strv_push(&v, buf);
                        }
                }
        }
        if (node && !found) {
                *err = xasprintf("node %s is not in the plan", node);
                return -EINVAL;
        }
        if (!v)
                v = xcalloc(1, sizeof(char *));
        *out = TAKE_PTR(v);
        return 0;
}

int vc_plan_frontend(const json_t *sites, const char *name, bool frontend, char *buf, size_t len) {
        if (len)
                buf[0] = 0;
        if (!frontend)
                return 0;
        int id;
        json_t *nodes;
        if (!json_is_array(sites) || json_array_size(sites) == 0 ||
            site_of(json_array_get(sites, 0), &id, &nodes) < 0 || json_array_size(nodes) == 0)
                return -EINVAL;
        return vc_guest_name(name, id, 1, buf, len);
}
