/* jsonread.h — reading one member of a typed model from its JSON, each
 * refusal naming the document and where in it the member is
 * ("plan: sites[1].vlan: not an integer"). Shared by the typed plans
 * (jobplan.h, nodeplan.h), the only code that knows their JSON. */
#ifndef VC_JSONREAD_H
#define VC_JSONREAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Where a member is: doc ("plan") and the path to its object ("sites[1].storage", "" at the top). */
struct vc_jpath {
        const char *doc;
        char path[64];
};

/* vc_jpath_sub: at's path extended by what (printf-style), as a new place. */
struct vc_jpath vc_jpath_sub(const struct vc_jpath *at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* vc_jbad: *err = "DOC: PATH.KEY: WHAT"; returns -EINVAL. */
int vc_jbad(char **err, const struct vc_jpath *at, const char *key, const char *what);
/* vc_jstr: o[key], a string, into *out (malloc'd); absent or null is
 * allowed when optional (*out NULL); 0 or -EINVAL with *err. */
int vc_jstr(const json_t *o, const struct vc_jpath *at, const char *key, bool optional, char **out, char **err);
/* vc_jint: o[key], an integer within [lo, hi], into *out; absent or null
 * when optional leaves *present false (present may be NULL); 0 or -EINVAL. */
int vc_jint(const json_t *o, const struct vc_jpath *at, const char *key, int64_t lo, int64_t hi, bool optional,
            int64_t *out, bool *present, char **err);
/* vc_jbool: o[key], true or false, into *out; 0 or -EINVAL. */
int vc_jbool(const json_t *o, const struct vc_jpath *at, const char *key, bool *out, char **err);
/* vc_jstr_or_null: s as a JSON string, or null when s is NULL (new reference). */
json_t *vc_jstr_or_null(const char *s);

#endif
