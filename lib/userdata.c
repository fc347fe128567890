#include "userdata.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "util.h"

int vc_user_data_check(const char *text, size_t len, char **err) {
        if (len > VC_USER_DATA_MAX) {
                *err = xasprintf("%zu bytes: more than the 64 KiB user-data may have", len);
                return -EFBIG;
        }
        if (!(len >= 13 && !memcmp(text, "#cloud-config", 13)) && !(len >= 2 && !memcmp(text, "#!", 2))) {
                *err = xstrdup("neither cloud-config (first line \"#cloud-config\") nor a script (first line \"#!...\")");
                return -EINVAL;
        }
        if (memchr(text, 0, len)) {
                *err = xstrdup("holds a NUL byte: not a text file");
                return -EINVAL;
        }
        return 0;
}

int vc_user_data_read(const char *path, char **text, size_t *len, char **err) {
        *text = NULL;
        /* O_NONBLOCK: a FIFO must not hang sbatch; fstat then refuses it */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                *err = xasprintf("user-data=%s: cannot read it: %s", path, strerror(errno));
                return -errno;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                *err = xasprintf("user-data=%s: not a regular file", path);
                return -EINVAL;
        }
        if (st.st_size > (off_t)VC_USER_DATA_MAX) {
                *err = xasprintf("user-data=%s: %lld bytes: more than the 64 KiB user-data may have", path,
                                 (long long)st.st_size);
                return -EFBIG;
        }
        int r = read_fd(fd, VC_USER_DATA_MAX, text, len);
        _cleanup_free_ char *why = NULL;
        if (r < 0) {
                *err = r == -EFBIG ? xasprintf("user-data=%s: more than the 64 KiB user-data may have", path)
                                   : xasprintf("user-data=%s: cannot read it: %s", path, strerror(-r));
        } else if ((r = vc_user_data_check(*text, *len, &why)) < 0) {
                *err = xasprintf("user-data=%s: %s", path, why);
        }
        if (r < 0) {
                free(*text);
                *text = NULL;
        }
        return r;
}
