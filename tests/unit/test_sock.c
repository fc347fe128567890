/* test_sock — TCP connects on loopback: success, refusal, a bad service name,
 * and vc_tcp_connect_timeout giving up on a listener that never answers.
 *
 * "Never answers" is a listener whose accept queue is full: Linux then drops
 * the SYN (unless net.ipv4.tcp_abort_on_overflow=1, which refuses instead;
 * that case is skipped), so the connect waits for the kernel's SYN retries,
 * exactly like an address that drops packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sock.h"
#include "util.h"

/* A socket bound to a free loopback port; listening with backlog when >= 0. */
static int bound(int backlog, char port[16]) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        if (backlog >= 0)
                assert_int_equal(listen(fd, backlog), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        snprintf(port, 16, "%u", ntohs(a.sin_port));
        return fd;
}

static void test_connect(void **state) {
        char port[16];
        _cleanup_close_ int l = bound(8, port);
        _cleanup_free_ char *err = NULL;
        _cleanup_close_ int fd = vc_tcp_connect_timeout("127.0.0.1", port, 1000, &err);
        assert_true(fd >= 0);
        /* handed back like vc_tcp_connect's: blocking, close-on-exec */
        assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        _cleanup_close_ int fd2 = vc_tcp_connect("127.0.0.1", port, &err);
        assert_true(fd2 >= 0);
        /* no time at all still sees a loopback connect that completes at once */
        _cleanup_close_ int fd3 = vc_tcp_connect_timeout("127.0.0.1", port, 0, &err);
        assert_true(fd3 >= 0);
        assert_null(err);
}

static void test_refused(void **state) {
        char port[16];
        _cleanup_close_ int b = bound(-1, port); /* bound, not listening: the port stays ours, and refuses */
        char *err = NULL;
        assert_int_equal(vc_tcp_connect_timeout("127.0.0.1", port, 1000, &err), -ECONNREFUSED);
        _cleanup_free_ char *want = xasprintf("127.0.0.1:%s: Connection refused", port);
        assert_string_equal(err, want);
        free(err), err = NULL;
        assert_int_equal(vc_tcp_connect("127.0.0.1", port, &err), -ECONNREFUSED);
        assert_string_equal(err, want);
        free(err), err = NULL;
        assert_int_equal(vc_tcp_connect_timeout("127.0.0.1", "no-such-service", 1000, &err), -EADDRNOTAVAIL);
        assert_non_null(strstr(err, "127.0.0.1:no-such-service: "));
        free(err);
}

static bool overflow_refuses(void) {
        _cleanup_free_ char *v = NULL;
        size_t len;
        return read_file("/proc/sys/net/ipv4/tcp_abort_on_overflow", &v, &len, 64) == 0 && v[0] == '1';
}

static void test_timeout(void **state) {
        if (overflow_refuses()) {
                print_message("net.ipv4.tcp_abort_on_overflow=1: a full queue refuses, nothing hangs; skipped\n");
                skip();
        }
        char port[16];
        _cleanup_close_ int l = bound(0, port); /* never accepted from */
        int held[16], n = 0, r = 0;
        /* Fill the accept queue until a connect hangs: that one proves it is full. */
        while (n < (int)ARRAY_SIZE(held)) {
                _cleanup_free_ char *err = NULL;
                r = vc_tcp_connect_timeout("127.0.0.1", port, 100, &err);
                if (r < 0)
                        break;
                held[n++] = r;
        }
        assert_int_equal(r, -ETIMEDOUT);
        char *err = NULL;
        uint64_t t0 = now_ms();
        r = vc_tcp_connect_timeout("127.0.0.1", port, 300, &err);
        uint64_t ms = now_ms() - t0;
        assert_int_equal(r, -ETIMEDOUT);
        _cleanup_free_ char *want = xasprintf("127.0.0.1:%s: no connection within 0.3 s", port);
        assert_string_equal(err, want);
        free(err);
        if (ms < 290 || ms > 1000)
                print_error("a 300 ms connect timeout took %llu ms\n", (unsigned long long)ms);
        assert_true(ms >= 290 && ms <= 1000);
        while (n > 0)
                close(held[--n]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_connect),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_timeout),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
