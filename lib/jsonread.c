/* jsonread.c — see jsonread.h. */
#include "jsonread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "util.h"

struct vc_jpath vc_jpath_sub(const struct vc_jpath *at, const char *fmt, ...) {
        struct vc_jpath sub = {.doc = at->doc};
        char tail[sizeof(sub.path)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tail, sizeof(tail), fmt, ap);
        va_end(ap);
        snprintf(sub.path, sizeof(sub.path), "%.31s%s%.31s", at->path, at->path[0] && tail[0] != '[' ? "." : "",
                 tail);
        return sub;
}

int vc_jbad(char **err, const struct vc_jpath *at, const char *key, const char *what) {
        *err = xasprintf("%s: %s%s%s: %s", at->doc, at->path, at->path[0] && key[0] ? "." : "", key, what);
        return -EINVAL;
}

int vc_jstr(const json_t *o, const struct vc_jpath *at, const char *key, bool optional, char **out, char **err) {
        json_t *v = json_object_get(o, key);
        if ((!v || json_is_null(v)) && optional)
                return 0;
        if (!json_is_string(v))
                return vc_jbad(err, at, key, v ? "not a string" : "missing");
        *out = xstrdup(json_string_value(v));
        return 0;
}

int vc_jint(const json_t *o, const struct vc_jpath *at, const char *key, int64_t lo, int64_t hi, bool optional,
            int64_t *out, bool *present, char **err) {
        json_t *v = json_object_get(o, key);
        if (present)
                *present = false;
        if ((!v || json_is_null(v)) && optional)
                return 0;
        if (!json_is_integer(v))
                return vc_jbad(err, at, key, v ? "not an integer" : "missing");
        json_int_t i = json_integer_value(v);
        if (i < lo || i > hi)
                return vc_jbad(err, at, key, "out of range");
        *out = i;
        if (present)
                *present = true;
        return 0;
}

int vc_jbool(const json_t *o, const struct vc_jpath *at, const char *key, bool *out, char **err) {
        json_t *v = json_object_get(o, key);
        if (!json_is_boolean(v))
                return vc_jbad(err, at, key, v ? "not true or false" : "missing");
        *out = json_is_true(v);
        return 0;
}

json_t *vc_jstr_or_null(const char *s) { return s ? json_string(s) : json_null(); }
