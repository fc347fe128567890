/* cache.h — the per-cluster transparent package cache on a remote site's
 * gateway node: one squid per cluster, inside the cluster's network
 * namespace (made by l2.segment), caching the HTTP of the local site's
 * guests that would otherwise cross the tunnel, merging concurrent requests
 * for one file (collapsed forwarding). The text it runs on is squidconf.h.
 *
 * The step "cache.squid" — args {job, netns, dir, port, proxy_port, user,
 * size_mb, subnet, lan, bypass: [regex…], parent: "HOST:PORT"|null,
 * preload: "/path/urls.txt"|null}:
 *   do    checks every arg, the user, the namespace, and reads the preload
 *         list first (a bad one changes nothing: an untouched failure);
 *         where an ancestor of dir denies the user the search it needs,
 *         grants that user search only (x) with a POSIX ACL entry (never
 *         read, never write), claimed for dir until undo; makes dir (layout in squidconf.h); writes
 *         squid.conf; sets net.bridge.bridge-nf-call-iptables=1 in the
 *         namespace. Unless our squid already runs (its pid file names a
 *         process whose /proc/PID/cmdline is squid -f CONF): refuses a port
 *         another program listens on, loads the guard (squidconf.h), runs
 *         `squid -z`, starts `ip netns exec NETNS squid -f CONF`. Then waits,
 *         bounded, until squid listens on both ports — seen in the
 *         namespace's socket tables, never by connecting — failing at once
 *         with squid's own words when its log says FATAL or that it cannot
 *         bind; loads the interception ruleset; and preloads: every URL of
 *         the list fetched through 127.0.0.1:proxy_port inside the
 *         namespace, 4 at a time, a failing one a warning,
 *         logging "N of M URLs preloaded (BYTES bytes)". A failure after
 *         something was made undoes it all before returning (untouched when
 *         that worked). Running it again (after a crash) is fine.
 *   undo  deletes our nft tables (when the namespace is still there), stops
 *         squid — SIGTERM to the master (to every process when there is no
 *         master) of the processes whose cmdline is squid with "-f CONF",
 *         pid file or not, then waits for them and their children (the
 *         kid's unlinkd), SIGKILL after a bounded wait — and deletes dir,
 *         never following a symlink; then drops dir's claims on the ACL
 *         entries granted on its ancestors, and where none is left (no
 *         other cache dir needs it) puts back the ACL found there — unless
 *         it changed since, which is left and warned about. The claims and
 *         the ACL found live in root-only xattrs (trusted.vcluster.*) on
 *         each ancestor; grants and releases take an flock on "/". 0 when
 *         all of it is already gone. What stays: the namespace's bridge
 *         netfilter setting (the namespace is l2.segment's, and goes with it).
 * squid's cache.log lies in a directory of the squid user: it is read (for
 * errors) only when it is a regular file with one link, never through a
 * symlink, and what is quoted from it is escaped (escape.h).
 *
 * Contract: 0 or -errno with *err (malloc'd) naming the job, the namespace
 * or the file, and what is wrong. Every program runs as an argv (run.h).
 */
#ifndef VC_GATEWAY_CACHE_H
#define VC_GATEWAY_CACHE_H

#include <jansson.h>

/* vc_cache_squid_do: the step's do (above). */
int vc_cache_squid_do(void *ctx, json_t *args, char **err);
/* vc_cache_squid_undo: the step's undo (above); 0 when already gone. */
int vc_cache_squid_undo(void *ctx, json_t *args, char **err);

#endif
