/* relay.c — two-way byte relay (relay.h). */
#include "relay.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "util.h"

/* half_close: no more bytes go to fd: a socket's write half shut, anything else closed. */
static void half_close(int fd, int *closed) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
                (void)shutdown(fd, SHUT_WR);
        else if (!*closed) {
                close(fd);
                *closed = 1;
        }
}

/* pump: one read from in, all of it written to out; 1 moved, 0 EOF, -errno. */
static int pump(int in, int out) {
        char buf[65536];
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        if (n == 0)
                return 0;
        int r = vc_send_all(out, buf, (size_t)n);
        if (r == -ENOTSOCK)
                r = write_all(out, buf, (size_t)n);
        return r < 0 ? r : 1;
}

int vc_relay(int a_in, int a_out, int b) {
        bool up = true, down = true; /* a → b, b → a still open */
        int out_closed = 0;
        while (up || down) {
                struct pollfd p[2] = {{.fd = up ? a_in : -1, .events = POLLIN},
                                      {.fd = down ? b : -1, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (up && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                        int r = pump(a_in, b);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                up = false;
                                half_close(b, &(int){0});
                        }
                }
                if (down && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                        int r = pump(b, a_out);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                down = false;
                                half_close(a_out, &out_closed);
                        }
                }
        }
        return 0;
}
