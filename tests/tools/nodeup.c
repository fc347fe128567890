/* nodeup — drive a node's guest steps (node/steps.c) without Slurm or
 * vlanallocd, for tests: the same journal, step kinds and XML as the prolog.
 *
 *   nodeup up [-s] CONF JOB NODE DIR SECRET
 *       JOB is a JSON file {job, spec, sites} as vlanallocd's "show" returns
 *       a job (sites with their storage {name, portal, iqn_base}); NODE's
 *       plan is built from it as the prolog builds it (vc_plan_guest_list),
 *       then its steps are journaled in DIR and run: host network, storage
 *       (the CHAP secret read from the file SECRET), guest.define,
 *       guest.start. -s: the storage steps alone. Does not wait for the
 *       guests, and does not roll back on failure: `down` does.
 *   nodeup down DIR
 *       undo DIR's journal (as the epilog does) and remove DIR.
 *   nodeup record IQN PORTAL IFACE SECRET
 *       write the secret into that open-iscsi node record (iscsi.h).
 * Errors go to stderr; exit 1 on failure, 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "conf.h"
#include "guestplan.h"
#include "iscsi.h"
#include "jobplan.h"
#include "journal.h"
#include "node.h"
#include "nodeplan.h"
#include "nodestate.h"
#include "spec.h"
#include "steps.h"
#include "util.h"

static int usage(void) {
        fprintf(stderr, "usage: nodeup up [-s] CONF JOB NODE DIR SECRET | nodeup down DIR | "
                        "nodeup record IQN PORTAL IFACE SECRET\n");
        return 2;
}

/* read_secret: the secret file's first line (malloc'd); it must be root's 0600 file. */
static char *read_secret(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
                fprintf(stderr, "nodeup: %s: must be a 0600 regular file\n", path);
                return NULL;
        }
        char *s = NULL;
        size_t len;
        int r = read_file(path, &s, &len, 4096);
        if (r < 0) {
                fprintf(stderr, "nodeup: %s: %s\n", path, strerror(-r));
                return NULL;
        }
        s[strcspn(s, "\n")] = 0;
        return s;
}

/* node_plan: NODE's plan from the job, as much of it as the guest steps
 * read (the prolog's own adds the access path, tunnel and allocation). */
static int node_plan(const json_t *job, const char *node, struct vc_nodeplan *p, char **err) {
        *p = (struct vc_nodeplan){0};
        const char *spec = json_string_value(json_object_get(job, "spec"));
        if (vc_spec_parse(spec, &p->spec, err) < 0)
                return -EINVAL;
        _cleanup_(vc_jobplan_clear) struct vc_jobplan jp = {0};
        if (vc_jobplan_sites_from_json(json_object_get(job, "sites"), &jp, err) < 0)
                return -EINVAL;
        const struct vc_jobplan_site *site = vc_jobplan_site_of(&jp, node);
        if (!site) {
                *err = xasprintf("node %s is not in the job", node);
                return -EINVAL;
        }
        p->job = json_integer_value(json_object_get(job, "job"));
        if (vc_plan_guest_list(&jp, &p->spec, p->job, node, &p->guests, &p->n_guests, err) < 0)
                return -EINVAL;
        p->node = xstrdup(node);
        p->spec_text = xstrdup(spec);
        p->site.name = xstrdup(site->name);
        p->site.id = site->id;
        p->site.vlan = site->vlan;
        p->image = xstrdup(p->spec.image);
        return 0;
}

static int up(bool storage_only, const char *conf, const char *jobfile, const char *node, const char *dir,
              const char *secretfile) {
        _cleanup_free_ char *err = NULL;
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_conf_load(conf, &c, &err) < 0) {
                fprintf(stderr, "nodeup: %s\n", err);
                return 1;
        }
        json_error_t je;
        _cleanup_(json_decrefp) json_t *job = json_load_file(jobfile, 0, &je);
        if (!job) {
                fprintf(stderr, "nodeup: %s: %s\n", jobfile, je.text);
                return 1;
        }
        _cleanup_(vc_nodeplan_clear) struct vc_nodeplan np = {0};
        const struct vc_nodeplan *plan = &np;
        if (node_plan(job, node, &np, &err) < 0) {
                fprintf(stderr, "nodeup: %s\n", err);
                return 1;
        }
        const struct vc_nodecfg *nc = vc_conf_node(c, node);
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        struct vc_journal j = {.ctx = &ctx};
        int r = vc_node_job_dir_make(dir, &err);
        if (r == 0)
                r = vc_node_journal_open(dir, vc_node_step_kinds, &j, &err);
        if (r == 0 && !storage_only && (r = vc_node_add_net(&j, nc, plan, &err)) == 0)
                r = vc_journal_run(&j, &err);
        if (r == 0 && vc_nodeplan_volumes(plan) > 0) {
                ctx.chap = read_secret(secretfile);
                r = ctx.chap ? vc_node_add_storage(&j, nc, plan, &err) : -EINVAL;
                if (r == 0)
                        r = vc_journal_run(&j, &err);
                vc_node_ctx_chap_clear(&ctx);
        }
        if (r == 0 && !storage_only && (r = vc_node_add_define(&j, c, nc, plan, dir, &err)) == 0)
                r = vc_journal_run(&j, &err);
        if (r == 0 && !storage_only && (r = vc_node_add_start(&j, nc, plan, &err)) == 0)
                r = vc_journal_run(&j, &err);
        if (r < 0 && err)
                fprintf(stderr, "nodeup: %s\n", err);
        vc_journal_file_close(&j);
        vc_node_ctx_done(&ctx);
        return r < 0;
}

static int down(const char *dir) {
        _cleanup_free_ char *err = NULL;
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        struct vc_journal j = {.ctx = &ctx};
        int r = vc_node_journal_open(dir, vc_node_step_kinds, &j, &err);
        if (r == 0)
                r = vc_journal_undo(&j, &err);
        vc_journal_file_close(&j);
        vc_node_ctx_done(&ctx);
        if (r == 0)
                r = vc_node_job_dir_remove(dir, &err);
        if (r < 0)
                fprintf(stderr, "nodeup: %s\n", err ? err : strerror(-r));
        return r < 0;
}

static int record(const char *iqn, const char *portal, const char *iface, const char *secretfile) {
        char *secret = read_secret(secretfile);
        if (!secret)
                return 1;
        _cleanup_free_ char *err = NULL;
        int r = vc_iscsi_record_password(iqn, portal, iface, secret, &err);
        explicit_bzero(secret, strlen(secret));
        free(secret);
        if (r < 0)
                fprintf(stderr, "nodeup: %s\n", err);
        return r < 0;
}

int main(int argc, char **argv) {
        if (argc >= 2 && streq(argv[1], "up")) {
                bool s = argc >= 3 && streq(argv[2], "-s");
                if (argc != 7 + s)
                        return usage();
                char **a = argv + 2 + s;
                return up(s, a[0], a[1], a[2], a[3], a[4]);
        }
        if (argc == 3 && streq(argv[1], "down"))
                return down(argv[2]);
        if (argc == 6 && streq(argv[1], "record"))
                return record(argv[2], argv[3], argv[4], argv[5]);
        return usage();
}
