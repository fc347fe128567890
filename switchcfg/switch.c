#include "switch.h"

#include <errno.h>
#include <pthread.h>

#include "util.h"

extern const struct vc_switch_driver vc_drv_none;

static const struct vc_switch_driver *const drivers[] = {&vc_drv_none};

const struct vc_switch_driver *vc_switch_driver_find(const char *name) {
        for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
                if (streq(drivers[i]->name, name))
                        return drivers[i];
        return NULL;
}

const char *vc_switch_driver_names(void) { return "none"; }

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
