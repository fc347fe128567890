#include "chap_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "util.h"

char *vc_chap_file_path(const char *state_dir, int64_t job) {
        return xasprintf("%s/secrets/%lld.chap", state_dir, (long long)job);
}

char *vc_tunnel_key_path(const char *state_dir, int64_t job) {
        return xasprintf("%s/secrets/%lld.tunnel", state_dir, (long long)job);
}

char *vc_ssh_seed_path(const char *state_dir, int64_t job) {
        return xasprintf("%s/secrets/%lld.ssh", state_dir, (long long)job);
}

/* The kinds of job secret, told apart by the file's suffix. */
struct kind {
        const char *what;
        size_t len;
        const char *alphabet;
};
static const struct kind chap_kind = {"CHAP secret", VC_CHAP_SECRET_LEN,
                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"};
static const struct kind tunnel_kind = {"tunnel key", VC_TUNNEL_KEY_LEN, "0123456789abcdef"};
static const struct kind ssh_kind = {"SSH seed", VC_SSH_SEED_LEN, "0123456789abcdef"};

static const struct kind *kind_of(const char *path) {
        size_t n = strlen(path);
        if (n > 4 && streq(path + n - 4, ".ssh"))
                return &ssh_kind;
        return n > 7 && streq(path + n - 7, ".tunnel") ? &tunnel_kind : &chap_kind;
}

static bool secret_ok(const struct kind *k, const char *s, size_t n) {
        if (n != k->len)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!s[i] || !strchr(k->alphabet, s[i]))
                        return false;
        return true;
}

int vc_chap_file_read(const char *path, char **secret, char **err) {
        const struct kind *k = kind_of(path);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                *err = xasprintf("%s %s: %s", k->what, path, strerror(errno));
                return -errno;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
                *err = xasprintf("%s %s: must be a regular file of uid %u with mode 0600", k->what, path,
                                 (unsigned)geteuid());
                return -EPERM;
        }
        char *text = NULL;
        size_t len = 0;
        int r = read_fd(fd, 1024, &text, &len);
        if (r < 0) {
                *err = xasprintf("%s %s: %s", k->what, path, strerror(-r));
                return r;
        }
        if (!secret_ok(k, text, len)) {
                explicit_bzero(text, len);
                free(text);
                *err = xasprintf("%s %s: malformed (not %zu of [%s])", k->what, path, k->len, k->alphabet);
                return -EBADMSG;
        }
        *secret = text;
        return 0;
}

static int fsync_dir(const char *path) {
        _cleanup_free_ char *copy = xstrdup(path);
        _cleanup_close_ int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 || fsync(fd) < 0 ? -errno : 0;
}

/* make_dir: the secrets directory, 0700, created if missing. */
static int make_dir(const char *file, char **err) {
        _cleanup_free_ char *copy = xstrdup(file);
        const char *dir = dirname(copy);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                *err = xasprintf("cannot create %s: %s", dir, strerror(errno));
                return -errno;
        }
        struct stat st;
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
                *err = xasprintf("%s: must be a directory of uid %u with mode 0700", dir, (unsigned)geteuid());
                return -EPERM;
        }
        return 0;
}

/* generate: k->len characters of k->alphabet from getrandom(). */
static void generate(const struct kind *k, char *out) {
        size_t m = strlen(k->alphabet), limit = 256 - 256 % m;
        unsigned char rnd[64];
        size_t i = 0;
        while (i < k->len) {
                ssize_t n = getrandom(rnd, sizeof(rnd), 0);
                /* Rejection sampling: bytes past the last whole multiple of m would bias the first characters. */
                for (ssize_t b = 0; b < n && i < k->len; b++)
                        if (rnd[b] < limit)
                                out[i++] = k->alphabet[rnd[b] % m];
        }
        explicit_bzero(rnd, sizeof(rnd));
}

int vc_chap_step_do(void *ctx, json_t *args, char **err) {
        const char *file = vc_step_arg(args, "file");
        if (!file) {
                *err = xstrdup("malformed storage.chap or tunnel.key step: needs \"file\"");
                return -EINVAL;
        }
        int r = make_dir(file, err);
        if (r < 0)
                return vc_step_untouched(r);
        _cleanup_free_ char *old = NULL, *rerr = NULL;
        if (vc_chap_file_read(file, &old, &rerr) == 0) {
                explicit_bzero(old, strlen(old));
                return 0;
        }
        (void)unlink(file); /* a torn or foreign file: replace it */
        int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                *err = xasprintf("cannot create %s: %s", file, strerror(errno));
                return -errno;
        }
        const struct kind *k = kind_of(file);
        char s[VC_TUNNEL_KEY_LEN];
        generate(k, s);
        r = write_all(fd, s, k->len);
        explicit_bzero(s, sizeof(s));
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r == 0)
                r = fsync_dir(file);
        if (r < 0)
                *err = xasprintf("cannot write %s: %s", file, strerror(-r));
        return r;
}

int vc_chap_step_undo(void *ctx, json_t *args, char **err) {
        const char *file = vc_step_arg(args, "file");
        if (!file) {
                *err = xstrdup("malformed storage.chap or tunnel.key step: needs \"file\"");
                return -EINVAL;
        }
        if (unlink(file) < 0 && errno != ENOENT) {
                *err = xasprintf("cannot remove %s: %s", file, strerror(errno));
                return -errno;
        }
        return 0;
}
