/* tests for lib/daemon.c: the service manager's readiness message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "util.h"

/* listener: a datagram socket at path ('@' = abstract), as systemd makes one. */
static int listener(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t n = strlen(path);
        memcpy(sa.sun_path, path, n);
        if (path[0] == '@')
                sa.sun_path[0] = '\0';
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)), 0);
        return fd;
}

static void expect_message(int fd, const char *want) {
        char buf[64] = {0};
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        assert_int_equal(n, (ssize_t)strlen(want));
        assert_string_equal(buf, want);
}

static void test_path_socket(void **state) {
        char dir[] = "/tmp/vc-notify.XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *path = xasprintf("%s/notify", dir);
        int fd = listener(path);
        setenv("NOTIFY_SOCKET", path, 1);
        assert_int_equal(vc_daemon_notify("READY=1"), 0);
        expect_message(fd, "READY=1");
        close(fd);
        unlink(path);
        rmdir(dir);
        unsetenv("NOTIFY_SOCKET");
}

static void test_abstract_socket(void **state) {
        _cleanup_free_ char *name = xasprintf("@vc-notify-test-%d", (int)getpid());
        int fd = listener(name);
        setenv("NOTIFY_SOCKET", name, 1);
        assert_int_equal(vc_daemon_notify("READY=1"), 0);
        expect_message(fd, "READY=1");
        close(fd);
        unsetenv("NOTIFY_SOCKET");
}

static void test_nobody_asked(void **state) {
        unsetenv("NOTIFY_SOCKET");
        assert_int_equal(vc_daemon_notify("READY=1"), 0);
}

static void test_bad_socket(void **state) {
        setenv("NOTIFY_SOCKET", "relative/path", 1);
        assert_int_equal(vc_daemon_notify("READY=1"), -EINVAL);
        setenv("NOTIFY_SOCKET", "/nonexistent/vc-notify", 1);
        assert_int_equal(vc_daemon_notify("READY=1"), -ENOENT);
        unsetenv("NOTIFY_SOCKET");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_socket),
                cmocka_unit_test(test_abstract_socket),
                cmocka_unit_test(test_nobody_asked),
                cmocka_unit_test(test_bad_socket),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
