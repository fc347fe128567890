/* The storage half of a plan: which storage host keeps each site's guest
 * volumes, and the journal steps that create and export them. */
#include "plan.h"

#include <errno.h>

#include "chap_file.h"
#include "guestplan.h"
#include "iscsiname.h"
#include "util.h"

int vc_plan_storage(const struct vc_conf *c, struct vc_plan *p, const struct vc_spec *spec, char **err) {
        if (!spec->disk)
                return 0;
        size_t volumes = 0;
        for (size_t i = 0; i < p->n; i++) {
                const struct vc_site *s = p->sites[i].site;
                p->sites[i].storage = vc_conf_storage(c, s->storage);
                if (!p->sites[i].storage) {
                        *err = xasprintf("spec: disk= needs a storage host, and site '%s' names none (no "
                                         "Storage= on its SiteName line)", s->name);
                        return -EINVAL;
                }
                volumes += strv_len(p->sites[i].nodes) * spec->vms;
        }
        if (volumes > c->limits.max_volumes) {
                *err = xasprintf("spec: the job needs %zu volumes (one per guest), above this site's limit "
                                 "MaxVolumes=%u", volumes, c->limits.max_volumes);
                return -EINVAL;
        }
        return 0;
}

/* common: the args every step of storage st carries. */
static json_t *common(const struct vc_conf *c, const struct vc_storage *st, int64_t job) {
        json_t *a = json_pack("{s:s, s:s, s:I}", "storage", st->name, "host", st->host, "job", (json_int_t)job);
        if (!vc_storage_is_local(c, st))
                json_object_set_new(a, "agent", json_sprintf("%s:%s", st->host, st->agent_port));
        json_t *place = json_pack("{s:s}", "backend", st->backend);
        if (st->vg)
                json_object_set_new(place, "vg", json_string(st->vg));
        if (st->thin_pool)
                json_object_set_new(place, "thin_pool", json_string(st->thin_pool));
        if (st->dir)
                json_object_set_new(place, "dir", json_string(st->dir));
        json_object_set_new(a, "place", place);
        return a;
}

/* take: a JSON string of s, which it frees. */
static json_t *take(char *s) {
        json_t *j = json_string(s);
        free(s);
        return j;
}

static void add_step(json_t *steps, const char *kind, json_t *args) {
        json_array_append_new(steps, json_pack("{s:s, s:o}", "kind", kind, "args", args));
}

int vc_plan_storage_steps(const struct vc_conf *c, const struct vc_plan *p, const json_t *plan,
                          const struct vc_spec *spec, int64_t job, json_t *steps, char **err) {
        if (!spec->disk)
                return 0;
        _cleanup_(vc_jobplan_clear) struct vc_jobplan jp = {0};
        struct vc_nodeplan_guest *guests = NULL;
        size_t n_guests = 0;
        int r = vc_jobplan_sites_from_json(json_object_get(plan, "sites"), &jp, err);
        if (r == 0)
                r = vc_plan_guest_list(&jp, spec, job, NULL, &guests, &n_guests, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *secret_file = vc_chap_file_path(c->state_dir, job);
        add_step(steps, "storage.chap", json_pack("{s:I, s:s}", "job", (json_int_t)job, "file", secret_file));
        /* all volumes, then all exports: consecutive steps of one kind run in parallel */
        _cleanup_(json_decrefp) json_t *exports = json_array();
        for (size_t i = 0; i < p->n; i++) {
                const struct vc_storage *st = p->sites[i].storage;
                const char *site = p->sites[i].site->name;
                json_t *vols = json_array(), *luns = json_array(), *inits = json_array();
                for (size_t k = 0; k < n_guests; k++) {
                        const struct vc_nodeplan_volume *v = guests[k].volume;
                        if (!v || !streq(guests[k].site, site))
                                continue;
                        json_array_append_new(vols, json_pack("{s:s, s:I}", "name", v->name, "bytes",
                                                              (json_int_t)v->bytes));
                        json_array_append_new(luns, json_pack("{s:I, s:s}", "lun", (json_int_t)v->lun, "name",
                                                              v->name));
                }
                for (char **n = p->sites[i].nodes; *n; n++)
                        json_array_append_new(inits, take(vc_iqn_initiator(st->iqn_base, job, *n)));
                json_t *va = common(c, st, job);
                json_object_set_new(va, "volumes", vols);
                add_step(steps, "storage.volumes", va);
                json_t *xa = common(c, st, job);
                json_object_set_new(xa, "export", json_pack("{s:s, s:s}", "backend", st->export, "control",
                                                            st->tgt_control));
                json_object_set_new(xa, "iqn", take(vc_iqn_target(st->iqn_base, job)));
                json_object_set_new(xa, "user", take(vc_chap_user(job)));
                json_object_set_new(xa, "secret_file", json_string(secret_file));
                json_object_set_new(xa, "initiators", inits);
                json_object_set_new(xa, "luns", luns);
                add_step(exports, "storage.export", xa);
        }
        json_array_extend(steps, exports);
        vc_nodeplan_guests_free(guests, n_guests);
        return 0;
}
