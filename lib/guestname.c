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

/* site_id_ok: a site id a guest name and MAC can carry (1..255). */
static bool site_id_ok(int id) { return id >= 1 && id <= 255; }

int vc_plan_guests(const struct vc_jobplan *p, const char *name, unsigned vms, const char *node, char ***out,
                   char **err) {
        _cleanup_strv_ char **v = NULL;
        bool found = false;
        *out = NULL;
        if (vms < 1) {
                *err = xstrdup("vms < 1: a cluster has at least one guest per node");
                return -EINVAL;
        }
        for (size_t i = 0; i < p->n_sites; i++) {
                const struct vc_jobplan_site *site = &p->sites[i];
                if (!site_id_ok(site->id)) {
                        *err = xasprintf("plan site %zu: id %d is not 1..255", i, site->id);
                        return -EINVAL;
                }
                for (size_t k = 0; k < site->n_nodes; k++) {
                        bool mine = !node || streq(site->nodes[k], node);
                        found |= mine;
                        for (unsigned g = 0; mine && g < vms; g++) {
                                char buf[VC_GUEST_NAME_MAX + 1];
                                if (vc_guest_name(name, site->id, (unsigned long)k * vms + g + 1, buf, sizeof(buf)) <
                                    0) {
                                        *err = xasprintf("guest name '%s-%d-%lu' is longer than %d characters",
                                                         name, site->id, (unsigned long)k * vms + g + 1,
                                                         VC_GUEST_NAME_MAX);
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

int vc_plan_frontend(const struct vc_jobplan *p, const char *name, bool frontend, char *buf, size_t len) {
        if (len)
                buf[0] = 0;
        if (!frontend)
                return 0;
        if (p->n_sites == 0 || !site_id_ok(p->sites[0].id) || p->sites[0].n_nodes == 0)
                return -EINVAL;
        return vc_guest_name(name, p->sites[0].id, 1, buf, len);
}
