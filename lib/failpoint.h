/* failpoint.h — named points where tests inject faults.
 *
 * VCLUSTER_FAILPOINTS="name=error|crash|delay:MS,…" arms points: `error`
 * makes the point return -EIO, `crash` calls _exit(137) (a kill -9 as far as
 * durable state is concerned), `delay:MS` sleeps. Every name is declared in
 * one table (failpoint.c) so `vlanalloc failpoints` can list them and a typo
 * in a test is refused rather than silently ignored. Unarmed, a point costs
 * one predictable branch.
 */
#ifndef VC_FAILPOINT_H
#define VC_FAILPOINT_H

#include <stdbool.h>

extern bool vc_failpoints_armed;

/* vc_failpoint_setup: arm points from spec (NULL/"" arms none); 0 or -EINVAL with *err. */
int vc_failpoint_setup(const char *spec, char **err);
/* vc_failpoint_hit: act on an armed point: 0, -EIO, or never returns. */
int vc_failpoint_hit(const char *name);
/* vc_failpoint_names: the NULL-terminated table of every point, with a line of help each. */
const char *const (*vc_failpoint_table(void))[2];

#define FAILPOINT(name) (__builtin_expect(vc_failpoints_armed, 0) ? vc_failpoint_hit(name) : 0)

#endif
