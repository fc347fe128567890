/* netns.c — named network namespaces, as iproute2 makes them, without
 * running it: the namespace is bind-mounted on /run/netns/NAME, and
 * /run/netns is a shared mount so the name is seen from every mount
 * namespace that was copied from ours. */
#include "netns.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <linux/magic.h>
#include <linux/nsfs.h>

#include "log.h"
#include "run.h"
#include "util.h"

#define SELF_NS "/proc/thread-self/ns/net"

int vc_ifname_check(const char *name, char **err) {
        if (!name || !*name) {
                *err = xstrdup("empty interface name");
                return -EINVAL;
        }
        if (strlen(name) > IFNAMSIZ - 1) {
                *err = xasprintf("interface name '%s' is longer than %d characters", name, IFNAMSIZ - 1);
                return -ENAMETOOLONG;
        }
        if (streq(name, ".") || streq(name, "..")) {
                *err = xasprintf("'%s' is not a valid interface name", name);
                return -EINVAL;
        }
        for (const char *p = name; *p; p++)
                if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
                        *err = xasprintf("interface name '%s' contains a character that is not allowed ('/', ':', "
                                         "white space or a control character)",
                                         name);
                        return -EINVAL;
                }
        return 0;
}

int vc_netns_name_check(const char *name, char **err) {
        if (!name || !*name) {
                *err = xstrdup("empty network namespace name");
                return -EINVAL;
        }
        if (strlen(name) > NAME_MAX) {
                *err = xasprintf("network namespace name '%.32s…' is longer than %d characters", name, NAME_MAX);
                return -ENAMETOOLONG;
        }
        if (streq(name, ".") || streq(name, "..") || strchr(name, '/')) {
                *err = xasprintf("'%s' is not a valid network namespace name", name);
                return -EINVAL;
        }
        return 0;
}

/* is_netns: whether fd refers to a network namespace (nsfs, of type net). */
static bool is_netns(int fd) {
        struct statfs s;
        if (fstatfs(fd, &s) < 0 || s.f_type != NSFS_MAGIC)
                return false;
        int t = ioctl(fd, NS_GET_NSTYPE);
        return t < 0 || t == CLONE_NEWNET; /* kernels before 4.11 cannot say: setns will check */
}

bool vc_netns_exists(const char *name) {
        if (!name)
                return true;
        char *err = NULL;
        if (vc_netns_name_check(name, &err) < 0) {
                free(err);
                return false;
        }
        _cleanup_free_ char *path = xasprintf(VC_NETNS_DIR "/%s", name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        return fd >= 0 && is_netns(fd);
}

int vc_netns_open(const char *name, int *fd, char **err) {
        *fd = -1;
        if (!name) {
                *fd = open(SELF_NS, O_RDONLY | O_CLOEXEC);
                if (*fd < 0)
                        return vc_fail_errno(err, "opening this thread's network namespace (%s)", SELF_NS);
                return 0;
        }
        int r = vc_netns_name_check(name, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = xasprintf(VC_NETNS_DIR "/%s", name);
        _cleanup_close_ int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (f < 0) {
                int e = errno;
                if (e == ENOENT)
                        *err = xasprintf("network namespace %s does not exist (no %s)", name, path);
                else
                        *err = xasprintf("network namespace %s: opening %s: %s", name, path, strerror(e));
                return -e;
        }
        if (!is_netns(f)) {
                *err = xasprintf("network namespace %s does not exist (%s holds no network namespace)", name, path);
                return -ENOENT;
        }
        *fd = TAKE_FD(f);
        return 0;
}

/* back: return the thread to the namespace self refers to, or abort. */
static void back(int self, const char *from) {
        if (setns(self, CLONE_NEWNET) == 0)
                return;
        log_error("cannot return from network namespace %s to the original one: %s", from, strerror(errno));
        abort();
}

int vc_netns_run(const char *name, int (*fn)(void *arg, char **err), void *arg, char **err) {
        if (!name)
                return fn(arg, err);
        _cleanup_close_ int target = -1, self = -1;
        int r = vc_netns_open(name, &target, err);
        if (r < 0)
                return r;
        r = vc_netns_open(NULL, &self, err);
        if (r < 0)
                return r;
        if (setns(target, CLONE_NEWNET) < 0)
                return vc_fail_errno(err, "entering network namespace %s", name);
        r = fn(arg, err);
        back(self, name);
        return r;
}

/* shared_dir: /run/netns exists and is a shared mount point (iproute2's way:
 * bind-mount it on itself when it is no mount point yet). */
static int shared_dir(char **err) {
        if (mkdir(VC_NETNS_DIR, 0755) < 0 && errno != EEXIST)
                return vc_fail_errno(err, "creating %s", VC_NETNS_DIR);
        bool bound = false;
        while (mount("", VC_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
                int e = errno;
                if (e != EINVAL || bound) {
                        *err = xasprintf("making %s a shared mount: %s", VC_NETNS_DIR, strerror(e));
                        return -e;
                }
                if (mount(VC_NETNS_DIR, VC_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0) {
                        e = errno;
                        *err = xasprintf("bind-mounting %s on itself: %s", VC_NETNS_DIR, strerror(e));
                        return -e;
                }
                bound = true;
        }
        return 0;
}

int vc_netns_add(const char *name, bool *made, char **err) {
        *made = false;
        int r = vc_netns_name_check(name, err);
        if (r < 0)
                return r;
        if (vc_netns_exists(name))
                return 0;
        if ((r = shared_dir(err)) < 0)
                return r;
        _cleanup_free_ char *path = xasprintf(VC_NETNS_DIR "/%s", name);
        /* The mount point; one left empty by a crash between here and the mount is used again. */
        int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
        bool created = fd >= 0;
        if (fd < 0 && errno != EEXIST)
                return vc_fail_errno(err, "network namespace %s: creating %s", name, path);
        if (fd >= 0)
                close(fd);
        _cleanup_close_ int self = -1;
        if ((r = vc_netns_open(NULL, &self, err)) < 0)
                goto fail;
        if (unshare(CLONE_NEWNET) < 0) {
                r = -errno;
                *err = xasprintf("network namespace %s: unshare: %s", name, strerror(-r));
                goto fail;
        }
        r = mount(SELF_NS, path, "none", MS_BIND, NULL) < 0 ? -errno : 0;
        back(self, name);
        if (r < 0) {
                *err = xasprintf("network namespace %s: bind-mounting it on %s: %s", name, path, strerror(-r));
                goto fail;
        }
        *made = true;
        log_debug("created network namespace %s", name);
        return 0;
fail:
        if (created)
                unlink(path);
        return r;
}

int vc_netns_del(const char *name, char **err) {
        int r = vc_netns_name_check(name, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = xasprintf(VC_NETNS_DIR "/%s", name);
        struct stat st;
        if (lstat(path, &st) < 0 && errno == ENOENT)
                return 0;
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                return vc_fail_errno(err, "network namespace %s: unmounting %s", name, path);
        if (unlink(path) < 0 && errno != ENOENT)
                return vc_fail_errno(err, "network namespace %s: removing %s", name, path);
        log_debug("deleted network namespace %s", name);
        return 0;
}

int vc_netns_nft(const char *name, const char *ruleset, char **err) {
        const char *in_ns[] = {"ip", "netns", "exec", name, "nft", "-f", "-", NULL};
        const char *here[] = {"nft", "-f", "-", NULL};
        struct vc_run_result res = {0};
        int r = vc_run(name ? in_ns : here, ruleset, 10000, &res);
        if (r == 0 && (res.status != 0 || res.timed_out))
                r = -EIO;
        if (r < 0) {
                const char *why = res.err && *res.err ? res.err : res.timed_out ? "timed out" : strerror(-r);
                size_t n = strlen(why);
                while (n && why[n - 1] == '\n')
                        n--;
                *err = xasprintf("%s: nft -f -: %.*s", name ? name : "this node's own namespace", (int)n, why);
        }
        vc_run_result_free(&res);
        return r;
}
