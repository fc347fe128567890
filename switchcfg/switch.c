#include "switch.h"

#include <errno.h>
#include <pthread.h>

#include "conf.h"
#include "secret.h"
#include "util.h"

extern const struct vc_switch_driver vc_drv_none, vc_drv_snmp, vc_drv_ovs, vc_drv_exec;

/* Keep in step with the driver table of lib/conf_switch.c (lib/ cannot see this one). */
static const struct vc_switch_driver *const drivers[] = {&vc_drv_none, &vc_drv_snmp, &vc_drv_ovs, &vc_drv_exec};

const struct vc_switch_driver *vc_switch_driver_find(const char *name) {
        for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
                if (streq(drivers[i]->name, name))
                        return drivers[i];
        return NULL;
}

const char *vc_switch_driver_names(void) { return "none, snmp, ovs, exec"; }

/* Striped locks: switches hash onto a fixed set, so the table never grows
 * and two different switches rarely share a lock. */
#define N_LOCKS 64
static pthread_mutex_t locks[N_LOCKS] = {[0 ... N_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER};

static pthread_mutex_t *lock_of(const char *name) {
        uint32_t h = 2166136261u;
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 16777619u;
        return &locks[h % N_LOCKS];
}

void vc_switch_lock(const char *name) { pthread_mutex_lock(lock_of(name)); }
void vc_switch_unlock(const char *name) { pthread_mutex_unlock(lock_of(name)); }

void vc_vlan_state_clear(struct vc_vlan_state *s) {
        free(s->name);
        strv_free(s->tagged);
        strv_free(s->untagged);
        *s = (struct vc_vlan_state){0};
}

json_t *vc_switch_opts_json(const struct vc_switch *sw) {
        json_t *opts = json_object();
        for (char **o = sw->opts; *o; o++) {
                const char *eq = strchr(*o, '=');
                json_object_setn_new(opts, *o, (size_t)(eq - *o), json_string(eq + 1));
        }
        return opts;
}

int vc_switch_list(const struct vc_switch *sw, int **ids, size_t *n, char **err) {
        const struct vc_switch_driver *drv = vc_switch_driver_find(sw->driver);
        if (!drv) {
                *err = xasprintf("switch '%s': driver '%s' is not built in", sw->name, sw->driver);
                return -ENOTSUP;
        }
        if (!drv->vlan_list)
                return -EOPNOTSUPP;
        json_t *opts = vc_switch_opts_json(sw);
        struct vc_switch_target t = {.name = sw->name, .driver = sw->driver, .opts = opts,
                                     .secret_file = sw->secret_file};
        void *sess = NULL;
        vc_switch_lock(sw->name);
        int r = drv->open(&t, &sess, err);
        if (r == 0) {
                r = drv->vlan_list(sess, ids, n, err);
                drv->close(sess);
        }
        vc_switch_unlock(sw->name);
        json_decref(opts);
        return r;
}

int vc_switch_conf_check(const struct vc_conf *c, char **err) {
        for (size_t i = 0; i < c->n_switches; i++) {
                const struct vc_switch *sw = &c->switches[i];
                if (!vc_switch_driver_find(sw->driver)) {
                        *err = xasprintf("switch '%s': driver '%s' is not built in (known: %s)", sw->name,
                                         sw->driver, vc_switch_driver_names());
                        return -ENOTSUP;
                }
                if (!sw->secret_file)
                        continue;
                char **kv = NULL;
                _cleanup_free_ char *why = NULL;
                int r = vc_secret_load(sw->secret_file, &kv, &why);
                vc_secret_free(kv);
                if (r < 0) {
                        *err = xasprintf("switch '%s': %s", sw->name, why);
                        return r;
                }
        }
        return 0;
}
