/* fuzz_jobplan — the job's plan from its JSON (lib/jobplan.c), which every
 * node prolog and `vcluster` read from what vlanallocd sends: a refusal
 * says why, and what is accepted goes back to JSON and in again unchanged. */
#include "fuzz.h"
#include "jobplan.h"

FUZZ_MODEL_ROUND_TRIP(struct vc_jobplan, vc_jobplan)
