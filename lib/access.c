/* access.c — the access path's names, addresses and texts (access.h). */
#include "access.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "hostfile.h"
#include "util.h"

char *vc_access_dir(const char *state_dir, const char *node, long long job) {
        return xasprintf("%s/access/%s/%lld", state_dir, node, job);
}

char *vc_access_socket(const char *dir, const char *name) {
        char *p = xasprintf("%s/%s.sock", dir, name);
        if (strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                free(p);
                return NULL;
        }
        return p;
}

char *vc_access_netns(long long job, const char *node) { return xasprintf("vcl-%lld-%s-access", job, node); }

bool vc_access_port(long long job, unsigned index, char buf[16]) {
        int n = snprintf(buf, 16, "va%llx.%x", (unsigned long long)job, index);
        return n > 0 && n < 16;
}

int vc_access_addr(uint32_t subnet, unsigned prefix, size_t sites, size_t index, size_t guests, char buf[16]) {
        uint64_t hosts = prefix >= 31 ? 0 : (UINT64_C(1) << (32 - prefix)) - 2;
        uint64_t below = (uint64_t)sites + (uint64_t)index; /* addresses above ours, from the top */
        if (below >= hosts || hosts - below <= guests)
                return -ERANGE;
        struct in_addr a = {.s_addr = htonl(subnet + (uint32_t)(hosts - below))};
        inet_ntop(AF_INET, &a, buf, 16);
        return 0;
}

static bool host_name(const char *s, size_t len) {
        if (len == 0 || len > 63 || s[0] == '-')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
                      s[i] == '-'))
                        return false;
        return true;
}

int vc_access_guests_parse(const char *text, struct vc_access_guest **out, size_t *n, char **err) {
        *out = NULL;
        *n = 0;
        struct vc_access_guest *g = NULL;
        size_t count = 0, line = 0;
        for (const char *p = text; *p;) {
                const char *end = strchrnul(p, '\n');
                line++;
                _cleanup_free_ char *l = strndup(p, (size_t)(end - p));
                char *sp1 = strchr(l, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
                unsigned long long cpus = 0;
                if (sp1)
                        *sp1 = 0;
                if (sp2)
                        *sp2 = 0;
                if (!sp2 || !host_name(l, strlen(l)) || parse_uint(sp1 + 1, 1, 4096, &cpus) < 0 || !sp2[1] ||
                    strpbrk(sp2 + 1, " \t/")) {
                        vc_access_guests_free(g, count);
                        return vc_fail(err, -EINVAL, "line %zu: not \"NAME CPUS NODE\": %.*s", line, (int)(end - p), p);
                }
                g = xrealloc(g, (count + 1) * sizeof(*g));
                g[count++] = (struct vc_access_guest){xstrdup(l), (unsigned)cpus, xstrdup(sp2 + 1)};
                p = *end ? end + 1 : end;
        }
        if (count == 0)
                return vc_fail(err, -EINVAL, "no guests listed");
        *out = g;
        *n = count;
        return 0;
}

void vc_access_guests_free(struct vc_access_guest *g, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(g[i].name);
                free(g[i].node);
        }
        free(g);
}

int vc_access_guest_find(const struct vc_access_guest *g, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(g[i].name, name))
                        return (int)i;
        return -1;
}

/* append: *t grows by the formatted text. */
static void append(char **t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **t, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *add = xvasprintf(fmt, ap);
        va_end(ap);
        char *n = xasprintf("%s%s", *t, add);
        free(*t);
        *t = n;
}

char *vc_access_hostfile(const struct vc_access_guest *g, size_t n) {
        char *t = xstrdup("");
        for (size_t i = 0; i < n; i++)
                append(&t, VC_HOSTFILE_LINE, g[i].name, g[i].cpus);
        return t;
}

char *vc_sh_quote(const char *s) {
        if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") == strlen(s))
                return xstrdup(s);
        char *t = xstrdup("'");
        for (const char *p = s; *p; p++)
                append(&t, *p == '\'' ? "'\\''" : "%c", *p);
        append(&t, "'");
        return t;
}

/* ssh_path: a path for ssh_config, quoted when it has a blank or a quote. */
static char *ssh_path(const char *p) { return strpbrk(p, " \t\"") ? xasprintf("\"%s\"", p) : xstrdup(p); }

char *vc_access_ssh_config(const struct vc_access_ssh *s, const struct vc_access_guest *g, size_t n) {
        char *t = xstrdup("");
        _cleanup_free_ char *key = ssh_path(s->key), *kh = ssh_path(s->known_hosts);
        for (size_t i = 0; i < n; i++)
                append(&t,
                       "Host %s\n\tHostName %s\n\tUser %s\n\tIdentityFile %s\n\tIdentitiesOnly yes\n"
                       "\tUserKnownHostsFile %s\n\tStrictHostKeyChecking yes\n\tProxyCommand %s\n",
                       g[i].name, g[i].name, s->user, key, kh, s->proxy);
        return t;
}

char **vc_access_ssh_argv(const struct vc_access_ssh *s, const char *guest, char *const *cmd, size_t n) {
        char **v = NULL;
        strv_push(&v, "ssh");
        const char *const opt[][2] = {{"User", s->user},
                                      {"IdentityFile", s->key},
                                      {"IdentitiesOnly", "yes"},
                                      {"UserKnownHostsFile", s->known_hosts},
                                      {"StrictHostKeyChecking", "yes"},
                                      {"ProxyCommand", s->proxy}};
        for (size_t i = 0; i < ARRAY_SIZE(opt); i++) {
                _cleanup_free_ char *o = xasprintf("%s=%s", opt[i][0], opt[i][1]);
                strv_push(&v, "-o");
                strv_push(&v, o);
        }
        /* ssh takes every word after the host as the command: "--" before it, never after */
        strv_push(&v, "--");
        strv_push(&v, guest);
        for (size_t i = 0; i < n; i++)
                strv_push(&v, cmd[i]);
        return v;
}
