/* fuzz_nodeplan — a node's plan from its JSON (lib/nodeplan.c), which the
 * SPANK plugin reads back from plan.json: a refusal says why, and what is
 * accepted goes back to JSON and in again unchanged. */
#include "fuzz.h"
#include "nodeplan.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        json_t *o = json_loadb((const char *)data, size, 0, NULL);
        if (!o)
                return 0;
        struct vc_nodeplan p, q;
        _cleanup_free_ char *err = NULL;
        if (vc_nodeplan_from_json(o, &p, &err) < 0) {
                if (!err)
                        abort(); /* a refusal always says why */
                json_decref(o);
                return 0;
        }
        json_t *once = vc_nodeplan_to_json(&p);
        if (!once || vc_nodeplan_from_json(once, &q, &err) < 0)
                abort(); /* what the model writes, it reads */
        json_t *twice = vc_nodeplan_to_json(&q);
        char *a = json_dumps(once, JSON_COMPACT), *b = json_dumps(twice, JSON_COMPACT);
        if (!a || !b || strcmp(a, b) != 0)
                abort(); /* and writes the same again */
        free(a);
        free(b);
        json_decref(twice);
        json_decref(once);
        vc_nodeplan_clear(&q);
        vc_nodeplan_clear(&p);
        json_decref(o);
        return 0;
}
