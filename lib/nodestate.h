/* nodestate.h — what a compute node keeps about the jobs it runs, and the
 * node's own undo journal.
 *
 * Layout: StateDir/nodes/NODE/JOBID/ (mode 0700, root's) holding
 *   journal    the node's journal of the job (journal.h file store)
 *   plan.json  this node's part of the job's plan, written by the step
 *              "node.plan" (do: write it atomically; undo: remove it)
 * The node name is part of the path so several slurmd of one host (and a
 * StateDir shared between hosts) never mix their jobs. The guests' files
 * (console logs, agent sockets, disk overlays) live here too, and are
 * removed by the steps that made them. Later node steps (node/steps.c) run
 * after node.plan in the same journal; the epilog undoes them all.
 */
#ifndef VC_NODESTATE_H
#define VC_NODESTATE_H

#include <jansson.h>
#include <stdint.h>

#include "journal.h"
#include "nodeplan.h"

#define VC_NODE_JOURNAL "journal"
#define VC_NODE_PLAN "plan.json"

/* The step "node.plan" — args {path, plan}: do writes plan.json atomically,
 * undo removes it. node/steps.c lists it with the node's other kinds. */
int vc_node_plan_do(void *ctx, json_t *args, char **err);
int vc_node_plan_undo(void *ctx, json_t *args, char **err);

/* vc_node_job_dir: StateDir/nodes/NODE/JOBID (malloc'd). */
char *vc_node_job_dir(const char *state_dir, const char *node, int64_t job);
/* vc_node_job_dir_make: create dir and its parents (0700), durably; 0 or -errno with *err. */
int vc_node_job_dir_make(const char *dir, char **err);
/* vc_node_journal_open: the job's node journal in dir (created if missing),
 * running steps of kinds ({NULL}-terminated); 0 or -errno with *err. */
int vc_node_journal_open(const char *dir, const struct vc_step_kind *kinds, struct vc_journal *j, char **err);
/* vc_node_job_dir_remove: remove the journal and dir once nothing is left to
 * undo; 0 (also when dir is already gone), or -errno with *err (e.g. a file
 * some step left behind: -ENOTEMPTY). */
int vc_node_job_dir_remove(const char *dir, char **err);
/* vc_node_plan_read: dir/plan.json into *plan (nodeplan.h; vc_nodeplan_clear);
 * 0, -ENOENT (no plan recorded), -EBADMSG with *err naming the file and the
 * malformed member, or -errno with *err. */
int vc_node_plan_read(const char *dir, struct vc_nodeplan *plan, char **err);
/* vc_write_file_atomic: path holds exactly data (mode), or its old content
 * after a crash: temp file, fsync, rename, fsync of the directory. */
int vc_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, char **err);

#endif
