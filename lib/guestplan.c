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

static size_t count_guests(const json_t *sites, unsigned vms) {
        size_t n = 0, i;
        json_t *s;
        json_array_foreach(sites, i, s) n += json_array_size(json_object_get(s, "nodes")) * vms;
        return n;
}

/* add_volume: where guest n of its site finds its disk= volume: LUN n of
 * the job's target on the site's storage host (the controller numbers them
 * the same way). A site without storage in the plan gives none. */
static void add_volume(json_t *guest, const json_t *site, int64_t job, const char *node, unsigned long n,
                       const char *name, uint64_t bytes) {
        const json_t *st = json_object_get(site, "storage");
        const char *base = json_string_value(json_object_get(st, "iqn_base"));
        if (!base)
                return;
        _cleanup_free_ char *initiator = vc_iqn_initiator(base, job, node);
        _cleanup_free_ char *target = vc_iqn_target(base, job);
        _cleanup_free_ char *user = vc_chap_user(job);
        _cleanup_free_ char *volume = vc_volume_name(job, name);
        json_object_set_new(guest, "volume",
                            json_pack("{s:s, s:s?, s:s, s:I, s:s, s:s, s:s, s:I}", "storage",
                                      json_string_value(json_object_get(st, "name")), "portal",
                                      json_string_value(json_object_get(st, "portal")), "iqn", target, "lun",
                                      (json_int_t)n, "initiator", initiator, "user", user, "name", volume,
                                      "bytes", (json_int_t)bytes));
}

int vc_plan_guest_list(const json_t *sites, const struct vc_spec *spec, int64_t job, const char *node,
                       json_t **out, char **err) {
        *out = NULL;
        /* vc_plan_guests checks the plan's shape and the names' lengths. */
        _cleanup_strv_ char **names = NULL;
        int r = vc_plan_guests(sites, spec->name, spec->vms, NULL, &names, err);
        if (r < 0)
                return r;
        if ((r = vc_guest_count_check(spec, count_guests(sites, spec->vms), err)) < 0)
                return r;
        char ip[16];
        json_t *list = json_array();
        bool found = false;
        unsigned long k = 0;
        size_t i, j;
        json_t *site, *nd;
        json_array_foreach(sites, i, site) {
                int id = (int)json_integer_value(json_object_get(site, "id"));
                const char *site_name = json_string_value(json_object_get(site, "name"));
                json_array_foreach(json_object_get(site, "nodes"), j, nd) {
                        const char *nn = json_string_value(nd);
                        bool mine = !node || streq(nn, node);
                        found |= mine;
                        for (unsigned g = 0; g < spec->vms; g++) {
                                k++;
                                if (!mine)
                                        continue;
                                unsigned long n = (unsigned long)j * spec->vms + g + 1;
                                char mac[18], tap[32];
                                vc_guest_mac(id, job, n, mac);
                                vc_guest_addr(spec->subnet, spec->prefix, k, ip);
                                snprintf(tap, sizeof(tap), "vc%llx.%lx", (unsigned long long)job, k);
                                _cleanup_free_ char *domain = xasprintf("vcluster-%lld-%s", (long long)job,
                                                                        names[k - 1]);
                                json_array_append_new(
                                        list, json_pack("{s:s, s:I, s:s?, s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:b}",
                                                        "name", names[k - 1], "k", (json_int_t)k, "site",
                                                        site_name, "site_id", id, "node", nn, "mac", mac, "ip",
                                                        ip, "prefix", (int)spec->prefix, "domain", domain, "tap",
                                                        tap, "frontend", spec->frontend && k == 1));
                                if (spec->disk)
                                        add_volume(json_array_get(list, json_array_size(list) - 1), site, job,
                                                   nn, n, names[k - 1], spec->disk);
                        }
                }
        }
        if (node && !found) {
                json_decref(list);
                *err = xasprintf("node %s is not in the plan", node);
                return -EINVAL;
        }
        *out = list;
        return 0;
}
