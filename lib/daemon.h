/* daemon.h — what every vcluster daemon does at start: leave the terminal
 * unless told to stay, and take its signals through a signalfd so that no
 * worker thread is ever interrupted by one. */
#ifndef VC_DAEMON_H
#define VC_DAEMON_H

#include <stdbool.h>

struct vc_conf;

/* vc_daemon_start: what every daemon does first — log to stderr as ident
 * (at debug level when verbose), arm $VCLUSTER_FAILPOINTS, load conf_path
 * and log as its DebugLevel= (unless verbose) and SyslogFacility= say; 0 and
 * *c, or -errno (logged). */
int vc_daemon_start(const char *ident, bool verbose, const char *conf_path, struct vc_conf **c);
/* vc_daemon_detach: unless foreground, daemon(0, 0) and log to syslog as
 * ident from then on; 0 or -errno (logged). */
int vc_daemon_detach(const char *ident, bool foreground);
/* vc_daemon_signalfd: block SIGTERM, SIGINT (and SIGHUP when hup) in this
 * thread and every thread it starts later, ignore SIGPIPE; a signalfd
 * delivering them, or -errno (logged). */
int vc_daemon_signalfd(bool hup);
/* vc_daemon_notify: tell the service manager state ("READY=1") when it
 * asked to be told (systemd's Type=notify sets $NOTIFY_SOCKET); 0 when sent
 * or nobody asked, -errno (logged) when sending failed. */
int vc_daemon_notify(const char *state);

#endif
