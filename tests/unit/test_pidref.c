/* test_pidref — the handle on a foreign process (lib/pidref.h): its
 * identity, stopping with TERM then KILL, a reused pid told apart, the
 * argv and pid-file readers, the tail of a log; and vc_fail's pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "pidref.h"
#include "util.h"

/* child: a child process that sleeps, ignoring SIGTERM when asked (it still
 * dies of SIGKILL); the parent reaps it in a thread-free way: see reap. */
static pid_t child(bool ignore_term) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (ignore_term)
                        signal(SIGTERM, SIG_IGN);
                for (;;)
                        pause();
        }
        /* let it install its handler before it is signalled */
        usleep(100 * 1000);
        return pid;
}

static int reap(pid_t pid) {
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

static void test_stop_term(void **state) {
        pid_t pid = child(false);
        struct vc_pidref p;
        assert_int_equal(vc_pidref_set_pid(&p, pid), 0);
        assert_int_equal(p.pid, pid);
        assert_true(vc_pidref_alive(&p));
        pid_t stuck = -1;
        assert_int_equal(vc_pidrefs_stop(&p, 1, NULL, 5000, 1000, "test child", &stuck), 0);
        assert_int_equal(stuck, 0);
        /* ended (a zombie until reaped) is not alive */
        assert_false(vc_pidref_alive(&p));
        int status = reap(pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
        /* reaped: still not alive, and signalling it is no error */
        assert_false(vc_pidref_alive(&p));
        assert_int_equal(vc_pidref_kill(&p, SIGTERM), 0);
        vc_pidref_done(&p);
        assert_int_equal(p.fd, -1);
        assert_int_equal(p.pid, 0);
}

static void test_stop_kill(void **state) {
        pid_t pid = child(true);
        struct vc_pidref p;
        assert_int_equal(vc_pidref_set_pid(&p, pid), 0);
        uint64_t t0 = now_ms();
        assert_int_equal(vc_pidrefs_stop(&p, 1, NULL, 300, 2000, "test child", NULL), 0);
        assert_true(now_ms() - t0 >= 300);
        int status = reap(pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        vc_pidref_done(&p);
}

static void test_term_only_marked(void **state) {
        /* the master gets TERM, a kid not marked is left to it: here nobody
         * takes the kid along, so it is killed after the wait */
        pid_t a = child(false), b = child(false);
        struct vc_pidref v[2];
        assert_int_equal(vc_pidref_set_pid(&v[0], a), 0);
        assert_int_equal(vc_pidref_set_pid(&v[1], b), 0);
        const bool term[2] = {true, false};
        assert_int_equal(vc_pidrefs_stop(v, 2, term, 300, 2000, "test child", NULL), 0);
        int sa = reap(a), sb = reap(b);
        assert_true(WIFSIGNALED(sa) && WTERMSIG(sa) == SIGTERM);
        assert_true(WIFSIGNALED(sb) && WTERMSIG(sb) == SIGKILL);
        vc_pidref_done(&v[0]);
        vc_pidref_done(&v[1]);
}

static void test_gone_and_reused(void **state) {
        pid_t pid = child(false);
        kill(pid, SIGKILL);
        reap(pid);
        struct vc_pidref p;
        assert_int_equal(vc_pidref_set_pid(&p, pid), -ESRCH);
        /* a handle whose start time is not the running process's is not alive */
        struct vc_pidref self;
        assert_int_equal(vc_pidref_set_pid(&self, getpid()), 0);
        assert_true(vc_pidref_alive(&self));
        struct vc_pidref other = {.pid = getpid(), .fd = -1, .start = self.start + 1};
        assert_false(vc_pidref_alive(&other));
        assert_int_equal(vc_pidref_kill(&other, SIGTERM), 0); /* not signalled: it is not that process */
        vc_pidref_done(&self);
}

static void test_argv_and_pid_file(void **state) {
        const char argv[] = "openvpn\0--writepid\0/run/x.pid\0--log\0/l";
        assert_true(vc_argv_has_pair(argv, sizeof argv, "--writepid", "/run/x.pid"));
        assert_false(vc_argv_has_pair(argv, sizeof argv, "--writepid", "/run/y.pid"));
        assert_false(vc_argv_has_pair(argv, sizeof argv, "/l", "x")); /* nothing after the last */
        char *cmd = NULL;
        size_t len = 0;
        assert_int_equal(vc_proc_cmdline(getpid(), &cmd, &len), 0);
        assert_true(len > 0 && strstr(cmd, "test_pidref"));
        free(cmd);

        char path[] = "/tmp/test_pidref.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        pid_t pid = 0;
        assert_int_equal(write(fd, "1234\n", 5), 5);
        assert_int_equal(vc_pid_file_read(path, &pid), 0);
        assert_int_equal(pid, 1234);
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(pwrite(fd, "x1", 2, 0), 2);
        assert_int_equal(vc_pid_file_read(path, &pid), -EINVAL);
        close(fd);
        unlink(path);
        assert_int_equal(vc_pid_file_read(path, &pid), -ENOENT);
}

static void test_log_tail(void **state) {
        _cleanup_strv_ char **t = vc_log_tail("one\n\ntwo  \nthree\r\n\n", 2);
        assert_int_equal(strv_len(t), 2);
        assert_string_equal(t[0], "two");
        assert_string_equal(t[1], "three");
        _cleanup_strv_ char **all = vc_log_tail("a\nb", 5);
        assert_int_equal(strv_len(all), 2);
        _cleanup_strv_ char **none = vc_log_tail(" \n\n", 3);
        assert_int_equal(strv_len(none), 0);
}

static void test_fail(void **state) {
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_fail(&err, -EPROTO, "bad %s", "thing"), -EPROTO);
        assert_string_equal(err, "bad thing");
        assert_int_equal(vc_fail(NULL, -EINVAL, "nobody hears"), -EINVAL);
        _cleanup_free_ char *e2 = NULL;
        errno = ENOENT;
        assert_int_equal(vc_fail_errno(&e2, "opening %s", "/x"), -ENOENT);
        assert_string_equal(e2, "opening /x: No such file or directory");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stop_term),
                cmocka_unit_test(test_stop_kill),
                cmocka_unit_test(test_term_only_marked),
                cmocka_unit_test(test_gone_and_reused),
                cmocka_unit_test(test_argv_and_pid_file),
                cmocka_unit_test(test_log_tail),
                cmocka_unit_test(test_fail),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
