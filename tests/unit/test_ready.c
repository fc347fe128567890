/* test_ready — node/ready.c against hostile guests: one that floods its agent
 * port without ever saying "up" must not hold the prolog past BootTimeout,
 * and what a guest's console ends with reaches the error escaped. The
 * domain is libvirt's test driver's "test" (always running); the agent port
 * is a unix socket this test serves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "ready.h"
#include "util.h"

/* How long the flooder keeps writing: far past the timeout below, so a
 * reader that only stops when the stream ends is seen as too late. */
#define FLOOD_S 15
#define TIMEOUT_S 2

static char dir[] = "/tmp/vc-ready.XXXXXX";

static int setup(void **state) {
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state) {
        _cleanup_free_ char *cmd = xasprintf("rm -rf %s", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* flooder: a child that serves path, writing noise lines (never "up") to
 * every connection for FLOOD_S seconds, then exits. */
static pid_t flooder(const char *path) {
        int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(l >= 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(l, 4), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid > 0) {
                close(l);
                return pid;
        }
        signal(SIGPIPE, SIG_IGN);
        alarm(FLOOD_S);
        char buf[65536];
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = i % 80 == 79 ? '\n' : 'x';
        for (;;) {
                int c = accept(l, NULL, NULL);
                if (c < 0)
                        _exit(0);
                while (write(c, buf, sizeof(buf)) > 0)
                        ;
                close(c);
        }
}

static virConnectPtr test_conn(void) {
        virConnectPtr conn = virConnectOpen("test:///default");
        assert_non_null(conn);
        return conn;
}

static void test_flooding_guest_times_out(void **state) {
        _cleanup_free_ char *agent = xasprintf("%s/flood.agent", dir), *console = xasprintf("%s/none.log", dir);
        pid_t pid = flooder(agent);
        virConnectPtr conn = test_conn();
        struct vc_ready_guest g = {.name = "g1", .domain = "test", .agent = agent, .console = console};
        _cleanup_free_ char *err = NULL;
        uint64_t t0 = now_ms();
        int r = vc_guests_wait_up(conn, &g, 1, TIMEOUT_S, NULL, NULL, &err);
        uint64_t took = now_ms() - t0;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        virConnectClose(conn);
        print_message("flooding guest: %d after %llu ms: %s\n", r, (unsigned long long)took, err ? err : "");
        assert_int_equal(r, -ETIMEDOUT);
        assert_false(g.up);
        assert_non_null(strstr(err, "guest g1 did not report up within 2s"));
        /* the deadline holds, give or take a poll tick and a loaded machine */
        assert_true(took < TIMEOUT_S * 1000 + 1000);
}

static void test_console_tail_escaped(void **state) {
        _cleanup_free_ char *agent = xasprintf("%s/silent.agent", dir), *console = xasprintf("%s/console.log", dir);
        FILE *f = fopen(console, "w");
        assert_non_null(f);
        fputs("booting\nKernel panic \033[2J\033]0;pwned\007 - not syncing\n", f);
        fclose(f);
        virConnectPtr conn = test_conn();
        struct vc_ready_guest g = {.name = "g2", .domain = "test", .agent = agent, .console = console};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_guests_wait_up(conn, &g, 1, 1, NULL, NULL, &err), -ETIMEDOUT);
        virConnectClose(conn);
        assert_non_null(strstr(err, "ends: Kernel panic \\x1b[2J\\x1b]0;pwned\\x07 - not syncing"));
        assert_null(strchr(err, '\033'));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flooding_guest_times_out),
                cmocka_unit_test(test_console_tail_escaped),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
