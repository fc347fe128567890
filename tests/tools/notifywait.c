/* notifywait — stand in for systemd's end of Type=notify.
 *
 *   notifywait SOCKET SECONDS
 *
 * Binds a datagram socket at SOCKET (as systemd does for $NOTIFY_SOCKET),
 * prints "listening", then prints each message a service sends until one
 * holds READY=1 (exit 0) or SECONDS pass (exit 1).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

int main(int argc, char **argv) {
        unsigned long long secs;
        if (argc != 3 || parse_uint(argv[2], 1, 3600, &secs) < 0) {
                fputs("usage: notifywait SOCKET SECONDS\n", stderr);
                return 2;
        }
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(argv[1]) >= sizeof(sa.sun_path))
                return 2;
        strcpy(sa.sun_path, argv[1]);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                fprintf(stderr, "notifywait: %s: %s\n", argv[1], strerror(errno));
                return 2;
        }
        puts("listening");
        fflush(stdout);
        uint64_t until = now_ms() + secs * 1000;
        for (;;) {
                uint64_t now = now_ms();
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (now >= until || poll(&p, 1, (int)(until - now)) <= 0)
                        return 1;
                char buf[4096];
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                printf("%s\n", buf);
                fflush(stdout);
                if (strstr(buf, "READY=1"))
                        return 0;
        }
}
