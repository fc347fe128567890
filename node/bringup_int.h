/* bringup_int.h — what the files of a node's bring-up share (bringup.h). */
#ifndef VC_BRINGUP_INT_H
#define VC_BRINGUP_INT_H

#include "bringup.h"
#include "node.h"
#include "nodeplan.h"

/* How long a node keeps trying to reach vlanallocd (a failed node prolog drains its node). */
#define VC_NODE_PATIENCE_S 30

/* One bring-up: the job, the journal and what reporting needs. */
struct node_run {
        const struct vc_hook_env *e;
        const struct vc_conf *c;
        const struct vc_node_links *links;
        struct vc_journal j;
        struct vc_node_ctx ctx;
        const char *cpus; /* the CPU ids the guests are pinned to (the plan's alloc), or NULL */
};

/* vc_bringup_stage: run the steps just added, logging how long they took; on failure the caller rolls back. */
int vc_bringup_stage(struct node_run *n, const char *what, char **err);
/* vc_bringup_secret: one of the job's secrets (op "chap", what) from
 * vlanallocd, as patiently as the plan; a refusal (-ENOENT) ends it at once. */
int vc_bringup_secret(struct node_run *n, const char *what, const char *name, char **out, char **err);
/* vc_bringup_guests: host network, volumes, seeds, domains defined, started and up (plan has an image). */
int vc_bringup_guests(struct node_run *n, const struct vc_nodeplan *plan, const char *dir, char **err);
/* vc_bringup_node_plan: this node's part of job into *plan (nodeplan.h); 0,
 * or -EINVAL with *err and *plan empty. */
int vc_bringup_node_plan(const struct vc_hook_env *e, const struct vc_node_links *links, const json_t *job,
                         struct vc_nodeplan *plan, char **err);
/* vc_bringup_alloc: what Slurm allocated the job on this node, into plan's
 * alloc; -E2BIG with *err when the guests do not fit it, -errno when
 * slurmctld cannot say. */
int vc_bringup_alloc(const struct vc_hook_env *e, struct vc_nodeplan *plan, char **err);
/* vc_node_all_guests: {name: phase} for every guest of plan (new reference). */
json_t *vc_node_all_guests(const struct vc_nodeplan *plan, const char *phase);

#endif
