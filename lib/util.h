/* util.h — small helpers every file uses: cleanup attributes, safe string
 * building, integer parsing.
 *
 * Contract: functions return 0 or -errno; allocation failure aborts via
 * xmalloc-style helpers because a half-built object is worse than a crash
 * in a daemon that journals every step.
 */
#ifndef VC_UTIL_H
#define VC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define streq(a, b) (strcmp((a), (b)) == 0)

/* freep: cleanup function freeing *(void **)p. */
static inline void freep(void *p) { free(*(void **)p); }
/* closep: cleanup function closing *(int *)p when >= 0. */
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
/* fclosep: cleanup function closing a FILE *. */
static inline void fclosep(FILE **f) { if (*f) fclose(*f); }
/* strvfreep: cleanup function freeing a NULL-terminated string vector. */
void strvfreep(char ***v);

#define _cleanup_free_ _cleanup_(freep)
/* secret_freep: wipe (explicit_bzero) and free a secret string, and NULL the pointer. */
static inline void secret_freep(char **s) {
        if (*s) {
                explicit_bzero(*s, strlen(*s));
                free(*s);
                *s = NULL;
        }
}
#define _cleanup_secret_ _cleanup_(secret_freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_ _cleanup_(strvfreep)

/* TAKE_PTR: hand ownership out of a cleanup variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) ({ int _tf = (fd); (fd) = -1; _tf; })

/* xmalloc/xcalloc/xrealloc/xstrdup: abort on allocation failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* line_next: the line at *p (malloc'd, without its '\n') and *p moved past
 * it; NULL when *p is at the end of the text. */
char *line_next(const char **p);
/* xasprintf: malloc'd formatted string; aborts on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* xvasprintf: the same with a va_list. */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* The one way to fail with a message: *err (NULL is fine: nothing kept) gets
 * the text and the -errno comes back for a `return`. As everywhere, *err is
 * an output only: a lower layer's message is taken out of it (TAKE_PTR)
 * before it is wrapped. */
/* vc_fail: *err = the formatted text; returns r. */
int vc_fail(char **err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* vc_fail_errno: errno saved before anything can change it; *err = "TEXT:
 * strerror(errno)"; returns -errno (-EIO when errno was 0). */
int vc_fail_errno(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* strv_free: free a NULL-terminated vector of strings and the vector. */
void strv_free(char **v);
/* strv_len: number of strings before the terminating NULL. */
size_t strv_len(char *const *v);
/* strv_join_n: the first n strings of v joined by sep (malloc'd; "" for n = 0). */
char *strv_join_n(const char *const *v, size_t n, const char *sep);
/* strv_join: every string of v joined by sep (malloc'd). */
char *strv_join(char *const *v, const char *sep);
/* strv_contains: whether v (may be NULL) holds a string equal to s. */
bool strv_contains(char *const *v, const char *s);
/* strv_push: append a copy of s, keeping the vector NULL-terminated. */
void strv_push(char ***v, const char *s);

/* parse_uint: whole-string decimal in [min,max] → 0, else -EINVAL/-ERANGE. */
int parse_uint(const char *s, unsigned long long min, unsigned long long max,
               unsigned long long *out);
/* parse_size: "512", "512K", "4G", "1T" (powers of 1024) to bytes; 0, -EINVAL or -ERANGE. */
int parse_size(const char *s, uint64_t *out);
/* parse_size_mib: the project's one size rule for users and admins alike, as
 * Slurm's --mem: a bare number is MiB ("512" = 512M), a suffix K, M, G or T
 * (powers of 1024) says otherwise; bytes in *out; 0, -EINVAL or -ERANGE. */
int parse_size_mib(const char *s, uint64_t *out);
/* parse_duration: seconds with optional s/m/h/d suffix; 0, -EINVAL or -ERANGE. */
int parse_duration(const char *s, unsigned long long *out);

/* now_ms: monotonic milliseconds. */
uint64_t now_ms(void);

/* write_all: write every byte or return -errno. */
int write_all(int fd, const void *buf, size_t n);
/* vc_send_all: the same on a socket, where a peer that hung up is -EPIPE, never SIGPIPE. */
int vc_send_all(int fd, const void *buf, size_t n);
/* read_file: whole file into a NUL-terminated malloc'd buffer; 0 or -errno. */
int read_file(const char *path, char **out, size_t *len, size_t max);
/* read_fd: the rest of fd, at most max bytes, likewise (-EFBIG when longer). */
int read_fd(int fd, size_t max, char **out, size_t *len);

#endif
