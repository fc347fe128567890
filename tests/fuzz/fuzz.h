/* fuzz.h — what every libFuzzer target here shares: the entry point's
 * prototype (so -Wmissing-prototypes holds) and a NUL-terminated copy of the
 * input, since the parsers under test take C strings. */
#ifndef VC_FUZZ_H
#define VC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_str: data as a malloc'd C string (an embedded NUL ends it early, as
 * it would for the real caller). */
static inline char *fuzz_str(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* FUZZ_MODEL_ROUND_TRIP: the entry point for a typed model of JSON (the
 * plans): a refusal always says why; what is accepted the model writes, reads
 * again, and writes the same. T is the struct, PFX its functions' prefix
 * (PFX##_from_json, PFX##_to_json, PFX##_clear). */
#define FUZZ_MODEL_ROUND_TRIP(T, PFX)                                                       \
        int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {                      \
                json_t *o = json_loadb((const char *)data, size, 0, NULL);                  \
                if (!o)                                                                     \
                        return 0;                                                           \
                T p, q;                                                                     \
                char *err = NULL;                                                           \
                if (PFX##_from_json(o, &p, &err) < 0) {                                     \
                        if (!err)                                                           \
                                abort();                                                    \
                        free(err);                                                          \
                        json_decref(o);                                                     \
                        return 0;                                                           \
                }                                                                           \
                json_t *once = PFX##_to_json(&p);                                           \
                if (!once || PFX##_from_json(once, &q, &err) < 0)                           \
                        abort();                                                            \
                json_t *twice = PFX##_to_json(&q);                                          \
                char *a = json_dumps(once, JSON_COMPACT), *b = json_dumps(twice, JSON_COMPACT); \
                if (!a || !b || strcmp(a, b) != 0)                                          \
                        abort();                                                            \
                free(a);                                                                    \
                free(b);                                                                    \
                json_decref(twice);                                                         \
                json_decref(once);                                                          \
                PFX##_clear(&q);                                                            \
                PFX##_clear(&p);                                                            \
                json_decref(o);                                                             \
                return 0;                                                                   \
        }

#endif
