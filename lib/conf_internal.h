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
        G_COUNT
};

enum { L_MAX_NODES, L_MAX_VMS_PER_NODE, L_MAX_CPUS, L_MAX_MEM, L_MAX_DISK, L_COUNT };

struct conf_parser {
        struct vc_conf *c;
        char *err;                         /* first error only */
        char **files;                      /* every path read; conf_loc points here */
        const char *file;                  /* current position */
        unsigned line;
        struct conf_loc *site_loc;         /* parallel to c->sites */
        struct conf_loc *switch_loc;       /* parallel to c->switches */
        struct conf_loc global_loc[G_COUNT];
        struct conf_loc limits_loc[L_COUNT];
        struct {
                dev_t dev;
                ino_t ino;
                const char *file;
        } stack[CONF_MAX_INCLUDE_DEPTH + 1]; /* open includes, for loop detection */
        int depth;
};

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
/* conf_site_clear: free a site's members (cleanup-attribute compatible). */
void conf_site_clear(struct vc_site *s);
/* conf_switch_clear: free a switch's members (cleanup-attribute compatible). */
void conf_switch_clear(struct vc_switch *s);

#endif
