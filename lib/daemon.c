#include "daemon.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "failpoint.h"
#include "log.h"
#include "util.h"

int vc_daemon_start(const char *ident, bool verbose, const char *conf_path, struct vc_conf **c) {
        vc_log_open(ident, true);
        if (verbose)
                vc_log_set_level(LOG_DEBUG);
        _cleanup_free_ char *err = NULL;
        int r = vc_failpoint_setup(getenv("VCLUSTER_FAILPOINTS"), &err);
        if (r == 0)
                r = vc_conf_load(conf_path, c, &err);
        if (r < 0) {
                log_error("%s", err);
                return r;
        }
        if (!verbose) /* -v wins over DebugLevel= */
                vc_log_set_level((*c)->log_level);
        vc_log_set_facility((*c)->syslog_facility);
        return 0;
}

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

int vc_daemon_notify(const char *state) {
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path || !*path)
                return 0;
        /* systemd's datagram protocol: "@name" is an abstract socket. */
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t n = strlen(path);
        if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
                log_error("NOTIFY_SOCKET='%s': not a socket path", path);
                return -EINVAL;
        }
        memcpy(sa.sun_path, path, n);
        if (path[0] == '@')
                sa.sun_path[0] = '\0';
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
                             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0) {
                int e = errno;
                log_error("telling the service manager %s: %s", state, strerror(e));
                return -e;
        }
        return 0;
}
