#include "spec.h"

#include "conf.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>

#define VMS_MAX 64
#define CPUS_MAX 1024
#define MIB (1ULL << 20)

/* Order matters: it is the canonical order and the order of the "known:" list. */
enum key { K_IMAGE, K_VMS, K_CPUS, K_MEM, K_DISK, K_NAME, K_SUBNET, K_FRONTEND, K_L2, K_CACHE,
           K_SUDO, K_SHARE, K_USER_DATA, K_COUNT };

static const char *const key_names[K_COUNT] = {
        [K_IMAGE] = "image",       [K_VMS] = "vms",   [K_CPUS] = "cpus",  [K_MEM] = "mem",
        [K_DISK] = "disk",         [K_NAME] = "name", [K_SUBNET] = "subnet",
        [K_FRONTEND] = "frontend", [K_L2] = "l2",     [K_CACHE] = "cache",
        [K_SUDO] = "sudo",         [K_SHARE] = "share",  [K_USER_DATA] = "user-data",
};

static const char *const l2_names[] = {
        [VC_L2_AUTO] = "auto", [VC_L2_SHARED] = "shared", [VC_L2_STITCHED] = "stitched"};

const char *vc_l2_name(enum vc_l2 l2) {
        if ((unsigned)l2 >= ARRAY_SIZE(l2_names))
                return "?";
        return l2_names[l2];
}

void vc_spec_default(struct vc_spec *s) {
        memset(s, 0, sizeof(*s));
        s->vms = 1;
        s->cpus = 1;
        s->mem = 512 * MIB;
        s->disk = 0;
        strcpy(s->name, "vc");
        s->subnet = 10u << 24;
        s->prefix = 24;
        s->frontend = false;
        s->l2 = VC_L2_AUTO;
        s->cache = true;
        s->sudo = true;
        s->share = true;
}

/* format_size: the largest unit that is exact, so parsing gives the same
 * bytes back. A bare number would mean MiB on the way back in, so a value
 * that is not a whole number of KiB (only possible in a hand-built struct) is
 * rounded up to the next KiB rather than printed wrong. */
static void format_size(uint64_t v, char *buf, size_t n) {
        static const char units[] = "TGMK";
        if (v == 0) {
                snprintf(buf, n, "0");
                return;
        }
        for (int i = 0; units[i]; i++) {
                unsigned shift = (unsigned)(40 - 10 * i);
                if (v % (1ULL << shift) == 0) {
                        snprintf(buf, n, "%" PRIu64 "%c", v >> shift, units[i]);
                        return;
                }
        }
        snprintf(buf, n, "%" PRIu64 "K", v / 1024 + 1);
}

void vc_size_format(uint64_t v, char *buf, size_t n) { format_size(v, buf, n); }

static bool all_of(const char *s, const char *set) {
        for (; *s; s++)
                if (!strchr(set, *s))
                        return false;
        return true;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGIT "0123456789"

/* parse_ipv4: strict dotted quad, no leading zeros (inet_aton would take
 * "10.1" or octal "010", which a user never means in a subnet). */
static int parse_ipv4(const char *s, size_t len, uint32_t *out) {
        uint32_t a = 0;
        int parts = 0;
        size_t i = 0;
        while (parts < 4) {
                if (i >= len || s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                if (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
                        return -EINVAL;
                unsigned o = 0;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                        o = o * 10 + (unsigned)(s[i++] - '0');
                        if (o > 255)
                                return -EINVAL;
                }
                a = a << 8 | o;
                parts++;
                if (parts < 4) {
                        if (i >= len || s[i] != '.')
                                return -EINVAL;
                        i++;
                }
        }
        if (i != len)
                return -EINVAL;
        *out = a;
        return 0;
}

static void format_ipv4(uint32_t a, char *buf, size_t n) {
        snprintf(buf, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static uint32_t prefix_mask(unsigned prefix) {
        return prefix == 0 ? 0 : ~0u << (32 - prefix);
}

/* parse_value: one key's value into s; on error *err is the whole message. */
static int parse_value(enum key k, const char *elem, const char *v, struct vc_spec *s,
                       char **err) {
        unsigned long long n;
        uint64_t sz;
        switch (k) {
        case K_IMAGE:
                if (strlen(v) < 1 || strlen(v) > VC_SPEC_IMAGE_MAX ||
                    !all_of(v, UPPER LOWER DIGIT "._-")) {
                        *err = xasprintf("%s: must be 1 to %d characters of A-Z a-z 0-9 . _ -",
                                         elem, VC_SPEC_IMAGE_MAX);
                        return -EINVAL;
                }
                strcpy(s->image, v);
                return 0;
        case K_VMS:
        case K_CPUS: {
                unsigned max = k == K_VMS ? VMS_MAX : CPUS_MAX;
                if (parse_uint(v, 1, max, &n) < 0) {
                        *err = xasprintf("%s: must be a whole number from 1 to %u", elem, max);
                        return -EINVAL;
                }
                if (k == K_VMS)
                        s->vms = (unsigned)n;
                else
                        s->cpus = (unsigned)n;
                return 0;
        }
        case K_MEM:
        case K_DISK: {
                int r = parse_size_mib(v, &sz);
                if (r == -ERANGE) {
                        *err = xasprintf("%s: too large", elem);
                        return -EINVAL;
                }
                if (r < 0) {
                        *err = xasprintf("%s: not a size (examples: 512M, 4G)", elem);
                        return -EINVAL;
                }
                if (k == K_MEM && sz < MIB) {
                        /* No guest boots in less; 0 is surely a typo. */
                        *err = xasprintf("%s: must be at least 1M", elem);
                        return -EINVAL;
                }
                if (k == K_MEM)
                        s->mem = sz;
                else
                        s->disk = sz;
                return 0;
        }
        case K_NAME:
                if (v[0] < 'a' || v[0] > 'z' || strlen(v) > VC_SPEC_NAME_MAX ||
                    !all_of(v, LOWER DIGIT "-")) {
                        *err = xasprintf("%s: must start with a-z and continue with up to %d "
                                         "of a-z 0-9 -",
                                         elem, VC_SPEC_NAME_MAX - 1);
                        return -EINVAL;
                }
                strcpy(s->name, v);
                return 0;
        case K_SUBNET: {
                const char *slash = strchr(v, '/');
                uint32_t addr;
                if (!slash || parse_ipv4(v, (size_t)(slash - v), &addr) < 0 ||
                    parse_uint(slash + 1, 0, 32, &n) < 0) {
                        *err = xasprintf("%s: not a subnet (example: 10.0.0.0/24)", elem);
                        return -EINVAL;
                }
                if (n < 8 || n > 30) {
                        *err = xasprintf("%s: prefix must be 8..30", elem);
                        return -EINVAL;
                }
                uint32_t mask = prefix_mask((unsigned)n);
                if (addr & ~mask) {
                        char net[16];
                        format_ipv4(addr & mask, net, sizeof(net));
                        *err = xasprintf("%s: host bits set (did you mean %s/%llu?)", elem, net,
                                         n);
                        return -EINVAL;
                }
                s->subnet = addr;
                s->prefix = (unsigned)n;
                return 0;
        }
        case K_FRONTEND:
                if (!streq(v, "yes") && !streq(v, "no")) {
                        *err = xasprintf("%s: must be yes or no", elem);
                        return -EINVAL;
                }
                s->frontend = streq(v, "yes");
                return 0;
        case K_L2:
                for (size_t i = 0; i < ARRAY_SIZE(l2_names); i++)
                        if (streq(v, l2_names[i])) {
                                s->l2 = (enum vc_l2)i;
                                return 0;
                        }
                *err = xasprintf("%s: must be auto, shared or stitched", elem);
                return -EINVAL;
        case K_CACHE:
                if (!streq(v, "on") && !streq(v, "off")) {
                        *err = xasprintf("%s: must be on or off", elem);
                        return -EINVAL;
                }
                s->cache = streq(v, "on");
                return 0;
        case K_SUDO:
                if (!streq(v, "yes") && !streq(v, "no")) {
                        *err = xasprintf("%s: must be yes or no", elem);
                        return -EINVAL;
                }
                s->sudo = streq(v, "yes");
                return 0;
        case K_SHARE:
                if (!streq(v, "yes") && !streq(v, "no")) {
                        *err = xasprintf("%s: must be yes or no", elem);
                        return -EINVAL;
                }
                s->share = streq(v, "yes");
                return 0;
        case K_USER_DATA:
                /* Only sbatch/salloc open it (as the user); the text travels
                 * apart from the spec, so the path just has to be a sane one. */
                if (!*v || strlen(v) > VC_SPEC_PATH_MAX) {
                        *err = xasprintf("%s: must be a path of 1 to %d characters", elem, VC_SPEC_PATH_MAX);
                        return -EINVAL;
                }
                for (const char *c = v; *c; c++)
                        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                                *err = xasprintf("user-data=: the path holds a control character");
                                return -EINVAL;
                        }
                strcpy(s->user_data, v);
                return 0;
        case K_COUNT:
                break;
        }
        abort();
}

static char *unknown_key(const char *elem) {
        char known[160] = "";
        for (int k = 0; k < K_COUNT; k++) {
                if (k)
                        strcat(known, ", ");
                strcat(known, key_names[k]);
        }
        return xasprintf("%s: unknown key (known: %s)", elem, known);
}

int vc_spec_parse(const char *text, struct vc_spec *out, char **err) {
        struct vc_spec s;
        vc_spec_default(&s);
        *err = NULL;
        if (!text || !*text) {
                memcpy(out, &s, sizeof(s));
                return 0;
        }

        _cleanup_free_ char *copy = xstrdup(text);
        bool seen[K_COUNT] = {false};
        char *p = copy;
        for (;;) {
                char *comma = strchr(p, ',');
                if (comma)
                        *comma = 0;
                if (!*p) {
                        *err = xstrdup("empty element");
                        return -EINVAL;
                }
                char *eq = strchr(p, '=');
                size_t klen = eq ? (size_t)(eq - p) : strlen(p);
                int k;
                for (k = 0; k < K_COUNT; k++)
                        if (strlen(key_names[k]) == klen && !strncmp(p, key_names[k], klen))
                                break;
                if (k == K_COUNT) {
                        *err = unknown_key(p);
                        return -EINVAL;
                }
                if (!eq) {
                        *err = xasprintf("%s: expected %s=VALUE", p, key_names[k]);
                        return -EINVAL;
                }
                if (seen[k]) {
                        *err = xasprintf("%s given twice", key_names[k]);
                        return -EINVAL;
                }
                seen[k] = true;
                int r = parse_value((enum key)k, p, eq + 1, &s, err);
                if (r < 0)
                        return r;
                if (!comma)
                        break;
                p = comma + 1;
        }
        /* memcpy, not assignment: callers may compare specs bytewise, and
         * assignment need not copy padding. */
        memcpy(out, &s, sizeof(s));
        return 0;
}

char *vc_spec_format(const struct vc_spec *s) {
        char mem[32], disk[32], net[16];
        format_size(s->mem, mem, sizeof(mem));
        format_size(s->disk, disk, sizeof(disk));
        format_ipv4(s->subnet, net, sizeof(net));
        /* sudo=, share= and user-data= only when not the default, so every
         * spec written before they existed keeps its canonical text */
        return xasprintf("%s%s%svms=%u,cpus=%u,mem=%s,disk=%s,name=%s,subnet=%s/%u,"
                         "frontend=%s,l2=%s,cache=%s%s%s%s%s",
                         s->image[0] ? "image=" : "", s->image, s->image[0] ? "," : "",
                         s->vms, s->cpus, mem, disk, s->name, net, s->prefix,
                         s->frontend ? "yes" : "no", vc_l2_name(s->l2),
                         s->cache ? "on" : "off", s->sudo ? "" : ",sudo=no",
                         s->share ? "" : ",share=no", s->user_data[0] ? ",user-data=" : "", s->user_data);
}

int vc_spec_check(const struct vc_spec *s, const struct vc_conf *c, char **err) {
        *err = NULL;
        /* Every limit is set: vc_conf_load fills defaults and refuses 0. */
        const struct vc_limits *l = &c->limits;
        if (s->image[0] && !vc_conf_image(c, s->image)) {
                _cleanup_free_ const char **names = xcalloc(c->n_images + 1, sizeof(char *));
                for (size_t i = 0; i < c->n_images; i++)
                        names[i] = c->images[i].name;
                _cleanup_free_ char *known = c->n_images ? strv_join_n(names, c->n_images, ", ") : NULL;
                *err = known ? xasprintf("image=%s: no such image (known: %s)", s->image, known)
                             : xasprintf("image=%s: no such image (this site's vcluster.conf declares no "
                                         "ImageName=)", s->image);
                return -EINVAL;
        }
        if (s->vms > l->max_vms_per_node) {
                *err = xasprintf("vms=%u: above this site's limit MaxVmsPerNode=%u", s->vms,
                                 l->max_vms_per_node);
                return -EINVAL;
        }
        if (s->cpus > l->max_cpus) {
                *err = xasprintf("cpus=%u: above this site's limit MaxCpus=%u", s->cpus,
                                 l->max_cpus);
                return -EINVAL;
        }
        char v[32], lim[32];
        if (s->mem > l->max_mem) {
                format_size(s->mem, v, sizeof(v));
                format_size(l->max_mem, lim, sizeof(lim));
                *err = xasprintf("mem=%s: above this site's limit MaxMem=%s", v, lim);
                return -EINVAL;
        }
        if (s->disk > l->max_disk) {
                format_size(s->disk, v, sizeof(v));
                format_size(l->max_disk, lim, sizeof(lim));
                *err = xasprintf("disk=%s: above this site's limit MaxDisk=%s", v, lim);
                return -EINVAL;
        }
        if (s->user_data[0] && !s->image[0]) {
                *err = xasprintf("user-data=%s: cloud-config is for guests, so it needs image=", s->user_data);
                return -EINVAL;
        }
        if (s->disk && !s->image[0]) {
                format_size(s->disk, v, sizeof(v));
                *err = xasprintf("disk=%s: a volume is a guest's disk, so it needs image= (the guests)", v);
                return -EINVAL;
        }
        if (s->disk && c->n_storages == 0) {
                format_size(s->disk, v, sizeof(v));
                *err = xasprintf("disk=%s: this site's vcluster.conf declares no StorageName= to keep volumes", v);
                return -EINVAL;
        }
        return 0;
}
