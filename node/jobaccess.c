#include "jobaccess.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "journal.h"
#include "util.h"

/* The kernel's POSIX ACL xattr (linux/posix_acl_xattr.h): a version, then
 * entries sorted by tag (and id). Written raw: no libacl for five entries. */
#define ACL_XATTR "system.posix_acl_access"
#define ACL_VERSION 2
enum { TAG_USER_OBJ = 0x01, TAG_USER = 0x02, TAG_GROUP_OBJ = 0x04, TAG_MASK = 0x10, TAG_OTHER = 0x20 };
#define ACL_NO_ID UINT32_MAX

struct acl_entry {
        uint16_t tag, perm;
        uint32_t id;
};

struct acl_xattr {
        uint32_t version;
        struct acl_entry e[5];
};

/* job_user_parse: args' dir (absolute) and uid (not root's: root needs no entry). */
static int job_user_parse(const json_t *args, const char **dir, uid_t *uid, char **err) {
        *dir = vc_step_arg(args, "dir");
        json_t *u = json_object_get(args, "uid");
        if (!*dir || (*dir)[0] != '/' || !json_is_integer(u) || json_integer_value(u) <= 0 ||
            json_integer_value(u) >= UINT32_MAX) {
                *err = xstrdup("job.user: needs \"dir\" (absolute) and \"uid\" (not 0)");
                return -EINVAL;
        }
        *uid = (uid_t)json_integer_value(u);
        return 0;
}

/* searchable: path, a directory of root's, 0711 (search, no listing). */
static int searchable(const char *path, char **err) {
        struct stat st;
        if (lstat(path, &st) < 0)
                return vc_fail_errno(err, "%s", path);
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0) {
                *err = xasprintf("%s: not a directory of root's", path);
                return -EPERM;
        }
        if ((st.st_mode & 07777) != 0711 && chmod(path, 0711) < 0)
                return vc_fail_errno(err, "%s: chmod 0711", path);
        return 0;
}

int vc_job_user_do(void *ctx, json_t *args, char **err) {
        const char *dir;
        uid_t uid;
        int r = job_user_parse(args, &dir, &uid, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *node = xstrdup(dir);
        dirname(node);
        _cleanup_free_ char *nodes = xstrdup(node);
        dirname(nodes);
        if ((r = searchable(nodes, err)) < 0 || (r = searchable(node, err)) < 0)
                return vc_step_untouched(r);
        struct acl_xattr a = {.version = ACL_VERSION,
                              .e = {{TAG_USER_OBJ, 7, ACL_NO_ID},
                                    {TAG_USER, 1, (uint32_t)uid},
                                    {TAG_GROUP_OBJ, 0, ACL_NO_ID},
                                    {TAG_MASK, 1, ACL_NO_ID},
                                    {TAG_OTHER, 0, ACL_NO_ID}}};
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return vc_step_untouched(vc_fail_errno(err, "%s", dir));
        if (fsetxattr(fd, ACL_XATTR, &a, sizeof(a), 0) < 0) {
                r = vc_fail_errno(err, "%s: giving uid %u search (an ACL entry)%s", dir, (unsigned)uid,
                                  errno == EOPNOTSUPP ? ": StateDir's file system has no POSIX ACLs, which "
                                                        "QEMU as the job's user needs"
                                                      : "");
                return vc_step_untouched(r);
        }
        return 0;
}

int vc_job_user_undo(void *ctx, json_t *args, char **err) {
        const char *dir;
        uid_t uid;
        int r = job_user_parse(args, &dir, &uid, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0)
                return vc_fail_errno(err, "%s", dir);
        if (fremovexattr(fd, ACL_XATTR) < 0 && errno != ENODATA && errno != EOPNOTSUPP)
                return vc_fail_errno(err, "%s: removing the ACL", dir);
        if (fchmod(fd, 0700) < 0)
                return vc_fail_errno(err, "%s: chmod 0700", dir);
        return 0;
}
