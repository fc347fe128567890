#include "conf_regex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "util.h"

/* Parentheses nest at most this deep: the parser recurses on them. */
#define MAX_DEPTH 32
/* glibc's RE_DUP_MAX: larger interval bounds are an error there too. */
#define DUP_MAX 32767

struct ere {
        const char *start, *s; /* the pattern, the next character */
        char *why;             /* the first error */
};

static int ere_fail(struct ere *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ere_fail(struct ere *e, const char *fmt, ...) {
        if (!e->why) {
                va_list ap;
                va_start(ap, fmt);
                e->why = xvasprintf(fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* The cost of what is parsed, saturating just above the limit. */
static unsigned long cap(unsigned long long v) { return v > VC_ERE_MAX_COST ? VC_ERE_MAX_COST + 1 : (unsigned long)v; }

/* bracket: e->s just past '['; skips the bracket expression and its ']'. */
static int bracket(struct ere *e) {
        const char *s = e->s;
        if (*s == '^')
                s++;
        if (*s == ']') /* a leading ']' is a member */
                s++;
        for (;;) {
                if (!*s)
                        return ere_fail(e, "unmatched '['");
                if (*s == ']')
                        break;
                if (*s == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
                        char kind = s[1];
                        const char *end = s + 2;
                        while (*end && !(end[0] == kind && end[1] == ']'))
                                end++;
                        if (!*end)
                                return ere_fail(e, "unmatched '[%c'", kind);
                        if (kind == ':') {
                                static const char *const classes[] = {"alnum", "alpha", "blank", "cntrl",
                                                                      "digit", "graph", "lower", "print",
                                                                      "punct", "space", "upper", "xdigit"};
                                size_t n = (size_t)(end - (s + 2));
                                bool known = false;
                                for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
                                        known |= strlen(classes[i]) == n && !strncmp(classes[i], s + 2, n);
                                if (!known)
                                        return ere_fail(e, "unknown character class '[:%.*s:]'", (int)n, s + 2);
                        }
                        s = end + 2;
                        continue;
                }
                /* a range "a-z": its end must not sort before its start (in bytes, as in the C locale) */
                if (s[1] == '-' && s[2] && s[2] != ']' && s[2] != '[' && (unsigned char)s[2] < (unsigned char)s[0])
                        return ere_fail(e, "range '%c-%c' in '[...]' ends before it starts", s[0], s[2]);
                s++;
        }
        e->s = s + 1;
        return 0;
}

/* number: decimal digits at e->s (at most DUP_MAX) into *v; false when there are none. */
static bool number(struct ere *e, unsigned long *v, bool *big) {
        const char *s = e->s;
        *v = 0;
        while (*s >= '0' && *s <= '9') {
                if (*v <= DUP_MAX)
                        *v = *v * 10 + (unsigned long)(*s - '0');
                s++;
        }
        *big |= *v > DUP_MAX;
        bool any = s != e->s;
        e->s = s;
        return any;
}

/* quantifier: at e->s, one of * + ? {m} {m,} {m,n} {,n} → how many copies
 * of its operand regcomp makes (>= 1); 0 when there is none. */
static int quantifier(struct ere *e, unsigned long *copies) {
        char c = *e->s;
        *copies = 0;
        if (c == '*' || c == '?') {
                e->s++;
                *copies = 1;
        } else if (c == '+') { /* X+ is compiled as X X* */
                e->s++;
                *copies = 2;
        } else if (c == '{') {
                e->s++;
                unsigned long lo = 0, hi = 0;
                bool big = false, has_lo = number(e, &lo, &big), has_hi = false, comma = *e->s == ',';
                if (comma) {
                        e->s++;
                        has_hi = number(e, &hi, &big);
                }
                if ((!has_lo && !has_hi) || *e->s != '}')
                        return ere_fail(e, "'{' starts no interval ({M}, {M,}, {M,N} or {,N})");
                e->s++;
                if (big)
                        return ere_fail(e, "an interval bound above %d", DUP_MAX);
                if (!comma)
                        hi = lo;
                if (has_hi && lo > hi)
                        return ere_fail(e, "interval {%lu,%lu}: its minimum is above its maximum", lo, hi);
                /* {M,N}: N copies (M required, N-M optional); {M,}: M and a starred one */
                *copies = has_hi || !comma ? (hi ? hi : 1) : lo + 1;
        }
        return 0;
}

static int alternation(struct ere *e, int depth, unsigned long *cost);

/* piece: an atom and its quantifiers at e->s; *cost its copies; *none when
 * e->s is where a branch ends. */
static int piece(struct ere *e, int depth, unsigned long *cost, bool *none) {
        const char *at = e->s;
        char c = *e->s;
        int r;
        *none = false;
        *cost = 1;
        bool anchor = false;
        switch (c) {
        case 0:
        case '|':
                *none = true;
                return 0;
        case ')':
                if (depth > 0) {
                        *none = true;
                        return 0;
                }
                e->s++; /* unmatched: an ordinary character, as in glibc */
                break;
        case '*':
        case '+':
        case '?':
        case '{':
                return ere_fail(e, "'%c' at offset %zu repeats nothing", c, (size_t)(at - e->start));
        case '(':
                if (depth == MAX_DEPTH)
                        return ere_fail(e, "parentheses nested deeper than %d", MAX_DEPTH);
                e->s++;
                if ((r = alternation(e, depth + 1, cost)) < 0)
                        return r;
                if (*e->s != ')')
                        return ere_fail(e, "unmatched '('");
                e->s++;
                *cost = *cost ? *cost : 1;
                break;
        case '[':
                e->s++;
                if ((r = bracket(e)) < 0)
                        return r;
                break;
        case '\\':
                if (!e->s[1])
                        return ere_fail(e, "a trailing backslash");
                if (e->s[1] >= '1' && e->s[1] <= '9')
                        return ere_fail(e, "back-reference '\\%c': matching one can take exponential time",
                                        e->s[1]);
                e->s += 2;
                break;
        case '^':
        case '$':
                anchor = true;
                e->s++;
                break;
        default:
                e->s++;
                break;
        }
        for (;;) {
                unsigned long copies;
                const char *q = e->s;
                if ((r = quantifier(e, &copies)) < 0)
                        return r;
                if (!copies)
                        return 0;
                if (anchor)
                        return ere_fail(e, "'%c' repeats the anchor '%c'", *q, c);
                *cost = cap((unsigned long long)*cost * copies);
        }
}

/* alternation: branches separated by '|' up to ')' or the end; *cost their sum. */
static int alternation(struct ere *e, int depth, unsigned long *cost) {
        *cost = 0;
        for (;;) {
                for (;;) {
                        unsigned long c;
                        bool none;
                        int r = piece(e, depth, &c, &none);
                        if (r < 0)
                                return r;
                        if (none)
                                break;
                        *cost = cap((unsigned long long)*cost + c);
                }
                if (*e->s != '|')
                        return 0;
                e->s++;
        }
}

int vc_ere_check(const char *re, char **why) {
        size_t len = strlen(re);
        if (len > VC_ERE_MAX_LEN) {
                *why = xasprintf("longer than %d characters", VC_ERE_MAX_LEN);
                return -EINVAL;
        }
        struct ere e = {.start = re, .s = re};
        unsigned long cost = 0;
        int r = alternation(&e, 0, &cost);
        if (r == 0 && cost > VC_ERE_MAX_COST)
                r = ere_fail(&e, "its repetitions make more than %d copies of subexpressions for the regex "
                                 "compiler (nested or stacked repetitions, large {M,N}): write it simpler",
                             VC_ERE_MAX_COST);
        if (r < 0)
                *why = TAKE_PTR(e.why);
        return r;
}
