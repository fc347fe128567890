/* log.h — one logging call for every program.
 *
 * In the foreground (CLIs, `vlanallocd -f`, tests) messages go to stderr as
 * "ident: message"; a daemon logs to syslog. Callers log an error once, where
 * the decision is made, and return -errno upward.
 */
#ifndef VC_LOG_H
#define VC_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* vc_log_open: choose destination (stderr when foreground) and identity. */
void vc_log_open(const char *ident, bool foreground);
/* vc_log_set_level: drop messages less important than prio (LOG_DEBUG shows all). */
void vc_log_set_level(int prio);
/* vc_log_set_facility: the syslog facility from now on (default LOG_DAEMON). */
void vc_log_set_facility(int facility);
/* vc_log: log one message at prio, control characters escaped (escape.h). */
void vc_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) vc_log(LOG_ERR, __VA_ARGS__)
#define log_warning(...) vc_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) vc_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) vc_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) vc_log(LOG_DEBUG, __VA_ARGS__)

#endif
