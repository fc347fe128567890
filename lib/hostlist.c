#include "hostlist.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <slurm/slurm.h>
#include <stdint.h>
#include <stdio.h>

/* A config typo like "tk[1-100000]" must not make every daemon allocate
 * millions of names; real sites are far below this. */
#define HOSTLIST_MAX 65536
/* Nine digits keep every bound inside an unsigned long on any ABI and are
 * far more than any node numbering needs. */
#define HOSTLIST_MAX_DIGITS 9

/* hl_fail: -EINVAL with "hostlist 'EXPR': " before the text (err may be NULL). */
#define hl_fail(err, expr, fmt, ...) vc_fail((err), -EINVAL, "hostlist '%s': " fmt, (expr), ##__VA_ARGS__)

/* Switch port names ("ge-0/0/7", "Gi1/0/1", "eth1:3") also take '/' and ':'. */
static bool name_char(char ch, bool port) {
        return isalnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-' ||
               (port && (ch == '/' || ch == ':'));
}

/* parse_num: digits at *p → value; advances *p. */
static int parse_num(const char **p, const char *expr, unsigned long *out, char **err) {
        const char *s = *p;
        unsigned long v = 0;
        size_t n = 0;
        while (isdigit((unsigned char)s[n])) {
                if (n == HOSTLIST_MAX_DIGITS)
                        return hl_fail(err, expr, "number in '[...]' longer than %d digits",
                                       HOSTLIST_MAX_DIGITS);
                v = v * 10 + (unsigned long)(s[n] - '0');
                n++;
        }
        if (n == 0) {
                if (*s == ']' || *s == ',' || *s == '-' || *s == 0)
                        return hl_fail(err, expr, "empty range inside '[...]'");
                return hl_fail(err, expr,
                               "unexpected '%c' inside '[...]' (only digits, '-' and ',')", *s);
        }
        *p = s + n;
        *out = v;
        return 0;
}

/* check_bracket: *p just past '['; validates up to ']' and returns how many
 * numbers the bracket names. */
static int check_bracket(const char **p, const char *expr, unsigned long *count, char **err) {
        const char *s = *p;
        const char *close = strchr(s, ']');
        const char *open = strchr(s, '[');
        if (!close)
                return hl_fail(err, expr, "unclosed '['");
        if (open && open < close)
                return hl_fail(err, expr, "nested '['");
        if (close == s)
                return hl_fail(err, expr, "empty '[]'");
        unsigned long total = 0;
        for (;;) {
                unsigned long lo, hi;
                int r = parse_num(&s, expr, &lo, err);
                if (r < 0)
                        return r;
                hi = lo;
                if (*s == '-') {
                        s++;
                        r = parse_num(&s, expr, &hi, err);
                        if (r < 0)
                                return r;
                        if (lo > hi)
                                return hl_fail(err, expr, "range %lu-%lu: start above end", lo, hi);
                }
                total += hi - lo + 1;
                if (total > HOSTLIST_MAX)
                        return hl_fail(err, expr, "expands to more than %d hosts", HOSTLIST_MAX);
                if (*s == ']')
                        break;
                if (*s != ',')
                        return hl_fail(err, expr,
                                       "unexpected '%c' inside '[...]' (only digits, '-' and ',')",
                                       *s);
                s++;
        }
        *p = s + 1;
        *count = total;
        return 0;
}

/* check_syntax: the whole grammar libslurm accepts, minus its silent
 * repairs; returns the number of hosts the expression names. */
static int check_syntax(const char *expr, bool port, size_t *count, char **err) {
        if (!*expr)
                return hl_fail(err, expr, "empty expression");
        size_t total = 0;
        const char *s = expr;
        for (;;) {
                /* One comma-separated element: name parts and brackets. */
                unsigned long n = 1;
                bool any = false, saw_bracket = false, ends_bracket = false;
                /* "-oProxy", ".": an option or a path, never a host */
                if (*s && *s != ',' && *s != '[' && !isalnum((unsigned char)*s))
                        return hl_fail(err, expr, "host names must start with a letter or digit");
                while (*s && *s != ',') {
                        if (*s == '[') {
                                unsigned long k = 0;
                                s++;
                                int r = check_bracket(&s, expr, &k, err);
                                if (r < 0)
                                        return r;
                                /* compare before multiplying: n * k may not fit */
                                if (k > HOSTLIST_MAX / n)
                                        return hl_fail(err, expr, "expands to more than %d hosts",
                                                       HOSTLIST_MAX);
                                n *= k;
                                if (n > HOSTLIST_MAX)
                                        return hl_fail(err, expr, "expands to more than %d hosts",
                                                       HOSTLIST_MAX);
                                saw_bracket = ends_bracket = true;
                        } else if (*s == ']') {
                                return hl_fail(err, expr, "unmatched ']'");
                        } else if (name_char(*s, port)) {
                                ends_bracket = false;
                                s++;
                        } else {
                                return hl_fail(err, expr,
                                               "character '%c' not allowed in a %s name", *s,
                                               port ? "port" : "host");
                        }
                        any = true;
                }
                if (!any)
                        return hl_fail(err, expr, "empty element");
                /* libslurm takes text between brackets but never after the
                 * last one ("a[1-2]b" fails inside it without a reason). */
                if (saw_bracket && !ends_bracket)
                        return hl_fail(err, expr,
                                       "text after the last ']' of an element is not supported");
                total += n;
                if (total > HOSTLIST_MAX)
                        return hl_fail(err, expr, "expands to more than %d hosts", HOSTLIST_MAX);
                if (!*s)
                        break;
                s++;
        }
        *count = total;
        return 0;
}

/* One bracket of an element while expanding: its ranges, where it stands. */
struct bracket {
        struct range {
                unsigned long lo, hi;
                int width; /* digits of lo as written: "[001-120]" pads to 3 */
        } *r;
        size_t nr, ri; /* ranges, the current one */
        unsigned long v; /* the current number */
};

/* parse_ranges: "1-3,07]..." (checked by check_syntax) into b; the end past ']'. */
static const char *parse_ranges(const char *s, struct bracket *b) {
        size_t cap = 0;
        for (;;) {
                const char *d = s;
                unsigned long lo = strtoul(s, (char **)&s, 10), hi = lo;
                int width = (int)(s - d);
                if (*s == '-')
                        hi = strtoul(s + 1, (char **)&s, 10);
                if (b->nr == cap) {
                        cap = cap ? 2 * cap : 4;
                        b->r = xrealloc(b->r, cap * sizeof(*b->r));
                }
                b->r[b->nr++] = (struct range){lo, hi, width};
                if (*s++ == ']')
                        return s;
        }
}

/* One piece of an element: the text before a bracket (or the element's end). */
struct literal {
        const char *p;
        size_t n;
};

/* expand_element: append the names of element [s, e) to v at *at (never
 * past cap), in libslurm's order: the last bracket varies fastest, then the
 * first, the second, and so on ("a[1-2]b[1-2]c[1-2]": a1b1c1 a1b1c2 a2b1c1
 * a2b1c2 a1b2c1 …). Each
 * name costs its own length, whatever the ranges: the brackets advance
 * like an odometer and are never searched or shifted. */
static void expand_element(const char *s, const char *e, char **v, size_t *at, size_t cap) {
        size_t nb = 0, bcap = 0, maxlen = (size_t)(e - s);
        struct bracket *b = NULL;
        /* lit[i] precedes bracket i; lit[nb] ends the element */
        _cleanup_free_ struct literal *lit = xcalloc((size_t)(e - s) + 2, sizeof(*lit));
        for (const char *p = s;;) {
                const char *open = memchr(p, '[', (size_t)(e - p));
                lit[nb] = (struct literal){p, (size_t)((open ? open : e) - p)};
                if (!open)
                        break;
                if (nb == bcap) {
                        bcap = bcap ? 2 * bcap : 4;
                        b = xrealloc(b, bcap * sizeof(*b));
                }
                b[nb] = (struct bracket){0};
                p = parse_ranges(open + 1, &b[nb]);
                b[nb].v = b[nb].r[0].lo;
                maxlen += HOSTLIST_MAX_DIGITS;
                nb++;
        }
        _cleanup_free_ char *name = xmalloc(maxlen + 1);
        for (bool done = false; !done && *at < cap;) {
                size_t n = 0;
                for (size_t i = 0; i <= nb; i++) {
                        memcpy(name + n, lit[i].p, lit[i].n);
                        n += lit[i].n;
                        if (i < nb)
                                n += (size_t)sprintf(name + n, "%0*lu", b[i].r[b[i].ri].width, b[i].v);
                }
                name[n] = 0;
                v[(*at)++] = xstrdup(name);
                /* The next name: the last bracket advances; its carry goes to
                 * the first, then the second… — libslurm's order, which
                 * NodePorts= relies on to pair nodes with ports. */
                done = true;
                for (size_t k = 0; done && k < nb; k++) {
                        struct bracket *x = &b[k == 0 ? nb - 1 : k - 1];
                        done = false;
                        if (x->v < x->r[x->ri].hi)
                                x->v++;
                        else if (x->ri + 1 < x->nr)
                                x->v = x->r[++x->ri].lo;
                        else {
                                x->ri = 0;
                                x->v = x->r[0].lo;
                                done = true; /* wrapped: carry on to the bracket before */
                        }
                }
        }
        for (size_t i = 0; i < nb; i++)
                free(b[i].r);
        free(b);
}

static int expand(const char *expr, bool port, char ***out, char **err) {
        size_t count = 0;
        int r = check_syntax(expr, port, &count, err);
        if (r < 0)
                return r;
        /* libslurm still has the last word on what the expression means; only
         * its expansion (slurm_hostlist_shift, which moves the rest of its
         * list on every call) is too slow for many ranges. */
        hostlist_t hl = slurm_hostlist_create(expr);
        if (!hl)
                return hl_fail(err, expr, "rejected by libslurm");
        int n = slurm_hostlist_count(hl);
        slurm_hostlist_destroy(hl);
        if (n < 0 || (size_t)n != count)
                return hl_fail(err, expr, "libslurm expanded it to %d hosts, expected %zu", n, count);
        _cleanup_strv_ char **v = xcalloc(count + 1, sizeof(char *));
        size_t at = 0;
        for (const char *s = expr;;) {
                /* an element ends at a comma outside brackets */
                const char *e = s;
                for (bool inside = false; *e && (inside || *e != ','); e++)
                        inside = *e == '[' || (inside && *e != ']');
                expand_element(s, e, v, &at, count);
                if (!*e)
                        break;
                s = e + 1;
        }
        if (at != count)
                return hl_fail(err, expr, "expanded to %zu hosts, expected %zu", at, count);
        *out = TAKE_PTR(v);
        return 0;
}

int vc_hostlist_expand(const char *expr, char ***out, char **err) {
        return expand(expr, false, out, err);
}

int vc_portlist_expand(const char *expr, char ***out, char **err) {
        return expand(expr, true, out, err);
}

char *vc_hostlist_compress(char *const *hosts) {
        hostlist_t hl = slurm_hostlist_create(NULL);
        if (!hl)
                abort();
        for (size_t i = 0; hosts && hosts[i]; i++)
                if (!slurm_hostlist_push_host(hl, hosts[i]))
                        abort();
        char *s = slurm_hostlist_ranged_string_malloc(hl);
        slurm_hostlist_destroy(hl);
        if (!s)
                abort();
        return s;
}
