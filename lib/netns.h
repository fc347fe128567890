/* netns.h — named network namespaces, the ones `ip netns` sees
 * (/run/netns/NAME: a file with the namespace bind-mounted on it), and
 * running code inside one.
 *
 * Contract: functions return 0 or -errno, with *err (malloc'd) naming the
 * namespace and what is wrong. A NULL name means the calling thread's own
 * namespace wherever a name is taken. Switching namespaces is done on the
 * calling thread only (setns), and the thread is always switched back
 * before the call returns; if it cannot be switched back the process aborts,
 * since every later call on that thread would act in the wrong place. A
 * netlink or other socket opened inside stays bound to that namespace after
 * the switch back, and a child forked inside runs in it.
 *
 * Names follow iproute2's rules: 1..NAME_MAX bytes, not "." or "..", no '/'.
 * vc_netns_add and vc_netns_del are idempotent, as iproute2's add and del
 * are not: a name already holding a namespace is fine, a missing one too.
 */
#ifndef VC_NETNS_H
#define VC_NETNS_H

#include <stdbool.h>

/* Where named network namespaces live. */
#define VC_NETNS_DIR "/run/netns"

/* vc_ifname_check: 0 if name is a valid interface name, else -EINVAL or -ENAMETOOLONG with *err naming it. */
int vc_ifname_check(const char *name, char **err);
/* vc_netns_name_check: 0 if name may name a network namespace, else -EINVAL or -ENAMETOOLONG with *err. */
int vc_netns_name_check(const char *name, char **err);
/* vc_netns_exists: whether /run/netns/name holds a network namespace (NULL: always true). */
bool vc_netns_exists(const char *name);
/* vc_netns_open: *fd (O_CLOEXEC) refers to namespace name (NULL: the calling thread's); -ENOENT when there is none. */
int vc_netns_open(const char *name, int *fd, char **err);
/* vc_netns_run: fn(arg, err) with the calling thread in namespace name (NULL: where it is); fn's result. */
int vc_netns_run(const char *name, int (*fn)(void *arg, char **err), void *arg, char **err);
/* vc_netns_add: namespace name exists (a new one made as `ip netns add` does); *made when this call made it. */
int vc_netns_add(const char *name, bool *made, char **err);
/* vc_netns_nft: load ruleset (nft -f syntax) into namespace name's nftables, run as
 * `ip netns exec NAME nft -f -` (an argv; NULL name: `nft -f -` where we are);
 * -EIO with nft's own words in *err when it refuses. */
int vc_netns_nft(const char *name, const char *ruleset, char **err);
/* vc_netns_del: namespace name is no longer named (0 when it was not); it dies once no process or device holds it. */
int vc_netns_del(const char *name, char **err);

#endif
