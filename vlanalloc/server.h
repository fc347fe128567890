/* server.h — vlanallocd's front door: the Unix socket in StateDir and the
 * TCP ControllerAddr, one thread per connection (one request each), the
 * munge check, and who may do what:
 *   acquire, release           root and SlurmUser
 *   show JOB                   root, SlurmUser, AdminGroup, the job's owner
 *   list, ranges, check,
 *   drain, undrain             root, SlurmUser, AdminGroup
 *   node_phase                 root and SlurmUser     (userops.h)
 *   status [JOB]               the job's owner; root, SlurmUser, AdminGroup for all
 *   chap JOB                   root (a node prolog): the job's CHAP secret, sealed
 *   ping                       anyone with a valid credential
 */
#ifndef VC_SERVER_H
#define VC_SERVER_H

struct vc_alloc;

/* vc_server_listen: bind both sockets; 0 or -errno with *err. */
int vc_server_listen(struct vc_alloc *a, int *unix_fd, int *tcp_fd, char **err);
/* vc_server_serve: accept until *stop becomes nonzero (checked after each
 * wake-up of sigfd), then wait for in-flight requests; reload on SIGHUP. */
int vc_server_serve(struct vc_alloc *a, int unix_fd, int tcp_fd, int sigfd, const char *conf_path);

#endif
