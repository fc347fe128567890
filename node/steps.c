#include "steps.h"

#include <errno.h>
#include <sys/un.h>

#include "accesspath.h"
#include "bridge.h"
#include "domxml.h"
#include "iscsi.h"
#include "jobaccess.h"
#include "node.h"
#include "nodestate.h"
#include "ovsport.h"
#include "seed.h"
#include "spec.h"
#include "util.h"

/* net.bridge — args {trunk, vlan, bridge}, parsed once for do and undo. */
struct net_bridge_args {
        const char *trunk, *bridge; /* borrowed from the step's args */
        int vlan;
};

static int net_bridge_parse(const json_t *args, struct net_bridge_args *a, char **err) {
        json_int_t vlan = 0;
        *a = (struct net_bridge_args){0};
        if (json_unpack((json_t *)args, "{s:s, s:I, s:s}", "trunk", &a->trunk, "vlan", &vlan, "bridge", &a->bridge) <
                    0 ||
            vlan < VC_VLAN_MIN || vlan > VC_VLAN_MAX) {
                *err = xstrdup("net.bridge: needs \"trunk\", \"vlan\", \"bridge\"");
                return -EINVAL;
        }
        a->vlan = (int)vlan;
        return 0;
}

static int net_bridge_do(void *ctx, json_t *args, char **err) {
        struct net_bridge_args a;
        int r = net_bridge_parse(args, &a, err);
        if (r < 0)
                return r;
        /* vc_bridge_vlan_up removes what it made when it fails: nothing to undo then. */
        r = vc_bridge_vlan_up(a.trunk, a.vlan, a.bridge, err);
        return r < 0 ? vc_step_untouched(r) : 0;
}

static int net_bridge_undo(void *ctx, json_t *args, char **err) {
        struct net_bridge_args a;
        int r = net_bridge_parse(args, &a, err);
        return r < 0 ? r : vc_bridge_vlan_down(a.trunk, a.vlan, a.bridge, err);
}

const struct vc_step_kind vc_node_step_kinds[] = {
        {"node.plan", vc_node_plan_do, vc_node_plan_undo, false},
        {"net.ovs", vc_net_ovs_do, vc_net_ovs_undo, false},
        {"net.bridge", net_bridge_do, net_bridge_undo, false},
        {"storage.secret", vc_storage_secret_do, vc_storage_secret_undo, false},
        {"storage.iscsi", vc_storage_iscsi_do, vc_storage_iscsi_undo, false},
        /* QEMU as the job's user reaches its files (jobaccess.h) */
        {"job.user", vc_job_user_do, vc_job_user_undo, false},
        /* cloud-init images (seed.h) */
        {"user.keys", vc_user_keys_do, vc_user_keys_undo, false},
        {"guest.seed", vc_guest_seed_do, vc_guest_seed_undo, false},
        {"net.access", vc_access_do, vc_access_undo, false},
        /* libvirt serves concurrent calls on one connection; QEMU start is the slow part */
        {"guest.define", vc_guest_define_do, vc_guest_define_undo, true},
        {"guest.start", vc_guest_start_do, vc_guest_start_undo, true},
        {"user.console", vc_console_do, vc_console_undo, false},
        {NULL, NULL, NULL, false},
};

int vc_guest_files_get(const char *dir, const char *name, bool disk, struct vc_guest_files *f, char **err) {
        *f = (struct vc_guest_files){0};
        f->agent = xasprintf("%s/%s.agent", dir, name);
        if (strlen(f->agent) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                *err = xasprintf("%s: longer than a unix socket path may be (%zu): use a shorter StateDir", f->agent,
                                 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
                vc_guest_files_clear(f);
                return -ENAMETOOLONG;
        }
        f->console = xasprintf("%s/%s.console", dir, name);
        if (disk)
                f->overlay = xasprintf("%s/%s.qcow2", dir, name);
        return 0;
}

void vc_guest_files_clear(struct vc_guest_files *f) {
        free(f->console);
        free(f->agent);
        free(f->overlay);
        *f = (struct vc_guest_files){0};
}

int vc_node_add_net(struct vc_journal *j, const struct vc_nodecfg *nc, const struct vc_nodeplan *plan, char **err) {
        if (nc->host_net == VC_HOSTNET_BRIDGE) {
                char br[16];
                vc_bridge_name(plan->site.vlan, br);
                return vc_journal_add(j, "net.bridge", json_pack("{s:s, s:i, s:s}", "trunk", nc->trunk, "vlan",
                                                                 plan->site.vlan, "bridge", br));
        }
        json_t *taps = json_array();
        for (size_t i = 0; i < plan->n_guests; i++)
                json_array_append_new(taps, json_string(plan->guests[i].tap));
        return vc_journal_add(j, "net.ovs", json_pack("{s:s, s:s, s:o}", "db", nc->ovs_db, "bridge",
                                                      nc->ovs_bridge, "taps", taps));
}

/* How long a host-mode login waits for udev to name the LUNs. */
#define DEVICE_WAIT_S 30

/* add_iscsi: IscsiAttach=host — one session per node and job, so every
 * volume of the node's guests must be on the one target of its site. */
static int add_iscsi(struct vc_journal *j, const struct vc_nodeplan *plan, char **err) {
        const struct vc_nodeplan_volume *first = NULL;
        json_t *devices = json_array();
        for (size_t i = 0; i < plan->n_guests; i++) {
                const struct vc_nodeplan_volume *v = plan->guests[i].volume;
                if (!v)
                        continue;
                if (!v->portal) {
                        json_decref(devices);
                        *err = xasprintf("guest %s: the plan names no portal for its volume",
                                         plan->guests[i].name);
                        return -EINVAL;
                }
                if (!first)
                        first = v;
                else if (!streq(v->iqn, first->iqn) || !streq(v->portal, first->portal) ||
                         !streq(v->initiator, first->initiator) || !streq(v->user, first->user)) {
                        json_decref(devices);
                        *err = xasprintf("node %s: volumes on two targets (%s, %s): IscsiAttach=host logs in to one",
                                         plan->node, first->iqn, v->iqn);
                        return -EINVAL;
                }
                _cleanup_free_ char *dev = vc_iscsi_by_path(v->portal, v->iqn, v->lun);
                json_array_append_new(devices, json_string(dev));
        }
        _cleanup_free_ char *iface = vc_iscsi_iface_name(plan->job, plan->node);
        if (!iface) {
                json_decref(devices);
                *err = xasprintf("node %s: the iSCSI iface name of job %lld would be longer than open-iscsi allows",
                                 plan->node, (long long)plan->job);
                return -EINVAL;
        }
        return vc_journal_add(j, "storage.iscsi",
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:i}", "iface", iface, "initiator",
                                        first->initiator, "iqn", first->iqn, "portal", first->portal, "user",
                                        first->user, "devices", devices, "wait_s", DEVICE_WAIT_S));
}

int vc_node_add_storage(struct vc_journal *j, const struct vc_nodecfg *nc, const struct vc_nodeplan *plan,
                        char **err) {
        if (vc_nodeplan_volumes(plan) == 0)
                return 0;
        if (nc->iscsi_host)
                return add_iscsi(j, plan, err);
        _cleanup_free_ char *usage = vc_iscsi_secret_usage(plan->job, plan->node);
        return vc_journal_add(j, "storage.secret", json_pack("{s:s, s:s}", "uri", nc->libvirt_uri, "usage", usage));
}

int vc_node_add_define(struct vc_journal *j, const struct vc_conf *c, const struct vc_nodecfg *nc,
                       const struct vc_nodeplan *plan, const char *dir, char **err) {
        const struct vc_spec *spec = &plan->spec;
        const struct vc_image *im = spec->image[0] ? vc_conf_image(c, spec->image) : NULL;
        if (!im) {
                *err = spec->image[0] ? xasprintf("image=%s: no such image in %s", spec->image, c->path)
                                      : xstrdup("the job names no image= and guests need one");
                return -EINVAL;
        }
        /* inside the job's allocation on this node (the prolog's "alloc"):
         * every guest on the job's CPUs, each with its share of the memory */
        const struct vc_nodeplan_alloc *alloc = plan->alloc;
        const char *cpuset = alloc ? alloc->cpus : NULL;
        /* "cgroup": Slurm's memory cgroup holds QEMU once adopted, no cap of libvirt's */
        uint64_t mem_limit = 0;
        if (alloc && alloc->mem_by && streq(alloc->mem_by, "memtune"))
                mem_limit = (uint64_t)alloc->mem;
        if (plan->n_guests)
                mem_limit /= plan->n_guests;
        int r;
        for (size_t i = 0; i < plan->n_guests; i++) {
                const struct vc_nodeplan_guest *g = &plan->guests[i];
                _cleanup_(vc_guest_files_clear) struct vc_guest_files f = {0};
                if ((r = vc_guest_files_get(dir, g->name, im->disk != NULL, &f, err)) < 0)
                        return r;
                _cleanup_free_ char *seed = im->context == VC_CTX_CLOUD_INIT ? vc_guest_seed_path(dir, g->name) : NULL;
                struct vc_domain_desc d = {.guest = g, .image = im, .node = nc, .cpus = spec->cpus, .mem = spec->mem,
                                           .vlan = plan->site.vlan, .job = plan->job, .console = f.console,
                                           .agent = f.agent, .overlay = f.overlay, .seed = seed, .cpuset = cpuset,
                                           .mem_limit = mem_limit, .uid = plan->uid, .gid = plan->gid,
                                           .share = seed ? plan->share : NULL};
                _cleanup_free_ char *xml = vc_domain_xml(&d, err);
                if (!xml)
                        return -EINVAL;
                json_t *check = json_array();
                if (im->kernel)
                        json_array_append_new(check, json_string(im->kernel));
                if (im->initrd)
                        json_array_append_new(check, json_string(im->initrd));
                if (im->disk)
                        json_array_append_new(check, json_string(im->disk));
                if (seed)
                        json_array_append_new(check, json_string(seed));
                json_t *args = json_pack("{s:s, s:s, s:s, s:[s,s], s:o, s:{s:I, s:I}}", "uri", nc->libvirt_uri,
                                         "domain", g->domain, "xml", xml, "files", f.console, f.agent, "check", check,
                                         "owner", "uid", (json_int_t)d.uid, "gid", (json_int_t)d.gid);
                if (f.overlay)
                        json_object_set_new(args, "overlay",
                                            json_pack("{s:s, s:s}", "path", f.overlay, "image", im->disk));
                if ((r = vc_journal_add(j, "guest.define", args)) < 0)
                        return r;
        }
        return 0;
}

int vc_node_add_start(struct vc_journal *j, const struct vc_nodecfg *nc, const struct vc_nodeplan *plan,
                      char **err) {
        for (size_t i = 0; i < plan->n_guests; i++) {
                json_t *args = json_pack("{s:s, s:s, s:s, s:I}", "uri", nc->libvirt_uri, "domain",
                                         plan->guests[i].domain, "tap", plan->guests[i].tap, "job",
                                         (json_int_t)plan->job);
                if (nc->host_net == VC_HOSTNET_OVS)
                        json_object_set_new(args, "ovs", json_pack("{s:s}", "db", nc->ovs_db));
                int r = vc_journal_add(j, "guest.start", args);
                if (r < 0)
                        return r;
        }
        return 0;
}
