/* hook.h — what Slurm tells our prolog and epilog, read from the
 * environment it builds for them (measured on Slurm 22.05, see
 * ../shared/TESTBED.md):
 *   every hook       SLURM_SCRIPT_CONTEXT, SLURM_JOB_ID, SLURM_JOB_UID,
 *                    SLURM_JOB_RESTART_COUNT, SPANK_VCLUSTER (our plugin's
 *                    canonical spec; absent for jobs without --vcluster)
 *   controller hooks SLURM_JOB_NODELIST
 *   node hooks       SLURMD_NODENAME, SLURM_NODELIST
 * SPANK_VCLUSTER comes from the submitting user's side: it is input to be
 * validated (vlanallocd re-checks it), never trusted.
 *
 * Slurm passes hooks no arguments and none of its daemons' own environment,
 * so VCLUSTER_CONF / SLURM_CONF reach a hook only when a wrapper sets them;
 * otherwise the defaults (/etc/vcluster/vcluster.conf, libslurm's own) apply.
 */
#ifndef VC_HOOK_H
#define VC_HOOK_H

#include <stdbool.h>
#include <stdint.h>

enum vc_hook_ctx {
        VC_HOOK_PROLOG_SLURMCTLD,
        VC_HOOK_PROLOG_SLURMD,
        VC_HOOK_EPILOG_SLURMD,
        VC_HOOK_EPILOG_SLURMCTLD,
};

struct vc_hook_env {
        enum vc_hook_ctx ctx;
        const char *ctx_name;  /* as Slurm spelled it */
        int64_t job;           /* 1..UINT32_MAX */
        int64_t uid;           /* the job's owner */
        unsigned restarts;     /* how often Slurm requeued the job */
        const char *spec;      /* SPANK_VCLUSTER */
        const char *nodes;     /* the job's nodes (hostlist); NULL when Slurm gives none */
        const char *node;      /* this node (node hooks only), safe as a path component */
};

/* vc_hook_spec: SPANK_VCLUSTER, or NULL for a job without --vcluster. It is
 * the first and, for such jobs, the only thing a hook looks at. */
const char *vc_hook_spec(void);
/* vc_hook_ctx_parse: SLURM_SCRIPT_CONTEXT's value → ctx; 0 or -EINVAL. */
int vc_hook_ctx_parse(const char *s, enum vc_hook_ctx *out);
/* vc_hook_ctx_is_prolog: whether ctx belongs to the prolog program. */
bool vc_hook_ctx_is_prolog(enum vc_hook_ctx ctx);
/* vc_hook_env_read: the whole environment of a hook; 0, or -EINVAL with
 * *err naming the missing or malformed variable. */
int vc_hook_env_read(struct vc_hook_env *e, char **err);
/* vc_hook_log_open: log as ident to syslog (Slurm discards what hooks print),
 * or, when VCLUSTER_HOOK_LOG names a file, append to that file instead. */
void vc_hook_log_open(const char *ident);
/* vc_hook_path: put the sbin directories on PATH (Slurm gives hooks a minimal
 * one): the tools a gateway runs (ip netns exec, nft, squid, openvpn) and
 * what they exec in turn live there. Call before any thread starts. */
void vc_hook_path(void);

#endif
