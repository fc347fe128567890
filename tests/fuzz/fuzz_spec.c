/* fuzz_spec — the --vcluster spec grammar (lib/spec.c), as sbatch's plugin
 * parses what any user types; a parsed spec must format and parse again. */
#include "fuzz.h"
#include "spec.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_str(data, size), *err = NULL;
        struct vc_spec spec;
        if (vc_spec_parse(text, &spec, &err) < 0)
                return 0;
        _cleanup_free_ char *again = vc_spec_format(&spec), *err2 = NULL;
        struct vc_spec spec2;
        if (vc_spec_parse(again, &spec2, &err2) < 0)
                abort(); /* what we print we must read back */
        return 0;
}
