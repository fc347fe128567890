/* access.h — the path from a job's nodes to its guests' sshd, as every side
 * computes it alike: the node prolog makes it (node/access.h), the
 * forwarder serves it (access/forward.c), and `vcluster proxy`, `ssh`,
 * `ssh-config` and `hostfile` (cli/) use it.
 *
 * On each node of a job with a cloud-init image: a network namespace
 * "vcl-JOB-NODE-access" with one veth end ("acc0") on the job's VLAN (its
 * peer "vaJOB.N", N the node's index in the plan, a port of the node's OVS
 * bridge tagged like the guests'), addressed from the top of the cluster's
 * subnet below the caches' addresses; in it, a forwarder running as the
 * job's user listens on StateDir/access/NODE/JOB/NAME.sock (the directory
 * 0700 and the user's) for each guest of the cluster and relays each
 * connection to NAME's port 22. StateDir/access/NODE/JOB/guests lists the
 * guests, the frontend first: "NAME CPUS NODE" a line (NODE: where it runs).
 * The node step user.console links each local guest's console log there as
 * NAME.console, the user's.
 * A unix socket is reached through the file system, whatever network
 * namespace the caller is in, and only by who may search its directory:
 * the job's user (another uid gets EACCES); the host's own network has no
 * route to the VLAN at all.
 */
#ifndef VC_ACCESS_H
#define VC_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The guests' sshd port. */
#define VC_ACCESS_SSH_PORT 22
/* The interface of the access namespace on the job's VLAN. */
#define VC_ACCESS_IF "acc0"
/* The guest list's file name in the access directory. */
#define VC_ACCESS_GUESTS "guests"

/* vc_access_dir: StateDir/access/NODE/JOB (malloc'd). */
char *vc_access_dir(const char *state_dir, const char *node, long long job);
/* vc_access_socket: DIR/NAME.sock, or NULL when it would not fit a unix socket address (malloc'd). */
char *vc_access_socket(const char *dir, const char *name);
/* vc_access_netns: "vcl-JOB-NODE-access" (malloc'd). */
char *vc_access_netns(long long job, const char *node);
/* vc_access_port: "va" JOB(hex) "." INDEX(hex) into buf; false when longer than an interface name. */
bool vc_access_port(long long job, unsigned index, char buf[16]);
/* vc_access_addr: the access address of the node at index (0-based, in
 * plan order) into buf[16]: from the top of subnet/prefix, below one
 * address per site (the caches'); -ERANGE when it would meet the guests'
 * addresses (1..guests). */
int vc_access_addr(uint32_t subnet, unsigned prefix, size_t sites, size_t index, size_t guests, char buf[16]);

/* A guest as the access directory lists it. */
struct vc_access_guest {
        char *name;
        unsigned cpus;
        char *node; /* the node that runs it */
};

/* vc_access_guests_parse: the guests file's text ("NAME CPUS NODE" lines,
 * NAME a host name, CPUS 1..4096, NODE a word) into a new array; 0, or
 * -EINVAL with *err naming the line. */
int vc_access_guests_parse(const char *text, struct vc_access_guest **out, size_t *n, char **err);
/* vc_access_guests_free: free the array and its names. */
void vc_access_guests_free(struct vc_access_guest *g, size_t n);
/* vc_access_guest_find: the index of name in g, or -1. */
int vc_access_guest_find(const struct vc_access_guest *g, size_t n, const char *name);
/* vc_access_hostfile: "NAME slots=CPUS" a line, as mpirun --hostfile reads (malloc'd). */
char *vc_access_hostfile(const struct vc_access_guest *g, size_t n);

/* How ssh reaches a job's guests: the user, the job's key and
 * known_hosts, and the ProxyCommand with "%h" where the guest goes. */
struct vc_access_ssh {
        const char *user, *key, *known_hosts, *proxy;
};

/* vc_access_ssh_config: one Host block per guest, for ssh -F (malloc'd). */
char *vc_access_ssh_config(const struct vc_access_ssh *s, const struct vc_access_guest *g, size_t n);
/* vc_access_ssh_argv: ssh's argv ("ssh -o … -- GUEST CMD…") for guest with cmd (n words, may be 0:
 * a login shell), -o options from s (NULL-terminated, malloc'd strings). */
char **vc_access_ssh_argv(const struct vc_access_ssh *s, const char *guest, char *const *cmd, size_t n);
/* vc_sh_quote: s as one word for a POSIX shell (ssh runs ProxyCommand
 * through the user's shell): unchanged when plain, else single-quoted (malloc'd). */
char *vc_sh_quote(const char *s);

#endif
