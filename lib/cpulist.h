/* cpulist.h — CPU lists as Slurm, libvirt and the kernel write them
 * ("0-3,8"): parsed to a bitmap, formatted back as ascending ranges, and
 * checked before one reaches a domain's XML or a user's terminal. */
#ifndef VC_CPULIST_H
#define VC_CPULIST_H

#include <stdbool.h>

/* The most CPUs a list may name: the kernel's NR_CPUS is at most 8192. */
#define VC_CPUS_MAX 16384
/* The longest CPU list text taken from elsewhere (a node's report, a plan). */
#define VC_CPULIST_TEXT_MAX 1024

/* vc_cpulist_parse: "0-3,8" (a trailing newline allowed, "" the empty set)
 * into a bitmap of VC_CPUS_MAX entries (malloc'd *set); 0, or -EINVAL. */
int vc_cpulist_parse(const char *s, bool **set);
/* vc_cpulist_format: the set entries of a VC_CPUS_MAX bitmap as ascending ranges (malloc'd). */
char *vc_cpulist_format(const bool *set);
/* vc_cpulist_valid: whether s is a non-empty CPU list of at most VC_CPULIST_TEXT_MAX characters. */
bool vc_cpulist_valid(const char *s);

#endif
