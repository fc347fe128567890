/* preload.c — preloading a cluster's cache: every URL of a list fetched
 * through squid's proxy port inside the namespace, a few at a time. */
#include "cache_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "aptindex.h"
#include "log.h"
#include "netns.h"
#include "util.h"

/* Preloading: this many URLs at a time; a fetch that gets no data this long fails. */
#define PRELOAD_PARALLEL 4
#define PRELOAD_IDLE_S 60
#define HEADER_MAX 16384
/* The largest repository index read (Debian's own main/binary-amd64 is ~45 MiB). */
#define INDEX_MAX (128u << 20)

struct preload {
        const struct cache_args *a;
        const char *const *urls;
        size_t n, next, ok;
        uint64_t bytes;
        pthread_mutex_t lock;
};

/* proxy_connect: a TCP connection to the proxy on 127.0.0.1:port (this
 * thread's namespace) that gives up after PRELOAD_IDLE_S without data; the
 * fd, or -EIO with *why. */
static int proxy_connect(int port, char **why) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return vc_fail(why, -EIO, "socket: %s", strerror(errno));
        struct timeval tv = {.tv_sec = PRELOAD_IDLE_S};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return vc_fail(why, -EIO, "connecting to the proxy port 127.0.0.1:%d: %s", port, strerror(errno));
        return TAKE_FD(fd);
}

/* parse_head: the response's status line and headers (NUL-terminated in
 * buf) say 200; *length is its Content-Length (-1 when it gives none). */
static int parse_head(char *buf, long long *length, char **why) {
        int code = 0;
        if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
                return vc_fail(why, -EIO, "not an HTTP response: '%.60s'", buf);
        if (code != 200) {
                buf[strcspn(buf, "\r\n")] = 0;
                return vc_fail(why, -EIO, "'%s'", buf);
        }
        *length = -1;
        for (char *l = strstr(buf, "\r\n"); l; l = strstr(l + 2, "\r\n"))
                if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
                        *length = strtoll(l + 17, NULL, 10);
        return 0;
}

/* A body kept in memory (NUL-terminated), up to max bytes. */
struct kept {
        char *buf;
        size_t len, cap, max;
};

/* keep: data appended to k (nothing when k is NULL); the buffer doubles, so
 * a 45 MiB index costs a few copies, not one per 64 KiB read. */
static int keep(struct kept *k, const char *data, size_t n, char **why) {
        if (!k)
                return 0;
        if (k->len + n > k->max)
                return vc_fail(why, -EFBIG, "larger than %zu bytes", k->max);
        if (k->len + n + 1 > k->cap) {
                k->cap = k->cap ? k->cap : 65536;
                while (k->cap < k->len + n + 1)
                        k->cap *= 2;
                k->buf = xrealloc(k->buf, k->cap);
        }
        memcpy(k->buf + k->len, data, n);
        k->len += n;
        k->buf[k->len] = 0;
        return 0;
}

/* read_response: the whole response on fd, counting its body's bytes into
 * *body and keeping them in k (when not NULL); 0, or -EIO with *why (not
 * 200, cut short, no data for too long, more than k holds). */
static int read_response(int fd, uint64_t *body, struct kept *k, char **why) {
        _cleanup_free_ char *buf = xmalloc(65536);
        size_t have = 0, head = 0;
        long long length = -1;
        *body = 0;
        for (;;) {
                ssize_t got = recv(fd, buf + (head ? 0 : have), head ? 65536 : HEADER_MAX - 1 - have, 0);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return vc_fail(why, -EIO, "no data for %d s", PRELOAD_IDLE_S);
                if (got < 0)
                        return vc_fail(why, -EIO, "receiving: %s", strerror(errno));
                if (head) {
                        if (got == 0)
                                break;
                        *body += (uint64_t)got;
                        if (keep(k, buf, (size_t)got, why) < 0)
                                return -EIO;
                        continue;
                }
                have += (size_t)got;
                buf[have] = 0;
                char *end = strstr(buf, "\r\n\r\n");
                if (!end) {
                        if (got == 0 || have >= HEADER_MAX - 1)
                                return vc_fail(why, -EIO, "%s",
                                               got == 0 ? "the proxy closed the connection before the headers ended"
                                                        : "the response headers are too long");
                        continue;
                }
                head = (size_t)(end - buf) + 4;
                *end = 0;
                int r = parse_head(buf, &length, why);
                if (r < 0)
                        return r;
                *body = have - head;
                if (keep(k, buf + head, have - head, why) < 0)
                        return -EIO;
                if (got == 0)
                        break;
        }
        if (length >= 0 && *body != (uint64_t)length)
                return vc_fail(why, -EIO, "the connection closed after %llu of %lld bytes", (unsigned long long)*body,
                               length);
        return 0;
}

/* fetch_one: GET url through the proxy on 127.0.0.1:port (this thread's
 * namespace); the body's length in *bytes, the body in k when not NULL; 0, or -errno with *why. */
static int fetch_one(int port, const char *url, uint64_t *bytes, struct kept *k, char **why) {
        *bytes = 0;
        _cleanup_close_ int fd = proxy_connect(port, why);
        if (fd < 0)
                return fd;
        /* HTTP/1.0: squid answers without chunking and closes after the body. */
        _cleanup_free_ char *host = vc_url_authority(url);
        _cleanup_free_ char *req = xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: vcluster-preload\r\n"
                                             "Accept: */*\r\nConnection: close\r\n\r\n",
                                             url, host ? host : "");
        int r = vc_send_all(fd, req, strlen(req));
        if (r < 0)
                return vc_fail(why, r, "sending the request: %s", strerror(-r));
        return read_response(fd, bytes, k, why);
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
                if (fetch_one(p->a->sc.proxy_port, p->urls[i], &bytes, NULL, &why) < 0) {
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

/* An apt line's index fetched in the namespace. */
struct index_fetch {
        const struct cache_args *a;
        const char *url;
        struct kept body;
        uint64_t bytes;
};

static int index_worker(void *arg, char **err) {
        struct index_fetch *f = arg;
        return fetch_one(f->a->sc.proxy_port, f->url, &f->bytes, &f->body, err);
}

/* apt_urls: the .deb URLs of the list's apt lines onto *urls (each line's
 * index fetched through the cache, so it is warm too); what cannot be
 * fetched or found is a warning. */
static void apt_urls(const struct cache_args *a, const struct vc_preload *pl, char ***urls) {
        for (size_t i = 0; i < pl->napt; i++) {
                const struct vc_apt_source *s = &pl->apt[i];
                _cleanup_free_ char *url = xasprintf("%sPackages", s->base), *why = NULL;
                struct index_fetch f = {.a = a, .url = url, .body.max = INDEX_MAX};
                int r = vc_netns_run(a->netns, index_worker, &f, &why);
                _cleanup_free_ char *text = f.body.buf;
                if (r < 0) {
                        log_warning("%s: preloading from %s: its index %s: %s", a->what, s->base, url, why);
                        continue;
                }
                _cleanup_strv_ char **debs = NULL, **missing = NULL;
                if (vc_apt_index_urls(s->base, text ? text : "", s->names, &debs, &missing, &why) < 0) {
                        log_warning("%s: preloading from %s: its index %s: %s", a->what, s->base, url, why);
                        continue;
                }
                _cleanup_free_ char *miss = strv_join(missing, " ");
                vc_log(*missing ? LOG_WARNING : LOG_INFO, "%s: %s: %zu packages named, %zu .debs with what they need%s%s",
                       a->what, s->base, strv_len(s->names), strv_len(debs),
                       *missing ? "; not in its index: " : "", *missing ? miss : "");
                for (char **d = debs; *d; d++)
                        strv_push(urls, *d);
        }
}

/* preload: every URL through the proxy port, PRELOAD_PARALLEL at a time; failures are warnings. */
void vc_cache_preload(const struct cache_args *a, const struct vc_preload *pl) {
        _cleanup_strv_ char **urls = xcalloc(1, sizeof(char *));
        for (char **u = pl->urls; u && *u; u++)
                strv_push(&urls, *u);
        uint64_t t0 = now_ms();
        apt_urls(a, pl, &urls);
        struct preload p = {.a = a, .urls = (const char *const *)urls, .n = strv_len(urls)};
        pthread_mutex_init(&p.lock, NULL);
        pthread_t t[PRELOAD_PARALLEL];
        size_t nt = 0;
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
