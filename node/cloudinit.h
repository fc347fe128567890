/* cloudinit.h — the three files of a guest's NoCloud seed (cloud-init's
 * data source for a local volume labelled "cidata"), as text. Pure text
 * building, no I/O, so every branch is unit-tested; seed.c writes them
 * and makes the volume.
 *
 *   meta-data       instance-id (unique to the job's run and the guest: a
 *                   requeued job is a new instance) and local-hostname
 *   network-config  version 2: the cluster NIC matched by its MAC, static
 *                   address/prefix, no route (no default route through the
 *                   cluster), its MTU lowered on stitched jobs; the
 *                   frontend's public NIC by DHCP, optional (boot does not
 *                   wait for it)
 *   user-data       MIME multi-part: our cloud-config (/etc/hosts with
 *                   every guest, the job's user with the host's name, uid,
 *                   gid and primary group, its authorized keys and the job's
 *                   key pair in ~/.ssh, passwordless sudo unless sudo=no,
 *                   the guest's SSH host key, /etc/vcluster/hostfile with
 *                   every guest (hostfile.h), Open MPI's MCA defaults:
 *                   TCP on the cluster's subnet alone, ob1/ssh; with a
 *                   share, the job's directory mounted at its own path
 *                   by bootcmd, before anything else runs); then the user's own part
 *                   (user-data=, merged by appending lists, as cloud-init
 *                   documents); last a script that, once sshd answers on
 *                   port 22 (and the share is mounted), writes "up NAME" on the virtio-serial port
 *                   org.vcluster.agent (ready.h) — scripts run in name
 *                   order, and ours is named to come after the user's.
 * The cloud-config parts are JSON, which YAML reads as it is: every string
 * a user or a file gave is quoted by jansson, never by hand.
 */
#ifndef VC_CLOUDINIT_H
#define VC_CLOUDINIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Bytes a VXLAN tunnel adds to a frame on the WAN: outer IPv4 20, UDP 8,
 * VXLAN 8, the inner Ethernet header 14. */
#define VC_VXLAN_OVERHEAD 50
/* OpenVPN's tap as l2ext.c runs it (UDP, TLS 1.3 control channel, data
 * channel AES-256-GCM or CHACHA20-POLY1305, both AEAD): outer IPv4 20, UDP
 * 8, opcode/key id and peer id 4, packet id 4, AEAD tag 16, the inner
 * Ethernet header 14. Measured on the WAN by test_sites_cloudinit
 * (TUNNEL=openvpn): a full-size packet of the guests' MTU 1434 travels in a
 * 1500-byte datagram; VXLAN's 50 the same way (its default run). */
#define VC_OPENVPN_OVERHEAD 66

struct vc_ci_guest {
        const char *name;       /* host name, NAME-SITEID-N */
        const char *instance;   /* instance-id */
        const char *mac, *ip;   /* the cluster NIC */
        unsigned prefix;
        unsigned mtu;           /* 0: leave the default */
        const char *public_mac; /* the frontend's public NIC, or NULL */
        unsigned slots;         /* every guest's CPUs: the hostfile's slots */
        const char *share;      /* the job's directory, mounted at the same path (9p tag VC_SHARE_TAG), or NULL */
};

struct vc_ci_user {
        const char *name, *group; /* user and primary group names, as on the host */
        uid_t uid;
        gid_t gid;
        bool sudo;
        const json_t *keys;       /* authorized keys: array of strings */
        const char *pub, *priv;   /* the job's key pair (priv: secret) */
        const char *known_hosts;  /* every guest's host key, known_hosts lines */
};

/* The user's own part of user-data (user-data=, checked: userdata.h), or none. */
struct vc_ci_part {
        const char *text;
        size_t len;
};

/* vc_ci_mtu: the guests' MTU for a stitched job's tunnel kind ("vxlan",
 * "openvpn"), 0 (the default) for none or another. */
unsigned vc_ci_mtu(const char *tunnel_kind);
/* vc_ci_meta_data: meta-data (malloc'd). */
char *vc_ci_meta_data(const struct vc_ci_guest *g);
/* vc_ci_network_config: network-config (malloc'd). */
char *vc_ci_network_config(const struct vc_ci_guest *g);
/* vc_ci_hosts: /etc/hosts for hosts, an array of {name, ip} (malloc'd). */
char *vc_ci_hosts(const json_t *hosts);
/* vc_ci_mca_params: Open MPI's openmpi-mca-params.conf for a guest at
 * ip/prefix: TCP and shared memory only, on the cluster's subnet (malloc'd). */
char *vc_ci_mca_params(const char *ip, unsigned prefix);
/* vc_ci_user_data: user-data (malloc'd; holds private keys: wipe it);
 * host_pub/host_priv the guest's SSH host key, part the user's own or NULL.
 * NULL with *err when a name could not be a user or group name, or the
 * hostfile cannot be made (hostfile.h). A share that is the user's home or
 * above it moves the guest's home to /var/lib/vcluster/home/NAME, so no key
 * the guest writes lands in the host's home. */
char *vc_ci_user_data(const struct vc_ci_guest *g, const struct vc_ci_user *u, const json_t *hosts,
                      const char *host_pub, const char *host_priv, const struct vc_ci_part *part, char **err);

#endif
