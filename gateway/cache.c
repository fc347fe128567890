/* cache.c — the step "cache.squid" (cache.h): a squid of one cluster inside
 * the cluster's network namespace, its dir, the ruleset that sends the local
 * guests' HTTP to it, and preloading through its plain proxy port. */
#include "cache.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>

#include "escape.h"
#include "journal.h"
#include "log.h"
#include "netns.h"
#include "nodestate.h"
#include "pidref.h"
#include "run.h"
#include "squidconf.h"
#include "util.h"

/* squid -z makes 16 × 256 directories: seconds, even on a slow disk. */
#define SQUID_Z_TIMEOUT_MS 120000
/* `squid -f` only daemonizes; `nft`, `sysctl` are quick. */
#define CMD_TIMEOUT_MS 30000
/* From the start until squid accepts on both ports. */
#define READY_TIMEOUT_MS 30000
#define READY_POLL_MS 100
/* squid needs shutdown_lifetime (1 s) and some more after a SIGTERM. */
#define STOP_TERM_MS 10000
#define STOP_KILL_MS 5000
/* Preloading: this many URLs at a time; a fetch that gets no data this long fails. */
#define PRELOAD_PARALLEL 4
#define PRELOAD_IDLE_S 60
#define PRELOAD_LIST_MAX (16u << 20)
#define HEADER_MAX 16384
#define ACL_XATTR "system.posix_acl_access"
/* Our bookkeeping of an ACL entry we added, on the directory itself, in
 * root-only xattrs: the ACL before us and the one we set, and one claim per
 * cache dir that needs it (acl-use.HASH = the dir). The last claim to go
 * puts the ACL back. */
#define OWN_ORIG "trusted.vcluster.acl-orig"
#define OWN_SET "trusted.vcluster.acl-set"
#define OWN_USE "trusted.vcluster.acl-use."

/* ---- POSIX ACLs (the kernel's xattr format, linux/posix_acl_xattr.h) ---- */

#define ACL_XATTR_VERSION 2
enum {
        TAG_USER_OBJ = 0x01,
        TAG_USER = 0x02,
        TAG_GROUP_OBJ = 0x04,
        TAG_GROUP = 0x08,
        TAG_MASK = 0x10,
        TAG_OTHER = 0x20,
};
#define ACL_UNDEFINED_ID 0xffffffffu
#define PERM_X 1u

struct acl_ent {
        uint16_t tag, perm;
        uint32_t id;
};

/* acl_entries: the entries of xattr value acl, or the three mode implies when acl is NULL; room for 2 more. */
static int acl_entries(const void *acl, size_t len, mode_t mode, struct acl_ent **out, size_t *n) {
        *out = NULL;
        *n = 0;
        if (!acl) {
                struct acl_ent *e = xcalloc(5, sizeof(*e));
                e[0] = (struct acl_ent){TAG_USER_OBJ, (uint16_t)((mode >> 6) & 7), ACL_UNDEFINED_ID};
                e[1] = (struct acl_ent){TAG_GROUP_OBJ, (uint16_t)((mode >> 3) & 7), ACL_UNDEFINED_ID};
                e[2] = (struct acl_ent){TAG_OTHER, (uint16_t)(mode & 7), ACL_UNDEFINED_ID};
                *out = e;
                *n = 3;
                return 0;
        }
        const unsigned char *p = acl;
        uint32_t version;
        if (len < 4 || (len - 4) % 8 != 0)
                return -EINVAL;
        memcpy(&version, p, 4);
        if (le32toh(version) != ACL_XATTR_VERSION)
                return -EINVAL;
        size_t count = (len - 4) / 8;
        struct acl_ent *e = xcalloc(count + 2, sizeof(*e));
        for (size_t i = 0; i < count; i++) {
                const unsigned char *q = p + 4 + 8 * i;
                uint16_t tag, perm;
                uint32_t id;
                memcpy(&tag, q, 2);
                memcpy(&perm, q + 2, 2);
                memcpy(&id, q + 4, 4);
                e[i] = (struct acl_ent){le16toh(tag), le16toh(perm), le32toh(id)};
        }
        *out = e;
        *n = count;
        return 0;
}

bool vc_acl_permits_search(const void *acl, size_t len, uid_t owner, gid_t group, mode_t mode, uid_t uid,
                           const gid_t *gids, size_t ngids) {
        if (uid == 0)
                return true;
        _cleanup_free_ struct acl_ent *e = NULL;
        size_t n;
        if (acl_entries(acl, len, mode, &e, &n) < 0 && acl_entries(NULL, 0, mode, &e, &n) < 0)
                return false;
        unsigned mask = 7;
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == TAG_MASK)
                        mask = e[i].perm;
        if (uid == owner) {
                for (size_t i = 0; i < n; i++)
                        if (e[i].tag == TAG_USER_OBJ)
                                return e[i].perm & PERM_X;
                return false;
        }
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == TAG_USER && e[i].id == uid)
                        return e[i].perm & mask & PERM_X;
        bool matched = false;
        for (size_t i = 0; i < n; i++) {
                gid_t g = e[i].tag == TAG_GROUP_OBJ ? group : (gid_t)e[i].id;
                if (e[i].tag != TAG_GROUP_OBJ && e[i].tag != TAG_GROUP)
                        continue;
                for (size_t k = 0; k < ngids; k++)
                        if (gids[k] == g) {
                                matched = true;
                                if (e[i].perm & mask & PERM_X)
                                        return true;
                        }
        }
        if (matched)
                return false;
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == TAG_OTHER)
                        return e[i].perm & PERM_X;
        return false;
}

static int ent_cmp(const void *a, const void *b) {
        const struct acl_ent *x = a, *y = b;
        if (x->tag != y->tag)
                return x->tag < y->tag ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

int vc_acl_add_search(const void *acl, size_t len, mode_t mode, uid_t uid, void **out, size_t *out_len) {
        *out = NULL;
        *out_len = 0;
        _cleanup_free_ struct acl_ent *e = NULL;
        size_t n;
        int r = acl_entries(acl, len, mode, &e, &n);
        if (r < 0)
                return r;
        bool user = false, mask = false;
        unsigned group_class = 0;
        for (size_t i = 0; i < n; i++) {
                if (e[i].tag == TAG_USER && e[i].id == (uint32_t)uid) {
                        e[i].perm |= PERM_X;
                        user = true;
                }
                if (e[i].tag == TAG_USER || e[i].tag == TAG_GROUP_OBJ || e[i].tag == TAG_GROUP)
                        group_class |= e[i].perm;
        }
        if (!user)
                e[n++] = (struct acl_ent){TAG_USER, PERM_X, (uint32_t)uid};
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == TAG_MASK) {
                        e[i].perm |= PERM_X;
                        mask = true;
                }
        if (!mask)
                e[n++] = (struct acl_ent){TAG_MASK, (uint16_t)(group_class | PERM_X), ACL_UNDEFINED_ID};
        qsort(e, n, sizeof(*e), ent_cmp);
        size_t size = 4 + 8 * n;
        unsigned char *v = xmalloc(size);
        uint32_t version = htole32(ACL_XATTR_VERSION);
        memcpy(v, &version, 4);
        for (size_t i = 0; i < n; i++) {
                uint16_t tag = htole16(e[i].tag), perm = htole16(e[i].perm);
                uint32_t id = htole32(e[i].id);
                memcpy(v + 4 + 8 * i, &tag, 2);
                memcpy(v + 4 + 8 * i + 2, &perm, 2);
                memcpy(v + 4 + 8 * i + 4, &id, 4);
        }
        *out = v;
        *out_len = size;
        return 0;
}

/* ---- the step's arguments ---- */

struct cache_args {
        long long job;
        const char *netns, *dir, *lan, *preload;
        struct vc_squid_conf sc;
        const char **bypass;
        char *conf, *pidfile, *cachelog;
        char what[160]; /* "the cache of job J (netns NS)" for messages */
};

static void cache_args_clear(struct cache_args *a) {
        free(a->bypass);
        free(a->conf);
        free(a->pidfile);
        free(a->cachelog);
}

/* int_arg: integer member key of args into *v; -EINVAL with *err when missing or not an integer. */
static int int_arg(const json_t *args, const char *key, long long *v, char **err) {
        json_t *j = json_object_get(args, key);
        if (!json_is_integer(j)) {
                *err = xasprintf("cache.squid: \"%s\" must be an integer", key);
                return -EINVAL;
        }
        *v = json_integer_value(j);
        return 0;
}

/* plain_path: an absolute path below / without empty, "." or ".." components. */
static bool plain_path(const char *p) {
        if (p[0] != '/' || !p[1])
                return false;
        for (const char *c = p; *c;) {
                const char *s = c + 1;
                size_t n = strcspn(s, "/");
                if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                c = s + n;
        }
        return true;
}

/* cache_args_get: the args of the step; undo needs only netns and dir (job for messages). */
static int cache_args_get(const json_t *args, bool full, struct cache_args *a, char **err) {
        a->netns = vc_step_arg(args, "netns");
        a->dir = vc_step_arg(args, "dir");
        a->job = json_integer_value(json_object_get(args, "job"));
        if (!a->netns || !a->dir) {
                *err = xstrdup("cache.squid: needs \"job\", \"netns\", \"dir\", \"port\", \"proxy_port\", \"user\", "
                               "\"size_mb\", \"subnet\", \"lan\"");
                return -EINVAL;
        }
        int r = vc_netns_name_check(a->netns, err);
        if (r < 0)
                return r;
        if (!plain_path(a->dir)) {
                *err = xasprintf("cache.squid: dir '%s': must be an absolute, plain path below /", a->dir);
                return -EINVAL;
        }
        snprintf(a->what, sizeof(a->what), "the cache of job %lld (netns %s)", a->job, a->netns);
        a->conf = xasprintf("%s/" VC_SQUID_CONF_FILE, a->dir);
        a->pidfile = xasprintf("%s/" VC_SQUID_PID_FILE, a->dir);
        a->cachelog = xasprintf("%s/" VC_SQUID_CACHE_LOG, a->dir);
        if (!full)
                return 0;
        long long port, proxy_port;
        if ((r = int_arg(args, "job", &a->job, err)) < 0 || (r = int_arg(args, "port", &port, err)) < 0 ||
            (r = int_arg(args, "proxy_port", &proxy_port, err)) < 0 ||
            (r = int_arg(args, "size_mb", &a->sc.size_mb, err)) < 0)
                return r;
        a->lan = vc_step_arg(args, "lan");
        a->sc.user = vc_step_arg(args, "user");
        a->sc.subnet = vc_step_arg(args, "subnet");
        if (!a->lan || !a->sc.user || !a->sc.subnet) {
                *err = xstrdup("cache.squid: \"user\", \"subnet\" and \"lan\" must be strings");
                return -EINVAL;
        }
        snprintf(a->what, sizeof(a->what), "the cache of job %lld (netns %s)", a->job, a->netns);
        a->sc.job = a->job;
        a->sc.dir = a->dir;
        if (port < 1 || port > 65535 || proxy_port < 1 || proxy_port > 65535) {
                *err = xasprintf("%s: port %lld, proxy_port %lld: TCP ports are 1-65535", a->what, port, proxy_port);
                return -EINVAL;
        }
        a->sc.port = (int)port;
        a->sc.proxy_port = (int)proxy_port;
        json_t *b = json_object_get(args, "bypass"), *v;
        if (b && !json_is_null(b) && !json_is_array(b)) {
                *err = xstrdup("cache.squid: \"bypass\" must be a list of regular expressions");
                return -EINVAL;
        }
        size_t i, n = json_is_array(b) ? json_array_size(b) : 0;
        a->bypass = xcalloc(n + 1, sizeof(char *));
        json_array_foreach(b, i, v) {
                if (!json_is_string(v)) {
                        *err = xasprintf("cache.squid: bypass[%zu] is not a string", i);
                        return -EINVAL;
                }
                a->bypass[i] = json_string_value(v);
        }
        a->sc.bypass = a->bypass;
        json_t *p = json_object_get(args, "parent"), *pl = json_object_get(args, "preload");
        if ((p && !json_is_null(p) && !json_is_string(p)) || (pl && !json_is_null(pl) && !json_is_string(pl))) {
                *err = xstrdup("cache.squid: \"parent\" and \"preload\" must be strings or null");
                return -EINVAL;
        }
        a->sc.parent = json_string_value(p);
        a->preload = json_string_value(pl);
        return 0;
}

/* ---- processes ---- */

struct proc {
        pid_t pid, ppid;
        unsigned long long start; /* since boot, in clock ticks: tells a reused pid apart */
        bool ours, master;
};

/* squid_argv: whether pid runs squid with config conf: argv[0] squid (the
 * master) or "(squid-N)" (a kid), and "-f CONF" among its arguments. */
static bool squid_argv(pid_t pid, const char *conf, bool *master) {
        _cleanup_free_ char *s = NULL;
        size_t len;
        if (vc_proc_cmdline(pid, &s, &len) < 0)
                return false;
        const char *base = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
        bool is_master = streq(base, "squid");
        if (!is_master && strncmp(s, "(squid", 6) != 0)
                return false;
        if (!vc_argv_has_pair(s, len, "-f", conf))
                return false;
        if (master)
                *master = is_master;
        return true;
}

/* squid_procs: every process running squid with conf, and their
 * descendants (the kid's unlinkd), as a malloc'd array of *n. */
static struct proc *squid_procs(const char *conf, size_t *n) {
        *n = 0;
        DIR *d = opendir("/proc");
        if (!d)
                return NULL;
        struct proc *all = NULL;
        size_t cnt = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                unsigned long long pid;
                if (parse_uint(e->d_name, 1, INT_MAX, &pid) < 0)
                        continue;
                struct proc p = {.pid = (pid_t)pid};
                char st;
                if (vc_proc_stat(p.pid, &p.ppid, &st, &p.start) < 0 || st == 'Z' || st == 'X')
                        continue;
                p.ours = squid_argv(p.pid, conf, &p.master);
                if (cnt == cap) {
                        cap = cap ? 2 * cap : 256;
                        all = xrealloc(all, cap * sizeof(*all));
                }
                all[cnt++] = p;
        }
        closedir(d);
        for (bool more = true; more;) {
                more = false;
                for (size_t i = 0; i < cnt; i++)
                        for (size_t k = 0; !all[i].ours && k < cnt; k++)
                                if (all[k].ours && all[k].pid == all[i].ppid)
                                        all[i].ours = more = true;
        }
        size_t m = 0;
        for (size_t i = 0; i < cnt; i++)
                if (all[i].ours)
                        all[m++] = all[i];
        *n = m;
        if (m == 0) {
                free(all);
                return NULL;
        }
        return all;
}

/* pidfile_pid: the pid in the pid file when it is our squid's master, else 0. */
static pid_t pidfile_pid(const struct cache_args *a) {
        pid_t pid;
        bool master = false;
        if (vc_pid_file_read(a->pidfile, &pid) < 0 || !squid_argv(pid, a->conf, &master) || !master)
                return 0;
        return pid;
}

/* pidrefs_free: close the handles of n processes and free them. */
static void pidrefs_free(struct vc_pidref *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                vc_pidref_done(&v[i]);
        free(v);
}

/* squid_stop: no process runs squid with our config any more (nor a child of one). */
static int squid_stop(const struct cache_args *a, char **err) {
        size_t n;
        _cleanup_free_ struct proc *found = squid_procs(a->conf, &n);
        if (n == 0)
                return 0;
        /* A handle on each, the very process scanned (the same start time). */
        struct vc_pidref *v = xcalloc(n, sizeof(*v));
        _cleanup_free_ bool *term = xcalloc(n, sizeof(*term));
        size_t held = 0;
        bool master = false;
        for (size_t i = 0; i < n; i++)
                master |= found[i].master;
        for (size_t i = 0; i < n; i++) {
                struct vc_pidref p;
                if (vc_pidref_set_pid(&p, found[i].pid) < 0)
                        continue;
                if (p.start != found[i].start) {
                        vc_pidref_done(&p);
                        continue;
                }
                /* The master stops its kids; without one (it died), each gets the signal. */
                term[held] = found[i].master || !master;
                v[held++] = p;
        }
        _cleanup_free_ char *what = xasprintf("%s: squid process", a->what);
        pid_t stuck = 0;
        int r = vc_pidrefs_stop(v, held, term, STOP_TERM_MS, STOP_KILL_MS, what, &stuck);
        pidrefs_free(v, held);
        if (r == -ETIMEDOUT)
                return vc_fail(err, -EBUSY, "%s: squid process %d did not exit after SIGKILL", a->what, (int)stuck);
        if (r < 0)
                return vc_fail(err, -EBUSY, "%s: signalling squid process %d: %s", a->what, (int)stuck, strerror(-r));
        /* One that started meanwhile (a master restarting its kid) is caught now. */
        size_t again;
        _cleanup_free_ struct proc *w = squid_procs(a->conf, &again);
        if (again > 0) {
                *err = xasprintf("%s: squid process %d (config %s) still runs after it was stopped", a->what,
                                 (int)w[0].pid, a->conf);
                return -EBUSY;
        }
        log_info("%s: squid stopped (%zu process%s)", a->what, n, n == 1 ? "" : "es");
        return 0;
}

/* ---- files ---- */

/* rm_at: remove name (relative to dfd) and everything below it, never following a symlink. */
static int rm_at(int dfd, const char *name, const char *path, char **err) {
        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM) {
                return vc_fail_errno(err, "removing %s", path);
        }
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : vc_fail_errno(err, "opening %s", path);
        DIR *d = fdopendir(fd);
        if (!d) {
                int r = vc_fail_errno(err, "reading %s", path);
                close(fd);
                return r;
        }
        int r = 0;
        struct dirent *e;
        while (r == 0 && (e = readdir(d))) {
                if (streq(e->d_name, ".") || streq(e->d_name, ".."))
                        continue;
                _cleanup_free_ char *sub = xasprintf("%s/%s", path, e->d_name);
                r = rm_at(dirfd(d), e->d_name, sub, err);
        }
        closedir(d);
        if (r == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                r = -errno;
                *err = xasprintf("removing %s: %s", path, strerror(-r));
        }
        return r;
}

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
        if (setxattr(path, name, a->dir, strlen(a->dir), 0) < 0) {
                return vc_fail_errno(err, "%s: recording on %s that it needs the ACL entry there", a->what, path);
        }
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
        if (removexattr(path, name) < 0 && errno != ENODATA && errno != ENOENT) {
                return vc_fail_errno(err, "%s: %s: dropping its claim on the ACL entry", a->what, path);
        }
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
static int grant_search(const struct cache_args *a, const char *user, uid_t uid, const gid_t *gids, size_t ngids,
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
static int release_search(const struct cache_args *a, char **err) {
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

/* make_dirs: dir (root, 0711) with cache/ and log/ owned by the user
 * (0750); *ours once dir is known to be ours (made now, or root's from an
 * earlier run): only then may a failure remove it. */
static int make_dirs(const struct cache_args *a, uid_t uid, gid_t gid, bool *ours, char **err) {
        if (mkdir(a->dir, 0711) == 0)
                *ours = true;
        else if (errno != EEXIST) {
                return vc_fail_errno(err, "%s: creating %s", a->what, a->dir);
        }
        _cleanup_close_ int dfd = open(a->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (dfd < 0 || fstat(dfd, &st) < 0) {
                int e = errno;
                *err = xasprintf("%s: %s: %s", a->what, a->dir, e == ELOOP ? "a symlink, not a directory" : strerror(e));
                return -e;
        }
        if (st.st_uid != 0 || fchmod(dfd, 0711) < 0) {
                *err = xasprintf("%s: %s exists and is not root's: not a cache dir this step made", a->what, a->dir);
                return -EPERM;
        }
        *ours = true;
        const char *subs[] = {VC_SQUID_CACHE_SUBDIR, VC_SQUID_LOG_SUBDIR};
        for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
                if (mkdirat(dfd, subs[i], 0750) < 0 && errno != EEXIST) {
                        return vc_fail_errno(err, "%s: creating %s/%s", a->what, a->dir, subs[i]);
                }
                if (fstatat(dfd, subs[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
                    fchownat(dfd, subs[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
                        *err = xasprintf("%s: %s/%s: not a directory the squid user can be given", a->what, a->dir,
                                         subs[i]);
                        return -ENOTDIR;
                }
        }
        return 0;
}

/* log_size: the current length of squid's cache.log (0 when there is none). */
static off_t log_size(const struct cache_args *a) {
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
static char *log_problem(const struct cache_args *a, off_t from) {
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
static char *last_words(const struct cache_args *a, const struct vc_run_result *res, off_t from) {
        char *p = log_problem(a, from);
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
        _cleanup_free_ char *copy = xstrdup(src);
        size_t n = strlen(copy);
        while (n && (copy[n - 1] == '\n' || copy[n - 1] == ' '))
                copy[--n] = 0;
        char *last = strrchr(copy, '\n');
        return vc_escape(last ? last + 1 : copy);
}

/* ---- running things ---- */

/* run_ok: run argv (with input on stdin when not NULL); it must exit 0, else *err has its words. */
static int run_ok(const struct cache_args *a, const char *const argv[], const char *input, int timeout_ms,
                  char **err) {
        struct vc_run_result res;
        int r = vc_run(argv, input, timeout_ms, &res);
        if (r == 0 && res.status == 0) {
                vc_run_result_free(&res);
                return 0;
        }
        _cleanup_free_ char *cmd = vc_argv_format(argv);
        const char *msg = res.err && *res.err ? res.err : res.out && *res.out ? res.out : NULL;
        _cleanup_free_ char *m = xstrdup(msg ? msg : res.timed_out ? "timed out" : "no message");
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
                m[--n] = 0;
        for (char *c = m; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        *err = r < 0 ? xasprintf("%s: %s: %s", a->what, cmd, m)
                     : xasprintf("%s: %s: exit status %d: %s", a->what, cmd, res.status, m);
        bool timed_out = res.timed_out;
        vc_run_result_free(&res);
        return r < 0 ? r : timed_out ? -ETIMEDOUT : -EIO;
}

/* listen_fn: 1 when a TCP socket of this thread's network namespace listens
 * on port *arg (any address, IPv4 or IPv6), else 0. Read from the socket
 * tables, never by connecting: a connection to the intercept port that no
 * redirect made would make squid stop listening on it (squidconf.h). */
static int listen_fn(void *arg, char **err) {
        const int port = *(const int *)arg;
        const char *tables[] = {"/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"};
        for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
                _cleanup_free_ char *s = NULL;
                size_t len;
                int r = read_file(tables[i], &s, &len, 64u << 20);
                if (r == -ENOENT && i == 1) /* no IPv6 */
                        continue;
                if (r < 0) {
                        *err = xasprintf("reading %s: %s", tables[i], strerror(-r));
                        return r;
                }
                /* "  sl  local_address rem_address   st …", addresses HEX:PORT in hex */
                for (char *line = strchr(s, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
                        unsigned lport, st;
                        if (sscanf(line + 1, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &lport, &st) == 2 &&
                            st == 0x0A && lport == (unsigned)port)
                                return 1;
                }
        }
        return 0;
}

/* port_taken: 1 when something listens on TCP port in the namespace, 0 when not, or -errno. */
static int port_taken(const struct cache_args *a, int port, char **err) {
        _cleanup_free_ char *why = NULL;
        int r = vc_netns_run(a->netns, listen_fn, &port, &why);
        if (r < 0)
                *err = xasprintf("%s: looking for a listener on port %d: %s", a->what, port, why ? why : strerror(-r));
        return r;
}

/* wait_ready: squid (started with its log at offset from) listens on both
 * ports; fails early with squid's own words when it says it cannot. */
static int wait_ready(const struct cache_args *a, off_t from, pid_t *pid, char **err) {
        uint64_t until = now_ms() + READY_TIMEOUT_MS;
        *pid = 0;
        for (;;) {
                _cleanup_free_ char *problem = log_problem(a, from);
                if (problem) {
                        *err = xasprintf("%s: squid cannot work: %s (in %s)", a->what, problem, a->cachelog);
                        return strstr(problem, "in use") ? -EADDRINUSE : -EIO;
                }
                if (!*pid)
                        *pid = pidfile_pid(a);
                if (*pid) {
                        bool master;
                        if (!squid_argv(*pid, a->conf, &master)) {
                                _cleanup_free_ char *words = last_words(a, NULL, from);
                                *err = xasprintf("%s: squid (pid %d) exited while starting: %s", a->what, (int)*pid,
                                                 words);
                                return -EIO;
                        }
                        int r1 = port_taken(a, a->sc.port, err), r2 = r1 < 0 ? 0 : port_taken(a, a->sc.proxy_port, err);
                        if (r1 < 0 || r2 < 0)
                                return r1 < 0 ? r1 : r2;
                        if (r1 == 1 && r2 == 1)
                                return 0;
                }
                if (now_ms() >= until) {
                        _cleanup_free_ char *words = last_words(a, NULL, from);
                        *err = *pid ? xasprintf("%s: squid (pid %d) did not listen on ports %d and 127.0.0.1:%d "
                                                "within %d s: %s",
                                                a->what, (int)*pid, a->sc.port, a->sc.proxy_port,
                                                READY_TIMEOUT_MS / 1000, words)
                                    : xasprintf("%s: squid wrote no pid file %s within %d s: %s", a->what, a->pidfile,
                                                READY_TIMEOUT_MS / 1000, words);
                        return -ETIMEDOUT;
                }
                usleep(READY_POLL_MS * 1000);
        }
}

/* nft_load: load ruleset text into the namespace's nftables. */
static int nft_load(const struct cache_args *a, const char *text, char **err) {
        _cleanup_free_ char *why = NULL;
        int r = vc_netns_nft(a->netns, text, &why);
        if (r < 0)
                *err = xasprintf("%s: %s", a->what, why);
        return r;
}

/* squid_up: everything but preloading: dirs, config, bridge netfilter, the
 * guard, squid, the interception. On failure what it made is left for the
 * caller to undo, once *touched says there is something. */
static int squid_up(const struct cache_args *a, const struct passwd *pw, const char *conf_text, const char *guard,
                    const char *nft, bool *touched, char **err) {
        gid_t gids[256];
        int ng = (int)ARRAY_SIZE(gids);
        if (getgrouplist(pw->pw_name, pw->pw_gid, gids, &ng) < 0) {
                gids[0] = pw->pw_gid;
                ng = 1;
        }
        int r;
        if ((r = grant_search(a, pw->pw_name, pw->pw_uid, gids, (size_t)ng, touched, err)) < 0 ||
            (r = make_dirs(a, pw->pw_uid, pw->pw_gid, touched, err)) < 0)
                return r;
        _cleanup_free_ char *werr = NULL;
        if ((r = vc_write_file_atomic(a->conf, conf_text, strlen(conf_text), 0644, &werr)) < 0) {
                *err = xasprintf("%s: %s", a->what, werr);
                return r;
        }
        const char *bridge_nf[] = {"ip", "netns", "exec", a->netns, "sysctl", "-q", "-w",
                                   "net.bridge.bridge-nf-call-iptables=1", NULL};
        if ((r = run_ok(a, bridge_nf, NULL, CMD_TIMEOUT_MS, err)) < 0) {
                char *more = xasprintf("%s (interception needs bridge netfilter: the br_netfilter module)", *err);
                free(*err);
                *err = more;
                return r;
        }
        pid_t pid = pidfile_pid(a);
        if (pid) {
                log_info("%s: squid already runs (pid %d)", a->what, (int)pid);
                if ((r = wait_ready(a, log_size(a), &pid, err)) < 0)
                        return r;
        } else {
                /* A squid of ours without a valid pid file cannot be told to stop by squid itself: stop it. */
                if ((r = squid_stop(a, err)) < 0)
                        return r;
                if (unlink(a->pidfile) < 0 && errno != ENOENT) {
                        return vc_fail_errno(err, "%s: removing the stale %s", a->what, a->pidfile);
                }
                const int ports[] = {a->sc.port, a->sc.proxy_port};
                for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
                        if ((r = port_taken(a, ports[i], err)) < 0)
                                return r;
                        if (r == 1) {
                                *err = xasprintf("%s: TCP port %d in network namespace %s is already taken by "
                                                 "another program: squid cannot listen on it",
                                                 a->what, ports[i], a->netns);
                                return -EADDRINUSE;
                        }
                }
                /* Before squid listens, nothing but our redirect may reach the intercept port. */
                if ((r = nft_load(a, guard, err)) < 0)
                        return r;
                off_t from = log_size(a);
                const char *mkcache[] = {"squid", "-z", "-N", "-f", a->conf, NULL};
                struct vc_run_result res;
                r = vc_run(mkcache, NULL, SQUID_Z_TIMEOUT_MS, &res);
                if (r < 0 || res.status != 0) {
                        _cleanup_free_ char *cmd = vc_argv_format(mkcache), *words = last_words(a, &res, from);
                        *err = r < 0 ? xasprintf("%s: %s: %s (is squid installed?)", a->what, cmd, res.err)
                                     : xasprintf("%s: %s: exit status %d: %s", a->what, cmd, res.status, words);
                        vc_run_result_free(&res);
                        return r < 0 ? r : -EIO;
                }
                vc_run_result_free(&res);
                from = log_size(a);
                const char *start[] = {"ip", "netns", "exec", a->netns, "squid", "-f", a->conf, NULL};
                if ((r = run_ok(a, start, NULL, CMD_TIMEOUT_MS, err)) < 0)
                        return r;
                if ((r = wait_ready(a, from, &pid, err)) < 0)
                        return r;
                log_info("%s: squid started (pid %d), intercept port %d, proxy port 127.0.0.1:%d, cache %s/%s (%lld MB)",
                         a->what, (int)pid, a->sc.port, a->sc.proxy_port, a->dir, VC_SQUID_CACHE_SUBDIR,
                         a->sc.size_mb);
        }
        if ((r = nft_load(a, nft, err)) < 0)
                return r;
        log_info("%s: tcp/80 arriving on %s now goes to squid", a->what, a->lan);
        return 0;
}

/* cache_down: the undo, shared by the step's undo and a failed do. */
static int cache_down(const struct cache_args *a, char **err) {
        /* every part runs, whatever an earlier one said: a squid must not
         * outlive a failed nft call; the first error is the one reported */
        int r = 0, q;
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *why = NULL;
        if (vc_netns_exists(a->netns))
                r = nft_load(a, vc_squid_nft_delete(), &e1);
        if ((q = squid_stop(a, &e2)) < 0 && r == 0)
                r = q;
        if ((q = rm_at(AT_FDCWD, a->dir, a->dir, &why)) < 0 && r == 0)
                r = q;
        /* only once squid is gone: it needs the search until then */
        _cleanup_free_ char *e3 = NULL;
        if (r == 0 && (q = release_search(a, &e3)) < 0)
                r = q;
        if (r < 0)
                *err = e1 ? TAKE_PTR(e1) : e2 ? TAKE_PTR(e2) : e3 ? TAKE_PTR(e3) : xasprintf("%s: %s", a->what, why);
        return r;
}

/* ---- preloading ---- */

struct preload {
        const struct cache_args *a;
        char **urls;
        size_t n, next, ok;
        uint64_t bytes;
        pthread_mutex_t lock;
};

/* fetch_one: GET url through the proxy on 127.0.0.1:port (this thread's
 * namespace); the body's length in *bytes; 0, or -errno with *why. */
static int fetch_one(int port, const char *url, uint64_t *bytes, char **why) {
        *bytes = 0;
        _cleanup_free_ char *host = vc_url_authority(url);
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                *why = xasprintf("socket: %s", strerror(errno));
                return -EIO;
        }
        struct timeval tv = {.tv_sec = PRELOAD_IDLE_S};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                *why = xasprintf("connecting to the proxy port 127.0.0.1:%d: %s", port, strerror(errno));
                return -EIO;
        }
        /* HTTP/1.0: squid answers without chunking and closes after the body. */
        _cleanup_free_ char *req = xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: vcluster-preload\r\n"
                                             "Accept: */*\r\nConnection: close\r\n\r\n",
                                             url, host ? host : "");
        int r = vc_send_all(fd, req, strlen(req));
        if (r < 0) {
                *why = xasprintf("sending the request: %s", strerror(-r));
                return r;
        }
        _cleanup_free_ char *buf = xmalloc(65536);
        size_t have = 0, head = 0;
        uint64_t body = 0;
        long long length = -1;
        int code = 0;
        for (;;) {
                ssize_t got = recv(fd, buf + (head ? 0 : have), head ? 65536 : HEADER_MAX - 1 - have, 0);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        *why = errno == EAGAIN || errno == EWOULDBLOCK
                                       ? xasprintf("no data for %d s", PRELOAD_IDLE_S)
                                       : xasprintf("receiving: %s", strerror(errno));
                        return -EIO;
                }
                if (head) {
                        if (got == 0)
                                break;
                        body += (uint64_t)got;
                        continue;
                }
                have += (size_t)got;
                buf[have] = 0;
                char *end = strstr(buf, "\r\n\r\n");
                if (!end) {
                        if (got == 0 || have >= HEADER_MAX - 1) {
                                *why = xstrdup(got == 0 ? "the proxy closed the connection before the headers ended"
                                                        : "the response headers are too long");
                                return -EIO;
                        }
                        continue;
                }
                head = (size_t)(end - buf) + 4;
                *end = 0;
                if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1) {
                        *why = xasprintf("not an HTTP response: '%.60s'", buf);
                        return -EIO;
                }
                if (code != 200) {
                        buf[strcspn(buf, "\r\n")] = 0;
                        *why = xasprintf("'%s'", buf);
                        return -EIO;
                }
                for (char *l = strstr(buf, "\r\n"); l; l = strstr(l + 2, "\r\n"))
                        if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
                                length = strtoll(l + 17, NULL, 10);
                body = have - head;
                if (got == 0)
                        break;
        }
        if (length >= 0 && body != (uint64_t)length) {
                *why = xasprintf("the connection closed after %llu of %lld bytes", (unsigned long long)body, length);
                return -EIO;
        }
        *bytes = body;
        return 0;
}

/* preload_worker: fetch URLs off the shared list until there are none (in the namespace). */
static int preload_worker(void *arg, char **err) {
        struct preload *p = arg;
        for (;;) {
                pthread_mutex_lock(&p->lock);
                size_t i = p->next < p->n ? p->next++ : p->n;
                pthread_mutex_unlock(&p->lock);
                if (i == p->n)
                        return 0;
                uint64_t bytes;
                _cleanup_free_ char *why = NULL;
                if (fetch_one(p->a->sc.proxy_port, p->urls[i], &bytes, &why) < 0) {
                        log_warning("%s: preloading %s: %s", p->a->what, p->urls[i], why);
                        continue;
                }
                pthread_mutex_lock(&p->lock);
                p->ok++;
                p->bytes += bytes;
                pthread_mutex_unlock(&p->lock);
        }
}

static void *preload_thread(void *arg) {
        struct preload *p = arg;
        _cleanup_free_ char *err = NULL;
        if (vc_netns_run(p->a->netns, preload_worker, p, &err) < 0)
                log_warning("%s: preloading: %s", p->a->what, err);
        return NULL;
}

/* preload: every URL through the proxy port, PRELOAD_PARALLEL at a time; failures are warnings. */
static void preload(const struct cache_args *a, char **urls) {
        struct preload p = {.a = a, .urls = urls, .n = strv_len(urls)};
        pthread_mutex_init(&p.lock, NULL);
        pthread_t t[PRELOAD_PARALLEL];
        size_t nt = 0;
        uint64_t t0 = now_ms();
        for (size_t i = 0; i < PRELOAD_PARALLEL && i < p.n; i++)
                if (pthread_create(&t[nt], NULL, preload_thread, &p) == 0)
                        nt++;
        if (nt == 0 && p.n > 0)
                preload_thread(&p);
        for (size_t i = 0; i < nt; i++)
                pthread_join(t[i], NULL);
        pthread_mutex_destroy(&p.lock);
        vc_log(p.ok == p.n ? LOG_INFO : LOG_WARNING, "%s: %zu of %zu URLs preloaded (%llu bytes) from %s in %.1f s",
               a->what, p.ok, p.n, (unsigned long long)p.bytes, a->preload, (double)(now_ms() - t0) / 1000);
}

/* ---- the step ---- */

int vc_cache_squid_do(void *ctx, json_t *args, char **err) {
        _cleanup_(cache_args_clear) struct cache_args a = {0};
        _cleanup_free_ char *conf = NULL, *guard = NULL, *nft = NULL, *why = NULL, *list = NULL;
        _cleanup_strv_ char **urls = NULL;
        int r = cache_args_get(args, true, &a, err);
        if (r < 0)
                return vc_step_untouched(r);
        if ((r = vc_squid_conf_render(&a.sc, &conf, &why)) < 0 ||
            (r = vc_squid_nft_render(a.lan, a.sc.subnet, VC_SQUID_MARK, a.sc.port, &nft, &why)) < 0 ||
            (r = vc_squid_nft_guard(a.sc.port, &guard, &why)) < 0) {
                *err = xasprintf("%s: %s", a.what, why);
                return vc_step_untouched(r);
        }
        struct passwd pwbuf, *pw = NULL;
        char pwstr[4096];
        if (getpwnam_r(a.sc.user, &pwbuf, pwstr, sizeof(pwstr), &pw) != 0 || !pw) {
                *err = xasprintf("%s: user '%s' (squid's cache_effective_user) does not exist on this node", a.what,
                                 a.sc.user);
                return vc_step_untouched(-ENOENT);
        }
        if (pw->pw_uid == 0) {
                *err = xasprintf("%s: user '%s' is root: squid refuses to run as root", a.what, a.sc.user);
                return vc_step_untouched(-EINVAL);
        }
        if (!vc_netns_exists(a.netns)) {
                *err = xasprintf("%s: network namespace %s does not exist (l2.segment makes it, before this step)",
                                 a.what, a.netns);
                return vc_step_untouched(-ENOENT);
        }
        if (a.preload) {
                size_t len;
                if ((r = read_file(a.preload, &list, &len, PRELOAD_LIST_MAX)) < 0) {
                        *err = xasprintf("%s: preload list %s: %s", a.what, a.preload, strerror(-r));
                        return vc_step_untouched(r);
                }
                if ((r = vc_preload_parse(a.preload, list, &urls, &why)) < 0) {
                        *err = xasprintf("%s: preload list %s", a.what, why);
                        return vc_step_untouched(r);
                }
        }
        bool touched = false;
        if ((r = squid_up(&a, pw, conf, guard, nft, &touched, err)) < 0) {
                _cleanup_free_ char *uerr = NULL;
                if (!touched || cache_down(&a, &uerr) == 0)
                        return vc_step_untouched(r);
                char *both = xasprintf("%s (undoing what was made failed too: %s)", *err, uerr);
                free(*err);
                *err = both;
                return r;
        }
        if (urls)
                preload(&a, urls);
        return 0;
}

int vc_cache_squid_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(cache_args_clear) struct cache_args a = {0};
        int r = cache_args_get(args, false, &a, err);
        if (r < 0)
                return r;
        if ((r = cache_down(&a, err)) < 0)
                return r;
        log_info("%s: no interception, no squid, no %s (any more)", a.what, a.dir);
        return 0;
}
