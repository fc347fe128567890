/* Driver "none": for sites whose trunks already carry every VLAN of the
 * range (VirtCloud's set-up). Every operation succeeds without touching a
 * switch; vlan_read is not offered, so `check` reports "not verifiable". */
#include <errno.h>

#include "switch.h"



static int none_open(const struct vc_switch_target *t, void **sess, char **err) {
        *sess = (void *)t;
        return 0;
}

static void none_close(void *sess) {}
static int none_vlan(void *sess, int id, const char *name, char **err) { return 0; }
static int none_delete(void *sess, int id, char **err) { return 0; }
static int none_add(void *sess, int id, char *const *ports, enum vc_port_mode m, char **err) { return 0; }
static int none_remove(void *sess, int id, char *const *ports, char **err) { return 0; }
static int none_commit(void *sess, char **err) { return 0; }

const struct vc_switch_driver vc_drv_none = {
        .name = "none",
        .can_read = false,
        .open = none_open,
        .close = none_close,
        .vlan_create = none_vlan,
        .vlan_delete = none_delete,
        .ports_add = none_add,
        .ports_remove = none_remove,
        .commit = none_commit,
        .vlan_read = NULL,
};
