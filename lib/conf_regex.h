/* conf_regex.h — checking a POSIX extended regular expression from
 * vcluster.conf without compiling it.
 *
 * glibc's regcomp copies a repeated subexpression once per repetition, so
 * "V" and 24 '+' costs it 2^24 copies (12.5 GB, over a minute), and every
 * program that loads vcluster.conf — the SPANK plugin inside sbatch and
 * srun too — would pay that. This check reads the pattern once, refuses
 * what regcomp would refuse (unbalanced parentheses or brackets, a
 * repetition with nothing before it, a bad interval, a trailing backslash)
 * and what it would take too long over: more than VC_ERE_MAX_COST
 * subexpression copies, or back-references (exponential to match). What
 * passes compiles cheaply where the pattern is used (squid at a gateway).
 */
#ifndef VC_CONF_REGEX_H
#define VC_CONF_REGEX_H

#include <stddef.h>

/* The subexpression copies regcomp may make for one pattern. */
#define VC_ERE_MAX_COST 2000
/* Longer patterns are refused before anything else is looked at. */
#define VC_ERE_MAX_LEN 1024

/* vc_ere_check: 0 when re is a POSIX ERE that compiles within
 * VC_ERE_MAX_COST, else -EINVAL with *why (malloc'd) saying what is wrong.
 * Time linear in the length of re. */
int vc_ere_check(const char *re, char **why);

#endif
