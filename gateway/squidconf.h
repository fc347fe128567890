/* squidconf.h — the text the per-cluster package cache (cache.h) is made of,
 * as pure functions: squid.conf, the nft ruleset that steers the local
 * guests' HTTP into squid, and the preload list. Nothing here touches the
 * system; every input is checked, and whatever could not be carried safely
 * into squid.conf or an nft ruleset (white space, quotes, a regex that does
 * not compile, a port out of range) is refused with *err naming the field
 * and the reason.
 *
 * Layout of a cache dir DIR (all of squid's files are under it):
 *   DIR/squid.conf   root, 0644 (squid's master reads it as root)
 *   DIR/squid.pid    written by squid's master (as root)
 *   DIR/cache/       the cache_dir (ufs), owned by the effective user
 *   DIR/log/         cache.log, access.log, core dumps, owned by it too
 * DIR itself is root's, so the effective user can write only its two
 * subdirectories, never the configuration root's squid reads.
 *
 * Interception (vc_squid_nft_render): with bridge netfilter on, the ip
 * hooks see a bridged packet on the bridge, not on its port, so the bridge
 * family marks tcp/80 arriving on the LAN port (the local site's guests) and
 * the ip family redirects marked packets to squid's intercept port. The ip
 * table also guards that port: a connection our redirect did not make (a
 * guest or a local program connecting to it directly) is reset, because
 * squid 5 stops accepting on an intercept port for good after one
 * connection whose original destination it cannot look up. The intercept
 * port is IPv4 only, for the same reason (no IPv6 redirect, no lookup). One
 * table of ours per family, both named VC_SQUID_NFT_TABLE, so undo deletes
 * exactly them.
 */
#ifndef VC_SQUIDCONF_H
#define VC_SQUIDCONF_H

#include <stddef.h>
#include <stdint.h>

#include "aptindex.h"

/* The packet mark of intercepted traffic ("vc" 0x7663, 1). */
#define VC_SQUID_MARK 0x76630001u
/* The name of our nft table in the bridge and the ip family. */
#define VC_SQUID_NFT_TABLE "vcache"
/* The names inside a cache dir. */
#define VC_SQUID_CONF_FILE "squid.conf"
#define VC_SQUID_PID_FILE "squid.pid"
#define VC_SQUID_CACHE_SUBDIR "cache"
#define VC_SQUID_LOG_SUBDIR "log"
#define VC_SQUID_CACHE_LOG "log/cache.log"
#define VC_SQUID_ACCESS_LOG "log/access.log"
/* squid's memory cache (MB), and the largest object kept in it (MB): a
 * package served to many guests at once is read from memory (squidconf.c). */
#define VC_SQUID_MEM_MB "256"
#define VC_SQUID_MEM_OBJECT_MB "64"
/* The largest cache a step may ask for (16 TiB, in MiB). */
#define VC_SQUID_SIZE_MB_MAX (16ll << 20)

struct vc_squid_conf {
        long long job;              /* the cluster's job id (names the instance) */
        const char *dir;            /* absolute path of the cache dir (layout above) */
        int port;                   /* intercept port, every IPv4 address of the namespace */
        int proxy_port;             /* plain proxy port on 127.0.0.1 (preloading) */
        const char *user;           /* cache_effective_user */
        long long size_mb;          /* size of the cache_dir */
        const char *subnet;         /* the cluster's subnet, "ADDR/LEN": allowed clients */
        const char *const *bypass;  /* NULL-terminated url_regex patterns never stored; NULL: none */
        const char *parent;         /* "HOST:PORT" of a parent cache, asked first (direct when it is
                                     * down; client_dst_passthru off lets intercepted requests use it), or NULL */
};

/* vc_squid_conf_render: squid.conf for c into *text (malloc'd); 0, or -EINVAL with *err naming the bad field. */
int vc_squid_conf_render(const struct vc_squid_conf *c, char **text, char **err);
/* vc_squid_nft_render: the ruleset (for `nft -f -`) that marks tcp/80 from lan
 * and redirects it to port, replacing our tables if present (malloc'd); 0 or -EINVAL with *err. */
int vc_squid_nft_render(const char *lan, const char *subnet, uint32_t mark, int port, char **text, char **err);
/* vc_squid_nft_guard: the ruleset that is only the ip table with the guard
 * (loaded before squid starts: nothing redirected yet, nothing else let in); 0 or -EINVAL with *err. */
int vc_squid_nft_guard(int port, char **text, char **err);
/* vc_squid_nft_delete: the ruleset that deletes our tables, present or not (static text). */
const char *vc_squid_nft_delete(void);
/* A preload list: URLs, and repositories with the packages to take from them. */
struct vc_preload {
        char **urls; /* strv */
        struct vc_apt_source *apt;
        size_t napt;
};
/* vc_preload_parse: a preload list (text of file): a line is one http:// URL,
 * or "apt BASE NAME…" (aptindex.h); blank lines and '#' comments skipped.
 * 0 with *out, or -EINVAL with *err "FILE:LINE: why" and *out empty. */
int vc_preload_parse(const char *file, const char *text, struct vc_preload *out, char **err);
/* vc_preload_clear: free what a preload list holds. */
void vc_preload_clear(struct vc_preload *pl);
/* vc_url_authority: the "HOST[:PORT]" of an http:// URL (malloc'd), or NULL when it has none. */
char *vc_url_authority(const char *url);

#endif
