/* cache_args.c — the args of cache.squid, checked before anything is touched (cache.h). */
#include "cache_int.h"

#include <errno.h>

#include "journal.h"
#include "netns.h"
#include "util.h"

void vc_cache_args_clear(struct cache_args *a) {
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

/* bypass_arg: "bypass", a list of regular expressions or null, into a->bypass and a->sc.bypass. */
static int bypass_arg(const json_t *args, struct cache_args *a, char **err) {
        json_t *b = json_object_get(args, "bypass"), *v;
        if (b && !json_is_null(b) && !json_is_array(b))
                return vc_fail(err, -EINVAL, "cache.squid: \"bypass\" must be a list of regular expressions");
        size_t i, n = json_is_array(b) ? json_array_size(b) : 0;
        a->bypass = xcalloc(n + 1, sizeof(char *));
        json_array_foreach(b, i, v) {
                if (!json_is_string(v))
                        return vc_fail(err, -EINVAL, "cache.squid: bypass[%zu] is not a string", i);
                a->bypass[i] = json_string_value(v);
        }
        a->sc.bypass = a->bypass;
        return 0;
}

/* full_args: what only do needs: the ports, squid's user and size, the
 * subnet and lan, bypass, parent and preload. */
static int full_args(const json_t *args, struct cache_args *a, char **err) {
        long long port, proxy_port;
        int r;
        if ((r = int_arg(args, "job", &a->job, err)) < 0 || (r = int_arg(args, "port", &port, err)) < 0 ||
            (r = int_arg(args, "proxy_port", &proxy_port, err)) < 0 ||
            (r = int_arg(args, "size_mb", &a->sc.size_mb, err)) < 0)
                return r;
        a->lan = vc_step_arg(args, "lan");
        a->sc.user = vc_step_arg(args, "user");
        a->sc.subnet = vc_step_arg(args, "subnet");
        if (!a->lan || !a->sc.user || !a->sc.subnet)
                return vc_fail(err, -EINVAL, "cache.squid: \"user\", \"subnet\" and \"lan\" must be strings");
        snprintf(a->what, sizeof(a->what), "the cache of job %lld (netns %s)", a->job, a->netns);
        a->sc.job = a->job;
        a->sc.dir = a->dir;
        if (port < 1 || port > 65535 || proxy_port < 1 || proxy_port > 65535)
                return vc_fail(err, -EINVAL, "%s: port %lld, proxy_port %lld: TCP ports are 1-65535", a->what, port,
                               proxy_port);
        a->sc.port = (int)port;
        a->sc.proxy_port = (int)proxy_port;
        if ((r = bypass_arg(args, a, err)) < 0)
                return r;
        json_t *p = json_object_get(args, "parent"), *pl = json_object_get(args, "preload");
        if ((p && !json_is_null(p) && !json_is_string(p)) || (pl && !json_is_null(pl) && !json_is_string(pl)))
                return vc_fail(err, -EINVAL, "cache.squid: \"parent\" and \"preload\" must be strings or null");
        a->sc.parent = json_string_value(p);
        a->preload = json_string_value(pl);
        return 0;
}

int vc_cache_args_get(const json_t *args, bool full, struct cache_args *a, char **err) {
        a->netns = vc_step_arg(args, "netns");
        a->dir = vc_step_arg(args, "dir");
        a->job = json_integer_value(json_object_get(args, "job"));
        if (!a->netns || !a->dir)
                return vc_fail(err, -EINVAL, "cache.squid: needs \"job\", \"netns\", \"dir\", \"port\", "
                                             "\"proxy_port\", \"user\", \"size_mb\", \"subnet\", \"lan\"");
        int r = vc_netns_name_check(a->netns, err);
        if (r < 0)
                return r;
        if (!plain_path(a->dir))
                return vc_fail(err, -EINVAL, "cache.squid: dir '%s': must be an absolute, plain path below /", a->dir);
        snprintf(a->what, sizeof(a->what), "the cache of job %lld (netns %s)", a->job, a->netns);
        a->conf = xasprintf("%s/" VC_SQUID_CONF_FILE, a->dir);
        a->pidfile = xasprintf("%s/" VC_SQUID_PID_FILE, a->dir);
        a->cachelog = xasprintf("%s/" VC_SQUID_CACHE_LOG, a->dir);
        return full ? full_args(args, a, err) : 0;
}
