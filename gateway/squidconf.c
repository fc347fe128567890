/* squidconf.c — squid.conf, the interception ruleset and the preload list of
 * the per-cluster cache, as text (squidconf.h). */
#include "squidconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <strings.h>

#include "netns.h"
#include "sock.h"
#include "util.h"

/* The longest URL a preload list may hold (squid's own limit is 8 KiB). */
#define URL_MAX 8000
/* How much of a bad token a message quotes. */
#define QUOTE_MAX 80

/* path_ok: dir can be written into squid.conf as one token (squid also
 * expands ${…} macros and reads "quoted" values as file names). */
static int path_ok(const char *what, const char *dir, char **err) {
        if (!dir || dir[0] != '/' || streq(dir, "/")) {
                *err = xasprintf("%s '%s': must be an absolute path below /", what, dir ? dir : "");
                return -EINVAL;
        }
        if (strlen(dir) > 3000) {
                *err = xasprintf("%s '%.40s…': longer than 3000 characters", what, dir);
                return -EINVAL;
        }
        for (const char *c = dir; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("/._+,@=:-", *c)) {
                        *err = isprint((unsigned char)*c)
                                       ? xasprintf("%s '%s': squid.conf cannot carry the character '%c'", what, dir, *c)
                                       : xasprintf("%s: squid.conf cannot carry the byte 0x%02x", what,
                                                   (unsigned char)*c);
                        return -EINVAL;
                }
        return 0;
}

/* subnet_ok: "ADDR/LEN", IPv4 or IPv6. */
static int subnet_ok(const char *s, char **err) {
        const char *slash = s ? strchr(s, '/') : NULL;
        unsigned char buf[16];
        char addr[INET6_ADDRSTRLEN];
        unsigned long long len;
        if (!slash || (size_t)(slash - s) >= sizeof(addr))
                goto bad;
        memcpy(addr, s, (size_t)(slash - s));
        addr[slash - s] = 0;
        if (inet_pton(AF_INET, addr, buf) == 1) {
                if (parse_uint(slash + 1, 0, 32, &len) < 0)
                        goto bad;
                return 0;
        }
        if (inet_pton(AF_INET6, addr, buf) == 1 && parse_uint(slash + 1, 0, 128, &len) == 0)
                return 0;
bad:
        *err = xasprintf("subnet '%s': not ADDRESS/PREFIXLEN (e.g. 10.0.0.0/24)", s ? s : "");
        return -EINVAL;
}

/* user_ok: a plain user name (POSIX portable characters). */
static int user_ok(const char *u, char **err) {
        size_t n = u ? strlen(u) : 0;
        bool ok = n > 0 && n <= 32 && u[0] != '-';
        for (size_t i = 0; ok && i < n; i++)
                ok = isalnum((unsigned char)u[i]) || strchr("._-", u[i]);
        if (!ok) {
                *err = xasprintf("user '%s': not a user name", u ? u : "");
                return -EINVAL;
        }
        return 0;
}

/* bypass_ok: one url_regex pattern: squid.conf splits values at white
 * space, reads a "quoted" value as a file name and a leading -i/+i as a
 * flag; squid compiles it as a POSIX extended regex, as we check here. */
static int bypass_ok(const char *p, char **err) {
        if (!p || !*p) {
                *err = xstrdup("bypass: an empty pattern");
                return -EINVAL;
        }
        for (const char *c = p; *c; c++)
                if (!isgraph((unsigned char)*c)) {
                        *err = xasprintf("bypass pattern '%.*s': white space or a control character, which "
                                         "squid.conf cannot carry in a pattern", QUOTE_MAX, p);
                        return -EINVAL;
                }
        if (p[0] == '"' || p[0] == '-' || p[0] == '+') {
                *err = xasprintf("bypass pattern '%.*s': squid.conf reads a value starting with '%c' as %s", QUOTE_MAX,
                                 p, p[0], p[0] == '"' ? "a file name" : "a flag");
                return -EINVAL;
        }
        regex_t re;
        int rc = regcomp(&re, p, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
                char why[256];
                regerror(rc, &re, why, sizeof(why));
                *err = xasprintf("bypass pattern '%.*s': not a regular expression: %s", QUOTE_MAX, p, why);
                return -EINVAL;
        }
        regfree(&re);
        return 0;
}

/* parent_ok: "HOST:PORT" or "[V6]:PORT" into *host (malloc'd) and *port. */
static int parent_ok(const char *parent, char **host, int *port, char **err) {
        unsigned char buf[16];
        if (vc_hostport_split(parent, host, port) < 0)
                goto bad;
        if (inet_pton(AF_INET6, *host, buf) == 1)
                return 0;
        for (const char *c = *host; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
                        goto bad;
        if ((*host)[0] == '-')
                goto bad;
        return 0;
bad:
        free(*host);
        *host = NULL;
        *err = xasprintf("parent '%s': not HOST:PORT", parent);
        return -EINVAL;
}

static int port_ok(const char *what, int port, char **err) {
        if (port < 1 || port > 65535) {
                *err = xasprintf("%s %d: not a TCP port (1-65535)", what, port);
                return -EINVAL;
        }
        return 0;
}

/* conf_check: every member of c may go into squid.conf as it is; the
 * parent's host (malloc'd) and port when there is one. */
static int conf_check(const struct vc_squid_conf *c, char **phost, int *pport, char **err) {
        int r;
        if ((r = path_ok("dir", c->dir, err)) < 0 || (r = port_ok("port", c->port, err)) < 0 ||
            (r = port_ok("proxy_port", c->proxy_port, err)) < 0 || (r = user_ok(c->user, err)) < 0 ||
            (r = subnet_ok(c->subnet, err)) < 0)
                return r;
        if (c->port == c->proxy_port)
                return vc_fail(err, -EINVAL, "port and proxy_port are both %d: they must differ", c->port);
        if (c->size_mb < 1 || c->size_mb > VC_SQUID_SIZE_MB_MAX)
                return vc_fail(err, -EINVAL, "size_mb %lld: out of range (1-%lld)", c->size_mb, VC_SQUID_SIZE_MB_MAX);
        for (const char *const *b = c->bypass; b && *b; b++)
                if ((r = bypass_ok(*b, err)) < 0)
                        return r;
        return c->parent ? parent_ok(c->parent, phost, pport, err) : 0;
}

int vc_squid_conf_render(const struct vc_squid_conf *c, char **text, char **err) {
        *text = NULL;
        _cleanup_free_ char *phost = NULL;
        int pport = 0, r = conf_check(c, &phost, &pport, err);
        if (r < 0)
                return r;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                abort();
        fprintf(f,
                "# squid.conf of the package cache of virtual cluster %lld, written by\n"
                "# vcluster (cache.squid step): it is rewritten on every start, do not edit.\n"
                "visible_hostname vcluster-%lld-cache\n"
                "http_port 0.0.0.0:%d intercept\n"
                "http_port 127.0.0.1:%d\n"
                "acl vc_clients src %s 127.0.0.1/32 ::1\n"
                "http_access allow vc_clients\n"
                "http_access deny all\n",
                c->job, c->job, c->port, c->proxy_port, c->subnet);
        if (c->bypass && c->bypass[0]) {
                fputs("acl vc_bypass url_regex", f);
                for (const char *const *b = c->bypass; *b; b++)
                        fprintf(f, " %s", *b);
                fputs("\ncache deny vc_bypass\n", f);
        }
        /* Intercepted requests go to their original destination unless
         * client_dst_passthru is off: only then is the parent asked (first;
         * direct when it is down). */
        if (phost)
                fprintf(f,
                        "cache_peer %s parent %d 0 no-query default\n"
                        "prefer_direct off\n"
                        "client_dst_passthru off\n",
                        phost, pport);
        /* maximum_object_size before cache_dir: cache_dir takes it as its limit when parsed.
         * A package is served to the site's guests from memory, not from
         * the disk store: squid 5 keeps only objects up to 512 KB in memory
         * by default, and a larger one in transit is trimmed as it is
         * written to disk, so the guests collapsed onto its fetch are fed
         * from disk, 4 KB per read, behind the writer (TCP_HIT instead of
         * TCP_MEM_HIT in access.log). And read_ahead_gap (16 KB by default)
         * holds the one WAN fetch to 16 KB ahead of the slowest of the
         * guests waiting on it: with 64 of them the WAN copy crawls at the
         * pace of the last woken one. A gap as large as the largest object
         * kept in memory lets the WAN fetch run at the WAN's speed while
         * each guest reads at its own (bench/wan.sh measures both). */
        fprintf(f,
                "cache_mem " VC_SQUID_MEM_MB " MB\n"
                "maximum_object_size_in_memory " VC_SQUID_MEM_OBJECT_MB " MB\n"
                "read_ahead_gap " VC_SQUID_MEM_OBJECT_MB " MB\n"
                "maximum_object_size 1024 MB\n"
                "cache_dir ufs %s/" VC_SQUID_CACHE_SUBDIR " %lld 16 256\n"
                "pid_filename %s/" VC_SQUID_PID_FILE "\n"
                "access_log stdio:%s/" VC_SQUID_ACCESS_LOG "\n"
                "cache_log %s/" VC_SQUID_CACHE_LOG "\n"
                "coredump_dir %s/" VC_SQUID_LOG_SUBDIR "\n"
                "pinger_enable off\n"
                "netdb_filename none\n"
                "shutdown_lifetime 1 seconds\n"
                "collapsed_forwarding on\n"
                /* A .deb is never changed under its name (the version is in
                 * it): fresh for 90 days even when just published, where
                 * the last-modified factor would revalidate it across the
                 * WAN after seconds. Everything else (the indexes) as before. */
                "refresh_pattern -i \\.u?deb$ 129600 100%% 129600 override-lastmod\n"
                "refresh_pattern . 1440 100%% 10080\n"
                "cache_effective_user %s\n",
                c->dir, c->size_mb, c->dir, c->dir, c->dir, c->dir, c->user);
        if (fclose(f) != 0)
                abort();
        *text = buf;
        return 0;
}

/* guard_chain: the input chain that resets every connection to the
 * intercept port that our redirect did not make: squid (5.7) stops
 * listening on an intercept port for good after one connection whose
 * original destination it cannot look up, so none may reach it. */
static char *guard_chain(int port) {
        return xasprintf("\tchain guard {\n"
                         "\t\ttype filter hook input priority filter; policy accept;\n"
                         "\t\ttcp dport %d ct status & dnat == 0 reject with tcp reset\n"
                         "\t}\n",
                         port);
}

int vc_squid_nft_render(const char *lan, const char *subnet, uint32_t mark, int port, char **text, char **err) {
        *text = NULL;
        _cleanup_free_ char *why = NULL;
        int r = subnet_ok(subnet, err);
        if (r < 0)
                return r;
        r = vc_ifname_check(lan, &why);
        if (r < 0) {
                *err = xasprintf("lan: %s", why);
                return r;
        }
        /* The kernel allows them in a name; an nft string does not. */
        if (strpbrk(lan, "\"\\")) {
                *err = xasprintf("lan '%s': an nft ruleset cannot carry '\"' or '\\' in a name", lan);
                return -EINVAL;
        }
        if ((r = port_ok("port", port, err)) < 0)
                return r;
        if (mark == 0) {
                *err = xstrdup("mark 0: no mark (0 is every unmarked packet)");
                return -EINVAL;
        }
        /* "table X" then "delete table X" makes the load replace ours,
         * present or not, in one transaction. The bridge chain runs before
         * br_netfilter hands the packet to the ip hooks (priority -200 <
         * its 0), so the mark is there when the nat chain looks. */
        _cleanup_free_ char *guard = guard_chain(port);
        *text = xasprintf("table bridge " VC_SQUID_NFT_TABLE "\n"
                          "delete table bridge " VC_SQUID_NFT_TABLE "\n"
                          "table bridge " VC_SQUID_NFT_TABLE " {\n"
                          "\tchain pre {\n"
                          "\t\ttype filter hook prerouting priority -200; policy accept;\n"
                          "\t\tiifname \"%s\" ip daddr %s meta l4proto tcp th dport 80 meta mark set 0x%08x\n"
                          "\t}\n"
                          "}\n"
                          "table ip " VC_SQUID_NFT_TABLE "\n"
                          "delete table ip " VC_SQUID_NFT_TABLE "\n"
                          "table ip " VC_SQUID_NFT_TABLE " {\n"
                          "\tchain pre {\n"
                          "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
                          "\t\tmeta mark 0x%08x meta l4proto tcp redirect to :%d\n"
                          "\t}\n"
                          "%s"
                          "}\n",
                          lan, subnet, mark, mark, port, guard);
        return 0;
}

int vc_squid_nft_guard(int port, char **text, char **err) {
        *text = NULL;
        int r = port_ok("port", port, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *guard = guard_chain(port);
        *text = xasprintf("table ip " VC_SQUID_NFT_TABLE "\n"
                          "delete table ip " VC_SQUID_NFT_TABLE "\n"
                          "table ip " VC_SQUID_NFT_TABLE " {\n"
                          "%s"
                          "}\n",
                          guard);
        return 0;
}

const char *vc_squid_nft_delete(void) {
        return "table bridge " VC_SQUID_NFT_TABLE "\n"
               "delete table bridge " VC_SQUID_NFT_TABLE "\n"
               "table ip " VC_SQUID_NFT_TABLE "\n"
               "delete table ip " VC_SQUID_NFT_TABLE "\n";
}

/* authority_span: where the authority of an http:// URL starts and its length. */
static const char *authority_span(const char *url, size_t *n) {
        const char *a = url + strlen("http://");
        *n = strcspn(a, "/?#");
        return a;
}

char *vc_url_authority(const char *url) {
        if (!url || strncasecmp(url, "http://", 7) != 0)
                return NULL;
        size_t n;
        const char *a = authority_span(url, &n);
        /* user:password@ belongs to no Host header */
        const char *at = memchr(a, '@', n);
        if (at) {
                n -= (size_t)(at + 1 - a);
                a = at + 1;
        }
        return n ? strndup(a, n) : NULL;
}

/* url_check: NULL when url (one word) is a preloadable URL, else why (malloc'd). */
static char *url_check(const char *url) {
        if (strlen(url) > URL_MAX)
                return xasprintf("URL '%.*s…' is longer than %d characters", QUOTE_MAX, url, URL_MAX);
        for (const char *c = url; *c; c++)
                if (!isgraph((unsigned char)*c))
                        return xasprintf("URL '%.*s' contains a control character or a non-ASCII byte", QUOTE_MAX,
                                         url);
        if (strncasecmp(url, "https://", 8) == 0)
                return xasprintf("'%.*s': https:// cannot be preloaded (the cache stores plain http only)", QUOTE_MAX,
                                 url);
        if (strncasecmp(url, "http://", 7) != 0)
                return xasprintf("'%.*s' is not an http:// URL", QUOTE_MAX, url);
        _cleanup_free_ char *auth = vc_url_authority(url);
        if (!auth)
                return xasprintf("URL '%.*s' names no host", QUOTE_MAX, url);
        return NULL;
}

/* apt_line: *out from the words of an "apt BASE NAME…" line after "apt";
 * 0, or -EINVAL with *why. */
static int apt_line(char **w, size_t n, struct vc_apt_source *out, char **why) {
        if (n < 2)
                return vc_fail(why, -EINVAL, "'apt' needs a repository's URL and at least one package name or @FILE");
        if ((*why = url_check(w[0])))
                return -EINVAL;
        for (size_t i = 1; i < n; i++)
                if (w[i][0] == '@' ? w[i][1] != '/' : !vc_apt_name_ok(w[i]))
                        return vc_fail(why, -EINVAL,
                                       "'%.*s' is neither a Debian package name nor @FILE (an absolute path)", QUOTE_MAX,
                                       w[i]);
        size_t len = strlen(w[0]);
        out->base = xasprintf("%s%s", w[0], len && w[0][len - 1] == '/' ? "" : "/");
        out->names = xcalloc(n, sizeof(char *));
        for (size_t i = 1; i < n; i++)
                out->names[i - 1] = xstrdup(w[i]);
        return 0;
}

int vc_preload_parse(const char *file, const char *text, struct vc_preload *out, char **err) {
        memset(out, 0, sizeof(*out));
        _cleanup_(vc_preload_clear) struct vc_preload pl = {.urls = xcalloc(1, sizeof(char *))};
        size_t lineno = 0;
        const char *p = text;
        for (char *next; (next = line_next(&p));) {
                _cleanup_free_ char *line = next;
                lineno++;
                line[strcspn(line, "#")] = 0; /* a comment to the end of the line */
                _cleanup_strv_ char **w = xcalloc(1, sizeof(char *));
                char *save = NULL;
                for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save))
                        strv_push(&w, t);
                size_t n = strv_len(w);
                if (n == 0)
                        continue;
                _cleanup_free_ char *why = NULL;
                if (strcmp(w[0], "apt") == 0) {
                        struct vc_apt_source src = {0};
                        if (apt_line(w + 1, n - 1, &src, &why) < 0)
                                return vc_fail(err, -EINVAL, "%s:%zu: %s", file, lineno, why);
                        pl.apt = xrealloc(pl.apt, (pl.napt + 1) * sizeof(*pl.apt));
                        pl.apt[pl.napt++] = src;
                        continue;
                }
                if (n > 1)
                        return vc_fail(err, -EINVAL, "%s:%zu: more than one word (one URL per line, or apt BASE NAME…)",
                                       file, lineno);
                if ((why = url_check(w[0])))
                        return vc_fail(err, -EINVAL, "%s:%zu: %s", file, lineno, why);
                strv_push(&pl.urls, w[0]);
        }
        *out = pl;
        memset(&pl, 0, sizeof(pl));
        return 0;
}

void vc_preload_clear(struct vc_preload *pl) {
        strv_free(pl->urls);
        for (size_t i = 0; i < pl->napt; i++)
                vc_apt_source_clear(&pl->apt[i]);
        free(pl->apt);
        memset(pl, 0, sizeof(*pl));
}
