#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define SECRET_MAX 65536

static int check_mode(const char *path, int fd, char **err) {
        struct stat st;
        if (fstat(fd, &st) < 0) {
                *err = xasprintf("SecretFile '%s': %s", path, strerror(errno));
                return -errno;
        }
        if (!S_ISREG(st.st_mode)) {
                *err = xasprintf("SecretFile '%s' is not a regular file", path);
                return -EINVAL;
        }
        if (st.st_uid != geteuid()) {
                *err = xasprintf("SecretFile '%s' is owned by uid %u, not by uid %u who reads it", path,
                                 (unsigned)st.st_uid, (unsigned)geteuid());
                return -EPERM;
        }
        if (st.st_mode & 0077) {
                *err = xasprintf("SecretFile '%s' is %s by group or others (must be mode 0600 or stricter)", path,
                                 st.st_mode & 0044 ? "readable" : "writable or executable");
                return -EPERM;
        }
        return 0;
}

int vc_secret_load(const char *path, char ***kv, char **err) {
        /* O_NOFOLLOW: the mode we check must be the file's own, not a link's target chosen by someone else */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                int e = errno;
                *err = xasprintf("SecretFile '%s': %s", path, e == ELOOP ? "is a symbolic link" : strerror(e));
                return -e;
        }
        int r = check_mode(path, fd, err);
        if (r < 0)
                return r;
        char *text = NULL;
        size_t len = 0;
        r = read_fd(fd, SECRET_MAX, &text, &len);
        if (r < 0) {
                *err = xasprintf("SecretFile '%s': %s", path, r == -EFBIG ? "too large" : strerror(-r));
                return r;
        }
        char **v = xcalloc(1, sizeof(char *));
        unsigned lineno = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                lineno++;
                line += strspn(line, " \t");
                size_t n = strlen(line);
                while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
                        line[--n] = 0;
                if (!*line || *line == '#')
                        continue;
                char *eq = strchr(line, '=');
                if (!eq || eq == line) {
                        *err = xasprintf("SecretFile '%s': a line is not Key=Value", path);
                        r = -EINVAL;
                        break;
                }
                strv_push(&v, line);
        }
        explicit_bzero(text, len);
        free(text);
        if (r < 0) {
                vc_secret_free(v);
                return r;
        }
        *kv = v;
        return 0;
}

const char *vc_secret_get(char *const *kv, const char *key) {
        size_t klen = strlen(key);
        for (; kv && *kv; kv++)
                if (strncasecmp(*kv, key, klen) == 0 && (*kv)[klen] == '=')
                        return *kv + klen + 1;
        return NULL;
}

void vc_secret_free(char **kv) {
        for (char **p = kv; p && *p; p++)
                explicit_bzero(*p, strlen(*p));
        strv_free(kv);
}
