/* aptindex.c — package names to .deb URLs through a flat repository's index (aptindex.h). */
#include "aptindex.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* One stanza of the index: pointers into a copy of its text. */
struct pkg {
        const char *name, *filename, *depends, *predepends;
        size_t order; /* position in the index: the first stanza of a name wins */
        bool taken;
};

void vc_apt_source_clear(struct vc_apt_source *s) {
        free(s->base);
        strv_free(s->names);
        s->base = NULL;
        s->names = NULL;
}

bool vc_apt_name_ok(const char *name) {
        if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
                return false;
        size_t n = 1;
        for (const char *c = name + 1; *c; c++, n++)
                if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && !strchr("+.-", *c))
                        return false;
        return n >= 2;
}

int vc_apt_names_parse(const char *file, const char *text, char ***names, char **err) {
        *names = NULL;
        _cleanup_strv_ char **out = xcalloc(1, sizeof(char *));
        size_t lineno = 0;
        const char *p = text;
        for (char *next; (next = line_next(&p));) {
                _cleanup_free_ char *line = next;
                lineno++;
                char *s = line + strspn(line, " \t");
                if (!*s || *s == '#' || *s == '\r')
                        continue;
                s[strcspn(s, " \t\r")] = 0;
                if (!vc_apt_name_ok(s))
                        return vc_fail(err, -EINVAL, "%s:%zu: '%.64s' is not a Debian package name", file, lineno, s);
                strv_push(&out, s);
        }
        *names = TAKE_PTR(out);
        return 0;
}

static int by_name(const void *a, const void *b) {
        const struct pkg *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : (x->order > y->order) - (x->order < y->order);
}

static struct pkg *find(struct pkg *v, size_t n, const char *name) {
        size_t lo = 0, hi = n;
        while (lo < hi) { /* the first stanza of the name */
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(v[mid].name, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < n && strcmp(v[lo].name, name) == 0 ? &v[lo] : NULL;
}

/* filename_ok: a path inside the repository: relative, no ".." component, printable, no blank. */
static bool filename_ok(const char *f) {
        size_t n = strlen(f);
        if (!*f || *f == '/' || strcmp(f, "..") == 0 || strncmp(f, "../", 3) == 0 || strstr(f, "/../") ||
            (n >= 3 && strcmp(f + n - 3, "/..") == 0))
                return false;
        for (const char *c = f; *c; c++)
                if (!isgraph((unsigned char)*c))
                        return false;
        return true;
}

/* add: the stanza cur onto v (checked), then cur zeroed; 0 or -EINVAL with *err. */
static int add(struct pkg *cur, struct pkg **v, size_t *count, size_t *cap, char **err) {
        if (!cur->name)
                return 0;
        if (!cur->filename || !filename_ok(cur->filename))
                return vc_fail(err, -EINVAL, "package %.64s: %s", cur->name,
                               cur->filename ? "a Filename outside the repository" : "no Filename");
        if (*count == *cap)
                *v = xrealloc(*v, (*cap *= 2) * sizeof(**v));
        cur->order = *count;
        (*v)[(*count)++] = *cur;
        memset(cur, 0, sizeof(*cur));
        return 0;
}

/* parse_index: the stanzas of text (modified in place: each field cut at its line's end), sorted by name. */
static int parse_index(char *text, struct pkg **out, size_t *n, char **err) {
        size_t cap = 64, count = 0;
        _cleanup_free_ struct pkg *v = xcalloc(cap, sizeof(*v));
        struct pkg cur = {0};
        int r;
        for (char *line = text; line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl++ = 0;
                line[strcspn(line, "\r")] = 0;
                char *val = strchr(line, ':');
                if (!*line) { /* a blank line ends a stanza */
                        if ((r = add(&cur, &v, &count, &cap, err)) < 0)
                                return r;
                } else if (!isspace((unsigned char)*line) && val) { /* a field; continuation lines skipped */
                        *val++ = 0;
                        val += strspn(val, " \t");
                        if (strcmp(line, "Package") == 0)
                                cur.name = val;
                        else if (strcmp(line, "Filename") == 0)
                                cur.filename = val;
                        else if (strcmp(line, "Depends") == 0)
                                cur.depends = val;
                        else if (strcmp(line, "Pre-Depends") == 0)
                                cur.predepends = val;
                }
                line = nl;
        }
        if ((r = add(&cur, &v, &count, &cap, err)) < 0)
                return r;
        qsort(v, count, sizeof(*v), by_name);
        *out = TAKE_PTR(v);
        *n = count;
        return 0;
}

/* queue_deps: of each dependency in field (a Depends value), the first
 * alternative the index holds, onto the work list when not taken yet. */
static void queue_deps(const char *field, struct pkg *v, size_t n, struct pkg ***work, size_t *nwork, size_t *cap) {
        if (!field)
                return;
        _cleanup_free_ char *copy = xstrdup(field);
        char *save = NULL;
        for (char *dep = strtok_r(copy, ",", &save); dep; dep = strtok_r(NULL, ",", &save)) {
                char *s2 = NULL;
                for (char *alt = strtok_r(dep, "|", &s2); alt; alt = strtok_r(NULL, "|", &s2)) {
                        alt += strspn(alt, " \t");
                        alt[strcspn(alt, " \t(:[")] = 0; /* name (VERSION) / name:any / name [arch] */
                        struct pkg *p = find(v, n, alt);
                        if (!p)
                                continue;
                        if (!p->taken) {
                                p->taken = true;
                                if (*nwork == *cap)
                                        *work = xrealloc(*work, (*cap *= 2) * sizeof(**work));
                                (*work)[(*nwork)++] = p;
                        }
                        break;
                }
        }
}

int vc_apt_index_urls(const char *base, const char *index, char *const *names, char ***urls, char ***missing,
                      char **err) {
        *urls = NULL;
        *missing = NULL;
        _cleanup_free_ char *text = xstrdup(index);
        _cleanup_free_ struct pkg *v = NULL;
        size_t n = 0;
        int r = parse_index(text, &v, &n, err);
        if (r < 0)
                return r;
        size_t cap = 16, nwork = 0;
        _cleanup_free_ struct pkg **work = xcalloc(cap, sizeof(*work));
        _cleanup_strv_ char **miss = xcalloc(1, sizeof(char *));
        for (size_t i = 0; names && names[i]; i++) {
                struct pkg *p = find(v, n, names[i]);
                if (!p) {
                        strv_push(&miss, names[i]);
                } else if (!p->taken) {
                        p->taken = true;
                        if (nwork == cap)
                                work = xrealloc(work, (cap *= 2) * sizeof(*work));
                        work[nwork++] = p;
                }
        }
        for (size_t i = 0; i < nwork; i++) { /* nwork grows as dependencies are found */
                queue_deps(work[i]->predepends, v, n, &work, &nwork, &cap);
                queue_deps(work[i]->depends, v, n, &work, &nwork, &cap);
        }
        _cleanup_strv_ char **out = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < nwork; i++) {
                const char *f = work[i]->filename;
                _cleanup_free_ char *u = xasprintf("%s%s", base, f + (strncmp(f, "./", 2) == 0 ? 2 : 0));
                strv_push(&out, u);
        }
        *urls = TAKE_PTR(out);
        *missing = TAKE_PTR(miss);
        return 0;
}
