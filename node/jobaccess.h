/* jobaccess.h — the step that lets QEMU, running as the job's user
 * (domxml.h), reach the job's files in the node's job dir while nobody
 * else can:
 *   job.user  {dir, uid}: dir (StateDir/nodes/NODE/JOB, root's, 0700) gets
 *             a POSIX ACL entry user:UID:--x, so that user (and only that
 *             user) may open the files in it they own by name (the overlay,
 *             the seed, the console log); they still cannot list it or
 *             read root's files (journal, plan). Its two parents become
 *             0711 (root's, searchable, not listable), as StateDir/keys is.
 *             Undo drops the ACL (the dir is 0700 again); 0 when dir is gone.
 */
#ifndef VC_JOBACCESS_H
#define VC_JOBACCESS_H

#include <jansson.h>

/* vc_job_user_do: the ACL entry set (and the parents made searchable); 0 or -errno with *err. */
int vc_job_user_do(void *ctx, json_t *args, char **err);
/* vc_job_user_undo: the ACL removed, dir 0700; 0 also when dir is gone. */
int vc_job_user_undo(void *ctx, json_t *args, char **err);

#endif
