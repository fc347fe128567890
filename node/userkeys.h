/* userkeys.h — the public keys a job's user already has on the node, for
 * their guests' authorized_keys: ~/.ssh/authorized_keys and ~/.ssh/id_*.pub.
 * They are read by a child that has become the user (setgroups, setresgid,
 * setresuid) before it opens anything, so root never follows a link the
 * user made and the user's own rights decide what is readable. Missing
 * files, or no ~/.ssh at all, just give fewer keys.
 */
#ifndef VC_USERKEYS_H
#define VC_USERKEYS_H

#include <jansson.h>
#include <sys/types.h>

/* vc_user_pubkeys: the key lines (type, key, comment; option-prefixed and
 * malformed lines skipped, duplicates once) of the user uid/gid with home,
 * as a new array of strings; 0, or -errno with *err (the child could not
 * run or become the user). At most 64 KiB is read in all. */
int vc_user_pubkeys(uid_t uid, gid_t gid, const char *home, json_t **keys, char **err);

#endif
