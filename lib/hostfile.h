/* hostfile.h — a virtual cluster's MPI hostfile: one line per guest,
 * "NAME slots=CPUS", the form Open MPI's `mpirun --hostfile` (and MPICH's
 * hydra with -f) reads. Every guest of a cluster has the spec's cpus= CPUs,
 * so every line has the same slots. Pure text, no I/O: the node writes it
 * into every guest as /etc/vcluster/hostfile (node/cloudinit.h), and
 * `vcluster hostfile` prints the same text on the host.
 */
#ifndef VC_HOSTFILE_H
#define VC_HOSTFILE_H

#include <jansson.h>

/* Where the guests find it. */
#define VC_HOSTFILE_PATH "/etc/vcluster/hostfile"

/* One guest's line (name, slots): the one format the guests' file and
 * `vcluster hostfile` (lib/access.c) share. */
#define VC_HOSTFILE_LINE "%s slots=%u\n"

/* vc_hostfile_text: the hostfile of hosts (an array of objects with a
 * "name", in the cluster's order: the plan's "hosts", every guest of every
 * site), each with slots slots, into *text (malloc'd, "" for no host); 0, or
 * -EINVAL with *err (malloc'd) when slots is 0 or a host has no name that
 * could be a host name. */
int vc_hostfile_text(const json_t *hosts, unsigned slots, char **text, char **err);

#endif
