/* ovsport.h — the node's Open vSwitch bridge as guests use it (HostNet=ovs).
 * libvirt adds and removes each guest's port (<virtualport
 * type='openvswitch'/>); we mark the port with the job
 * (external_ids:vcluster-job=JOB), and remove this node's guest ports
 * still on the bridge when libvirt could not (its daemon was lost). Ports
 * are found by name, not by mark: one host may run several slurmd of one
 * job, and each removes only its own. OVSDB is
 * spoken directly (lib/ovsdb.h), never through ovs-vsctl.
 */
#ifndef VC_OVSPORT_H
#define VC_OVSPORT_H

#include <stdint.h>

#include <jansson.h>

/* vc_ovs_bridge_check: 0 when bridge exists in db; -ENODEV (or -errno for
 * the connection) with *err. */
int vc_ovs_bridge_check(const char *db, const char *bridge, char **err);
/* vc_ovs_port_mark: add external_ids:vcluster-job=job to the port; -ENODEV when there is no such port. */
int vc_ovs_port_mark(const char *db, const char *port, int64_t job, char **err);
/* vc_ovs_job_port_add: a new port on bridge with VLAN tag and the job's mark
 * (the access path's veth end); -EEXIST when a port of that name exists,
 * -ENODEV without the bridge, with *err. */
int vc_ovs_job_port_add(const char *db, const char *bridge, const char *port, int tag, int64_t job, char **err);
/* vc_ovs_ports_remove: remove from bridge every port named in taps (NULL:
 * none); *removed counts them. 0 or -errno with *err. */
int vc_ovs_ports_remove(const char *db, const char *bridge, char *const *taps, unsigned *removed, char **err);

/* The step net.ovs — args {db, bridge, taps: [this node's guest ports]}:
 * do checks the bridge exists, undo removes the taps still on it. */
int vc_net_ovs_do(void *ctx, json_t *args, char **err);
int vc_net_ovs_undo(void *ctx, json_t *args, char **err);

#endif
