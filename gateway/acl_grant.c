/* acl_grant.c — the search a cache dir's ancestors grant squid's user: an
 * ACL entry where needed, claimed per cache dir in root-only xattrs, put
 * back when the last claim goes. */
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "acl.h"
#include "log.h"
#include "util.h"

#define ACL_XATTR "system.posix_acl_access"

/* Our bookkeeping of an ACL entry we added, on the directory itself, in
 * root-only xattrs: the ACL before us and the one we set, and one claim per
 * cache dir that needs it (acl-use.HASH = the dir). The last claim to go
 * puts the ACL back. */
#define OWN_ORIG "trusted.vcluster.acl-orig"
#define OWN_SET "trusted.vcluster.acl-set"
#define OWN_USE "trusted.vcluster.acl-use."

/* acl_get: the access ACL of path (malloc'd) into *acl, *len; NULL when it has none (or its file system takes none). */
static int acl_get(const char *path, void **acl, size_t *len) {
        *acl = NULL;
        *len = 0;
        for (int tries = 0; tries < 4; tries++) {
                ssize_t n = getxattr(path, ACL_XATTR, NULL, 0);
                if (n < 0)
                        return errno == ENODATA || errno == EOPNOTSUPP ? 0 : -errno;
                void *buf = xmalloc((size_t)n + 1);
                ssize_t got = getxattr(path, ACL_XATTR, buf, (size_t)n);
                if (got >= 0) {
                        *acl = buf;
                        *len = (size_t)got;
                        return 0;
                }
                free(buf);
                if (errno != ERANGE) /* ERANGE: it grew in between */
                        return errno == ENODATA ? 0 : -errno;
        }
        return -ERANGE;
}

/* xattr_get: the value of name on path (malloc'd, NUL-terminated) into *v, *len; -ENODATA when absent. */
static int xattr_get(const char *path, const char *name, char **v, size_t *len) {
        *v = NULL;
        for (int tries = 0; tries < 4; tries++) {
                ssize_t n = getxattr(path, name, NULL, 0);
                if (n < 0)
                        return -errno;
                char *buf = xmalloc((size_t)n + 1);
                ssize_t got = getxattr(path, name, buf, (size_t)n);
                if (got >= 0) {
                        buf[got] = 0;
                        *v = buf;
                        *len = (size_t)got;
                        return 0;
                }
                free(buf);
                if (errno != ERANGE)
                        return -errno;
        }
        return -ERANGE;
}

/* use_name: the claim xattr of cache dir dir (FNV-1a of its path). */
static void use_name(const char *dir, char out[64]) {
        uint64_t h = 0xcbf29ce484222325ull;
        for (const unsigned char *c = (const unsigned char *)dir; *c; c++)
                h = (h ^ *c) * 0x100000001b3ull;
        snprintf(out, 64, OWN_USE "%016llx", (unsigned long long)h);
}

/* claim: record that a->dir needs the entry we added on path. */
static int claim(const struct cache_args *a, const char *path, char **err) {
        char name[64];
        use_name(a->dir, name);
        if (setxattr(path, name, a->dir, strlen(a->dir), 0) < 0)
                return vc_fail_errno(err, "%s: recording on %s that it needs the ACL entry there", a->what, path);
        return 0;
}

/* ensure_search: user uid (in gids) may search path, granted with a POSIX
 * ACL entry when it may not; an entry of ours (granted now or for another
 * cache dir) is claimed for a->dir, *claimed then set. */
static int ensure_search(const struct cache_args *a, const char *path, const char *user, uid_t uid, const gid_t *gids,
                         size_t ngids, bool *claimed, char **err) {
        struct stat st;
        _cleanup_free_ void *acl = NULL, *more = NULL;
        _cleanup_free_ char *orig = NULL;
        size_t len, mlen, olen;
        int r = 0;
        if (stat(path, &st) < 0 || (r = acl_get(path, &acl, &len)) < 0) {
                r = r < 0 ? r : -errno;
                *err = xasprintf("%s: %s: %s", a->what, path, strerror(-r));
                return r;
        }
        if (vc_acl_permits_search(acl, len, st.st_uid, st.st_gid, st.st_mode, uid, gids, ngids)) {
                if (xattr_get(path, OWN_ORIG, &orig, &olen) < 0)
                        return 0; /* searchable without us */
                if ((r = claim(a, path, err)) == 0)
                        *claimed = true;
                return r;
        }
        r = vc_acl_add_search(acl, len, st.st_mode, uid, &more, &mlen);
        if (r == 0) {
                /* claim and bookkeeping first: a crash in between leaves a
                 * claim, never an entry nobody knows to remove */
                if ((r = claim(a, path, err)) < 0)
                        return r;
                *claimed = true;
                if (setxattr(path, OWN_ORIG, acl ? acl : "", acl ? len : 0, 0) < 0 ||
                    setxattr(path, OWN_SET, more, mlen, 0) < 0 || setxattr(path, ACL_XATTR, more, mlen, 0) < 0)
                        r = -errno;
        }
        if (r < 0) {
                *err = xasprintf("%s: user %s may not search %s (mode %04o, owner %d), which is on the way to dir %s, "
                                 "and granting it that with a POSIX ACL failed: %s%s",
                                 a->what, user, path, (unsigned)(st.st_mode & 07777), (int)st.st_uid, a->dir,
                                 strerror(-r),
                                 r == -EOPNOTSUPP ? " (the file system takes no ACLs: put the cache dir where every "
                                                    "ancestor is searchable by that user)"
                                                  : "");
                return r;
        }
        log_info("%s: user %s may now search %s (POSIX ACL entry u:%s:--x, until its last cache is gone)", a->what,
                 user, path, user);
        return 0;
}

/* release: a->dir no longer needs the entry we added on path; the last
 * claim gone, the ACL we found is put back — unless someone changed it
 * since (then it stays, with a warning). 0, or -errno with *err. */
static int release(const struct cache_args *a, const char *path, char **err) {
        char name[64];
        use_name(a->dir, name);
        if (removexattr(path, name) < 0 && errno != ENODATA && errno != ENOENT)
                return vc_fail_errno(err, "%s: %s: dropping its claim on the ACL entry", a->what, path);
        _cleanup_free_ char *orig = NULL, *set = NULL, *names = NULL, *now = NULL;
        size_t olen, slen, nlen, len;
        if (xattr_get(path, OWN_ORIG, &orig, &olen) < 0)
                return 0; /* no entry of ours here */
        ssize_t n = listxattr(path, NULL, 0);
        names = xmalloc(n > 0 ? (size_t)n + 1 : 1);
        n = n > 0 ? listxattr(path, names, (size_t)n) : 0;
        nlen = n > 0 ? (size_t)n : 0;
        for (size_t i = 0; i < nlen; i += strlen(names + i) + 1)
                if (!strncmp(names + i, OWN_USE, strlen(OWN_USE)))
                        return 0; /* another cache dir still needs it */
        int r = 0;
        if (xattr_get(path, OWN_SET, &set, &slen) == 0 && acl_get(path, (void **)&now, &len) == 0 && now &&
            len == slen && !memcmp(now, set, len)) {
                if (olen ? setxattr(path, ACL_XATTR, orig, olen, 0) : removexattr(path, ACL_XATTR))
                        r = -errno;
        } else {
                log_warning("%s: the ACL of %s changed since we added u:%s:--x to it: left as it is", a->what, path,
                            a->sc.user ? a->sc.user : "(squid's user)");
        }
        if (r < 0) {
                *err = xasprintf("%s: %s: putting its ACL back: %s", a->what, path, strerror(-r));
                return r;
        }
        (void)removexattr(path, OWN_SET);
        (void)removexattr(path, OWN_ORIG);
        log_info("%s: %s has the ACL it had before this cache (and no entry of ours)", a->what, path);
        return 0;
}

/* acl_lock: every grant and release on this host, one at a time: a release
 * must not put an ACL back between another cache's grant and its claim.
 * The lock is the root directory's (flock), held while the fd is open. */
static int acl_lock(const struct cache_args *a, char **err) {
        int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) < 0) {
                int r = vc_fail_errno(err, "%s: locking / for the ACLs of the cache dirs", a->what);
                if (fd >= 0)
                        close(fd);
                return r;
        }
        return fd;
}

/* ancestors: "/" and every directory on the way to a->dir's parent
 * (resolved when it exists), NULL-terminated, malloc'd. */
static char **ancestors(const struct cache_args *a, char **err) {
        _cleanup_free_ char *parent = xstrdup(a->dir);
        char *slash = strrchr(parent, '/');
        slash[slash == parent ? 1 : 0] = 0;
        _cleanup_free_ char *real = realpath(parent, NULL);
        if (!real) {
                int e = errno;
                *err = xasprintf("%s: %s, the parent of dir %s: %s", a->what, parent, a->dir, strerror(e));
                return NULL;
        }
        char **v = NULL;
        strv_push(&v, "/");
        size_t len = strlen(real);
        for (size_t k = 2; k <= len; k++)
                if (k == len || real[k] == '/') {
                        char c = real[k];
                        real[k] = 0;
                        strv_push(&v, real);
                        real[k] = c;
                }
        return v;
}

/* grant_search: every ancestor of dir lets the user search it (ensure_search on each, from / down);
 * *claimed once one of our entries is claimed for dir (release_search undoes it). */
int vc_cache_grant_search(const struct cache_args *a, const char *user, uid_t uid, const gid_t *gids, size_t ngids,
                        bool *claimed, char **err) {
        _cleanup_strv_ char **v = ancestors(a, err);
        if (!v)
                return -ENOENT;
        _cleanup_close_ int lock = acl_lock(a, err);
        if (lock < 0)
                return lock;
        int r = 0;
        for (size_t i = 0; r == 0 && v[i]; i++)
                r = ensure_search(a, v[i], user, uid, gids, ngids, claimed, err);
        return r;
}

/* release_search: dir's claims on our ACL entries dropped, the last one's entries removed. */
int vc_cache_release_search(const struct cache_args *a, char **err) {
        _cleanup_free_ char *why = NULL;
        _cleanup_strv_ char **v = ancestors(a, &why);
        if (!v)
                return 0; /* its parent is gone: so are the claims below it, and those above are kept */
        _cleanup_close_ int lock = acl_lock(a, err);
        if (lock < 0)
                return lock;
        int r = 0;
        for (size_t i = strv_len(v); i-- > 0;) {
                _cleanup_free_ char *e = NULL;
                int q = release(a, v[i], &e);
                if (q < 0 && r == 0) {
                        r = q;
                        *err = TAKE_PTR(e);
                }
        }
        return r;
}
