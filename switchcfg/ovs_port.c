/* The rules of ovs_port.h. Every function here is pure: the driver reads the
 * row, lets these compute the new one, and writes it back in one transaction. */
#include "ovs_port.h"

#include <errno.h>

#include "ovsdb.h"
#include "util.h"

#define KEY_PREV_TAG "vcluster-prev-tag"
#define PREFIX_VLAN "vcluster-vlan-"
#define PREFIX_KEPT "vcluster-kept-"

bool vc_ovs_trunk_has(const struct vc_ovs_port *p, int id) {
        return id >= 0 && id < 4096 && (p->trunks[id / 64] >> (id % 64)) & 1;
}

void vc_ovs_trunk_set(struct vc_ovs_port *p, int id, bool on) {
        if (id < 0 || id >= 4096)
                return;
        if (on)
                p->trunks[id / 64] |= UINT64_C(1) << (id % 64);
        else
                p->trunks[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

static size_t trunk_count(const struct vc_ovs_port *p) {
        size_t n = 0;
        for (size_t i = 0; i < ARRAY_SIZE(p->trunks); i++)
                n += (size_t)__builtin_popcountll(p->trunks[i]);
        return n;
}

const char *vc_ovs_vlan_key(char *buf, int id) {
        snprintf(buf, 32, PREFIX_VLAN "%d", id);
        return buf;
}

static const char *kept_key(char *buf, int id) {
        snprintf(buf, 32, PREFIX_KEPT "%d", id);
        return buf;
}

static bool mode_is(const struct vc_ovs_port *p, const char *m) { return p->vlan_mode && streq(p->vlan_mode, m); }

/* Per vswitchd.conf.db(5): an unset vlan_mode means access when a tag is set,
 * trunk otherwise; a trunk or native-* port with empty trunks trunks all VLANs. */
bool vc_ovs_port_carries_all(const struct vc_ovs_port *p) {
        if (mode_is(p, "access") || mode_is(p, "dot1q-tunnel"))
                return false;
        if (!p->vlan_mode && p->tag >= 0)
                return false;
        return trunk_count(p) == 0;
}

static bool access_port(const struct vc_ovs_port *p) {
        return mode_is(p, "access") || mode_is(p, "dot1q-tunnel") || (!p->vlan_mode && p->tag >= 0);
}

/* Parse the id out of "PREFIXnnn"; -1 when key is not such a key. */
static int key_id(const char *key, const char *prefix) {
        size_t n = strlen(prefix);
        unsigned long long v;
        if (strncmp(key, prefix, n) != 0 || parse_uint(key + n, 0, 4095, &v) < 0)
                return -1;
        return (int)v;
}

/* The job list "J1,J2" holds job? */
static bool jobs_has(const char *list, const char *job) {
        size_t n = strlen(job);
        for (const char *s = list; s && *s;) {
                const char *e = strchrnul(s, ',');
                if ((size_t)(e - s) == n && strncmp(s, job, n) == 0)
                        return true;
                s = *e ? e + 1 : e;
        }
        return false;
}

static void jobs_add(json_t *ids, const char *job) {
        const char *cur = json_string_value(json_object_get(ids, VC_OVS_JOB_KEY));
        if (jobs_has(cur, job))
                return;
        _cleanup_free_ char *next = cur && *cur ? xasprintf("%s,%s", cur, job) : xstrdup(job);
        json_object_set_new(ids, VC_OVS_JOB_KEY, json_string(next));
}

static void jobs_drop(json_t *ids, const char *job) {
        const char *cur = json_string_value(json_object_get(ids, VC_OVS_JOB_KEY));
        if (!cur)
                return;
        size_t n = strlen(job), len = 0;
        _cleanup_free_ char *next = xcalloc(1, strlen(cur) + 1);
        for (const char *s = cur; *s;) {
                const char *e = strchrnul(s, ',');
                if (e > s && !((size_t)(e - s) == n && strncmp(s, job, n) == 0)) {
                        if (len)
                                next[len++] = ',';
                        memcpy(next + len, s, (size_t)(e - s));
                        len += (size_t)(e - s);
                }
                s = *e ? e + 1 : e;
        }
        next[len] = '\0';
        if (len)
                json_object_set_new(ids, VC_OVS_JOB_KEY, json_string(next));
        else
                json_object_del(ids, VC_OVS_JOB_KEY);
}

/* Another VLAN of ours on this port (not id): its id and job, or -1. */
static int other_vlan(const struct vc_ovs_port *p, int id, const char **job) {
        const char *k;
        json_t *v;
        json_object_foreach(p->ids, k, v) {
                int x = key_id(k, PREFIX_VLAN);
                if (x >= 0 && x != id) {
                        *job = json_string_value(v);
                        return x;
                }
        }
        return -1;
}

/* Ours as an access port of id: we set the tag (and kept the previous one). */
static bool ours_untagged(const struct vc_ovs_port *p, int id) {
        return p->tag == id && json_object_get(p->ids, KEY_PREV_TAG);
}

static int add_tagged(struct vc_ovs_port *p, int id, const char *key, const char *job, char **err) {
        char kk[32];
        if (json_object_get(p->ids, key)) {
                if (ours_untagged(p, id)) {
                        *err = xasprintf("port '%s' is already an untagged member of VLAN %d", p->name, id);
                        return -EBUSY;
                }
                if (!json_object_get(p->ids, kept_key(kk, id)))
                        vc_ovs_trunk_set(p, id, true);
                jobs_add(p->ids, job);
                return 0;
        }
        const char *other = NULL;
        if (json_object_get(p->ids, KEY_PREV_TAG) && other_vlan(p, id, &other) == p->tag) {
                *err = xasprintf("port '%s' is the untagged port of VLAN %d (job %s); it cannot also trunk VLAN %d",
                                 p->name, p->tag, other ? other : "?", id);
                return -EBUSY;
        }
        if (access_port(p)) {
                *err = xasprintf("port '%s' is an access port (tag %d%s%s) set by the admin; it cannot trunk VLAN %d",
                                 p->name, p->tag, p->vlan_mode ? ", vlan_mode " : "",
                                 p->vlan_mode ? p->vlan_mode : "", id);
                return -EBUSY;
        }
        if (vc_ovs_port_carries_all(p)) {
                vc_ovs_trunk_set(p, id, true); /* from "every VLAN" to just this one */
        } else if (vc_ovs_trunk_has(p, id)) {
                json_object_set_new(p->ids, kept_key(kk, id), json_string("trunk"));
        } else {
                if (trunk_count(p) == 1 && vc_ovs_trunk_has(p, VC_OVS_NO_VLAN))
                        vc_ovs_trunk_set(p, VC_OVS_NO_VLAN, false); /* our "carries nothing" filler */
                vc_ovs_trunk_set(p, id, true);
        }
        json_object_set_new(p->ids, key, json_string(job));
        jobs_add(p->ids, job);
        return 0;
}

static int add_untagged(struct vc_ovs_port *p, int id, const char *key, const char *job, char **err) {
        if (json_object_get(p->ids, key)) {
                if (!ours_untagged(p, id)) {
                        *err = xasprintf("port '%s' already trunks VLAN %d; it cannot also be its untagged port",
                                         p->name, id);
                        return -EBUSY;
                }
                jobs_add(p->ids, job);
                return 0;
        }
        const char *other = NULL;
        int x = other_vlan(p, id, &other);
        if (x >= 0) {
                *err = xasprintf("port '%s' already carries VLAN %d (job %s); it cannot be the untagged port of VLAN %d",
                                 p->name, x, other ? other : "?", id);
                return -EBUSY;
        }
        if (p->vlan_mode && !mode_is(p, "access")) {
                *err = xasprintf("port '%s' has vlan_mode %s set by the admin; it cannot be the untagged port of VLAN %d",
                                 p->name, p->vlan_mode, id);
                return -EBUSY;
        }
        char prev[16] = "none";
        if (p->tag >= 0)
                snprintf(prev, sizeof(prev), "%d", p->tag);
        json_object_set_new(p->ids, KEY_PREV_TAG, json_string(prev));
        p->tag = id;
        json_object_set_new(p->ids, key, json_string(job));
        jobs_add(p->ids, job);
        return 0;
}

int vc_ovs_port_add(struct vc_ovs_port *p, int id, enum vc_port_mode mode, const char *job, char **err) {
        char key[32];
        if (id < 1 || id > 4094) {
                *err = xasprintf("VLAN %d is outside 1-4094", id);
                return -EINVAL;
        }
        vc_ovs_vlan_key(key, id);
        return mode == VC_PORT_UNTAGGED ? add_untagged(p, id, key, job, err) : add_tagged(p, id, key, job, err);
}

void vc_ovs_port_remove(struct vc_ovs_port *p, int id) {
        char key[32], kk[32];
        json_t *jv = json_object_get(p->ids, vc_ovs_vlan_key(key, id));
        if (!jv)
                return; /* never ours, or already removed */
        _cleanup_free_ char *job = xstrdup(json_is_string(jv) ? json_string_value(jv) : "");
        const char *prev = json_string_value(json_object_get(p->ids, KEY_PREV_TAG));
        if (ours_untagged(p, id)) {
                unsigned long long t;
                p->tag = prev && parse_uint(prev, 0, 4095, &t) == 0 ? (int)t : -1;
                json_object_del(p->ids, KEY_PREV_TAG);
        } else if (json_object_get(p->ids, kept_key(kk, id))) {
                json_object_del(p->ids, kk); /* the admin's trunk: leave it */
        } else {
                vc_ovs_trunk_set(p, id, false);
        }
        json_object_del(p->ids, key);
        const char *other = NULL;
        /* A previous tag with no VLAN of ours left describes nothing: someone
         * changed the tag under us. */
        if (other_vlan(p, -1, &other) < 0)
                json_object_del(p->ids, KEY_PREV_TAG);
        bool in_use = false;
        const char *k;
        json_t *v;
        json_object_foreach(p->ids, k, v) {
                if (key_id(k, PREFIX_VLAN) >= 0 && json_is_string(v) && streq(json_string_value(v), job))
                        in_use = true;
        }
        if (!in_use)
                jobs_drop(p->ids, job);
        if (vc_ovs_port_carries_all(p))
                vc_ovs_trunk_set(p, VC_OVS_NO_VLAN, true);
}

void vc_ovs_vlan_ids(json_t *ids_obj, int **ids, size_t *n) {
        bool seen[4096] = {false};
        const char *k;
        json_t *v;
        json_object_foreach(ids_obj, k, v) {
                int x = key_id(k, PREFIX_VLAN);
                if (x >= 0)
                        seen[x] = true;
        }
        *ids = NULL;
        *n = 0;
        for (int i = 0; i < 4096; i++)
                if (seen[i]) {
                        *ids = xrealloc(*ids, (*n + 1) * sizeof(int));
                        (*ids)[(*n)++] = i;
                }
}

/* An optional (0 or 1 element) set datum: its atom, or NULL when empty. The
 * atom stays valid after elems is freed: the row holds it too. */
static int optional_atom(json_t *datum, json_t **atom) {
        json_auto_t *elems = vc_ovsdb_set_elems(datum);
        if (!elems || json_array_size(elems) > 1)
                return -EPROTO;
        *atom = json_array_get(elems, 0);
        return 0;
}

int vc_ovs_port_parse(json_t *row, struct vc_ovs_port *p, char **err) {
        *p = (struct vc_ovs_port){.tag = -1};
        const char *name = json_string_value(json_object_get(row, "name"));
        const char *uuid = vc_ovsdb_uuid_str(json_object_get(row, "_uuid"));
        json_t *tag = NULL, *mode = NULL;
        json_auto_t *trunks = vc_ovsdb_set_elems(json_object_get(row, "trunks"));
        p->ids = vc_ovsdb_map_object(json_object_get(row, "external_ids"));
        bool ok = name && uuid && trunks && p->ids && optional_atom(json_object_get(row, "tag"), &tag) == 0 &&
                  optional_atom(json_object_get(row, "vlan_mode"), &mode) == 0 && (!tag || json_is_integer(tag)) &&
                  (!mode || json_is_string(mode));
        size_t i;
        json_t *t;
        json_array_foreach(trunks, i, t) {
                if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > 4095)
                        ok = false;
                else
                        vc_ovs_trunk_set(p, (int)json_integer_value(t), true);
        }
        if (tag && json_is_integer(tag) && (json_integer_value(tag) < 0 || json_integer_value(tag) > 4095))
                ok = false;
        if (!ok) {
                *err = xasprintf("port '%s': malformed Port row from the server", name ? name : "?");
                vc_ovs_port_clear(p);
                return -EPROTO;
        }
        p->name = xstrdup(name);
        p->uuid = xstrdup(uuid);
        p->vlan_mode = mode ? xstrdup(json_string_value(mode)) : NULL;
        p->tag = tag ? (int)json_integer_value(tag) : -1;
        return 0;
}

void vc_ovs_port_clear(struct vc_ovs_port *p) {
        free(p->name);
        free(p->uuid);
        free(p->vlan_mode);
        json_decref(p->ids);
        *p = (struct vc_ovs_port){.tag = -1};
}

json_t *vc_ovs_port_row(const struct vc_ovs_port *p) {
        json_t *trunks = json_array();
        for (int i = 0; i < 4096; i++)
                if (vc_ovs_trunk_has(p, i))
                        json_array_append_new(trunks, json_integer(i));
        json_t *tag = p->tag >= 0 ? json_integer(p->tag) : json_pack("[s[]]", "set");
        return json_pack("{s:o, s:[s,o], s:o}", "tag", tag, "trunks", "set", trunks, "external_ids",
                         vc_ovsdb_map_datum(p->ids));
}
