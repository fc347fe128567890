#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "escape.h"
#include "util.h"

static const char *log_ident = "vcluster";
static bool log_foreground = true;
static int log_level = LOG_INFO;
static int log_facility = LOG_DAEMON;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void vc_log_open(const char *ident, bool foreground) {
        log_ident = ident;
        log_foreground = foreground;
        if (!foreground)
                openlog(ident, LOG_PID | LOG_NDELAY, log_facility);
}

void vc_log_set_facility(int facility) {
        if (facility == log_facility)
                return;
        log_facility = facility;
        if (!log_foreground) {
                closelog();
                openlog(log_ident, LOG_PID | LOG_NDELAY, log_facility);
        }
}

void vc_log_set_level(int prio) { log_level = prio; }

void vc_log(int prio, const char *fmt, ...) {
        if (prio > log_level)
                return;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *raw = xvasprintf(fmt, ap);
        va_end(ap);
        /* Messages quote users' specs and guests' consoles: a newline there
         * would forge a line of ours, an ESC sequence would drive the
         * reader's terminal. */
        _cleanup_free_ char *msg = vc_escape(raw);
        if (log_foreground) {
                /* One locked write per line so concurrent threads never interleave. */
                pthread_mutex_lock(&log_lock);
                fprintf(stderr, "%s: %s%s\n", log_ident,
                        prio <= LOG_ERR ? "error: " : prio == LOG_WARNING ? "warning: " : "", msg);
                fflush(stderr);
                pthread_mutex_unlock(&log_lock);
        } else {
                syslog(prio, "%s", msg);
        }
}
