/* seed.c — the node steps that give cloud-init guests who they are:
 * guest.seed (a NoCloud volume per guest) and user.keys (the job's key pair
 * for its user on the node). Both derive the job's SSH keys (sshkey.h) from
 * the seed in the node ctx at the time they run: no private key is ever in
 * a step's args (journaled), a plan or an argv. */
#include "seed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "cloudinit.h"
#include "node.h"
#include "run.h"
#include "sshkey.h"
#include "util.h"

/* Seed files, each written into the 0700 scratch dir beside the volume. */
static const char *const seed_files[] = {"meta-data", "network-config", "user-data"};

char *vc_guest_seed_path(const char *dir, const char *name) { return xasprintf("%s/%s.seed", dir, name); }

char *vc_user_keys_dir(const char *state_dir, const char *node, long long job) {
        return xasprintf("%s/keys/%s/%lld", state_dir, node, job);
}

static int write_new(int dirfd, const char *name, const char *text, mode_t mode, uid_t uid, gid_t gid) {
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        int r = write_all(fd, text, strlen(text));
        if (r == 0 && fchown(fd, uid, gid) < 0)
                r = -errno;
        if (r == 0 && fchmod(fd, mode) < 0) /* not the umask's idea */
                r = -errno;
        return r;
}

/* remove_tree: dirfd's entries, depth-first, never following a symlink (the
 * directory may be a user's); then name itself in parent. 0 when gone. */
static int remove_tree(int parent, const char *name, unsigned depth) {
        _cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
                return unlinkat(parent, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (fd < 0)
                return -errno;
        if (depth > 16)
                return -ELOOP;
        int dup_fd = dup(fd);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
                if (dup_fd >= 0)
                        close(dup_fd);
                return -errno;
        }
        int r = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (streq(e->d_name, ".") || streq(e->d_name, ".."))
                        continue;
                int q = e->d_type == DT_DIR ? remove_tree(fd, e->d_name, depth + 1)
                                            : (unlinkat(fd, e->d_name, 0) < 0 && errno != ENOENT ? -errno : 0);
                if (q < 0 && r == 0)
                        r = q;
        }
        closedir(d);
        if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

int vc_remove_path(const char *path) {
        _cleanup_free_ char *copy = xstrdup(path);
        char *slash = strrchr(copy, '/');
        if (!slash || !slash[1])
                return -EINVAL;
        *slash = 0;
        _cleanup_close_ int dfd = open(*copy ? copy : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : -errno;
        return remove_tree(dfd, slash + 1, 0);
}

static const char *ctx_seed(void *ctx) { return ctx ? ((struct vc_node_ctx *)ctx)->ssh_seed : NULL; }

/* user_key: the job's key pair, from the ctx's seed. */
static int user_key(void *ctx, int64_t job, struct vc_sshkey *k, char **err) {
        _cleanup_free_ char *comment = xasprintf("vcluster-job-%lld", (long long)job);
        int r = vc_sshkey_derive(ctx_seed(ctx), "user", comment, k);
        if (r < 0)
                *err = xstrdup(ctx_seed(ctx) ? "cannot derive the job's SSH keys (libcrypto)"
                                             : "the job's SSH seed is not in the node's context");
        return r;
}

char *vc_seed_known_hosts(const char *seed_hex, const json_t *hosts) {
        char *t = xstrdup("");
        size_t i;
        json_t *h;
        json_array_foreach(hosts, i, h) {
                const char *name = json_string_value(json_object_get(h, "name"));
                _cleanup_free_ char *label = xasprintf("host %s", name);
                struct vc_sshkey k;
                if (vc_sshkey_derive(seed_hex, label, name, &k) < 0) {
                        free(t);
                        return NULL;
                }
                /* "NAME,IP ssh-ed25519 KEY": the comment (the name again) dropped */
                char *sp = strrchr(k.pub, ' ');
                *sp = 0;
                char *n = xasprintf("%s%s,%s %s\n", t, name, json_string_value(json_object_get(h, "ip")), k.pub);
                vc_sshkey_clear(&k);
                free(t);
                t = n;
        }
        return t;
}

/* seed_texts: the three files of guest args' seed, user-data with the keys. */
static int seed_texts(void *ctx, json_t *args, char *out[3], char **err) {
        const json_t *g = json_object_get(args, "guest"), *u = json_object_get(args, "user");
        const char *name = vc_step_arg(g, "name");
        struct vc_ci_guest cg = {.name = name, .instance = vc_step_arg(g, "instance"), .mac = vc_step_arg(g, "mac"),
                                 .ip = vc_step_arg(g, "ip"),
                                 .prefix = (unsigned)json_integer_value(json_object_get(g, "prefix")),
                                 .mtu = (unsigned)json_integer_value(json_object_get(g, "mtu")),
                                 .public_mac = vc_step_arg(g, "public_mac"),
                                 .slots = (unsigned)json_integer_value(json_object_get(g, "slots")),
                                 .share = vc_step_arg(g, "share")};
        if (!name || !cg.instance || !cg.mac || !cg.ip || !u) {
                *err = xstrdup("guest.seed: needs \"guest\" {name, instance, mac, ip, prefix} and \"user\"");
                return -EINVAL;
        }
        struct vc_node_ctx *c = ctx;
        struct vc_ci_part part = {0};
        if (json_is_true(json_object_get(args, "user_part"))) {
                if (!c || !c->user_data) {
                        *err = xasprintf("guest %s: the job's user-data is not in the node's context", name);
                        return -EINVAL;
                }
                part = (struct vc_ci_part){c->user_data, c->user_data_len};
        }
        _cleanup_(vc_sshkey_clear) struct vc_sshkey uk = {0}, hk = {0};
        int r = user_key(ctx, json_integer_value(json_object_get(args, "job")), &uk, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *label = xasprintf("host %s", name);
        if ((r = vc_sshkey_derive(ctx_seed(ctx), label, name, &hk)) < 0) {
                *err = xstrdup("cannot derive the guest's SSH host key");
                return r;
        }
        struct vc_ci_user cu = {.name = vc_step_arg(u, "name"), .group = vc_step_arg(u, "group"),
                                .uid = (uid_t)json_integer_value(json_object_get(u, "uid")),
                                .gid = (gid_t)json_integer_value(json_object_get(u, "gid")),
                                .sudo = json_is_true(json_object_get(u, "sudo")), .keys = json_object_get(u, "keys"),
                                .pub = uk.pub, .priv = uk.priv, .known_hosts = vc_step_arg(args, "known_hosts")};
        if (!cu.known_hosts)
                cu.known_hosts = "";
        out[2] = vc_ci_user_data(&cg, &cu, json_object_get(args, "hosts"), hk.pub, hk.priv, part.text ? &part : NULL,
                                 err);
        if (!out[2])
                return -EINVAL;
        out[0] = vc_ci_meta_data(&cg);
        out[1] = vc_ci_network_config(&cg);
        return 0;
}

/* guest.seed — args {path, job, guest: {name, instance, mac, ip, prefix, mtu,
 * public_mac?, slots, share?}, user: {name, group, uid, gid, sudo, keys},
 * hosts: [{name, ip}], known_hosts, user_part}. Do writes the seed files
 * into PATH.d (0700, root's), makes the volume there with cloud-localds,
 * gives it to the job's user (0600: QEMU runs as that user and opens it;
 * it holds nothing the user may not have, the job's key and its guests'
 * host keys), renames it to path and removes the scratch dir; undo
 * removes both. */
int vc_guest_seed_do(void *ctx, json_t *args, char **err) {
        const char *path = vc_step_arg(args, "path");
        if (!path) {
                *err = xstrdup("guest.seed: needs \"path\"");
                return -EINVAL;
        }
        _cleanup_free_ char *scratch = xasprintf("%s.d", path), *tmp = xasprintf("%s.d/seed.img", path);
        int r = vc_remove_path(scratch);
        if (r == 0 && mkdir(scratch, 0700) < 0)
                r = -errno;
        if (r < 0) {
                *err = xasprintf("%s: %s", scratch, strerror(-r));
                return r;
        }
        char *text[3] = {0};
        r = seed_texts(ctx, args, text, err);
        _cleanup_close_ int dfd = r == 0 ? open(scratch, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (r == 0 && dfd < 0)
                r = -errno;
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(seed_files); i++)
                if ((r = write_new(dfd, seed_files[i], text[i], 0600, 0, 0)) < 0)
                        *err = xasprintf("%s/%s: %s", scratch, seed_files[i], strerror(-r));
        for (size_t i = 0; i < 3; i++)
                secret_freep(&text[i]);
        if (r < 0) {
                if (!*err)
                        *err = xasprintf("%s: %s", scratch, strerror(-r));
                (void)vc_remove_path(scratch);
                return r;
        }
        _cleanup_free_ char *md = xasprintf("%s/meta-data", scratch), *nc = xasprintf("%s/network-config", scratch),
                            *ud = xasprintf("%s/user-data", scratch);
        /* cloud-image-utils: an ISO 9660 volume labelled cidata (genisoimage) */
        const char *argv[] = {"cloud-localds", "-N", nc, tmp, ud, md, NULL};
        struct vc_run_result res = {0};
        r = vc_run(argv, NULL, 60000, &res);
        if (r == 0 && res.status != 0)
                r = -EIO;
        if (r < 0)
                *err = xasprintf("guest seed %s: cloud-localds: %s", path,
                                 res.err && *res.err ? res.err : strerror(r == -EIO ? EIO : -r));
        vc_run_result_free(&res);
        const json_t *u = json_object_get(args, "user");
        if (r == 0 && (chown(tmp, (uid_t)json_integer_value(json_object_get(u, "uid")),
                             (gid_t)json_integer_value(json_object_get(u, "gid"))) < 0 ||
                       chmod(tmp, 0600) < 0))
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0 && !*err)
                *err = xasprintf("guest seed %s: %s", path, strerror(-r));
        int q = vc_remove_path(scratch);
        if (r == 0 && q < 0) {
                *err = xasprintf("%s: %s", scratch, strerror(-q));
                r = q;
        }
        return r;
}

int vc_guest_seed_undo(void *ctx, json_t *args, char **err) {
        const char *path = vc_step_arg(args, "path");
        if (!path) {
                *err = xstrdup("guest.seed: needs \"path\"");
                return -EINVAL;
        }
        _cleanup_free_ char *scratch = xasprintf("%s.d", path);
        int r = vc_remove_path(scratch);
        if (r == 0 && unlink(path) < 0 && errno != ENOENT)
                r = -errno;
        if (r < 0)
                *err = xasprintf("guest seed %s: %s", path, strerror(-r));
        return r;
}

/* vc_user_dir_parents: the two directories above DIR (StateDir/keys and
 * StateDir/keys/NODE, or access/…), root's and searchable (0711), so the
 * job's user reaches their own directory and lists nobody else's. StateDir
 * itself is there already. */
int vc_user_dir_parents(const char *dir, char **err) {
        _cleanup_free_ char *node = xstrdup(dir), *keys = NULL;
        char *slash = strrchr(node, '/');
        if (slash && slash != node) {
                *slash = 0;
                keys = xstrdup(node);
                slash = strrchr(keys, '/');
        }
        if (!keys || !slash || slash == keys) {
                *err = xasprintf("%s: not StateDir/KIND/NODE/JOB", dir);
                return -EINVAL;
        }
        *slash = 0;
        const char *const level[] = {keys, node};
        for (size_t i = 0; i < ARRAY_SIZE(level); i++) {
                /* Several slurmd of one host may share StateDir and make these at once. */
                struct stat st;
                if (mkdir(level[i], 0711) < 0 && errno != EEXIST) {
                        *err = xasprintf("%s: %s", level[i], strerror(errno));
                        return -errno;
                }
                if (lstat(level[i], &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0) {
                        *err = xasprintf("%s: not a directory of root's", level[i]);
                        return -ENOTDIR;
                }
        }
        return 0;
}

/* user.keys — args {dir, job, uid, gid, known_hosts}: dir (the user's, 0700)
 * with id_ed25519 (0600), id_ed25519.pub and known_hosts, all the user's.
 * Everything is written while dir is still root's, then handed over, so
 * the user never sees a half-made directory. Undo removes dir and what
 * the user may have put in it, never following a link. */
int vc_user_keys_do(void *ctx, json_t *args, char **err) {
        const char *dir = vc_step_arg(args, "dir"), *kh = vc_step_arg(args, "known_hosts");
        json_t *juid = json_object_get(args, "uid"), *jgid = json_object_get(args, "gid");
        if (!dir || dir[0] != '/' || !kh || !json_is_integer(juid) || !json_is_integer(jgid)) {
                *err = xstrdup("user.keys: needs \"dir\" (absolute), \"uid\", \"gid\", \"known_hosts\"");
                return -EINVAL;
        }
        uid_t uid = (uid_t)json_integer_value(juid);
        gid_t gid = (gid_t)json_integer_value(jgid);
        _cleanup_(vc_sshkey_clear) struct vc_sshkey k = {0};
        int r = user_key(ctx, json_integer_value(json_object_get(args, "job")), &k, err);
        if (r < 0)
                return vc_step_untouched(r);
        if ((r = vc_user_dir_parents(dir, err)) < 0)
                return vc_step_untouched(r);
        if ((r = vc_remove_path(dir)) < 0 || (mkdir(dir, 0700) < 0 && (r = -errno))) {
                *err = xasprintf("%s: %s", dir, strerror(-r));
                return r;
        }
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0) {
                *err = xasprintf("%s: %s", dir, strerror(errno));
                return -errno;
        }
        _cleanup_free_ char *pub = xasprintf("%s\n", k.pub);
        const char *names[] = {"id_ed25519", "id_ed25519.pub", "known_hosts"};
        const char *texts[] = {k.priv, pub, kh};
        const mode_t modes[] = {0600, 0644, 0644};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if ((r = write_new(dfd, names[i], texts[i], modes[i], uid, gid)) < 0) {
                        *err = xasprintf("%s/%s: %s", dir, names[i], strerror(-r));
                        return r;
                }
        if (fchown(dfd, uid, gid) < 0) {
                *err = xasprintf("%s: chown %u:%u: %s", dir, (unsigned)uid, (unsigned)gid, strerror(errno));
                return -errno;
        }
        return 0;
}

int vc_user_keys_undo(void *ctx, json_t *args, char **err) {
        const char *dir = vc_step_arg(args, "dir");
        if (!dir || dir[0] != '/') {
                *err = xstrdup("user.keys: needs \"dir\" (absolute)");
                return -EINVAL;
        }
        int r = vc_remove_path(dir);
        if (r < 0)
                *err = xasprintf("%s: %s", dir, strerror(-r));
        return r;
}
