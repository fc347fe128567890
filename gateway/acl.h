/* acl.h — Linux's POSIX ACL xattr ("system.posix_acl_access") as pure
 * functions (no I/O, so unit tests see every rule): whether a user may
 * search a directory, and the ACL that lets one more user search it. The
 * cache uses them for the ancestors of its dir (cache.h).
 */
#ifndef VC_ACL_H
#define VC_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* acl NULL stands for no ACL (only the mode). */

/* vc_acl_permits_search: whether user uid, in groups gids, may search a
 * directory with owner, group, mode and access ACL acl (POSIX.1e rules). */
bool vc_acl_permits_search(const void *acl, size_t len, uid_t owner, gid_t group, mode_t mode, uid_t uid,
                           const gid_t *gids, size_t ngids);
/* vc_acl_add_search: the ACL value that is acl (or mode's ACL when NULL)
 * plus search for uid, the mask widened to let it through (malloc'd);
 * 0, or -EINVAL when acl is malformed. */
int vc_acl_add_search(const void *acl, size_t len, mode_t mode, uid_t uid, void **out, size_t *out_len);

#endif
