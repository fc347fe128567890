#include "daemon.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"

int vc_daemon_detach(const char *ident, bool foreground) {
        if (foreground)
                return 0;
        if (daemon(0, 0) < 0) {
                int e = errno;
                log_error("daemon: %s", strerror(e));
                return -e;
        }
        vc_log_open(ident, false);
        return 0;
}

int vc_daemon_signalfd(bool hup) {
        sigset_t mask;
        sigemptyset(&mask);
        if (hup)
                sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0) {
                int e = errno;
                log_error("signalfd: %s", strerror(e));
                return -e;
        }
        return sfd;
}
