/* sock.h — the sockets vlanallocd and its clients use: a Unix socket in
 * StateDir and TCP to ControllerAddr. Close-on-exec, stream, and errors that
 * name the address. */
#ifndef VC_SOCK_H
#define VC_SOCK_H

/* vc_unix_connect: connected fd, or -errno (-ENOENT: no such socket). */
int vc_unix_connect(const char *path);
/* vc_unix_listen: listening fd at path, mode 0666 (munge decides who may do
 * what); refuses to replace a socket that still answers. -errno with *err. */
int vc_unix_listen(const char *path, char **err);
/* vc_tcp_connect: connected fd to the first address of host:port that answers; -errno with *err. */
int vc_tcp_connect(const char *host, const char *port, char **err);
/* vc_tcp_connect_timeout: the same, but all connects together wait at most
 * timeout_ms (the name lookup is not bounded: give a numeric address to avoid
 * DNS); -ETIMEDOUT with *err "HOST:PORT: no connection within N s" when no
 * address answered in time. The fd is blocking, as from vc_tcp_connect. */
int vc_tcp_connect_timeout(const char *host, const char *port, int timeout_ms, char **err);
/* vc_tcp_listen: listening fd bound to host:port; -errno with *err. */
int vc_tcp_listen(const char *host, const char *port, char **err);
/* vc_hostport_split: "ADDR:PORT", "HOST:PORT" or "[V6]:PORT" into *host
 * (malloc'd, without brackets) and *port (1-65535); 0 or -EINVAL (a bare
 * IPv6 address is ambiguous: it must be bracketed). */
int vc_hostport_split(const char *portal, char **host, int *port);

#endif
