/* domxml.h — the libvirt domain XML of one guest, built from its entry in
 * the node's plan (guestplan.h), the image catalog and the node's config.
 * Pure text building: no libvirt call, so every branch is unit-tested.
 *
 * The domain is always the same shape: direct kernel boot and/or a disk
 * (a per-guest copy-on-write overlay over the image's read-only disk), one
 * virtio NIC on the cluster's network — an OVS access port tagged with the
 * site VLAN (HostNet=ovs) or a port of the Linux bridge vcbrVLAN
 * (HostNet=bridge) — with the plan's MAC and a host-side name (tap) that
 * says the job; a second NIC on PublicBridge for the frontend; the serial
 * console logged to a file; and the virtio-serial port org.vcluster.agent
 * (a unix socket on the host) on which the guest says it is up.
 * The kernel command line gets vc.name= and vc.ip= appended (in both
 * contexts: a cloud-init image ignores them). A cloud-init image's guest
 * gets its NoCloud volume as a read-only virtio disk (target vdz, after
 * every other disk); the frontend's public NIC has the MAC
 * vc_guest_public_mac gives, which the seed's network-config matches.
 * A guest whose plan entry has a "volume" (disk=) gets it as the next virtio
 * disk after the image's own (vda without Disk=, else vdb): with
 * IscsiAttach=qemu a network disk QEMU logs in to itself — the job's
 * initiator name, CHAP user, and the libvirt secret "vcluster-JOB-NODE"
 * (iscsi.h) — with IscsiAttach=host the block device open-iscsi made.
 * Inside the job's allocation: with cpuset (the CPU ids Slurm gave the job
 * on the node) every vCPU and the emulator threads are pinned to them
 * (<cputune> vcpupin, emulatorpin); with mem_limit the domain's memory is
 * capped (<memtune> hard_limit, which libvirt enforces through the memory
 * cgroup it makes for the domain).
 * QEMU runs as the job's user: a static DAC label +UID:+GID with
 * relabel='no', so libvirt chowns nothing (least of all the shared base
 * image and its backing chain); the prolog gives the job's own files (the
 * overlay, the seed, the console log) to the user instead (guest.define,
 * guest.seed), and whatever a guest does, even as root inside, reaches the
 * host with that user's rights alone. With share, the job's directory is a
 * virtio-9p export (QEMU's own 9p server, accessmode='squash': QEMU's
 * security_model=none, so files the guest makes are the QEMU user's, and a
 * chown to another uid is dropped rather than failed) tagged
 * VC_SHARE_TAG, which the guest mounts at the same path (cloudinit.h).
 */
#ifndef VC_DOMXML_H
#define VC_DOMXML_H

#include <jansson.h>
#include <stdint.h>

#include "conf.h"
#include "nodeplan.h"

#define VC_AGENT_CHANNEL "org.vcluster.agent"
/* The 9p mount tag of the job's directory. */
#define VC_SHARE_TAG "vcshare"

struct vc_domain_desc {
        const struct vc_nodeplan_guest *guest; /* one of the node plan's guests */
        const struct vc_image *image;
        const struct vc_nodecfg *node;
        unsigned cpus;
        uint64_t mem;                   /* bytes */
        int vlan;                       /* the site's VLAN of the job */
        int64_t job;
        const char *console, *agent;    /* host paths: console log, agent socket */
        const char *overlay;            /* the disk overlay, when the image has a disk */
        const char *seed;               /* Context=cloud-init: the NoCloud volume (seed.h), else NULL */
        const char *cpuset;             /* CPU ids to pin to ("0-1,4"), or NULL: not pinned */
        uint64_t mem_limit;             /* bytes the domain may use at most, or 0: no cap */
        int64_t uid, gid;               /* the job's user and primary group: QEMU's DAC label */
        const char *share;              /* the job's directory exported to the guest, or NULL */
};

/* vc_bridge_name: the Linux bridge of a VLAN for HostNet=bridge, "vcbrID", into buf[16]. */
void vc_bridge_name(int vlan, char buf[16]);
/* vc_xml_escape: s safe inside an XML attribute or element (malloc'd). */
char *vc_xml_escape(const char *s);
/* vc_domain_xml: the domain's XML (malloc'd); NULL with *err when a field is missing. */
char *vc_domain_xml(const struct vc_domain_desc *d, char **err);

#endif
