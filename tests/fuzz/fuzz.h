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

#endif
