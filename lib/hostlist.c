#include "hostlist.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <slurm/slurm.h>
#include <stdarg.h>

/* A config typo like "tk[1-100000]" must not make every daemon allocate
 * millions of names; real sites are far below this. */
#define HOSTLIST_MAX 65536
/* Nine digits keep every bound inside an unsigned long on any ABI and are
 * far more than any node numbering needs. */
#define HOSTLIST_MAX_DIGITS 9

static int hl_fail(char **err, const char *expr, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int hl_fail(char **err, const char *expr, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *why = xvasprintf(fmt, ap);
        va_end(ap);
        if (err)
                *err = xasprintf("hostlist '%s': %s", expr, why);
        return -EINVAL;
}

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

static int expand(const char *expr, bool port, char ***out, char **err) {
        size_t count = 0;
        int r = check_syntax(expr, port, &count, err);
        if (r < 0)
                return r;

        hostlist_t hl = slurm_hostlist_create(expr);
        if (!hl)
                return hl_fail(err, expr, "rejected by libslurm");
        int n = slurm_hostlist_count(hl);
        if (n < 0 || (size_t)n != count) {
                slurm_hostlist_destroy(hl);
                return hl_fail(err, expr, "libslurm expanded it to %d hosts, expected %zu", n,
                               count);
        }
        _cleanup_strv_ char **v = xcalloc(count + 1, sizeof(char *));
        for (size_t i = 0; i < count; i++) {
                v[i] = slurm_hostlist_shift(hl);
                if (!v[i])
                        abort(); /* only an allocation failure gets here */
        }
        slurm_hostlist_destroy(hl);
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
