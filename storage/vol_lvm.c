/* Volume backend "lvm": one logical volume per guest in VolumeGroup=,
 * thick, or thin in ThinPool=, driven by the lvm2 commands (argv, never a
 * shell, each killed after 60 s).
 *
 * Sizes: lvcreate takes byte sizes only in whole 512-byte sectors and rounds
 * them up to whole extents of the VG (4 MiB by default, thin volumes too),
 * so a volume is BYTES rounded up to an extent; "the same size" for the
 * idempotent create means exactly that rounded size.
 *
 * Flags: `--activate y` because tgt serves /dev/VG/NAME, which exists only
 * for an active LV (it is lvcreate's default; said explicitly so a site's
 * lvm.conf cannot silently change it); `--zero y --wipesignatures y --yes`
 * so a new thick volume never shows the first 4 KiB or the filesystem/RAID
 * signatures of whatever a previous volume left on those extents, without
 * lvcreate stopping to ask (stdin is /dev/null: it would abort instead).
 * That is not a full wipe: the rest of the old data stays readable to the
 * new guest; sites that care use a thin pool (new chunks read as zeros when
 * the pool zeroes, lvm's default) or issue_discards. Thin volumes take no
 * --zero (lvcreate refuses it: zeroing is a property of the pool). All of
 * these also work with lvm.conf `activation = 0` (metadata only, as in the
 * test bed): lvm then warns that it skips activation and zeroing.
 *
 * Idempotence: after any refusal by lvcreate the LV is looked up (lvs), so
 * it does not hang on lvm's wording of "already exists"; one that is there
 * with the same rounded size and pool is activated (lvchange -ay: a no-op
 * when active) and is success. A replay after an lvcreate killed between
 * its metadata commit and its zeroing finds such an LV unzeroed.
 *
 * Messages: lvm puts WARNING lines before its error; the first other line of
 * its stderr is quoted. lvm2 is not translated (Debian builds it without
 * NLS), so the one text matched is stable: "Failed to find logical volume"
 * (lvremove of an LV that is already gone).
 *
 * Which lvm.conf applies is lvm's business: the commands inherit the
 * caller's environment, so LVM_SYSTEM_DIR (a private one in the tests)
 * reaches them.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>

#include "backends.h"
#include "run.h"
#include "util.h"
#include "vol_lvm.h"

#define LVM_TIMEOUT_MS 60000
/* 8 EiB: lvm's own ceiling, and far from overflowing the roundings below. */
#define LVM_MAX_BYTES (UINT64_C(1) << 63)

bool vc_volume_name_valid(const char *name) {
        if (!name || !name[0] || name[0] == '-')
                return false;
        size_t n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_.-");
        return name[n] == '\0' && n <= VC_VOLUME_NAME_MAX;
}

int vc_volume_name_check(const char *what, const char *name, char **err) {
        if (vc_volume_name_valid(name))
                return 0;
        if (!name) {
                *err = xasprintf("no %s given", what);
                return -EINVAL;
        }
        /* The name is someone's input: it must not be able to forge a log line. */
        char shown[VC_VOLUME_NAME_MAX + 2];
        size_t i;
        for (i = 0; name[i] && i < sizeof(shown) - 1; i++)
                shown[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
        shown[i] = '\0';
        *err = xasprintf("invalid %s '%s%s' (1 to %d of A-Z a-z 0-9 + _ . -, not starting with '-')", what, shown,
                         name[i] ? "..." : "", VC_VOLUME_NAME_MAX);
        return -EINVAL;
}

const char *vc_volume_size_text(uint64_t bytes, char *buf, size_t len) {
        static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        if (bytes < 1024) {
                snprintf(buf, len, "%" PRIu64 " B", bytes);
                return buf;
        }
        double v = (double)bytes;
        size_t u = 0;
        for (v /= 1024; v >= 1024 && u + 1 < ARRAY_SIZE(units); v /= 1024)
                u++;
        snprintf(buf, len, "%.1f %s", v, units[u]);
        return buf;
}

/* json_bytes: a size as `--units b --nosuffix` prints it ("4194304"), or a
 * plain number (the json_std report format). */
static int json_bytes(const json_t *v, uint64_t *out) {
        unsigned long long u;
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
                *out = (uint64_t)json_integer_value(v);
                return 0;
        }
        if (json_is_string(v) && parse_uint(json_string_value(v), 0, UINT64_MAX, &u) == 0) {
                *out = u;
                return 0;
        }
        return -EINVAL;
}

static void lv_clear(struct vc_lvm_lv *lv) {
        free(lv->name);
        free(lv->pool);
        *lv = (struct vc_lvm_lv){0};
}

void vc_lvm_lvs_free(struct vc_lvm_lv *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                lv_clear(&v[i]);
        free(v);
}

/* parse_row: one LV object; 1 when taken, 0 when filtered out. */
static int parse_row(const json_t *row, const char *prefix, struct vc_lvm_lv *lv, char **err) {
        const char *name = json_string_value(json_object_get(row, "lv_name"));
        if (!name) {
                *err = xstrdup("lvs output: a row without lv_name");
                return -EINVAL;
        }
        /* Hidden LVs (a thin pool's [pool_tdata]) only appear with -a; never ours. */
        if (name[0] == '[' || (prefix && strncmp(name, prefix, strlen(prefix)) != 0))
                return 0;
        uint64_t bytes, extent = 0;
        if (json_bytes(json_object_get(row, "lv_size"), &bytes) < 0) {
                *err = xasprintf("lvs output: lv_size of %s is not a number of bytes (wanted --units b --nosuffix)",
                                 name);
                return -EINVAL;
        }
        const json_t *ext = json_object_get(row, "vg_extent_size");
        if (ext && json_bytes(ext, &extent) < 0) {
                *err = xasprintf("lvs output: vg_extent_size of %s is not a number of bytes", name);
                return -EINVAL;
        }
        const json_t *pool = json_object_get(row, "pool_lv");
        if (pool && !json_is_string(pool)) {
                *err = xasprintf("lvs output: pool_lv of %s is not a string", name);
                return -EINVAL;
        }
        *lv = (struct vc_lvm_lv){
                .name = xstrdup(name),
                .bytes = bytes,
                .extent_bytes = extent,
                .pool = pool ? xstrdup(json_string_value(pool)) : NULL,
        };
        return 1;
}

int vc_lvm_parse_lvs(const char *json, const char *prefix, struct vc_lvm_lv **out, size_t *n, char **err) {
        *out = NULL;
        *n = 0;
        json_error_t jerr;
        json_t *root = json_loads(json ? json : "", 0, &jerr);
        if (!root) {
                *err = xasprintf("lvs output is not JSON: %s (line %d)", jerr.text, jerr.line);
                return -EINVAL;
        }
        /* {"report": [{"lv": [{…}, …]}, …]}: one report per VG asked for. */
        const json_t *reports = json_object_get(root, "report");
        if (!json_is_array(reports)) {
                json_decref(root);
                *err = xstrdup("lvs output has no \"report\" array");
                return -EINVAL;
        }
        struct vc_lvm_lv *v = NULL;
        size_t count = 0;
        int r = 0;
        size_t i, j;
        const json_t *rep, *row;
        json_array_foreach(reports, i, rep) {
                const json_t *lvs = json_object_get(rep, "lv");
                if (!json_is_array(lvs)) {
                        *err = xstrdup("lvs output: a report without an \"lv\" array");
                        r = -EINVAL;
                        break;
                }
                json_array_foreach(lvs, j, row) {
                        v = xrealloc(v, (count + 1) * sizeof(*v));
                        r = parse_row(row, prefix && *prefix ? prefix : NULL, &v[count], err);
                        if (r < 0)
                                break;
                        count += (size_t)r;
                }
                if (r < 0)
                        break;
        }
        json_decref(root);
        if (r < 0) {
                vc_lvm_lvs_free(v, count);
                return r;
        }
        if (count == 0) {
                free(v);
                v = NULL;
        }
        *out = v;
        *n = count;
        return 0;
}

/* noise: lines lvm prints before the one that matters: WARNINGs such as
 * "Activation disabled", and the four lines about a kernel without
 * device-mapper that any lvm command run with activation on prints first. */
static bool noise(const char *s) {
        static const char *const prefixes[] = {"WARNING:", "/dev/mapper/control:",
                                               "Failure to communicate with kernel device-mapper",
                                               "Check that device-mapper is available", "Incompatible libdevmapper"};
        for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
                if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

char *vc_lvm_message(const char *err, int status) {
        const char *warn = NULL;
        int warn_len = 0;
        for (const char *p = err; p && *p;) {
                const char *eol = strchrnul(p, '\n');
                const char *s = p, *e = eol;
                while (s < e && (*s == ' ' || *s == '\t'))
                        s++;
                while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                        e--;
                if (e > s && !noise(s))
                        return xasprintf("%.*s", (int)(e - s), s);
                if (e > s && !warn) {
                        warn = s;
                        warn_len = (int)(e - s);
                }
                p = *eol ? eol + 1 : eol;
        }
        if (warn)
                return xasprintf("%.*s", warn_len, warn);
        return xasprintf("exited %d without a message", status);
}

/* lvm_run: run one lvm command; 0 when it exited 0 (its output in *res),
 * else -errno with *msg in lvm's own words: -ENOSPC when the VG or pool is
 * full (a caller may try another), -ETIMEDOUT, -EIO for anything else lvm
 * refused, or vc_run's error when it could not be started. */
static int lvm_run(const char *const argv[], struct vc_run_result *res, char **msg) {
        int r = vc_run(argv, NULL, LVM_TIMEOUT_MS, res);
        if (r < 0) {
                *msg = xstrdup(res->err);
                return r;
        }
        if (res->timed_out) {
                *msg = xasprintf("did not finish within %d s (killed)", LVM_TIMEOUT_MS / 1000);
                return -ETIMEDOUT;
        }
        if (res->status != 0) {
                *msg = vc_lvm_message(res->err, res->status);
                return strcasestr(*msg, "insufficient") ? -ENOSPC : -EIO;
        }
        return 0;
}

static bool lv_not_found(const char *msg) {
        /* lvm 2.03: Failed to find logical volume "vg/x"; 2.02: One or more
         * specified logical volume(s) not found. */
        return strstr(msg, "Failed to find logical volume") || strstr(msg, "logical volume(s) not found");
}

/* lvm_check: the place and name are safe to put in an argv (none can pass
 * for an option) before anything runs. */
static int lvm_check(const struct vc_volume_place *p, const char *name, char **err) {
        int r = vc_volume_name_check("lvm volume name", name, err);
        if (r == 0)
                r = vc_volume_name_check("volume group name", p->vg, err);
        if (r == 0 && p->thin_pool)
                r = vc_volume_name_check("thin pool name", p->thin_pool, err);
        return r;
}

/* lvm_lookup: LV name of p->vg with its size, extent size and pool; -ENOENT
 * when there is none, else like lvm_run. */
static int lvm_lookup(const struct vc_volume_place *p, const char *name, struct vc_lvm_lv *lv, char **msg) {
        _cleanup_free_ char *id = xasprintf("%s/%s", p->vg, name);
        const char *argv[] = {"lvs",     "--reportformat", "json", "--units", "b", "--nosuffix",
                              "--options", "lv_name,lv_size,vg_extent_size,pool_lv", id, NULL};
        _cleanup_(vc_run_result_free) struct vc_run_result res = {0};
        int r = lvm_run(argv, &res, msg);
        if (r < 0) {
                if (r == -EIO && lv_not_found(*msg)) {
                        free(TAKE_PTR(*msg));
                        return -ENOENT;
                }
                return r;
        }
        struct vc_lvm_lv *rows;
        size_t n;
        r = vc_lvm_parse_lvs(res.out, NULL, &rows, &n, msg);
        if (r < 0)
                return r;
        r = -ENOENT;
        for (size_t i = 0; i < n && r < 0; i++)
                if (streq(rows[i].name, name)) {
                        *lv = rows[i];
                        rows[i] = (struct vc_lvm_lv){0};
                        r = 0;
                }
        vc_lvm_lvs_free(rows, n);
        return r;
}

/* lvm_existing: lvcreate failed and name is there: it is ours when its size
 * (sectors rounded up to the VG's extents) and pool are what was asked. */
static int lvm_existing(const struct vc_volume_place *p, const char *name, uint64_t sector_bytes,
                        const struct vc_lvm_lv *lv, const char *what, char **err) {
        const char *pool = lv->pool ? lv->pool : "";
        if (!streq(pool, p->thin_pool ? p->thin_pool : "")) {
                if (!*pool)
                        *err = xasprintf("%s: logical volume %s already exists as a thick volume", what, name);
                else
                        *err = xasprintf("%s: logical volume %s already exists in thin pool %s", what, name, pool);
                return -EEXIST;
        }
        uint64_t ext = lv->extent_bytes ? lv->extent_bytes : 512;
        uint64_t want = (sector_bytes + ext - 1) / ext * ext;
        if (lv->bytes != want) {
                char have[32];
                *err = xasprintf("%s: logical volume %s already exists with %s (%" PRIu64 " bytes), not %" PRIu64
                                 " bytes",
                                 what, name, vc_volume_size_text(lv->bytes, have, sizeof(have)), lv->bytes, want);
                return -EEXIST;
        }
        /* A replay may find it inactive (a reboot, a killed lvcreate): tgt
         * needs /dev/VG/NAME. Activating an active LV changes nothing. */
        _cleanup_free_ char *id = xasprintf("%s/%s", p->vg, name);
        const char *argv[] = {"lvchange", "--activate", "y", id, NULL};
        _cleanup_(vc_run_result_free) struct vc_run_result res = {0};
        _cleanup_free_ char *msg = NULL;
        int r = lvm_run(argv, &res, &msg);
        if (r < 0)
                *err = xasprintf("lvchange --activate y %s: %s", id, msg);
        return r;
}

static int lvm_create(const struct vc_volume_place *p, const char *name, uint64_t bytes, char **path, char **err) {
        int r = lvm_check(p, name, err);
        if (r < 0)
                return r;
        char sz[32];
        vc_volume_size_text(bytes, sz, sizeof(sz));
        _cleanup_free_ char *where = p->thin_pool ? xasprintf("%s/%s", p->vg, p->thin_pool) : xstrdup(p->vg);
        _cleanup_free_ char *what = xasprintf("lvcreate %s (%s) in %s", name, sz, where);
        if (bytes == 0 || bytes > LVM_MAX_BYTES) {
                *err = xasprintf("%s: a volume is 1 byte to 8 EiB", what);
                return -EINVAL;
        }
        uint64_t sector_bytes = (bytes + 511) / 512 * 512;
        char size_arg[32];
        snprintf(size_arg, sizeof(size_arg), "%" PRIu64 "b", sector_bytes);
        const char *thick[] = {"lvcreate", "--yes",  "--activate", "y",      "--zero", "y",  "--wipesignatures",
                               "y",        "--name", name,         "--size", size_arg, p->vg, NULL};
        const char *thin[] = {"lvcreate", "--yes", "--activate",    "y",      "--wipesignatures", "y",  "--name",
                              name,       "--virtualsize", size_arg, "--thinpool", where,              NULL};
        _cleanup_(vc_run_result_free) struct vc_run_result res = {0};
        _cleanup_free_ char *msg = NULL;
        r = lvm_run(p->thin_pool ? thin : thick, &res, &msg);
        if (r == -EIO || r == -ENOSPC) {
                /* The journal may replay this step: a volume already there
                 * (lvm said "already exists") is success when it is the same. */
                _cleanup_(lv_clear) struct vc_lvm_lv lv = {0};
                _cleanup_free_ char *lmsg = NULL;
                int l = lvm_lookup(p, name, &lv, &lmsg);
                if (l == 0) {
                        r = lvm_existing(p, name, sector_bytes, &lv, what, err);
                        if (r < 0)
                                return r;
                        *path = xasprintf("/dev/%s/%s", p->vg, name);
                        return 0;
                }
        }
        if (r < 0) {
                *err = xasprintf("%s: %s", what, msg);
                return r;
        }
        *path = xasprintf("/dev/%s/%s", p->vg, name);
        return 0;
}

static int lvm_remove(const struct vc_volume_place *p, const char *name, char **err) {
        int r = lvm_check(p, name, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *id = xasprintf("%s/%s", p->vg, name);
        /* --force: no question about removing an active LV (stdin is /dev/null);
         * one still open (tgt serving it) is refused all the same. */
        const char *argv[] = {"lvremove", "--force", id, NULL};
        _cleanup_(vc_run_result_free) struct vc_run_result res = {0};
        _cleanup_free_ char *msg = NULL;
        r = lvm_run(argv, &res, &msg);
        if (r == -EIO && lv_not_found(msg))
                return 0;
        if (r < 0)
                *err = xasprintf("lvremove %s in %s: %s", name, p->vg, msg);
        return r;
}

static int lvm_list(const struct vc_volume_place *p, const char *prefix, struct vc_volume_info **out, size_t *n,
                    char **err) {
        *out = NULL;
        *n = 0;
        int r = vc_volume_name_check("volume group name", p->vg, err);
        if (r < 0)
                return r;
        const char *argv[] = {"lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
                              "--options", "lv_name,lv_size", p->vg, NULL};
        _cleanup_(vc_run_result_free) struct vc_run_result res = {0};
        _cleanup_free_ char *msg = NULL;
        r = lvm_run(argv, &res, &msg);
        struct vc_lvm_lv *rows = NULL;
        size_t count = 0;
        if (r == 0)
                r = vc_lvm_parse_lvs(res.out, prefix, &rows, &count, &msg);
        if (r < 0) {
                *err = xasprintf("lvs in %s: %s", p->vg, msg);
                return r;
        }
        struct vc_volume_info *v = count ? xcalloc(count, sizeof(*v)) : NULL;
        for (size_t i = 0; i < count; i++)
                v[i] = (struct vc_volume_info){.name = TAKE_PTR(rows[i].name), .bytes = rows[i].bytes};
        vc_lvm_lvs_free(rows, count);
        *out = v;
        *n = count;
        return 0;
}

const struct vc_volume_backend vc_volume_lvm = {
        .name = "lvm",
        .create = lvm_create,
        .remove = lvm_remove,
        .list = lvm_list,
};
