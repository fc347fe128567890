/* Volume backend "file": one sparse file DIR/NAME.img per guest, which tgt
 * serves as a LUN (--backing-store FILE). A new file holds no blocks until
 * the guest writes, and reads as zeros: no data of an earlier volume can
 * show through. Every call works relative to an fd of DIR, so a directory
 * replaced mid-call cannot redirect it, and never follows a symlink at
 * NAME.img. DIR must exist: the backend never creates it (a missing DIR is
 * a wrong configuration or a storage mount that is not there).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "backends.h"
#include "util.h"
#include "vol_lvm.h"

#define IMG_SUFFIX ".img"

/* dir_check: the directory is an absolute path (a daemon's cwd means nothing). */
static int dir_check(const struct vc_volume_place *p, char **err) {
        if (!p->dir || p->dir[0] != '/') {
                *err = xasprintf("file volumes need an absolute directory, not '%s'", p->dir ? p->dir : "");
                return -EINVAL;
        }
        return 0;
}

/* dir_open: an fd of DIR; -errno with *err naming it. */
static int dir_open(const char *dir, const char *what, char **err) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                if (e == ENOENT)
                        *err = xasprintf("%s: directory %s does not exist", what, dir);
                else
                        *err = xasprintf("%s: directory %s: %s", what, dir, strerror(e));
                return -e;
        }
        return fd;
}

static char *img_path(const char *dir, const char *name) {
        size_t n = strlen(dir);
        while (n > 1 && dir[n - 1] == '/')
                n--;
        return xasprintf("%.*s/%s" IMG_SUFFIX, (int)n, n == 1 ? "" : dir, name);
}

/* file_existing: NAME.img is there. The same size is a replayed create; a
 * size of 0 is a create interrupted between open and ftruncate (a volume
 * of 0 bytes is never asked for), finished now. */
static int file_existing(int dfd, const char *fname, uint64_t bytes, const char *what, char **err) {
        struct stat st;
        if (fstatat(dfd, fname, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return vc_fail_errno(err, "%s", what);
        if (!S_ISREG(st.st_mode)) {
                *err = xasprintf("%s: %s already exists and is not a regular file", what, fname);
                return -EEXIST;
        }
        if ((uint64_t)st.st_size == bytes)
                return 0;
        if (st.st_size == 0) {
                _cleanup_close_ int fd = openat(dfd, fname, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0)
                        return vc_fail_errno(err, "%s", what);
                return 0;
        }
        char have[32];
        *err = xasprintf("%s: %s already exists with %s (%" PRIu64 " bytes), not %" PRIu64 " bytes", what, fname,
                         vc_volume_size_text((uint64_t)st.st_size, have, sizeof(have)), (uint64_t)st.st_size, bytes);
        return -EEXIST;
}

static int file_create(const struct vc_volume_place *p, const char *name, uint64_t bytes, char **path, char **err) {
        int r = vc_volume_name_check("file volume name", name, err);
        if (r == 0)
                r = dir_check(p, err);
        if (r < 0)
                return r;
        char sz[32];
        _cleanup_free_ char *what =
                xasprintf("create %s (%s) in %s", name, vc_volume_size_text(bytes, sz, sizeof(sz)), p->dir);
        if (bytes == 0 || bytes > (uint64_t)INT64_MAX) {
                *err = xasprintf("%s: a volume is 1 byte to 8 EiB", what);
                return -EINVAL;
        }
        _cleanup_close_ int dfd = dir_open(p->dir, what, err);
        if (dfd < 0)
                return dfd;
        _cleanup_free_ char *fname = xasprintf("%s" IMG_SUFFIX, name);
        _cleanup_close_ int fd = openat(dfd, fname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno == EEXIST) {
                r = file_existing(dfd, fname, bytes, what, err);
        } else if (fd < 0) {
                r = -errno;
                *err = xasprintf("%s: %s", what, strerror(-r));
        } else if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)bytes) < 0) {
                /* fchmod: exactly 0600 whatever the umask; ftruncate may fail
                 * with EFBIG past the filesystem's largest file. */
                r = -errno;
                *err = xasprintf("%s: %s", what, strerror(-r));
                unlinkat(dfd, fname, 0);
        }
        if (r < 0)
                return r;
        *path = img_path(p->dir, name);
        return 0;
}

static int file_remove(const struct vc_volume_place *p, const char *name, char **err) {
        int r = vc_volume_name_check("file volume name", name, err);
        if (r == 0)
                r = dir_check(p, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *what = xasprintf("remove %s from %s", name, p->dir);
        /* A missing DIR is an error, not "already gone": the volumes may be
         * on a mount that is not there right now. */
        _cleanup_close_ int dfd = dir_open(p->dir, what, err);
        if (dfd < 0)
                return dfd;
        _cleanup_free_ char *fname = xasprintf("%s" IMG_SUFFIX, name);
        if (unlinkat(dfd, fname, 0) < 0 && errno != ENOENT)
                return vc_fail_errno(err, "%s", what);
        return 0;
}

static int info_cmp(const void *a, const void *b) {
        return strcmp(((const struct vc_volume_info *)a)->name, ((const struct vc_volume_info *)b)->name);
}

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static int file_list(const struct vc_volume_place *p, const char *prefix, struct vc_volume_info **out, size_t *n,
                     char **err) {
        *out = NULL;
        *n = 0;
        int r = dir_check(p, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *what = xasprintf("list volumes in %s", p->dir);
        int dfd = dir_open(p->dir, what, err);
        if (dfd < 0)
                return dfd;
        _cleanup_(closedirp) DIR *d = fdopendir(dfd);
        if (!d) {
                r = -errno;
                close(dfd);
                *err = xasprintf("%s: %s", what, strerror(-r));
                return r;
        }
        struct vc_volume_info *v = NULL;
        size_t count = 0, plen = prefix ? strlen(prefix) : 0;
        struct dirent *de;
        for (errno = 0; (de = readdir(d)); errno = 0) {
                size_t len = strlen(de->d_name);
                if (len <= strlen(IMG_SUFFIX) || !streq(de->d_name + len - strlen(IMG_SUFFIX), IMG_SUFFIX))
                        continue;
                _cleanup_free_ char *name = xasprintf("%.*s", (int)(len - strlen(IMG_SUFFIX)), de->d_name);
                if (strncmp(name, prefix ? prefix : "", plen) != 0 || !vc_volume_name_valid(name))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue; /* gone meanwhile, or not one of ours */
                v = xrealloc(v, (count + 1) * sizeof(*v));
                v[count++] = (struct vc_volume_info){.name = TAKE_PTR(name), .bytes = (uint64_t)st.st_size};
        }
        if (errno) {
                r = -errno;
                vc_volume_infos_free(v, count);
                *err = xasprintf("%s: %s", what, strerror(-r));
                return r;
        }
        if (count)
                qsort(v, count, sizeof(*v), info_cmp);
        *out = v;
        *n = count;
        return 0;
}

const struct vc_volume_backend vc_volume_file = {
        .name = "file",
        .create = file_create,
        .remove = file_remove,
        .list = file_list,
};
