#include "ops.h"

#include <errno.h>
#include <unistd.h>

#include "export.h"
#include "failpoint.h"
#include "vol_lvm.h"
#include "util.h"

static const char *const ops[] = {"volumes.create", "volumes.remove", "export.add", "export.remove"};

bool vc_storage_op_known(const char *op) {
        for (size_t i = 0; op && i < ARRAY_SIZE(ops); i++)
                if (streq(ops[i], op))
                        return true;
        return false;
}

char *vc_volume_path(const struct vc_volume_place *p, const char *name) {
        if (streq(p->backend, "lvm"))
                return xasprintf("/dev/%s/%s", p->vg, name);
        return xasprintf("%s/%s.img", p->dir, name);
}

static const char *str(const json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* place_of: args.place as a backend and its place; -EINVAL with *err when malformed. */
static int place_of(const json_t *args, struct vc_volume_place *p, const struct vc_volume_backend **b, char **err) {
        const json_t *o = json_object_get(args, "place");
        *p = (struct vc_volume_place){str(o, "backend"), str(o, "vg"), str(o, "thin_pool"), str(o, "dir")};
        *b = vc_volume_backend_find(p->backend);
        if (!*b) {
                *err = xasprintf("volume backend '%s' is not built in (known: %s)", p->backend ? p->backend : "",
                                 vc_volume_backend_names());
                return -ENOTSUP;
        }
        if ((streq(p->backend, "lvm") && !p->vg) || (streq(p->backend, "file") && !p->dir)) {
                *err = xasprintf("malformed storage request: backend %s without its place", p->backend);
                return -EINVAL;
        }
        return 0;
}

static int volumes_create(const json_t *args, char **err) {
        struct vc_volume_place p;
        const struct vc_volume_backend *b;
        int r = place_of(args, &p, &b, err);
        if (r < 0)
                return r;
        const json_t *vols = json_object_get(args, "volumes");
        size_t i;
        json_t *v;
        /* every entry checked before the first is made: bad input changes nothing */
        json_array_foreach(vols, i, v) {
                const char *name = str(v, "name");
                if (!name || json_integer_value(json_object_get(v, "bytes")) <= 0) {
                        *err = xasprintf("malformed storage request: volume %zu needs a name and bytes", i + 1);
                        return -EINVAL;
                }
                if ((r = vc_volume_name_check("volume name", name, err)) < 0)
                        return r;
        }
        json_array_foreach(vols, i, v) {
                _cleanup_free_ char *path = NULL;
                r = b->create(&p, str(v, "name"), (uint64_t)json_integer_value(json_object_get(v, "bytes")), &path,
                              err);
                if (r == 0 && (r = FAILPOINT("storage.volume.created")) < 0)
                        *err = xstrdup("injected failure (storage.volume.created)");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int volumes_remove(const json_t *args, char **err) {
        struct vc_volume_place p;
        const struct vc_volume_backend *b;
        int r = place_of(args, &p, &b, err), first = 0;
        if (r < 0)
                return r;
        /* every volume is attempted, so one stuck volume does not keep the rest */
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(args, "volumes"), i, v) {
                const char *name = str(v, "name");
                char *e = NULL;
                r = name ? b->remove(&p, name, &e) : 0;
                if (r < 0 && !first) {
                        first = r;
                        *err = e;
                        e = NULL;
                }
                free(e);
        }
        return first;
}

static int export_of(const json_t *args, struct vc_export_place *x, const struct vc_export_backend **b, char **err) {
        const json_t *o = json_object_get(args, "export");
        *x = (struct vc_export_place){str(o, "backend"), str(o, "control")};
        *b = vc_export_backend_find(x->backend);
        if (!*b) {
                *err = xasprintf("export backend '%s' is not built in (known: %s)", x->backend ? x->backend : "",
                                 vc_export_backend_names());
                return -ENOTSUP;
        }
        if (!str(args, "iqn") || !str(args, "user")) {
                *err = xstrdup("malformed storage request: an export needs iqn and user");
                return -EINVAL;
        }
        return 0;
}

static int export_add(const json_t *args, const char *secret, char **err) {
        struct vc_export_place x;
        const struct vc_export_backend *xb;
        struct vc_volume_place p;
        const struct vc_volume_backend *vb;
        int r = export_of(args, &x, &xb, err);
        if (r == 0)
                r = place_of(args, &p, &vb, err);
        if (r < 0)
                return r;
        if (!secret) {
                *err = xstrdup("export needs the job's CHAP secret");
                return -EINVAL;
        }
        const json_t *luns = json_object_get(args, "luns");
        size_t n = json_array_size(luns), i;
        _cleanup_free_ struct vc_export_lun *l = xcalloc(n + 1, sizeof(*l));
        _cleanup_strv_ char **paths = xcalloc(n + 1, sizeof(char *));
        _cleanup_strv_ char **initiators = xcalloc(1, sizeof(char *));
        json_t *v;
        json_array_foreach(luns, i, v) {
                const char *name = str(v, "name");
                json_int_t lun = json_integer_value(json_object_get(v, "lun"));
                if (!name || lun < 1) {
                        *err = xstrdup("malformed storage request: a LUN needs a name and a number");
                        return -EINVAL;
                }
                paths[i] = vc_volume_path(&p, name);
                l[i] = (struct vc_export_lun){(int)lun, paths[i]};
                /* tgtd only says "invalid request" for a backing store it cannot open */
                if (access(paths[i], R_OK | W_OK) < 0) {
                        r = -errno;
                        *err = streq(p.backend, "lvm") && errno == ENOENT
                                       ? xasprintf("volume %s: %s does not exist: the logical volume is not active "
                                                   "(activation needs device-mapper in the kernel: dm_mod)",
                                                   name, paths[i])
                                       : xasprintf("volume %s: %s: %s", name, paths[i], strerror(errno));
                        return r;
                }
        }
        json_array_foreach(json_object_get(args, "initiators"), i, v) if (json_is_string(v))
                strv_push(&initiators, json_string_value(v));
        struct vc_export_target t = {str(args, "iqn"), l, n, str(args, "user"), secret, initiators};
        if ((r = FAILPOINT("storage.export.before")) < 0) {
                *err = xstrdup("injected failure (storage.export.before)");
                return r;
        }
        return xb->target_add(&x, &t, err);
}

static int export_remove(const json_t *args, char **err) {
        struct vc_export_place x;
        const struct vc_export_backend *b;
        int r = export_of(args, &x, &b, err);
        return r < 0 ? r : b->target_remove(&x, str(args, "iqn"), str(args, "user"), err);
}

int vc_storage_op(const char *op, const json_t *args, const char *secret, char **err) {
        if (!op || !json_is_object(args)) {
                *err = xstrdup("malformed storage request");
                return -EINVAL;
        }
        if (streq(op, "volumes.create"))
                return volumes_create(args, err);
        if (streq(op, "volumes.remove"))
                return volumes_remove(args, err);
        if (streq(op, "export.add"))
                return export_add(args, secret, err);
        if (streq(op, "export.remove"))
                return export_remove(args, err);
        *err = xasprintf("unknown storage operation '%s'", op);
        return -EINVAL;
}
