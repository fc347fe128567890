/* cache_int.h — what the files of the step cache.squid share (cache.h is
 * its contract): its args, the ACL grants on the cache dir's ancestors,
 * squid's processes, its log, bringing it up, and preloading.
 */
#ifndef VC_CACHE_INT_H
#define VC_CACHE_INT_H

#include <jansson.h>
#include <pwd.h>
#include <stdbool.h>
#include <sys/types.h>

#include "run.h"
#include "squidconf.h"

/* The step's args, and the paths and text made from them. */
struct cache_args {
        long long job;
        const char *netns, *dir, *lan, *preload;
        struct vc_squid_conf sc;
        const char **bypass;
        char *conf, *pidfile, *cachelog;
        char what[160]; /* "the cache of job J (netns NS)" for messages */
};

/* vc_cache_args_get: the args of the step; undo needs only netns and dir (job for messages). */
int vc_cache_args_get(const json_t *args, bool full, struct cache_args *a, char **err);
/* vc_cache_args_clear: free what vc_cache_args_get filled in. */
void vc_cache_args_clear(struct cache_args *a);

/* vc_cache_grant_search: every ancestor of dir lets the user search it (an
 * ACL entry where it may not); *claimed once one of our entries is claimed
 * for dir (vc_cache_release_search undoes it). */
int vc_cache_grant_search(const struct cache_args *a, const char *user, uid_t uid, const gid_t *gids, size_t ngids,
                          bool *claimed, char **err);
/* vc_cache_release_search: dir's claims on our ACL entries dropped, the last one's entries removed. */
int vc_cache_release_search(const struct cache_args *a, char **err);

/* vc_squid_argv: whether pid runs squid with config conf (*master: it is the master, not a kid). */
bool vc_squid_argv(pid_t pid, const char *conf, bool *master);
/* vc_squid_pidfile_pid: the pid in the pid file when it is our squid's master, else 0. */
pid_t vc_squid_pidfile_pid(const struct cache_args *a);
/* vc_squid_stop: no process runs squid with our config any more (nor a child of one). */
int vc_squid_stop(const struct cache_args *a, char **err);

/* vc_squid_log_size: the current length of squid's cache.log (0 when there is none). */
off_t vc_squid_log_size(const struct cache_args *a);
/* vc_squid_log_problem: the first line of cache.log after offset from that
 * says squid cannot work, malloc'd and escaped; or NULL. */
char *vc_squid_log_problem(const struct cache_args *a, off_t from);
/* vc_squid_last_words: what squid said last (res's stderr, else the last line of cache.log), malloc'd and escaped. */
char *vc_squid_last_words(const struct cache_args *a, const struct vc_run_result *res, off_t from);

/* vc_squid_nft_load: load ruleset text into the namespace's nftables. */
int vc_squid_nft_load(const struct cache_args *a, const char *text, char **err);
/* vc_squid_up: everything but preloading: dirs, config, bridge netfilter and
 * the namespace's congestion control,
 * the guard, squid, the interception. On failure what it made is left for
 * the caller to undo, once *touched says there is something. */
int vc_squid_up(const struct cache_args *a, const struct passwd *pw, const char *conf_text, const char *guard,
                const char *nft, bool *touched, char **err);

/* vc_cache_preload: every URL of the list, and of its apt lines the .debs
 * (their repository's index fetched first), through the proxy port, a few at
 * a time; failures are warnings. */
void vc_cache_preload(const struct cache_args *a, const struct vc_preload *pl);

#endif
