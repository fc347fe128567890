#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <time.h>

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                abort();
        return p;
}

void *xcalloc(size_t n, size_t sz) {
        void *p = calloc(n ? n : 1, sz ? sz : 1);
        if (!p)
                abort();
        return p;
}

void *xrealloc(void *p, size_t n) {
        void *q = realloc(p, n ? n : 1);
        if (!q)
                abort();
        return q;
}

char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                abort();
        return p;
}

char *xvasprintf(const char *fmt, va_list ap) {
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        return s;
}

char *line_next(const char **p) {
        if (!**p)
                return NULL;
        size_t len = strcspn(*p, "\n");
        char *line = xasprintf("%.*s", (int)len, *p);
        *p += len + ((*p)[len] ? 1 : 0);
        return line;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *s = xvasprintf(fmt, ap);
        va_end(ap);
        return s;
}

int vc_fail(char **err, int r, const char *fmt, ...) {
        if (!err)
                return r;
        va_list ap;
        va_start(ap, fmt);
        char *text = xvasprintf(fmt, ap);
        va_end(ap);
        *err = text;
        return r;
}

int vc_fail_errno(char **err, const char *fmt, ...) {
        int e = errno ? errno : EIO;
        if (!err)
                return -e;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *what = xvasprintf(fmt, ap);
        va_end(ap);
        *err = xasprintf("%s: %s", what, strerror(e));
        return -e;
}

void strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

void strvfreep(char ***v) { strv_free(*v); }

size_t strv_len(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

bool strv_contains(char *const *v, const char *s) {
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

void strv_push(char ***v, const char *s) {
        size_t n = strv_len(*v);
        *v = xrealloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
}

int parse_uint(const char *s, unsigned long long min, unsigned long long max,
               unsigned long long *out) {
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (*end)
                return -EINVAL;
        if (errno == ERANGE || v < min || v > max)
                return -ERANGE;
        *out = v;
        return 0;
}

static int parse_suffixed(const char *s, const char *suffixes, const uint64_t *mult,
                          uint64_t *out) {
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        uint64_t m = 1;
        if (*end) {
                const char *k = strchr(suffixes, *end);
                if (!k || end[1])
                        return -EINVAL;
                m = mult[k - suffixes];
        }
        if (v > UINT64_MAX / m)
                return -ERANGE;
        *out = v * m;
        return 0;
}

int parse_size(const char *s, uint64_t *out) {
        static const uint64_t mult[] = {1ULL << 10, 1ULL << 20, 1ULL << 30, 1ULL << 40,
                                        1ULL << 10, 1ULL << 20, 1ULL << 30, 1ULL << 40};
        return parse_suffixed(s, "KMGTkmgt", mult, out);
}

int parse_size_mib(const char *s, uint64_t *out) {
        uint64_t b;
        int r = parse_size(s, &b);
        if (r < 0)
                return r;
        size_t l = strlen(s);
        if (s[l - 1] >= '0' && s[l - 1] <= '9') {
                if (b > UINT64_MAX / (1ULL << 20))
                        return -ERANGE;
                b <<= 20;
        }
        *out = b;
        return 0;
}

int parse_duration(const char *s, unsigned long long *out) {
        static const uint64_t mult[] = {1, 60, 3600, 86400};
        uint64_t v;
        int r = parse_suffixed(s, "smhd", mult, &v);
        if (r < 0)
                return r;
        *out = v;
        return 0;
}

uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int out_all(int fd, const void *buf, size_t n, bool sock) {
        const char *p = buf;
        while (n > 0) {
                ssize_t w = sock ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

int write_all(int fd, const void *buf, size_t n) { return out_all(fd, buf, n, false); }
int vc_send_all(int fd, const void *buf, size_t n) { return out_all(fd, buf, n, true); }

int read_file(const char *path, char **out, size_t *len, size_t max) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return read_fd(fd, max, out, len);
}

int read_fd(int fd, size_t max, char **out, size_t *len) {
        size_t cap = max < 4096 ? max : 4096, n = 0;
        _cleanup_free_ char *buf = xmalloc(cap + 1);
        for (;;) {
                if (n == cap) {
                        if (cap >= max) {
                                /* Exactly max bytes fit; only a further byte is too many. */
                                char probe;
                                ssize_t r;
                                do
                                        r = read(fd, &probe, 1);
                                while (r < 0 && errno == EINTR);
                                if (r < 0)
                                        return -errno;
                                if (r > 0)
                                        return -EFBIG;
                                break;
                        }
                        cap = cap * 2 > max ? max : cap * 2;
                        buf = xrealloc(buf, cap + 1);
                }
                ssize_t r = read(fd, buf + n, cap - n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        buf[n] = 0;
        if (len)
                *len = n;
        *out = TAKE_PTR(buf);
        return 0;
}

char *strv_join_n(const char *const *v, size_t n, const char *sep) {
        size_t len = 1, slen = strlen(sep);
        for (size_t i = 0; i < n; i++)
                len += strlen(v[i]) + slen;
        char *s = xmalloc(len), *e = s;
        *e = 0;
        for (size_t i = 0; i < n; i++)
                e = stpcpy(stpcpy(e, i ? sep : ""), v[i]);
        return s;
}

char *strv_join(char *const *v, const char *sep) {
        return strv_join_n((const char *const *)v, strv_len(v), sep);
}
