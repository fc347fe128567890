/* cache.c — the step "cache.squid" (cache.h): a squid of one cluster inside
 * the cluster's network namespace, its dir, the ruleset that sends the local
 * guests' HTTP to it, and preloading through its plain proxy port. */
#include "cache.h"
#include "cache_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>

#include "journal.h"
#include "log.h"
#include "netns.h"
#include "squidconf.h"
#include "util.h"

#define PRELOAD_LIST_MAX (16u << 20)

/* rm_at: remove name (relative to dfd) and everything below it, never following a symlink. */
static int rm_at(int dfd, const char *name, const char *path, char **err) {
        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno != EISDIR && errno != EPERM)
                return vc_fail_errno(err, "removing %s", path);
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

/* cache_down: the undo, shared by the step's undo and a failed do. */
static int cache_down(const struct cache_args *a, char **err) {
        /* every part runs, whatever an earlier one said: a squid must not
         * outlive a failed nft call; the first error is the one reported */
        int r = 0, q;
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *why = NULL;
        if (vc_netns_exists(a->netns))
                r = vc_squid_nft_load(a, vc_squid_nft_delete(), &e1);
        if ((q = vc_squid_stop(a, &e2)) < 0 && r == 0)
                r = q;
        if ((q = rm_at(AT_FDCWD, a->dir, a->dir, &why)) < 0 && r == 0)
                r = q;
        /* only once squid is gone: it needs the search until then */
        _cleanup_free_ char *e3 = NULL;
        if (r == 0 && (q = vc_cache_release_search(a, &e3)) < 0)
                r = q;
        if (r < 0)
                *err = e1 ? TAKE_PTR(e1) : e2 ? TAKE_PTR(e2) : e3 ? TAKE_PTR(e3) : xasprintf("%s: %s", a->what, why);
        return r;
}

/* expand_names: each "@FILE" of the list's apt lines replaced by the names in
 * FILE; 0, or -errno with *err "FILE…: why". */
static int expand_names(struct vc_preload *pl, char **err) {
        for (size_t i = 0; i < pl->napt; i++) {
                _cleanup_strv_ char **names = xcalloc(1, sizeof(char *));
                for (char **n = pl->apt[i].names; *n; n++) {
                        if (**n != '@') {
                                strv_push(&names, *n);
                                continue;
                        }
                        _cleanup_free_ char *text = NULL;
                        _cleanup_strv_ char **more = NULL;
                        size_t len;
                        int r = read_file(*n + 1, &text, &len, PRELOAD_LIST_MAX);
                        if (r < 0)
                                return vc_fail(err, r, "%s: package list %s: %s", pl->apt[i].base, *n + 1, strerror(-r));
                        if ((r = vc_apt_names_parse(*n + 1, text, &more, err)) < 0)
                                return r;
                        for (char **m = more; *m; m++)
                                strv_push(&names, *m);
                }
                strv_free(pl->apt[i].names);
                pl->apt[i].names = TAKE_PTR(names);
        }
        return 0;
}

int vc_cache_squid_do(void *ctx, json_t *args, char **err) {
        _cleanup_(vc_cache_args_clear) struct cache_args a = {0};
        _cleanup_free_ char *conf = NULL, *guard = NULL, *nft = NULL, *why = NULL, *list = NULL;
        _cleanup_(vc_preload_clear) struct vc_preload pl = {0};
        int r = vc_cache_args_get(args, true, &a, err);
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
                if ((r = vc_preload_parse(a.preload, list, &pl, &why)) < 0 || (r = expand_names(&pl, &why)) < 0) {
                        *err = xasprintf("%s: preload list %s", a.what, why);
                        return vc_step_untouched(r);
                }
        }
        bool touched = false;
        if ((r = vc_squid_up(&a, pw, conf, guard, nft, &touched, err)) < 0) {
                _cleanup_free_ char *uerr = NULL;
                if (!touched || cache_down(&a, &uerr) == 0)
                        return vc_step_untouched(r);
                char *both = xasprintf("%s (undoing what was made failed too: %s)", *err, uerr);
                free(*err);
                *err = both;
                return r;
        }
        if (a.preload)
                vc_cache_preload(&a, &pl);
        return 0;
}

int vc_cache_squid_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(vc_cache_args_clear) struct cache_args a = {0};
        int r = vc_cache_args_get(args, false, &a, err);
        if (r < 0)
                return r;
        if ((r = cache_down(&a, err)) < 0)
                return r;
        log_info("%s: no interception, no squid, no %s (any more)", a.what, a.dir);
        return 0;
}
