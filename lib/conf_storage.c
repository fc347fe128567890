/* conf_storage.c — StorageName= lines: the hosts that keep guests' disk=
 * volumes and export them over iSCSI. lib/ cannot see the storage backends
 * (dependencies point one way), so the backend words are checked here by
 * name; the storage host checks that its tools really work. */
#include "conf_internal.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>

enum { T_NAME, T_HOST, T_BACKEND, T_VG, T_THIN, T_DIR, T_EXPORT, T_PORTAL, T_CONTROL, T_AGENT, T_IQN, T_COUNT };
static const char *const storage_keys[T_COUNT] = {"StorageName", "Host",   "Backend",    "VolumeGroup",
                                                  "ThinPool",    "Directory", "Export",  "Portal",
                                                  "TgtControl",  "AgentPort", "IqnBase"};
static const struct keyset storage_set = {"StorageName line", storage_keys, T_COUNT};

/* An IQN as RFC 3720 allows it (lower case, digits, '.', '-', ':'); we append ":target.JOB". */
static bool iqn_ok(const char *s) {
        if (strncmp(s, "iqn.", 4) != 0 || strlen(s) > 200)
                return false;
        for (const char *c = s; *c; c++)
                if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && !strchr(".-:", *c))
                        return false;
        return true;
}

static int check_port(struct conf_parser *p, const char *key, const char *val, const char *port) {
        unsigned long long n;
        if (parse_uint(port, 1, 65535, &n) < 0)
                return conf_fail(p, "%s=%s: '%s' is not a port (1..65535)", key, val, port);
        return 0;
}

static int parse_portal(struct conf_parser *p, const char *val) {
        const char *colon = strrchr(val, ':');
        if (!colon || colon == val)
                return conf_fail(p, "Portal=%s: not ADDR:PORT (the address initiators connect to)", val);
        return check_port(p, "Portal", val, colon + 1);
}

static int check_words(struct conf_parser *p, const char *const *v) {
        const char *name = v[T_NAME];
        static const int required[] = {T_HOST, T_BACKEND, T_EXPORT, T_PORTAL};
        for (size_t i = 0; i < ARRAY_SIZE(required); i++)
                if (!v[required[i]])
                        return conf_fail(p, "storage '%s': missing %s", name, storage_keys[required[i]]);
        int r = conf_check_name(p, "Host", v[T_HOST]);
        if (r < 0)
                return r;
        bool lvm = strcasecmp(v[T_BACKEND], "lvm") == 0, file = strcasecmp(v[T_BACKEND], "file") == 0;
        if (!lvm && !file)
                return conf_fail(p, "Backend=%s: not a volume backend (lvm or file)", v[T_BACKEND]);
        if (lvm && !v[T_VG])
                return conf_fail(p, "storage '%s': Backend=lvm needs VolumeGroup=", name);
        if (file && !v[T_DIR])
                return conf_fail(p, "storage '%s': Backend=file needs Directory=", name);
        if (!lvm && (v[T_VG] || v[T_THIN]))
                return conf_fail(p, "storage '%s': %s= only goes with Backend=lvm", name,
                                 v[T_VG] ? "VolumeGroup" : "ThinPool");
        if (!file && v[T_DIR])
                return conf_fail(p, "storage '%s': Directory= only goes with Backend=file", name);
        if ((v[T_VG] && (r = conf_check_name(p, "VolumeGroup", v[T_VG])) < 0) ||
            (v[T_THIN] && (r = conf_check_name(p, "ThinPool", v[T_THIN])) < 0))
                return r;
        if (v[T_DIR] && v[T_DIR][0] != '/')
                return conf_fail(p, "Directory=%s: must be an absolute path on the storage host", v[T_DIR]);
        if (strcasecmp(v[T_EXPORT], "tgt") != 0)
                return conf_fail(p, "Export=%s: not an export backend (tgt)", v[T_EXPORT]);
        if ((r = parse_portal(p, v[T_PORTAL])) < 0)
                return r;
        unsigned long long n;
        if (v[T_CONTROL] && (r = conf_parse_number(p, "TgtControl", v[T_CONTROL], 0, 65535, &n)) < 0)
                return r;
        if (v[T_AGENT] && (r = check_port(p, "AgentPort", v[T_AGENT], v[T_AGENT])) < 0)
                return r;
        if (v[T_IQN] && !iqn_ok(v[T_IQN]))
                return conf_fail(p, "IqnBase=%s: not an iSCSI qualified name (iqn.YYYY-MM.domain[:name], "
                                    "lower case)", v[T_IQN]);
        return 0;
}

static char *lower(const char *s) {
        char *d = xstrdup(s);
        for (char *c = d; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return d;
}

int conf_parse_storage(struct conf_parser *p, char *const *w) {
        struct vc_conf *c = p->c;
        const char *v[T_COUNT] = {0};
        int r = conf_collect(p, w, &storage_set, v);
        if (r < 0)
                return r;
        if ((r = conf_check_name(p, "StorageName", v[T_NAME])) < 0)
                return r;
        for (size_t i = 0; i < c->n_storages; i++)
                if (streq(c->storages[i].name, v[T_NAME]))
                        return conf_fail(p, "duplicate storage name '%s' (first at %s:%u)", v[T_NAME],
                                         p->storage_loc[i].file, p->storage_loc[i].line);
        if ((r = check_words(p, v)) < 0)
                return r;
        struct vc_storage s = {
                .name = xstrdup(v[T_NAME]),
                .host = xstrdup(v[T_HOST]),
                .backend = lower(v[T_BACKEND]),
                .vg = v[T_VG] ? xstrdup(v[T_VG]) : NULL,
                .thin_pool = v[T_THIN] ? xstrdup(v[T_THIN]) : NULL,
                .dir = v[T_DIR] ? xstrdup(v[T_DIR]) : NULL,
                .export = lower(v[T_EXPORT]),
                .portal = xstrdup(v[T_PORTAL]),
                .tgt_control = xstrdup(v[T_CONTROL] ? v[T_CONTROL] : "0"),
                .agent_port = xstrdup(v[T_AGENT] ? v[T_AGENT] : VC_STORAGE_AGENT_PORT),
                .iqn_base = xstrdup(v[T_IQN] ? v[T_IQN] : VC_IQN_BASE),
        };
        conf_append_loc(p, &p->storage_loc, c->n_storages);
        c->storages = xrealloc(c->storages, (c->n_storages + 1) * sizeof(*c->storages));
        c->storages[c->n_storages++] = s;
        return 0;
}

int conf_check_storages(struct conf_parser *p) {
        struct vc_conf *c = p->c;
        for (size_t i = 0; i < c->n_sites; i++)
                if (c->sites[i].storage && !vc_conf_storage(c, c->sites[i].storage))
                        return conf_fail_at(p, p->site_loc[i].file, p->site_loc[i].line,
                                            "site '%s': Storage=%s names no StorageName line", c->sites[i].name,
                                            c->sites[i].storage);
        /* LUNs are numbered per site: two sites in one target would collide */
        for (size_t i = 0; i < c->n_sites; i++)
                for (size_t k = 0; k < i; k++)
                        if (c->sites[i].storage && c->sites[k].storage &&
                            streq(c->sites[i].storage, c->sites[k].storage))
                                return conf_fail_at(p, p->site_loc[i].file, p->site_loc[i].line,
                                                    "site '%s': Storage=%s is already the storage of site '%s'; "
                                                    "each site has its own storage host",
                                                    c->sites[i].name, c->sites[i].storage, c->sites[k].name);
        return 0;
}

const struct vc_storage *vc_conf_storage(const struct vc_conf *c, const char *name) {
        for (size_t i = 0; name && i < c->n_storages; i++)
                if (streq(c->storages[i].name, name))
                        return &c->storages[i];
        return NULL;
}

bool vc_storage_is_local(const struct vc_conf *c, const struct vc_storage *s) {
        return strcasecmp(s->host, c->controller_host) == 0;
}

void conf_storage_clear(struct vc_storage *s) {
        free(s->name);
        free(s->host);
        free(s->backend);
        free(s->vg);
        free(s->thin_pool);
        free(s->dir);
        free(s->export);
        free(s->portal);
        free(s->tgt_control);
        free(s->agent_port);
        free(s->iqn_base);
        memset(s, 0, sizeof(*s));
}
