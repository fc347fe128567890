/* conf.h — vcluster.conf, the one configuration file every host reads.
 *
 * Style of slurm.conf: one object per line of Key=Value words, '#' comments,
 * "Include FILE" (relative to the including file), hostlist expressions.
 * Lines:
 *   global keys:  ControllerAddr=HOST:PORT StateDir=DIR SlurmUser=USER
 *                 AdminGroup=GROUP LeaseGrace=DURATION MungeSocket=PATH
 *                 ReapInterval=DURATION VniRange=LO-HI VxlanPort=PORT
 *                 OpenvpnPort=PORT CacheUser=USER DebugLevel=LEVEL
 *                 SyslogFacility=FACILITY
 *   SiteName=NAME SiteId=N VlanIds=RANGES Nodes=HOSTLIST [Gateway=NODE]
 *                 [L2Domain=NAME] [Storage=NAME] [L2Ext=vxlan|openvpn]
 *                 [CacheSize=SIZE] [CachePreload=FILE] [CacheParent=HOST:PORT]
 *                 [CacheBypass=REGEX]
 *   StorageName=NAME Host=HOST Backend=lvm|file [VolumeGroup=VG [ThinPool=POOL]]
 *                 [Directory=DIR] Export=tgt Portal=ADDR:PORT [TgtControl=N]
 *                 [AgentPort=PORT] [IqnBase=IQN]
 *   SwitchName=NAME Site=SITE Driver=none|snmp|ovs|exec [NodePorts=HOSTLIST:PORTS]
 *                 [Uplinks=PORTS] [NodePortMode=trunk|access] [SecretFile=PATH]
 *                 driver keys — snmp: Host= [Port=] [Version=2c|3] [Timeout=] [Retries=]
 *                 ovs: Db=unix:PATH|tcp:HOST:PORT Bridge= [Timeout=]
 *                 exec: Program=PATH [Timeout=]
 *   ImageName=NAME [Kernel=PATH [Initrd=PATH] [Cmdline=TEXT]] [Disk=PATH]
 *                 [Context=cloud-init|cmdline]
 *                 (a kernel, a disk, or both: direct boot with the disk attached;
 *                 how guests learn name and address: a cloud-init seed, the
 *                 default with Disk=, or the kernel command line)
 *   NodeName=HOSTLIST [HostNet=ovs|bridge] [OvsBridge=NAME] [OvsDb=REMOTE]
 *                 [Trunk=IFACE] [PublicBridge=NAME] [Libvirt=URI]
 *                 [DomainType=kvm|qemu] [BootTimeout=DURATION] [IscsiAttach=qemu|host]
 *                 [WanAddr=IPV4] [WanNetns=NAME] [OvsNetns=NAME]
 *   Limits [MaxNodes=N] [MaxVmsPerNode=N] [MaxCpus=N] [MaxMem=SIZE] [MaxDisk=SIZE]
 *                 [MaxVolumes=N]
 * A file with any error is refused as a whole; the error reads
 * "FILE:LINE: what is wrong". The parsed object is immutable and may be
 * shared between threads (reference counted).
 */
#ifndef VC_CONF_H
#define VC_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VC_CONF_DEFAULT "/etc/vcluster/vcluster.conf"
#define VC_VLAN_MIN 1
#define VC_VLAN_MAX 4094

struct vc_range {
        int lo, hi; /* inclusive */
};

/* How a stitched job's gateways join their sites: VXLAN (clear, one kernel
 * device per gateway), OpenVPN (an encrypted Ethernet tap per peer), or not
 * at all (none: the sites' own WAN service joins their VLANs). */
enum vc_l2ext { VC_L2EXT_VXLAN, VC_L2EXT_OPENVPN, VC_L2EXT_NONE };

struct vc_site {
        char *name;
        int id;                   /* 1..255, unique; appears in guest names and MACs */
        struct vc_range *ranges;  /* sorted, non-overlapping */
        size_t n_ranges;
        char **nodes;             /* expanded, NULL-terminated, config order */
        size_t n_nodes;
        char *gateway;            /* Gateway=: a member of nodes that is a job's gateway at the site
                                   * whenever the job has it; NULL: the job's first node there */
        char *l2domain;           /* sites with the same L2Domain share trunks; may be NULL */
        char *storage;            /* StorageName serving disk= volumes of its guests; may be NULL */
        enum vc_l2ext l2ext;      /* tunnel kind to and from this site; default vxlan */
        unsigned cache_mb;        /* per-cluster squid cache size at this site; default 4096 */
        char *cache_preload;      /* a file of URLs warmed before the guests boot; may be NULL */
        char *cache_parent;       /* HOST:PORT of a site-wide parent cache; may be NULL */
        char *cache_bypass;       /* URLs matching this POSIX ERE are never cached; may be NULL */
};

/* A storage host: volumes of guests of sites naming it, exported over iSCSI.
 * When host is the controller's own host the controller runs the steps
 * itself, else it asks the storage agent there (port agent_port). */
struct vc_storage {
        char *name;
        char *host;               /* where volumes live (Host=) */
        char *backend;            /* "lvm" | "file" */
        char *vg, *thin_pool;     /* lvm */
        char *dir;                /* file */
        char *export;             /* "tgt" */
        char *portal;             /* ADDR:PORT initiators connect to */
        char *tgt_control;        /* tgtd control port number (tgtadm -C N); default "0" */
        char *agent_port;         /* default VC_STORAGE_AGENT_PORT */
        char *iqn_base;           /* default VC_IQN_BASE */
};

#define VC_STORAGE_AGENT_PORT "6830"
#define VC_IQN_BASE "iqn.2026-11.org.vcluster"

struct vc_switch {
        char *name;
        char *site;               /* name of an existing site */
        char *driver;             /* a driver known to switchcfg */
        char **opts;              /* the driver's own keys as "Key=Value", NULL-terminated */
        char *secret_file;        /* Key=Value credentials file; may be NULL. Its mode is
                                   * checked where switches are configured, not here. */
        char **nodes, **ports;    /* NodePorts: nodes[i] is cabled to ports[i]; NULL-terminated */
        char **uplinks;           /* ports carrying every cluster VLAN of the site */
        bool access;              /* NodePortMode=access: node ports untagged */
};

/* An image guests boot: a kernel (direct boot) or a disk (read-only backing
 * file under a per-guest overlay). Paths are on the compute nodes. */
enum vc_image_context {
        VC_CTX_CMDLINE,    /* vc.name= vc.ip= on the kernel command line (guest/init) */
        VC_CTX_CLOUD_INIT, /* a NoCloud seed (cidata) per guest: node/cloudinit.h */
};
struct vc_image {
        char *name;
        char *kernel, *initrd, *cmdline; /* kernel set, or NULL */
        char *disk;                      /* or disk set */
        enum vc_image_context context;   /* Context=; default cloud-init with Disk=, else cmdline */
};

enum vc_host_net { VC_HOSTNET_OVS, VC_HOSTNET_BRIDGE };

/* How a compute node hosts guests (a NodeName= line, or the defaults). */
struct vc_nodecfg {
        char **nodes;              /* NULL-terminated; NULL for the defaults */
        enum vc_host_net host_net; /* default ovs */
        char *ovs_bridge;          /* ovs: the bridge guest ports go on; default br-vcluster */
        char *ovs_db;              /* ovs: default unix:/var/run/openvswitch/db.sock */
        char *trunk;               /* bridge: the interface carrying the VLANs (required) */
        char *public_bridge;       /* the frontend's second NIC goes here; may be NULL */
        char *libvirt_uri;         /* default qemu:///system */
        bool tcg;                  /* DomainType=qemu: software emulation, no KVM */
        unsigned boot_timeout;     /* seconds a guest may take to report up; default 300 */
        bool iscsi_host;           /* IscsiAttach=host: open-iscsi on the node; default qemu */
        char *wan_addr;            /* IPv4 address other sites' gateways reach it at; may be NULL */
        char *wan_netns;           /* network namespace holding wan_addr; NULL: the node's own */
        char *ovs_netns;           /* network namespace of OvsBridge's ports; NULL: the node's own */
};

struct vc_limits {
        unsigned max_nodes;         /* 0 = unlimited */
        unsigned max_vms_per_node;  /* default 16 */
        unsigned max_cpus;          /* per guest; default 64 */
        uint64_t max_mem;           /* bytes per guest; default 256G */
        uint64_t max_disk;          /* bytes per guest; default 16T */
        unsigned max_volumes;       /* disk= volumes per job; default 256 */
};

struct vc_conf {
        char *path;
        char *controller_host, *controller_port; /* from ControllerAddr (required) */
        char *state_dir;           /* default /var/lib/vcluster */
        char *slurm_user;          /* default "slurm" if that user exists, else "root" */
        uid_t slurm_uid;           /* (uid_t)-1 when the user is unknown on this host */
        char *admin_group;         /* may be NULL: no admin group */
        gid_t admin_gid;           /* (gid_t)-1 when the group is unknown on this host */
        char *unresolved;          /* "FILE:LINE: unknown AdminGroup 'x'", or NULL (vc_conf_check_ids) */
        unsigned lease_grace;      /* seconds; default 300 */
        unsigned reap_interval;    /* seconds; default 30 */
        char *munge_socket;        /* NULL: libmunge's default */
        uint32_t vni_lo, vni_hi;   /* default 5000-16777215 */
        unsigned vxlan_port;       /* UDP port of every VXLAN tunnel; default 4789 */
        unsigned openvpn_port;     /* first UDP port of OpenVPN tunnels; default 41000 */
        char *cache_user;          /* squid's cache_effective_user; default "proxy" */
        int log_level;             /* DebugLevel=: a syslog priority; default LOG_INFO */
        int syslog_facility;       /* SyslogFacility=: default LOG_DAEMON */
        struct vc_site *sites;
        size_t n_sites;
        struct vc_switch *switches;
        size_t n_switches;
        struct vc_image *images;
        size_t n_images;
        struct vc_limits limits;
        struct vc_storage *storages;
        size_t n_storages;
        struct vc_nodecfg *nodecfgs;
        size_t n_nodecfgs;
        struct vc_nodecfg node_default;
        int refs;                  /* internal */
        struct vc_node_index *node_index; /* internal: sorted node → site */
        size_t n_node_index;
        struct vc_port_index *port_index; /* internal: sorted node → switch port */
        size_t n_port_index;
};

/* vc_conf_path: $VCLUSTER_CONF, else VC_CONF_DEFAULT. */
const char *vc_conf_path(void);
/* vc_conf_load: parse path; 0 and *out (refs=1), or -errno and *err = "FILE:LINE: …" (malloc'd). */
int vc_conf_load(const char *path, struct vc_conf **out, char **err);
/* vc_conf_ref: take a reference (thread-safe). */
struct vc_conf *vc_conf_ref(struct vc_conf *c);
/* vc_conf_unref: drop a reference; frees at zero; NULL is fine. */
void vc_conf_unref(struct vc_conf *c);
/* vc_conf_unrefp: cleanup function for a struct vc_conf * variable. */
static inline void vc_conf_unrefp(struct vc_conf **c) { vc_conf_unref(*c); }
#define _cleanup_conf_ __attribute__((cleanup(vc_conf_unrefp)))
/* vc_conf_check_ids: 0 when SlurmUser= and AdminGroup= name a user and a
 * group this host knows; -ENOENT with *err ("FILE:LINE: unknown …")
 * otherwise. Only hosts that act on them (vlanallocd) call it: a login or
 * compute node without the group loads the file all the same. */
int vc_conf_check_ids(const struct vc_conf *c, char **err);
/* vc_conf_site: site by name, or NULL. */
const struct vc_site *vc_conf_site(const struct vc_conf *c, const char *name);
/* vc_conf_image: image by name, or NULL. */
const struct vc_image *vc_conf_image(const struct vc_conf *c, const char *name);
/* vc_conf_switch_of_node: the switch whose NodePorts cable node (and *port), or NULL. */
const struct vc_switch *vc_conf_switch_of_node(const struct vc_conf *c, const char *node,
                                               const char **port);
/* vc_conf_storage: storage by name, or NULL. */
const struct vc_storage *vc_conf_storage(const struct vc_conf *c, const char *name);
/* vc_storage_is_local: whether the controller runs this storage's steps itself
 * (Host= is the controller's host) rather than asking its agent. */
bool vc_storage_is_local(const struct vc_conf *c, const struct vc_storage *s);
/* vc_conf_node: the NodeName= settings of node (the defaults when no line names it); never NULL. */
const struct vc_nodecfg *vc_conf_node(const struct vc_conf *c, const char *node);
/* vc_switch_opt: the value of a driver key of the switch ("Host"), or NULL. */
const char *vc_switch_opt(const struct vc_switch *s, const char *key);
/* vc_conf_site_of_node: the site whose Nodes= holds node, or NULL. */
const struct vc_site *vc_conf_site_of_node(const struct vc_conf *c, const char *node);
/* vc_site_has_vlan: whether id lies in one of the site's ranges. */
bool vc_site_has_vlan(const struct vc_site *s, int id);
/* vc_site_range_size: how many ids the site's ranges hold. */
unsigned vc_site_range_size(const struct vc_site *s);
/* vc_l2ext_name: "vxlan", "openvpn" or "none". */
const char *vc_l2ext_name(enum vc_l2ext k);
/* vc_ranges_format: "100-199,300-349" (malloc'd). */
char *vc_ranges_format(const struct vc_range *r, size_t n);

#endif
