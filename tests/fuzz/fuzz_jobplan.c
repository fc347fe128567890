/* fuzz_jobplan — the job's plan from its JSON (lib/jobplan.c), which every
 * node prolog and `vcluster` read from what vlanallocd sends: a refusal
 * says why, and what is accepted goes back to JSON and in again unchanged. */
#include "fuzz.h"
#include "jobplan.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        json_t *o = json_loadb((const char *)data, size, 0, NULL);
        if (!o)
                return 0;
        struct vc_jobplan p, q;
        _cleanup_free_ char *err = NULL;
        if (vc_jobplan_from_json(o, &p, &err) < 0) {
                if (!err)
                        abort(); /* a refusal always says why */
                json_decref(o);
                return 0;
        }
        json_t *once = vc_jobplan_to_json(&p);
        if (!once || vc_jobplan_from_json(once, &q, &err) < 0)
                abort(); /* what the model writes, it reads */
        json_t *twice = vc_jobplan_to_json(&q);
        char *a = json_dumps(once, JSON_COMPACT), *b = json_dumps(twice, JSON_COMPACT);
        if (!a || !b || strcmp(a, b) != 0)
                abort(); /* and writes the same again */
        free(a);
        free(b);
        json_decref(twice);
        json_decref(once);
        vc_jobplan_clear(&q);
        vc_jobplan_clear(&p);
        json_decref(o);
        return 0;
}
