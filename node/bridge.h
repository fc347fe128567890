/* bridge.h — the compute node's "bridge" host network: an 802.1Q
 * sub-interface TRUNK.VLAN of the node's trunk, enslaved to a Linux bridge
 * that the guests' taps join. Made with libnl-3 (route), never by running ip.
 *
 * Contract: every call opens its own rtnetlink socket and link cache in the
 * caller's network namespace and closes them before returning; 0 or -errno,
 * with *err (malloc'd) naming the link and what is wrong, libnl's reason
 * included. Calls are idempotent: a link that already exists and is what the
 * call would have made is fine, one of the wrong kind (or the wrong VLAN, or
 * on the wrong trunk) is an error naming it, and nothing is deleted that the
 * caller did not describe. vc_bridge_vlan_up makes the VLAN link before the
 * bridge, so a kernel without 802.1Q leaves nothing behind (-EOPNOTSUPP,
 * "kernel has no 802.1Q support (CONFIG_VLAN_8021Q)"), and undoes what it
 * made itself when a later step fails. vc_bridge_vlan_down leaves a bridge
 * that still has ports of another user, with its VLAN link.
 *
 * Interface names follow the kernel's rules: 1..15 (IFNAMSIZ-1) bytes, not
 * "." or "..", no '/', ':' or white space; a longer one is -ENAMETOOLONG.
 */
#ifndef VC_BRIDGE_H
#define VC_BRIDGE_H

/* vc_bridge_vlan_up: TRUNK.VLAN (802.1Q id vlan on trunk) and bridge exist, are up, and the VLAN link is a port of bridge. */
int vc_bridge_vlan_up(const char *trunk, int vlan, const char *bridge, char **err);
/* vc_bridge_vlan_down: delete bridge and then TRUNK.VLAN unless bridge has other ports (then leave both); 0 when gone. */
int vc_bridge_vlan_down(const char *trunk, int vlan, const char *bridge, char **err);

/* vc_bridge_create: a Linux bridge named bridge exists and is up (0 if it already was; -EEXIST if the name is another kind). */
int vc_bridge_create(const char *bridge, char **err);
/* vc_link_enslave: link is a port of bridge (0 if it already was; -EBUSY: port of another master; -EINVAL: bridge is no bridge). */
int vc_link_enslave(const char *link, const char *bridge, char **err);
/* vc_link_delete: the link name no longer exists (0 when it was already gone). */
int vc_link_delete(const char *name, char **err);
/* vc_bridge_ports: the names of bridge's ports as a NULL-terminated malloc'd strv (-ENODEV: none; -EINVAL: not a bridge). */
int vc_bridge_ports(const char *bridge, char ***ports, char **err);

/* vc_vlan_ifname: "TRUNK.VLAN" (malloc'd) after checking trunk, vlan (1-4094, else -ERANGE) and the result's length. */
int vc_vlan_ifname(const char *trunk, int vlan, char **name, char **err);

#endif
