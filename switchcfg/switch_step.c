/* The "switch.vlan" journal step: everything a job needs on one switch,
 * applied in one session and one commit, then read back. */
#include <errno.h>
#include <inttypes.h>

#include "journal.h"
#include "switch.h"
#include "util.h"

struct step_args {
        struct vc_switch_target t;
        int vlan;
        const char *name;
        char **tagged, **untagged;
        char owner[24];
        json_t *empty_opts; /* ours, when the step carries no opts */
        const struct vc_switch_driver *drv;
};

static void step_args_clear(struct step_args *a) {
        json_decref(a->empty_opts);
        strv_free(a->tagged);
        strv_free(a->untagged);
}

static char **strv_from_json(json_t *arr) {
        char **v = xcalloc(1, sizeof(char *));
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) if (json_is_string(e)) strv_push(&v, json_string_value(e));
        return v;
}

static int parse(json_t *args, struct step_args *a, char **err) {
        json_t *tagged = NULL, *untagged = NULL, *opts = NULL;
        json_int_t job = 0;
        *a = (struct step_args){0};
        if (json_unpack(args, "{s:s, s:s, s?o, s?s, s:i, s:s, s?I, s?o, s?o}", "switch", &a->t.name, "driver",
                        &a->t.driver, "opts", &opts, "secret_file", &a->t.secret_file, "vlan", &a->vlan, "name",
                        &a->name, "job", &job, "tagged", &tagged, "untagged", &untagged) < 0 ||
            (opts && !json_is_object(opts))) {
                *err = xstrdup("malformed switch.vlan step");
                return -EINVAL;
        }
        a->drv = vc_switch_driver_find(a->t.driver);
        if (!a->drv) {
                *err = xasprintf("switch '%s': driver '%s' is not built in (known: %s)", a->t.name,
                                 a->t.driver, vc_switch_driver_names());
                return -ENOTSUP;
        }
        /* steps recorded before drivers had options carry none: an empty object */
        if (!opts)
                opts = a->empty_opts = json_object();
        a->t.opts = opts;
        if (job > 0) {
                snprintf(a->owner, sizeof(a->owner), "%" JSON_INTEGER_FORMAT, job);
                a->t.owner = a->owner;
        }
        a->tagged = strv_from_json(tagged);
        a->untagged = strv_from_json(untagged);
        return 0;
}

/* One session on the switch, serialized with every other user of it:
 * open, run ops, close. */
static int with_session(const struct step_args *a, void *data,
                        int (*ops)(const struct step_args *a, void *sess, void *data, char **err), char **err) {
        void *sess = NULL;
        vc_switch_lock(a->t.name);
        int r = a->drv->open(&a->t, &sess, err);
        if (r == 0) {
                r = ops(a, sess, data, err);
                a->drv->close(sess);
        } else
                r = -ENOTCONN; /* no session: nothing reached the switch */
        vc_switch_unlock(a->t.name);
        return r;
}

static int apply_ops(const struct step_args *a, void *sess, void *data, char **err) {
        int r = a->drv->vlan_create(sess, a->vlan, a->name, err);
        if (r == 0 && a->tagged[0])
                r = a->drv->ports_add(sess, a->vlan, a->tagged, VC_PORT_TAGGED, err);
        if (r == 0 && a->untagged[0])
                r = a->drv->ports_add(sess, a->vlan, a->untagged, VC_PORT_UNTAGGED, err);
        return r == 0 ? a->drv->commit(sess, err) : r;
}

static int remove_ops(const struct step_args *a, void *sess, void *data, char **err) {
        _cleanup_strv_ char **all = NULL;
        for (char **p = a->tagged; *p; p++)
                strv_push(&all, *p);
        for (char **p = a->untagged; *p; p++)
                strv_push(&all, *p);
        int r = all ? a->drv->ports_remove(sess, a->vlan, all, err) : 0;
        if (r == 0)
                r = a->drv->vlan_delete(sess, a->vlan, err);
        return r == 0 ? a->drv->commit(sess, err) : r;
}

static int read_ops(const struct step_args *a, void *sess, void *data, char **err) {
        return a->drv->vlan_read(sess, a->vlan, data, err);
}

static bool has(char *const *v, const char *s) {
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

/* compare: what the switch holds against what the step asked; NULL if it holds
 * all of it, else what is missing (malloc'd). Extra ports are judged only when
 * strict: right after configuring, one may belong to a job being released. */
static char *compare(const struct step_args *a, const struct vc_vlan_state *st, bool strict) {
        if (!st->exists)
                return xasprintf("VLAN %d is missing", a->vlan);
        for (char **p = a->tagged; *p; p++)
                if (!has(st->tagged, *p))
                        return xasprintf("VLAN %d: port %s is not a tagged member", a->vlan, *p);
        for (char **p = a->untagged; *p; p++)
                if (!has(st->untagged, *p))
                        return xasprintf("VLAN %d: port %s is not an untagged member", a->vlan, *p);
        for (char **p = st->tagged; strict && p && *p; p++)
                if (!has(a->tagged, *p))
                        return xasprintf("VLAN %d: port %s carries it tagged, but no job asked for that",
                                         a->vlan, *p);
        for (char **p = st->untagged; strict && p && *p; p++)
                if (!has(a->untagged, *p))
                        return xasprintf("VLAN %d: port %s carries it untagged, but no job asked for that",
                                         a->vlan, *p);
        return NULL;
}

int vc_switch_step_do(void *ctx, json_t *args, char **err) {
        _cleanup_(step_args_clear) struct step_args a;
        int r = parse(args, &a, err);
        if (r == 0)
                r = with_session(&a, NULL, apply_ops, err);
        if (r == -ENOTCONN)
                return vc_step_untouched(r);
        if (r < 0)
                return r;
        /* Trust nothing a switch says it did: read it back where we can. */
        _cleanup_free_ char *what = NULL;
        r = vc_switch_step_check(args, false, &what, err);
        if (r == 0) {
                *err = xasprintf("switch '%s': read-back after configuring: %s", a.t.name, what);
                return -EIO;
        }
        return r == -EOPNOTSUPP || r > 0 ? 0 : r;
}

int vc_switch_step_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(step_args_clear) struct step_args a;
        int r = parse(args, &a, err);
        return r < 0 ? r : with_session(&a, NULL, remove_ops, err);
}

int vc_switch_step_check(json_t *args, bool strict, char **what, char **err) {
        _cleanup_(step_args_clear) struct step_args a;
        int r = parse(args, &a, err);
        if (r < 0)
                return r;
        if (!a.drv->can_read)
                return -EOPNOTSUPP;
        struct vc_vlan_state st = {0};
        r = with_session(&a, &st, read_ops, err);
        if (r == 0) {
                *what = compare(&a, &st, strict);
                r = *what ? 0 : 1;
        }
        vc_vlan_state_clear(&st);
        return r;
}
