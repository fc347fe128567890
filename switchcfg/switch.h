/* switch.h — one interface to every kind of site switch.
 *
 * A driver is a table of functions chosen by the Driver= word of a
 * SwitchName= line. A session batches operations; commit applies them and
 * the caller then reads the VLAN back (vlan_read) to prove the switch holds
 * what was asked. Every operation has an inverse that succeeds when the
 * thing is already gone, because the journal may replay it after a crash.
 * Operations on one switch are serialized by vc_switch_lock(); different
 * switches proceed in parallel. A driver returns -ENOTCONN from commit only
 * when nothing that changes the switch was sent (it could not connect, or a
 * read before any write got no answer): the step is then known not to have
 * acted and is owed no undo.
 */
#ifndef VC_SWITCH_H
#define VC_SWITCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct vc_conf;
struct vc_switch;

enum vc_port_mode { VC_PORT_TAGGED, VC_PORT_UNTAGGED };

/* What a switch needs to open a session: copied into the journal step so an
 * undo never depends on the configuration still naming the switch. */
struct vc_switch_target {
        const char *name, *driver;
        json_t *opts;            /* the driver's keys from the SwitchName= line, e.g.
                                  * {"Host":"10.0.0.2","Port":"161"}; never NULL */
        const char *secret_file; /* root-only Key=Value file, or NULL */
        const char *owner;       /* the job the session works for ("1001"), or NULL;
                                  * drivers that can label ports record it */
};

/* What the switch really has for one VLAN. */
struct vc_vlan_state {
        bool exists;
        char *name;
        char **tagged, **untagged; /* NULL-terminated port names */
};

struct vc_switch_driver {
        const char *name;
        bool can_read; /* false: vlan_read cannot verify (driver none) */
        int (*open)(const struct vc_switch_target *t, void **sess, char **err);
        void (*close)(void *sess);
        int (*vlan_create)(void *sess, int id, const char *name, char **err);
        int (*vlan_delete)(void *sess, int id, char **err);
        int (*ports_add)(void *sess, int id, char *const *ports, enum vc_port_mode mode, char **err);
        int (*ports_remove)(void *sess, int id, char *const *ports, char **err);
        int (*commit)(void *sess, char **err);
        int (*vlan_read)(void *sess, int id, struct vc_vlan_state *out, char **err);
        /* vlan_list: every VLAN id the switch has, ascending (*ids malloc'd);
         * NULL when the driver cannot list. Used by `check` to find leftovers. */
        int (*vlan_list)(void *sess, int **ids, size_t *n, char **err);
};

/* vc_switch_driver_find: the driver called name, or NULL. */
const struct vc_switch_driver *vc_switch_driver_find(const char *name);
/* vc_switch_driver_names: "none, ovs, …" for error messages (static). */
const char *vc_switch_driver_names(void);
/* vc_switch_lock / vc_switch_unlock: serialize sessions on one switch name. */
void vc_switch_lock(const char *name);
void vc_switch_unlock(const char *name);
/* vc_switch_conf_check: what only the host that configures switches can
 * check: every switch's driver is built in and its SecretFile readable and
 * private. 0, or -errno with *err naming the switch and the fault. */
int vc_switch_conf_check(const struct vc_conf *c, char **err);
/* vc_switch_opts_json: a configured switch's driver keys as a JSON object. */
json_t *vc_switch_opts_json(const struct vc_switch *sw);
/* vc_switch_list: every VLAN id configured switch sw has (*ids malloc'd,
 * ascending); -EOPNOTSUPP when its driver cannot list; serialized like every
 * session on the switch. */
int vc_switch_list(const struct vc_switch *sw, int **ids, size_t *n, char **err);
/* vc_vlan_state_clear: free what vlan_read filled in. */
void vc_vlan_state_clear(struct vc_vlan_state *s);

/* The journal step "switch.vlan": args {switch, driver, opts:{…}, secret_file?,
 * site, vlan, name, job, tagged:[…], untagged:[…]}. Do creates the VLAN and
 * adds the ports in one commit and verifies by reading back; undo removes the
 * ports and deletes the VLAN, succeeding when already gone. Thread-safe:
 * different switches may be configured at once. */
int vc_switch_step_do(void *ctx, json_t *args, char **err);
int vc_switch_step_undo(void *ctx, json_t *args, char **err);
/* vc_switch_step_check: whether the switch holds everything the step asked:
 * 1 yes; 0 no, with *what saying what is missing (strict: or which port has
 * the VLAN without the step asking for it); -EOPNOTSUPP when the driver
 * cannot read; -errno with *err on failure. */
int vc_switch_step_check(json_t *args, bool strict, char **what, char **err);

#endif
