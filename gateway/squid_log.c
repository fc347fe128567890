/* squid_log.c — what squid's cache.log says, read safely: it lies in a
 * directory of the squid user. */
#include "cache_int.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "escape.h"
#include "pidref.h"
#include "run.h"
#include "util.h"

/* log_size: the current length of squid's cache.log (0 when there is none). */
off_t vc_squid_log_size(const struct cache_args *a) {
        struct stat st;
        return lstat(a->cachelog, &st) == 0 ? st.st_size : 0;
}

/* log_open: squid's cache.log for reading, or -1. It lies in a directory
 * of the squid user, and we read it as root into messages: never through
 * a symlink, never a FIFO or device (O_NONBLOCK, then a regular file), never
 * a hard link to another file (one link only). */
static int log_open(const struct cache_args *a) {
        int fd = open(a->cachelog, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)) {
                close(fd);
                fd = -1;
        }
        return fd;
}

/* log_problem: the first line of cache.log after offset from that says
 * squid cannot work (FATAL, or a port it cannot bind), malloc'd and
 * escaped; or NULL. */
char *vc_squid_log_problem(const struct cache_args *a, off_t from) {
        _cleanup_close_ int fd = log_open(a);
        if (fd < 0 || lseek(fd, from, SEEK_SET) < 0)
                return NULL;
        _cleanup_free_ char *s = NULL;
        size_t len;
        if (read_fd(fd, 1u << 20, &s, &len) < 0 && !s)
                return NULL;
        for (char *line = s; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                if (strstr(line, "FATAL") || strstr(line, "Cannot bind socket")) {
                        /* without squid's "2026/01/02 03:04:05 kid1| " */
                        const char *bar = strstr(line, "| ");
                        return vc_escape(bar ? bar + 2 : line);
                }
                line = nl ? nl + 1 : NULL;
        }
        return NULL;
}

/* last_words: what squid said last (stderr, else the last line of cache.log), malloc'd and escaped. */
char *vc_squid_last_words(const struct cache_args *a, const struct vc_run_result *res, off_t from) {
        char *p = vc_squid_log_problem(a, from);
        if (p)
                return p;
        const char *src = res && res->err && *res->err ? res->err : NULL;
        _cleanup_free_ char *log = NULL;
        if (!src) {
                _cleanup_close_ int fd = log_open(a);
                size_t len;
                if (fd >= 0 && read_fd(fd, 1u << 20, &log, &len) == 0)
                        src = log;
        }
        if (!src)
                return xstrdup("no message");
        _cleanup_strv_ char **tail = vc_log_tail(src, 1);
        return vc_escape(tail[0] ? tail[0] : "");
}
