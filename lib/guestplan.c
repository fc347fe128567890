#include "guestplan.h"

#include <arpa/inet.h>
#include <errno.h>

#include "guestname.h"
#include "iscsiname.h"
#include "util.h"

void vc_guest_mac(int site_id, int64_t job, unsigned long n, char buf[18]) {
        snprintf(buf, 18, "02:%02x:%02x:%02x:%02x:%02x", (unsigned)site_id & 0xff,
                 (unsigned)((uint64_t)job >> 8) & 0xff, (unsigned)job & 0xff, (unsigned)(n >> 8) & 0xff,
                 (unsigned)n & 0xff);
}

void vc_guest_public_mac(const char *mac, char buf[18]) {
        snprintf(buf, 18, "06%s", strlen(mac) == 17 ? mac + 2 : ":00:00:00:00:00");
}

int vc_guest_addr(uint32_t subnet, unsigned prefix, unsigned long k, char buf[16]) {
        uint64_t hosts = prefix >= 31 ? 0 : (UINT64_C(1) << (32 - prefix)) - 2;
        if (k < 1 || k > hosts)
                return -ERANGE;
        struct in_addr a = {.s_addr = htonl(subnet + (uint32_t)k)};
        inet_ntop(AF_INET, &a, buf, 16);
        return 0;
}

int vc_guest_count_check(const struct vc_spec *spec, size_t total, char **err) {
        char ip[16];
        if (total <= VC_GUESTS_MAX && (total == 0 || vc_guest_addr(spec->subnet, spec->prefix, total, ip) == 0))
                return 0;
        struct in_addr a = {.s_addr = htonl(spec->subnet)};
        char net[16];
        inet_ntop(AF_INET, &a, net, sizeof(net));
        *err = xasprintf("the cluster has %zu guests: more than subnet=%s/%u holds%s", total, net, spec->prefix,
                         total > VC_GUESTS_MAX ? " (or than 65535)" : "");
        return -EINVAL;
}

static size_t count_guests(const struct vc_jobplan *p, unsigned vms) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_sites; i++)
                n += p->sites[i].n_nodes * vms;
        return n;
}

/* volume_of: where guest n of its site finds its disk= volume: LUN n of
 * the job's target on the site's storage host (the controller numbers them
 * the same way). A site without storage in the plan gives none. */
static struct vc_nodeplan_volume *volume_of(const struct vc_jobplan_site *site, int64_t job, const char *node,
                                            unsigned long n, const char *name, uint64_t bytes) {
        const struct vc_jobplan_storage *st = site->storage;
        if (!st || !st->iqn_base)
                return NULL;
        struct vc_nodeplan_volume *v = xcalloc(1, sizeof(*v));
        *v = (struct vc_nodeplan_volume){.storage = xstrdup(st->name),
                                         .portal = st->portal ? xstrdup(st->portal) : NULL,
                                         .iqn = vc_iqn_target(st->iqn_base, job),
                                         .lun = (int64_t)n,
                                         .initiator = vc_iqn_initiator(st->iqn_base, job, node),
                                         .user = vc_chap_user(job),
                                         .name = vc_volume_name(job, name),
                                         .bytes = (int64_t)bytes};
        return v;
}

int vc_plan_guest_list(const struct vc_jobplan *p, const struct vc_spec *spec, int64_t job, const char *node,
                       struct vc_nodeplan_guest **out, size_t *count, char **err) {
        *out = NULL;
        *count = 0;
        /* vc_plan_guests checks the site ids and the names' lengths. */
        _cleanup_strv_ char **names = NULL;
        int r = vc_plan_guests(p, spec->name, spec->vms, NULL, &names, err);
        if (r < 0)
                return r;
        size_t total = count_guests(p, spec->vms);
        if ((r = vc_guest_count_check(spec, total, err)) < 0)
                return r;
        struct vc_nodeplan_guest *list = xcalloc(total + 1, sizeof(*list));
        size_t n_list = 0;
        bool found = false;
        unsigned long k = 0;
        for (size_t i = 0; i < p->n_sites; i++) {
                const struct vc_jobplan_site *site = &p->sites[i];
                for (size_t j = 0; j < site->n_nodes; j++) {
                        const char *nn = site->nodes[j];
                        bool mine = !node || streq(nn, node);
                        found |= mine;
                        for (unsigned g = 0; g < spec->vms; g++) {
                                k++;
                                if (!mine)
                                        continue;
                                unsigned long n = (unsigned long)j * spec->vms + g + 1;
                                char mac[18], ip[16], tap[32];
                                vc_guest_mac(site->id, job, n, mac);
                                vc_guest_addr(spec->subnet, spec->prefix, k, ip);
                                snprintf(tap, sizeof(tap), "vc%llx.%lx", (unsigned long long)job, k);
                                list[n_list++] = (struct vc_nodeplan_guest){
                                        .name = xstrdup(names[k - 1]),
                                        .k = (int64_t)k,
                                        .site = xstrdup(site->name),
                                        .site_id = site->id,
                                        .node = xstrdup(nn),
                                        .mac = xstrdup(mac),
                                        .ip = xstrdup(ip),
                                        .prefix = (int)spec->prefix,
                                        .domain = xasprintf("vcluster-%lld-%s", (long long)job, names[k - 1]),
                                        .tap = xstrdup(tap),
                                        .frontend = spec->frontend && k == 1,
                                        .volume = spec->disk ? volume_of(site, job, nn, n, names[k - 1], spec->disk)
                                                             : NULL};
                        }
                }
        }
        if (node && !found) {
                vc_nodeplan_guests_free(list, n_list);
                *err = xasprintf("node %s is not in the plan", node);
                return -EINVAL;
        }
        *out = list;
        *count = n_list;
        return 0;
}
