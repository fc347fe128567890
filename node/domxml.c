#include "domxml.h"

#include <errno.h>
#include <stdarg.h>

#include "cpulist.h"
#include "guestplan.h"
#include "iscsi.h"
#include "sock.h"
#include "util.h"

void vc_bridge_name(int vlan, char buf[16]) { snprintf(buf, 16, "vcbr%d", vlan); }

/* A growing string: the XML is small, so simplicity beats cleverness. */
struct buf {
        char *s;
        size_t len;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *add = NULL;
        if (vasprintf(&add, fmt, ap) < 0)
                abort();
        va_end(ap);
        size_t n = strlen(add);
        b->s = xrealloc(b->s, b->len + n + 1);
        memcpy(b->s + b->len, add, n + 1);
        b->len += n;
}

/* esc: text safe inside an XML attribute or element (malloc'd). Config
 * values (paths, Cmdline) may hold any character. */
static char *esc(const char *s) {
        struct buf b = {xstrdup(""), 0};
        for (; *s; s++) {
                switch (*s) {
                case '&': put(&b, "&amp;"); break;
                case '<': put(&b, "&lt;"); break;
                case '>': put(&b, "&gt;"); break;
                case '\'': put(&b, "&apos;"); break;
                case '"': put(&b, "&quot;"); break;
                default: put(&b, "%c", *s);
                }
        }
        return b.s;
}

char *vc_xml_escape(const char *s) { return esc(s); }

/* disk_volume: the guest's volume as virtio disk dev; -EINVAL when the plan entry lacks a field. */
static int disk_volume(struct buf *b, const struct vc_domain_desc *d, const struct vc_nodeplan_volume *vol,
                       const char *dev) {
        const char *portal = vol->portal, *iqn = vol->iqn, *ini = vol->initiator, *user = vol->user,
                   *node = d->guest->node;
        if (!portal || !iqn || !ini || !user || !node)
                return -EINVAL;
        long long n = vol->lun;
        if (d->node->iscsi_host) {
                _cleanup_free_ char *path = vc_iscsi_by_path(portal, iqn, n);
                _cleanup_free_ char *p = esc(path);
                put(b, "    <disk type='block' device='disk'>\n"
                       "      <driver name='qemu' type='raw' cache='none' io='native'/>\n"
                       "      <source dev='%s'/>\n", p);
        } else {
                _cleanup_free_ char *host = NULL;
                int port;
                if (vc_hostport_split(portal, &host, &port) < 0)
                        return -EINVAL;
                _cleanup_free_ char *usage = vc_iscsi_secret_usage(d->job, node);
                _cleanup_free_ char *q = esc(iqn), *h = esc(host), *i = esc(ini), *u = esc(user), *s = esc(usage);
                put(b, "    <disk type='network' device='disk'>\n"
                       "      <driver name='qemu' type='raw' cache='none'/>\n"
                       "      <source protocol='iscsi' name='%s/%lld'>\n"
                       "        <host name='%s' port='%d'/>\n"
                       "        <initiator><iqn name='%s'/></initiator>\n"
                       "        <auth username='%s'><secret type='iscsi' usage='%s'/></auth>\n"
                       "      </source>\n", q, n, h, port, i, u, s);
        }
        put(b, "      <target dev='%s' bus='virtio'/>\n    </disk>\n", dev);
        return 0;
}

static void nic_cluster(struct buf *b, const struct vc_domain_desc *d, const char *mac, const char *tap) {
        put(b, "    <interface type='bridge'>\n      <mac address='%s'/>\n", mac);
        if (d->node->host_net == VC_HOSTNET_OVS) {
                _cleanup_free_ char *br = esc(d->node->ovs_bridge);
                put(b, "      <source bridge='%s'/>\n      <virtualport type='openvswitch'/>\n", br);
                put(b, "      <vlan><tag id='%d'/></vlan>\n", d->vlan);
        } else {
                char br[16];
                vc_bridge_name(d->vlan, br);
                put(b, "      <source bridge='%s'/>\n", br);
        }
        put(b, "      <target dev='%s'/>\n      <model type='virtio'/>\n    </interface>\n", tap);
}

static void nic_public(struct buf *b, const struct vc_domain_desc *d, const char *mac) {
        _cleanup_free_ char *br = esc(d->node->public_bridge);
        /* a MAC of our own, so the seed's network-config can match the NIC */
        char pmac[18];
        vc_guest_public_mac(mac, pmac);
        put(b, "    <interface type='bridge'>\n      <mac address='%s'/>\n      <source bridge='%s'/>\n", pmac, br);
        if (d->node->host_net == VC_HOSTNET_OVS)
                put(b, "      <virtualport type='openvswitch'/>\n");
        put(b, "      <model type='virtio'/>\n    </interface>\n");
}

/* pinning: <vcpu>, and inside the job's allocation its <cputune> and <memtune>. */
static void pinning(struct buf *b, const struct vc_domain_desc *d) {
        if (!d->cpuset) {
                put(b, "  <vcpu>%u</vcpu>\n", d->cpus);
        } else {
                put(b, "  <vcpu placement='static' cpuset='%s'>%u</vcpu>\n  <cputune>\n", d->cpuset, d->cpus);
                for (unsigned i = 0; i < d->cpus; i++)
                        put(b, "    <vcpupin vcpu='%u' cpuset='%s'/>\n", i, d->cpuset);
                put(b, "    <emulatorpin cpuset='%s'/>\n  </cputune>\n", d->cpuset);
        }
        if (d->mem_limit)
                put(b, "  <memtune>\n    <hard_limit unit='KiB'>%llu</hard_limit>\n  </memtune>\n",
                    (unsigned long long)(d->mem_limit >> 10));
}

char *vc_domain_xml(const struct vc_domain_desc *d, char **err) {
        const struct vc_nodeplan_guest *g = d->guest;
        const char *name = g ? g->name : NULL, *domain = g ? g->domain : NULL, *mac = g ? g->mac : NULL,
                   *ip = g ? g->ip : NULL, *tap = g ? g->tap : NULL;
        if (!name || !domain || !mac || !ip || !tap || !d->image || !d->node ||
            !d->console || !d->agent || (d->image->disk && !d->overlay) || d->uid < 0 || d->gid < 0 ||
            d->uid > UINT32_MAX - 1 || d->gid > UINT32_MAX - 1) {
                *err = xasprintf("guest %s: incomplete description (plan entry, image, paths, uid/gid)", name ? name : "?");
                return NULL;
        }
        struct buf b = {xstrdup(""), 0};
        put(&b, "<domain type='%s'>\n  <name>%s</name>\n", d->node->tcg ? "qemu" : "kvm", domain);
        put(&b, "  <description>slurm-vcluster job %lld guest %s</description>\n", (long long)d->job, name);
        put(&b, "  <memory unit='KiB'>%llu</memory>\n", (unsigned long long)(d->mem >> 10));
        if (d->cpuset && !vc_cpulist_valid(d->cpuset)) {
                free(b.s);
                *err = xasprintf("guest %s: CPU ids '%s' are not a CPU list (e.g. 0-3,8)", name, d->cpuset);
                return NULL;
        }
        pinning(&b, d);
        put(&b, "  <os>\n    <type arch='x86_64'>hvm</type>\n");
        if (d->image->kernel) {
                _cleanup_free_ char *k = esc(d->image->kernel);
                put(&b, "    <kernel>%s</kernel>\n", k);
                if (d->image->initrd) {
                        _cleanup_free_ char *i = esc(d->image->initrd);
                        put(&b, "    <initrd>%s</initrd>\n", i);
                }
                _cleanup_free_ char *line = xasprintf("%s%svc.name=%s vc.ip=%s/%lld",
                                                      d->image->cmdline ? d->image->cmdline : "",
                                                      d->image->cmdline ? " " : "", name, ip,
                                                      (long long)g->prefix);
                _cleanup_free_ char *l = esc(line);
                put(&b, "    <cmdline>%s</cmdline>\n", l);
        } else {
                put(&b, "    <boot dev='hd'/>\n");
        }
        put(&b, "  </os>\n  <features><acpi/></features>\n  <clock offset='utc'/>\n");
        /* A guest that powers off is done; one that crashes must not loop. */
        put(&b, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
                "  <on_crash>destroy</on_crash>\n  <devices>\n");
        if (d->image->disk) {
                _cleanup_free_ char *o = esc(d->overlay);
                put(&b, "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n"
                        "      <source file='%s'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n", o);
        }
        if (g->volume && disk_volume(&b, d, g->volume, d->image->disk ? "vdb" : "vda") < 0) {
                free(b.s);
                *err = xasprintf("guest %s: incomplete volume in the plan (portal, iqn, lun, initiator, user, node)",
                                 name);
                return NULL;
        }
        if (d->seed) {
                /* the NoCloud seed, read-only; "vdz" sorts after every other
                 * virtio disk, so the image and volume keep their names */
                _cleanup_free_ char *sp = esc(d->seed);
                put(&b, "    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw'/>\n"
                        "      <source file='%s'/>\n      <target dev='vdz' bus='virtio'/>\n      <readonly/>\n"
                        "    </disk>\n", sp);
        }
        if (d->share) {
                _cleanup_free_ char *sh = esc(d->share);
                put(&b, "    <filesystem type='mount' accessmode='squash'>\n      <source dir='%s'/>\n"
                        "      <target dir='" VC_SHARE_TAG "'/>\n    </filesystem>\n", sh);
        }
        nic_cluster(&b, d, mac, tap);
        if (g->frontend && d->node->public_bridge)
                nic_public(&b, d, mac);
        _cleanup_free_ char *con = esc(d->console), *agent = esc(d->agent);
        put(&b, "    <serial type='file'>\n      <source path='%s'/>\n      <target port='0'/>\n    </serial>\n", con);
        put(&b, "    <channel type='unix'>\n      <source mode='bind' path='%s'/>\n"
                "      <target type='virtio' name='" VC_AGENT_CHANNEL "'/>\n    </channel>\n", agent);
        put(&b, "    <memballoon model='none'/>\n  </devices>\n");
        /* QEMU as the job's user; relabel='no': libvirt chowns no file (domxml.h) */
        put(&b, "  <seclabel type='static' model='dac' relabel='no'>\n    <label>+%lld:+%lld</label>\n"
                "  </seclabel>\n</domain>\n", (long long)d->uid, (long long)d->gid);
        return b.s;
}
