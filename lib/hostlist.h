/* hostlist.h — Slurm hostlist expressions ("tk[001-134],login1").
 *
 * libslurm's slurm_hostlist_* has the last word on what an expression means
 * (we check the brackets first because it silently accepts some malformed
 * input, "a[1-"), but we expand it ourselves, in time linear in the output:
 * slurm_hostlist_shift in a loop is quadratic in the number of ranges.
 */
#ifndef VC_HOSTLIST_H
#define VC_HOSTLIST_H

#include <stddef.h>

/* vc_hostlist_expand: expand expr into a NULL-terminated vector (in order,
 * duplicates kept); 0, or -EINVAL with *err set to a malloc'd reason. */
int vc_hostlist_expand(const char *expr, char ***out, char **err);
/* vc_portlist_expand: the same for switch port names, which may also
 * contain '/' and ':' ("ge-0/0/[0-47]", "[1-48]"). */
int vc_portlist_expand(const char *expr, char ***out, char **err);
/* vc_hostlist_compress: ranged string ("n[1-3]") of a vector; malloc'd. */
char *vc_hostlist_compress(char *const *hosts);

#endif
