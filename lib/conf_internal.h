/* conf_internal.h — shared between conf.c (object lifetime, cross-object
 * checks, lookups) and conf_parse.c (reading text into a vc_conf).
 */
#ifndef VC_CONF_INTERNAL_H
#define VC_CONF_INTERNAL_H

#include "conf.h"

#include <sys/types.h>

#define CONF_MAX_INCLUDE_DEPTH 8

struct vc_node_index {
        const char *node; /* borrowed from the site's nodes vector */
        size_t site;
};

struct vc_port_index {
        const char *node; /* borrowed from the switch's nodes vector */
        size_t sw, port;  /* switch index, index into its nodes/ports */
};

/* Where an object or key came from, for errors that are only found later. */
struct conf_loc {
        const char *file; /* borrowed from conf_parser.files */
        unsigned line;
};

enum {
        G_CONTROLLER_ADDR,
        G_STATE_DIR,
        G_SLURM_USER,
        G_ADMIN_GROUP,
        G_LEASE_GRACE,
        G_MUNGE_SOCKET,
        G_REAP_INTERVAL,
        G_VNI_RANGE,
        G_VXLAN_PORT,
        G_OPENVPN_PORT,
        G_CACHE_USER,
        G_DEBUG_LEVEL,
        G_SYSLOG_FACILITY,
        G_COUNT
};

enum { L_MAX_NODES, L_MAX_VMS_PER_NODE, L_MAX_CPUS, L_MAX_MEM, L_MAX_DISK, L_MAX_VOLUMES, L_COUNT };

struct conf_parser {
        struct vc_conf *c;
        char *err;                         /* first error only */
        char **files;                      /* every path read; conf_loc points here */
        const char *file;                  /* current position */
        unsigned line;
        struct conf_loc *site_loc;         /* parallel to c->sites */
        struct conf_loc *switch_loc;       /* parallel to c->switches */
        struct conf_loc *image_loc;        /* parallel to c->images */
        struct conf_loc *nodecfg_loc;      /* parallel to c->nodecfgs */
        struct conf_loc *storage_loc;      /* parallel to c->storages */
        struct conf_loc global_loc[G_COUNT];
        struct conf_loc limits_loc[L_COUNT];
        struct {
                dev_t dev;
                ino_t ino;
                const char *file;
        } stack[CONF_MAX_INCLUDE_DEPTH + 1]; /* open includes, for loop detection */
        int depth;
};

/* The keys one kind of line accepts. */
struct keyset {
        const char *what; /* names the line kind in "unknown key" errors */
        const char *const *names;
        size_t n;
};

/* conf_fail: conf_fail_at the parser's current position. */
#define conf_fail(p, ...) conf_fail_at((p), (p)->file, (p)->line, __VA_ARGS__)

/* conf_parse_top: read path and everything it includes into p->c; 0, or
 * -errno for an unreadable top file, -EINVAL for content (p->err set). */
int conf_parse_top(struct conf_parser *p, const char *path);
/* conf_fail_at: record "FILE:LINE: …" (or "FILE: …" when line is 0) unless an
 * error is already recorded; returns -EINVAL. */
int conf_fail_at(struct conf_parser *p, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* conf_lookup_id: uid (group false) or gid (group true) of a name; 0,
 * -ENOENT when there is no such name, or -errno. */
int conf_lookup_id(const char *name, bool group, unsigned *id);
/* conf_collect: match each Key=Value word of w against ks (case-insensitive
 * keys); vals[i] points into w; unknown, duplicate and empty keys refused. */
int conf_collect(struct conf_parser *p, char *const *w, const struct keyset *ks,
                 const char **vals);
/* conf_check_name: a plain name (guest names, paths, JSON): [A-Za-z0-9][A-Za-z0-9._-]*. */
int conf_check_name(struct conf_parser *p, const char *key, const char *val);
/* conf_resolve: rel taken relative to the directory of base, as Include does (malloc'd). */
char *conf_resolve(const char *base, const char *rel);
/* conf_parse_number: an integer in min..max, or an error naming key. */
int conf_parse_number(struct conf_parser *p, const char *key, const char *val,
                      unsigned long long min, unsigned long long max, unsigned long long *out);
/* conf_parse_secs: a duration in seconds, at least min. */
int conf_parse_secs(struct conf_parser *p, const char *key, const char *val, unsigned min,
                    unsigned *out);
/* conf_append_loc: record the current position as (*locs)[n]. */
void conf_append_loc(struct conf_parser *p, struct conf_loc **locs, size_t n);
/* conf_parse_switch: one SwitchName= line (conf_switch.c). */
int conf_parse_switch(struct conf_parser *p, char *const *w);
/* conf_check_switches: whole-file switch checks: sites exist, NodePorts nodes
 * belong to the switch's site and sit on one switch only. */
int conf_check_switches(struct conf_parser *p);
/* conf_parse_image: one ImageName= line (conf_image.c). */
int conf_parse_image(struct conf_parser *p, char *const *w);
/* conf_parse_node: one NodeName= line (conf_node.c). */
int conf_parse_node(struct conf_parser *p, char *const *w);
/* conf_check_nodecfgs: whole-file check: every node a NodeName line names is in a site. */
int conf_check_nodecfgs(struct conf_parser *p);
/* conf_parse_storage: one StorageName= line (conf_storage.c). */
int conf_parse_storage(struct conf_parser *p, char *const *w);
/* conf_check_storages: whole-file check: every site's Storage= names a StorageName line. */
int conf_check_storages(struct conf_parser *p);
/* conf_storage_clear: free a storage's members. */
void conf_storage_clear(struct vc_storage *s);
/* conf_nodecfg_default: fill n with the built-in node defaults. */
void conf_nodecfg_default(struct vc_nodecfg *n);
/* conf_nodecfg_clear: free a node config's members (cleanup-attribute compatible). */
void conf_nodecfg_clear(struct vc_nodecfg *n);
/* conf_image_clear: free an image's members (cleanup-attribute compatible). */
void conf_image_clear(struct vc_image *im);
/* conf_site_clear: free a site's members (cleanup-attribute compatible). */
void conf_site_clear(struct vc_site *s);
/* conf_switch_clear: free a switch's members (cleanup-attribute compatible). */
void conf_switch_clear(struct vc_switch *s);

#endif
