/* export.h — serving a job's volumes over iSCSI, one target per cluster.
 *
 * A backend is a table of functions chosen by the Export= word of a
 * StorageName= line: "tgt" (a running tgtd, driven over its control socket,
 * so no CHAP secret is ever in a process's argv); "lio" may follow. A target
 * carries one LUN per guest volume (LUN 1..N), one CHAP account for the
 * cluster (incoming user + secret) and an ACL of the initiator names of the
 * job's nodes: a target with no ACL entry for an initiator is invisible to
 * it, and one without the account's secret cannot log in.
 * target_add is idempotent: a target of that IQN already there is first
 * removed and rebuilt (its LUNs, account and ACL exactly as asked).
 * target_remove succeeds when the target and account are already gone.
 * Any function returns -ENOTCONN when it could not reach the exporter at
 * all (tgtd not running): then it changed nothing, and the journal owes it
 * no undo.
 */
#ifndef VC_EXPORT_H
#define VC_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

/* Where the exporter runs: copied into journal steps. */
struct vc_export_place {
        const char *backend; /* "tgt" */
        const char *control; /* tgt: tgtd's control port number N (tgtadm -C N), "0" by default */
};

struct vc_export_lun {
        int lun;          /* 1.. */
        const char *path; /* backing block device or file */
};

struct vc_export_target {
        const char *iqn;               /* "iqn.2026-11.org.vcluster:job.42" */
        const struct vc_export_lun *luns;
        size_t n_luns;
        const char *user, *secret;     /* CHAP incoming account; secret never logged */
        char *const *initiators;       /* NULL-terminated initiator IQNs allowed */
};

/* What the exporter really has for one target. */
struct vc_export_state {
        bool exists;
        int n_luns;               /* data LUNs (the controller LUN 0 is not counted) */
        char **accounts;          /* bound incoming users, NULL-terminated */
        char **initiators;        /* ACL entries, NULL-terminated */
};

struct vc_export_backend {
        const char *name;
        int (*target_add)(const struct vc_export_place *p, const struct vc_export_target *t, char **err);
        int (*target_remove)(const struct vc_export_place *p, const char *iqn, const char *user, char **err);
        int (*target_read)(const struct vc_export_place *p, const char *iqn, struct vc_export_state *out,
                           char **err);
        /* target_list: IQNs of every target starting with prefix (NULL-terminated, malloc'd). */
        int (*target_list)(const struct vc_export_place *p, const char *prefix, char ***iqns, char **err);
};

/* vc_export_backend_find: the backend called name, or NULL. */
const struct vc_export_backend *vc_export_backend_find(const char *name);
/* vc_export_backend_names: "tgt" for error messages (static). */
const char *vc_export_backend_names(void);
/* vc_export_state_clear: free what target_read filled in. */
void vc_export_state_clear(struct vc_export_state *s);

#endif
