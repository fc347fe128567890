/* fuzz_nodeplan — a node's plan from its JSON (lib/nodeplan.c), which the
 * SPANK plugin reads back from plan.json: a refusal says why, and what is
 * accepted goes back to JSON and in again unchanged. */
#include "fuzz.h"
#include "nodeplan.h"

FUZZ_MODEL_ROUND_TRIP(struct vc_nodeplan, vc_nodeplan)
