/* The "switch.vlan" journal step: everything a job needs on one switch,
 * applied in one session and one commit. */
#include <errno.h>

#include "switch.h"
#include "util.h"

struct step_args {
        struct vc_switch_target t;
        int vlan;
        const char *name;
        char **tagged, **untagged;
        const struct vc_switch_driver *drv;
};

static void step_args_clear(struct step_args *a) {
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
        json_t *tagged = NULL, *untagged = NULL;
        *a = (struct step_args){0};
        if (json_unpack(args, "{s:s, s:s, s?s, s?s, s:i, s:s, s?o, s?o}", "switch", &a->t.name,
                        "driver", &a->t.driver, "address", &a->t.address, "secret_file",
                        &a->t.secret_file, "vlan", &a->vlan, "name", &a->name, "tagged", &tagged,
                        "untagged", &untagged) < 0) {
                *err = xstrdup("malformed switch.vlan step");
                return -EINVAL;
        }
        a->drv = vc_switch_driver_find(a->t.driver);
        if (!a->drv) {
                *err = xasprintf("switch '%s': driver '%s' is not built in (known: %s)", a->t.name,
                                 a->t.driver, vc_switch_driver_names());
                return -ENOTSUP;
        }
        a->tagged = strv_from_json(tagged);
        a->untagged = strv_from_json(untagged);
        return 0;
}

/* One session on the switch, serialized with every other user of it:
 * open, run ops, close. */
static int with_session(const struct step_args *a, int (*ops)(const struct step_args *a, void *sess, char **err),
                        char **err) {
        void *sess = NULL;
        vc_switch_lock(a->t.name);
        int r = a->drv->open(&a->t, &sess, err);
        if (r == 0) {
                r = ops(a, sess, err);
                a->drv->close(sess);
        }
        vc_switch_unlock(a->t.name);
        return r;
}

static int apply_ops(const struct step_args *a, void *sess, char **err) {
        int r = a->drv->vlan_create(sess, a->vlan, a->name, err);
        if (r == 0 && a->tagged[0])
                r = a->drv->ports_add(sess, a->vlan, a->tagged, VC_PORT_TAGGED, err);
        if (r == 0 && a->untagged[0])
                r = a->drv->ports_add(sess, a->vlan, a->untagged, VC_PORT_UNTAGGED, err);
        return r == 0 ? a->drv->commit(sess, err) : r;
}

static int remove_ops(const struct step_args *a, void *sess, char **err) {
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

int vc_switch_step_do(void *ctx, json_t *args, char **err) {
        _cleanup_(step_args_clear) struct step_args a;
        int r = parse(args, &a, err);
        if (r == 0)
                r = with_session(&a, apply_ops, err);
        if (r < 0)
                return r;
        /* Trust nothing a switch says it did: read it back where we can. */
        r = vc_switch_step_check(args, err);
        if (r == 0) {
                *err = xasprintf("switch '%s': VLAN %d is missing after it was created", a.t.name, a.vlan);
                return -EIO;
        }
        return r == -EOPNOTSUPP || r > 0 ? 0 : r;
}

int vc_switch_step_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(step_args_clear) struct step_args a;
        int r = parse(args, &a, err);
        return r < 0 ? r : with_session(&a, remove_ops, err);
}

static int read_ops(const struct step_args *a, void *sess, char **err) {
        struct vc_vlan_state st = {0};
        int r = a->drv->vlan_read(sess, a->vlan, &st, err);
        if (r == 0)
                r = st.exists;
        vc_vlan_state_clear(&st);
        return r;
}

int vc_switch_step_check(json_t *args, char **err) {
        _cleanup_(step_args_clear) struct step_args a;
        int r = parse(args, &a, err);
        if (r < 0)
                return r;
        if (!a.drv->can_read)
                return -EOPNOTSUPP;
        return with_session(&a, read_ops, err);
}
