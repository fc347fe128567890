/* l2ext.h — the L2 extension of a stitched multi-site cluster on a site's
 * gateway node: the site's VLAN joined to tunnels to the other sites.
 *
 * Per cluster and gateway node, a network namespace (named: /run/netns/NAME;
 * the plan calls it vcl-JOB-NODE, so one host may be the gateway of several
 * sites) holds a Linux bridge br0 with a veth end lan0; the other end (the
 * plan's vcgJOB.SITE, hex) lives where the node's ovs-vswitchd runs and is
 * an access port of the node's OVS bridge with tag=VLAN and
 * external_ids:vcluster-job=JOB, so the bridge sees the site's VLAN
 * untagged. The tunnels are ports of br0 too:
 *   - VXLAN: one kernel vxlan device (id VNI, local WAN address, dstport,
 *     no learning) whose UDP socket lives in the namespace holding the WAN
 *     address while the device lives in vcl-JOB. One remote: its unicast
 *     remote. Several: no remote, one all-zero FDB entry per remote
 *     (head-end replication; br0 never sends vx0's frames back to vx0).
 *     Nothing is learned from what arrives, so frames only ever go to the
 *     peers; and an nftables table in the WAN namespace, vcvx-NETNS-DEV,
 *     drops UDP to the VXLAN port carrying this VNI from any source but the
 *     peers (counted, so an admin sees injections). VXLAN has no
 *     cryptography: whoever can send with a peer's source address, or reads
 *     the WAN, is not stopped by this (OpenVPN is for that).
 *   - OpenVPN: one openvpn process per peer, TLS mode (the hub the server,
 *     a spoke the client), Ethernet tap, run in the WAN namespace; its tap
 *     is moved into vcl-JOB. After setup openvpn runs as nobody in an empty
 *     chroot. The job's secret comes from the journal's ctx (struct
 *     vc_node_ctx.tunnel_key, 512 hex digits, never in args): written to a
 *     0600 file it is the tls-crypt key, and hashed it is the seed of the
 *     job's CA key (Ed25519), the same at every gateway, which signs each
 *     gateway's own fresh key's certificate (CN "hub" or "spoke-N"). The CA
 *     key passes only through a pipe to openssl, never a file or argv.
 * Links are made with libnl-3 (route), OVSDB is spoken directly
 * (lib/ovsdb.h); no ovs-vsctl or shell is run. The one command is
 * `ip netns exec NS nft -f -`: l2.segment's TCP MSS clamp in the namespace,
 * l2.vxlan's source filter in the WAN namespace.
 *
 * Contract: the three steps below are journal steps (journal.h) with the
 * args given at each; do and undo return 0 or -errno with *err (malloc'd)
 * naming the device or namespace and what is wrong (libnl's reason
 * included). Bad args fail before anything is touched
 * (vc_step_untouched). do is idempotent (running it again after a crash is
 * fine) and, when it fails, removes what it made itself. undo succeeds when
 * everything is already gone, and may run any number of times. Interface
 * names longer than 15 bytes are -ENAMETOOLONG.
 */
#ifndef VC_L2EXT_H
#define VC_L2EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chap.h" /* VC_TUNNEL_KEY_LEN, struct vc_gateway_ctx */

/* The bridge and the segment's veth end inside vcl-JOB. */
#define VC_L2_BRIDGE "br0"
#define VC_L2_LAN "lan0"
/* The static key as the ctx holds it: 2048 bits in lowercase hex. */
#define VC_L2_KEY_HEX_LEN VC_TUNNEL_KEY_LEN

/* Names are unique per host even when one host runs the gateways of several
 * sites of a job (several slurmd), and fit IFNAMSIZ. */
/* vc_l2_port_name: "vcgJOB.SITE" (hex), the site's veth end on the OVS side, into buf; NULL when it cannot be one. */
const char *vc_l2_port_name(int64_t job, int site_id, char buf[16]);
/* vc_l2_tap_name: "vctJOB.S" at the hub, "vcsJOB.S" at spoke S (hex), a tunnel's tap in the WAN namespace; NULL likewise. */
const char *vc_l2_tap_name(int64_t job, bool hub, size_t spoke, char buf[16]);
/* vc_l2_netns_name: "vcl-JOB-NODE", the cluster's namespace on gateway node (malloc'd). */
char *vc_l2_netns_name(int64_t job, const char *node);

/* vc_l2_key_text: the OpenVPN static-key V1 file for hex (512 hex digits,
 * trailing white space ignored) as *text (malloc'd; the caller wipes it);
 * -EINVAL with *err (never quoting the key) when hex is no such key. */
int vc_l2_key_text(const char *hex, char **text, char **err);
/* What one openvpn is run with (all borrowed). */
struct vc_l2_ovpn {
        const char *dev, *local, *remote;
        int port;
        bool hub;               /* TLS server; a spoke is the client */
        const char *peer_cn;    /* the name the peer's certificate must have */
        const char *ca, *cert, *key, *tls_crypt; /* files */
        const char *user, *group, *chroot;       /* what it drops to after setup */
        const char *pidfile, *logfile;
};
/* vc_l2_openvpn_argv: the argv (NULL-terminated strv, malloc'd) that runs
 * openvpn for o: TLS over UDP local:port ⇄ remote:port, tap o->dev, daemon
 * with pidfile and logfile, then user/group in chroot. Only file names of
 * keys are in it, never a key. */
char **vc_l2_openvpn_argv(const struct vc_l2_ovpn *o);

/* vc_l2_vxlan_ruleset: the nft -f text that (re)makes table inet TABLE
 * dropping UDP to local:port whose VXLAN header carries vni unless its
 * source is one of remotes (family AF_INET or AF_INET6; malloc'd). */
char *vc_l2_vxlan_ruleset(const char *table, int family, const char *local, long long port, long long vni,
                          char *const *remotes);

/* l2.segment — args {job, netns: "vcl-JOB", ovs_db: "unix:…"|"tcp:…",
 * ovs_bridge, ovs_netns: NAME|null (where ovs-vswitchd runs; null: ours),
 * port: "vcgHEX", vlan: 1-4094, address: "A/LEN"|null (for br0)}.
 * do: netns made (idempotent), lo and br0 up, veth port(ovs_netns) ⇄
 * lan0(netns) up, lan0 a port of br0, the OVS port (tag=vlan,
 * external_ids:vcluster-job=job) added in one transaction, the address on
 * br0. undo: the OVS port removed (only when marked with this job), port
 * deleted in ovs_netns (only a veth), the netns deleted. */
int vc_l2_segment_do(void *ctx, json_t *args, char **err);
int vc_l2_segment_undo(void *ctx, json_t *args, char **err);

/* l2.vxlan — args {job, netns, wan_netns: NAME|null, local: ADDR, remotes:
 * [ADDR, …] (≥ 1, same family as local), vni: 1-16777215, port: 1-65535,
 * dev}; netns and dev only of letters, digits, '_', '.', '-'. do: the
 * source filter (vcvx-NETNS-DEV) in wan_netns, then dev (a vxlan device,
 * learning off, MTU 1500 so the site's 1500-byte frames fit, the outer
 * packets being fragmented on the WAN) in netns with its socket in
 * wan_netns, its FDB entries, a port of br0, up. undo: dev deleted, then
 * the filter (0 for each when it, or its namespace, is gone). */
int vc_l2_vxlan_do(void *ctx, json_t *args, char **err);
int vc_l2_vxlan_undo(void *ctx, json_t *args, char **err);

/* l2.openvpn — args {job, netns, wan_netns: NAME|null, local: ADDR, remote:
 * ADDR, port: 1-65535 (local and remote UDP port), dev, dir: absolute path
 * (made 0700 when missing) for DIR/DEV.{key,ca.pem,crt.pem,id.pem,pid,log}
 * and the chroot DIR/DEV.root, role: "hub"|"spoke", spoke: 1-255 (the
 * spoke this tunnel joins)}; ctx is a struct vc_gateway_ctx with tunnel_key;
 * undo needs no role or spoke. do: stops a previous openvpn of this pid
 * file, writes the tls-crypt key (0600, O_EXCL), makes the CA certificate,
 * this gateway's key (0600) and certificate with openssl, starts openvpn in
 * wan_netns, waits (at most 10 s) for dev there, moves it into netns, makes
 * it a port of br0, up; it does not wait for the peer. undo: stops the
 * openvpn of the pid file (only when /proc says it is openvpn with that
 * --writepid), waits until it is gone, deletes the files and the chroot. */
int vc_l2_openvpn_do(void *ctx, json_t *args, char **err);
int vc_l2_openvpn_undo(void *ctx, json_t *args, char **err);

#endif
