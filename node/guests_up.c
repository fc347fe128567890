/* guests_up.c — a node's guests brought up (bringup_int.h): host network,
 * volumes, cloud-init seeds, domains defined, started and waited for. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>

#include "accesspath.h"
#include "bringup_int.h"
#include "cloudinit.h"
#include "failpoint.h"
#include "guestname.h"
#include "guestplan.h"
#include "log.h"
#include "ready.h"
#include "seed.h"
#include "spec.h"
#include "sshkey.h"
#include "steps.h"
#include "userdata.h"
#include "userkeys.h"
#include "util.h"

/* volumes: the steps that let the guests reach their volumes; they run
 * before guest.define, so the epilog's undo (in reverse) destroys the
 * domains before it takes the secret or the session away. The secret
 * lives in the ctx only while they run. */
static int volumes(struct node_run *n, const struct vc_nodecfg *nc, const struct vc_nodeplan *plan, char **err) {
        size_t count = vc_nodeplan_volumes(plan);
        if (count == 0)
                return 0;
        int r = vc_bringup_secret(n, "chap", "CHAP secret", &n->ctx.chap, err);
        if (r == 0)
                r = vc_node_add_storage(&n->j, nc, plan, err);
        if (r == 0) {
                char what[96];
                snprintf(what, sizeof(what), nc->iscsi_host ? "%zu volume(s) logged in (open-iscsi)"
                                                            : "CHAP secret of %zu volume(s) given to libvirt", count);
                r = vc_bringup_stage(n, what, err);
        }
        vc_node_ctx_chap_clear(&n->ctx);
        return r;
}

/* user_data: the user's own user-data (user-data=), which sbatch read as
 * the user and passed as SPANK_VCLUSTER_USER_DATA (base64), checked again
 * here: the hooks trust nothing from the submitting side. */
static int user_data(struct node_run *n, const struct vc_spec *spec, char **err) {
        if (!spec->user_data[0])
                return 0;
        const char *b64 = getenv("SPANK_" VC_USER_DATA_ENV);
        if (!b64) {
                *err = xasprintf("user-data=%s: its text did not reach the node (no SPANK_" VC_USER_DATA_ENV ")",
                                 spec->user_data);
                return -EINVAL;
        }
        _cleanup_free_ char *why = NULL;
        if (vc_base64_decode(b64, &n->ctx.user_data, &n->ctx.user_data_len) < 0 ||
            vc_user_data_check(n->ctx.user_data, n->ctx.user_data_len, &why) < 0) {
                *err = xasprintf("user-data=%s: %s", spec->user_data, why ? why : "not base64");
                return -EINVAL;
        }
        return 0;
}

/* job_user: the job's user as the node knows it, for its guests. */
static int job_user(int64_t uid, json_t **user, char **home, char **err) {
        struct passwd pw, *pwp = NULL;
        struct group gr, *grp = NULL;
        char buf[4096], gbuf[4096];
        if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp) {
                *err = xasprintf("the job's user (uid %lld) is not known on this node", (long long)uid);
                return -ENOENT;
        }
        if (getgrgid_r(pw.pw_gid, &gr, gbuf, sizeof(gbuf), &grp) != 0 || !grp) {
                *err = xasprintf("user %s: primary group %u is not known on this node", pw.pw_name,
                                 (unsigned)pw.pw_gid);
                return -ENOENT;
        }
        *user = json_pack("{s:s, s:s, s:I, s:I}", "name", pw.pw_name, "group", gr.gr_name, "uid", (json_int_t)uid,
                          "gid", (json_int_t)pw.pw_gid);
        *home = xstrdup(pw.pw_dir);
        return 0;
}

/* access_path: on an OVS node, the user's way to the guests' sshd
 * (lib/access.h), made before the guests start; a bridge node has none
 * (yet): said in the log. */
static int access_path(struct node_run *n, const struct vc_nodeplan *plan, const char *dir, char **err) {
        const struct vc_nodecfg *nc = vc_conf_node(n->c, n->e->node);
        if (nc->host_net != VC_HOSTNET_OVS) {
                log_notice("job %lld on %s: HostNet=bridge: no access path to the guests from this node",
                           (long long)n->e->job, n->e->node);
                return 0;
        }
        _cleanup_(json_decrefp) json_t *user = NULL;
        _cleanup_free_ char *home = NULL;
        int r = job_user(plan->uid, &user, &home, err);
        if (r == 0)
                r = vc_node_add_access(&n->j, n->c, nc, plan, dir, json_integer_value(json_object_get(user, "uid")),
                                       json_integer_value(json_object_get(user, "gid")), err);
        return r < 0 ? r : vc_bringup_stage(n, "access path made", err);
}

/* seeds: for a cloud-init image, the job's keys for its user on this node
 * and a NoCloud seed per guest, before the guests are defined. The SSH
 * seed and the user's user-data live in the ctx only while these run. */
static int seeds(struct node_run *n, const struct vc_nodeplan *plan, const char *dir, char **err) {
        const struct vc_spec *spec = &plan->spec;
        int r;
        const struct vc_image *im = spec->image[0] ? vc_conf_image(n->c, spec->image) : NULL;
        if (!im || im->context != VC_CTX_CLOUD_INIT)
                return 0;
        _cleanup_(json_decrefp) json_t *user = NULL;
        _cleanup_free_ char *home = NULL;
        if ((r = job_user(plan->uid, &user, &home, err)) < 0)
                return r;
        json_t *keys = NULL;
        if ((r = vc_user_pubkeys((uid_t)json_integer_value(json_object_get(user, "uid")),
                                 (gid_t)json_integer_value(json_object_get(user, "gid")), home, &keys, err)) < 0)
                return r;
        json_object_set_new(user, "keys", keys);
        json_object_set_new(user, "sudo", json_boolean(spec->sudo));
        if ((r = user_data(n, spec, err)) == 0)
                r = vc_bringup_secret(n, "ssh", "SSH seed", &n->ctx.ssh_seed, err);
        _cleanup_(json_decrefp) json_t *hosts = vc_nodeplan_hosts_json(plan);
        _cleanup_free_ char *known = r == 0 ? vc_seed_known_hosts(n->ctx.ssh_seed, hosts) : NULL;
        if (r == 0 && !known) {
                *err = xstrdup("the job's SSH seed from vlanallocd is malformed");
                r = -EBADMSG;
        }
        if (r == 0) {
                _cleanup_free_ char *kdir = vc_user_keys_dir(n->c->state_dir, n->e->node, (long long)n->e->job);
                r = vc_journal_add(&n->j, "user.keys",
                                   json_pack("{s:s, s:I, s:O, s:O, s:s}", "dir", kdir, "job", (json_int_t)n->e->job,
                                             "uid", json_object_get(user, "uid"), "gid",
                                             json_object_get(user, "gid"), "known_hosts", known));
        }
        unsigned mtu = vc_ci_mtu(plan->l2 ? plan->l2->kind : NULL);
        for (size_t i = 0; i < plan->n_guests && r == 0; i++) {
                const struct vc_nodeplan_guest *g = &plan->guests[i];
                _cleanup_free_ char *path = vc_guest_seed_path(dir, g->name);
                _cleanup_free_ char *instance = xasprintf("vcluster-%lld-%u-%s", (long long)n->e->job,
                                                          n->e->restarts, g->name);
                json_t *cg = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i}", "name", g->name, "instance", instance,
                                       "mac", g->mac, "ip", g->ip, "prefix", g->prefix, "mtu", (int)mtu, "slots",
                                       (int)spec->cpus);
                if (plan->share)
                        json_object_set_new(cg, "share", json_string(plan->share));
                const struct vc_nodecfg *nc = vc_conf_node(n->c, n->e->node);
                if (g->frontend && nc->public_bridge) {
                        char pmac[18];
                        vc_guest_public_mac(g->mac, pmac);
                        json_object_set_new(cg, "public_mac", json_string(pmac));
                }
                r = vc_journal_add(&n->j, "guest.seed",
                                   json_pack("{s:s, s:I, s:o, s:O, s:O, s:s, s:b}", "path", path, "job",
                                             (json_int_t)n->e->job, "guest", cg, "user", user, "hosts", hosts,
                                             "known_hosts", known, "user_part", n->ctx.user_data != NULL));
        }
        if (r == 0)
                r = vc_bringup_stage(n, "cloud-init seeds made", err);
        vc_node_ctx_chap_clear(&n->ctx);
        return r;
}

static void guest_up(void *arg, const char *name) {
        struct node_run *n = arg;
        vc_node_report(n->e, n->c, "starting", NULL, json_pack("{s:s}", name, "up"), n->cpus);
}

int vc_bringup_guests(struct node_run *n, const struct vc_nodeplan *plan, const char *dir, char **err) {
        const struct vc_nodecfg *nc = vc_conf_node(n->c, n->e->node);
        size_t count = plan->n_guests;
        int r = vc_node_add_net(&n->j, nc, plan, err);
        if (r == 0)
                r = vc_bringup_stage(n, nc->host_net == VC_HOSTNET_OVS ? "OVS bridge checked" : "VLAN bridge made", err);
        if (r == 0)
                r = volumes(n, nc, plan, err);
        /* QEMU runs as the job's user: it opens its files in dir by name */
        if (r == 0 && plan->uid != 0) {
                r = vc_journal_add(&n->j, "job.user", json_pack("{s:s, s:I}", "dir", dir, "uid", (json_int_t)plan->uid));
                if (r == 0)
                        r = vc_bringup_stage(n, "the job's user may reach its guests' files", err);
        }
        if (r == 0)
                r = seeds(n, plan, dir, err);
        if (r == 0)
                r = access_path(n, plan, dir, err);
        if (r == 0)
                r = vc_node_add_define(&n->j, n->c, nc, plan, dir, err);
        if (r == 0)
                r = vc_bringup_stage(n, "guests defined", err);
        if (r < 0)
                return r;
        vc_node_report(n->e, n->c, "starting", NULL, vc_node_all_guests(plan, "defined"), n->cpus);
        r = vc_node_add_start(&n->j, nc, plan, err);
        if (r == 0)
                r = vc_bringup_stage(n, "guests started", err);
        /* the console logs exist now: the user's to read where the access path is */
        if (r == 0 && nc->host_net == VC_HOSTNET_OVS && (r = vc_node_add_console(&n->j, n->c, plan, dir, err)) == 0)
                r = vc_bringup_stage(n, "console logs given to the job's user", err);
        if (r < 0)
                return r;
        vc_node_report(n->e, n->c, "starting", NULL, vc_node_all_guests(plan, "started"), n->cpus);
        if ((r = FAILPOINT("node.guests.started")) < 0) {
                *err = xstrdup("failpoint node.guests.started");
                return r;
        }
        virConnectPtr conn;
        if ((r = vc_node_conn(&n->ctx, nc->libvirt_uri, &conn, err)) < 0)
                return r;
        _cleanup_free_ struct vc_ready_guest *rg = xcalloc(count ? count : 1, sizeof(*rg));
        _cleanup_free_ struct vc_guest_files *files = xcalloc(count ? count : 1, sizeof(*files));
        size_t i;
        for (i = 0; i < count; i++) {
                const struct vc_nodeplan_guest *g = &plan->guests[i];
                if ((r = vc_guest_files_get(dir, g->name, false, &files[i], err)) < 0)
                        break;
                rg[i] = (struct vc_ready_guest){.name = g->name, .domain = g->domain, .agent = files[i].agent,
                                                .console = files[i].console};
        }
        uint64_t t0 = now_ms();
        if (r == 0)
                r = vc_guests_wait_up(conn, rg, count, nc->boot_timeout, guest_up, n, err);
        if (r == 0)
                log_info("job %lld on %s: %zu guest(s) up in %llu ms", (long long)n->e->job, n->e->node, count,
                         (unsigned long long)(now_ms() - t0));
        for (i = 0; i < count; i++)
                vc_guest_files_clear(&files[i]);
        return r;
}
