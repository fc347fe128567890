#include "nodestate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "util.h"

char *vc_node_job_dir(const char *state_dir, const char *node, int64_t job) {
        return xasprintf("%s/nodes/%s/%lld", state_dir, node, (long long)job);
}

/* fsync_dir: make a directory entry change durable. */
static int fsync_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

static int fsync_parent(const char *path) {
        _cleanup_free_ char *copy = xstrdup(path);
        return fsync_dir(dirname(copy));
}

int vc_node_job_dir_make(const char *dir, char **err) {
        /* Create each missing component of the path below the state dir, so
         * a crash right after never leaves a directory its parent forgot. */
        _cleanup_free_ char *p = xstrdup(dir);
        for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
                if (s)
                        *s = 0;
                if (mkdir(p, 0700) == 0) {
                        int r = fsync_parent(p);
                        if (r < 0) {
                                *err = xasprintf("%s: fsync of its parent: %s", p, strerror(-r));
                                return r;
                        }
                } else if (errno != EEXIST)
                        return vc_fail_errno(err, "%s", p);
                if (!s)
                        break;
                *s = '/';
        }
        return 0;
}

int vc_node_journal_open(const char *dir, const struct vc_step_kind *kinds, struct vc_journal *j, char **err) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, VC_NODE_JOURNAL);
        bool existed = access(path, F_OK) == 0;
        j->kinds = kinds;
        int r = vc_journal_file_open(j, path, err);
        if (r == 0 && !existed && (r = fsync_dir(dir)) < 0) {
                *err = xasprintf("%s: fsync: %s", dir, strerror(-r));
                vc_journal_file_close(j);
        }
        return r;
}

/* leftover: the first entry of dir other than the journal (malloc'd), NULL
 * when there is none; -errno when dir cannot be read (-ENOENT: gone). */
static int leftover(const char *dir, char **name) {
        *name = NULL;
        DIR *d = opendir(dir);
        if (!d)
                return -errno;
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && !streq(de->d_name, VC_NODE_JOURNAL)) {
                        *name = xstrdup(de->d_name);
                        break;
                }
        closedir(d);
        return 0;
}

int vc_node_job_dir_remove(const char *dir, char **err) {
        /* Look before removing anything: the journal is the only record of
         * what the leftover is, so it goes last, and only with the dir. */
        _cleanup_free_ char *left = NULL;
        int r = leftover(dir, &left);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                *err = xasprintf("%s: %s", dir, strerror(-r));
                return r;
        }
        if (left) {
                *err = xasprintf("%s: not empty after every step was undone (%s is left)", dir, left);
                return -ENOTEMPTY;
        }
        _cleanup_free_ char *journal = xasprintf("%s/%s", dir, VC_NODE_JOURNAL);
        if (unlink(journal) < 0 && errno != ENOENT)
                return vc_fail_errno(err, "%s", journal);
        if (rmdir(dir) < 0 && errno != ENOENT)
                return vc_fail_errno(err, "%s", dir);
        (void)fsync_parent(dir);
        return 0;
}

int vc_node_plan_read(const char *dir, struct vc_nodeplan *plan, char **err) {
        *plan = (struct vc_nodeplan){0};
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, VC_NODE_PLAN);
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file(path, &text, &len, 16u << 20);
        if (r == -ENOENT)
                return r;
        if (r < 0) {
                *err = xasprintf("%s: %s", path, strerror(-r));
                return r;
        }
        json_error_t je;
        _cleanup_(json_decrefp) json_t *o = json_loadb(text, len, 0, &je);
        if (!json_is_object(o)) {
                *err = xasprintf("%s: not a JSON object: %s", path, o ? "" : je.text);
                return -EBADMSG;
        }
        _cleanup_free_ char *why = NULL;
        if (vc_nodeplan_from_json(o, plan, &why) < 0) {
                *err = xasprintf("%s: %s", path, why);
                return -EBADMSG;
        }
        return 0;
}

int vc_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, char **err) {
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        int r = fd < 0 ? -errno : 0;
        if (r == 0)
                r = write_all(fd, data, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r == 0)
                r = fsync_parent(path);
        if (r < 0) {
                *err = xasprintf("%s: %s", path, strerror(-r));
                if (fd >= 0)
                        (void)unlink(tmp);
        }
        return r;
}

/* node.plan — args {"path": FILE, "plan": OBJECT}. */
int vc_node_plan_do(void *ctx, json_t *args, char **err) {
        const char *path = vc_step_arg(args, "path");
        json_t *plan = json_object_get(args, "plan");
        if (!path || !json_is_object(plan)) {
                *err = xstrdup("node.plan: needs \"path\" and \"plan\"");
                return -EINVAL;
        }
        _cleanup_free_ char *text = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
        if (!text)
                return -ENOMEM;
        size_t n = strlen(text);
        text[n] = '\n'; /* the NUL slot: one line, newline-terminated */
        return vc_write_file_atomic(path, text, n + 1, 0600, err);
}

int vc_node_plan_undo(void *ctx, json_t *args, char **err) {
        const char *path = vc_step_arg(args, "path");
        if (!path) {
                *err = xstrdup("node.plan: needs \"path\"");
                return -EINVAL;
        }
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
        /* Already gone is done: undo is idempotent. A crash mid-write may leave the temp file. */
        if ((unlink(path) < 0 && errno != ENOENT) || (unlink(tmp) < 0 && errno != ENOENT))
                return vc_fail_errno(err, "%s", path);
        return 0;
}
