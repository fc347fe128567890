/* test_run — the process runner: capture, status, stdin, caps, timeouts,
 * exec failure, fd hygiene. `sh -c` appears only here, to make test
 * programs behave; the runner itself never uses a shell. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "run.h"
#include "util.h"

static void test_echo_stdout(void **state) {
        const char *argv[] = {"echo", "hello", "world", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 5000, &res), 0);
        assert_int_equal(res.status, 0);
        assert_string_equal(res.out, "hello world\n");
        assert_int_equal(res.out_len, 12);
        assert_string_equal(res.err, "");
        assert_int_equal(res.err_len, 0);
        assert_false(res.timed_out);
        assert_false(res.truncated);
        vc_run_result_free(&res);
}

static void test_stderr_capture(void **state) {
        const char *argv[] = {"sh", "-c", "echo out; echo oops >&2", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 5000, &res), 0);
        assert_int_equal(res.status, 0);
        assert_string_equal(res.out, "out\n");
        assert_string_equal(res.err, "oops\n");
        vc_run_result_free(&res);
}

static void test_exit_codes(void **state) {
        static const struct {
                const char *script;
                int status;
        } cases[] = {{"exit 0", 0}, {"exit 1", 1}, {"exit 42", 42}, {"exit 255", 255}};
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                const char *argv[] = {"sh", "-c", cases[i].script, NULL};
                struct vc_run_result res;
                assert_int_equal(vc_run(argv, NULL, 5000, &res), 0);
                assert_int_equal(res.status, cases[i].status);
                vc_run_result_free(&res);
        }
        const char *f[] = {"false", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(f, NULL, 0, &res), 0);
        assert_int_equal(res.status, 1);
        vc_run_result_free(&res);
}

static void test_signal_death(void **state) {
        const char *argv[] = {"sh", "-c", "kill -9 $$", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 5000, &res), 0);
        assert_int_equal(res.status, 128 + 9);
        assert_false(res.timed_out);
        vc_run_result_free(&res);

        const char *term[] = {"sh", "-c", "kill -TERM $$", NULL};
        assert_int_equal(vc_run(term, NULL, 5000, &res), 0);
        assert_int_equal(res.status, 128 + SIGTERM);
        vc_run_result_free(&res);
}

static void test_stdin_cat(void **state) {
        const char *argv[] = {"cat", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, "line one\nline two\n", 5000, &res), 0);
        assert_int_equal(res.status, 0);
        assert_string_equal(res.out, "line one\nline two\n");
        vc_run_result_free(&res);

        /* Empty input: EOF at once. */
        assert_int_equal(vc_run(argv, "", 5000, &res), 0);
        assert_int_equal(res.status, 0);
        assert_string_equal(res.out, "");
        vc_run_result_free(&res);
}

static void test_stdin_null(void **state) {
        /* NULL input: stdin is /dev/null, so cat ends at once instead of
         * waiting on the test runner's own stdin. */
        const char *argv[] = {"cat", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 5000, &res), 0);
        assert_int_equal(res.status, 0);
        assert_false(res.timed_out);
        assert_string_equal(res.out, "");
        vc_run_result_free(&res);
}

static void test_large_input_truncated(void **state) {
        /* 4 MiB in, 4 MiB out through cat: both directions fill their pipes,
         * so this hangs unless writing and reading are interleaved. */
        size_t n = 4u << 20;
        _cleanup_free_ char *big = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
                big[i] = (char)('a' + i % 26);
        big[n] = 0;
        const char *argv[] = {"cat", NULL};
        struct vc_run_result res;
        uint64_t t0 = now_ms();
        assert_int_equal(vc_run(argv, big, 20000, &res), 0);
        assert_true(now_ms() - t0 < 15000);
        assert_false(res.timed_out);
        assert_int_equal(res.status, 0);
        assert_true(res.truncated);
        assert_int_equal(res.out_len, VC_RUN_MAX_OUTPUT);
        assert_int_equal(strlen(res.out), VC_RUN_MAX_OUTPUT);
        assert_memory_equal(res.out, big, VC_RUN_MAX_OUTPUT);
        vc_run_result_free(&res);
}

static void test_input_not_read(void **state) {
        /* The child exits without reading 4 MiB of input: EPIPE must neither
         * kill the test (SIGPIPE) nor be reported as a failure. */
        size_t n = 4u << 20;
        _cleanup_free_ char *big = xmalloc(n + 1);
        memset(big, 'x', n);
        big[n] = 0;
        const char *argv[] = {"true", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, big, 10000, &res), 0);
        assert_int_equal(res.status, 0);
        assert_false(res.timed_out);
        vc_run_result_free(&res);
}

static void test_stderr_flood(void **state) {
        /* More than the cap on both streams at once: the child must run to
         * completion (never block on a full pipe) and both be capped. */
        const char *argv[] = {"sh", "-c",
                              "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2; exit 3",
                              NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 20000, &res), 0);
        assert_int_equal(res.status, 3);
        assert_true(res.truncated);
        assert_int_equal(res.out_len, VC_RUN_MAX_OUTPUT);
        assert_int_equal(res.err_len, VC_RUN_MAX_OUTPUT);
        vc_run_result_free(&res);
}

static void test_timeout(void **state) {
        const char *argv[] = {"sleep", "10", NULL};
        struct vc_run_result res;
        uint64_t t0 = now_ms();
        assert_int_equal(vc_run(argv, NULL, 300, &res), 0);
        uint64_t took = now_ms() - t0;
        assert_true(res.timed_out);
        assert_int_equal(res.status, 128 + SIGKILL);
        assert_true(took >= 290);
        assert_true(took < 2000);
        vc_run_result_free(&res);
}

static void test_timeout_while_flooding(void **state) {
        /* A program that never stops writing must still be stopped on time. */
        const char *argv[] = {"yes", NULL};
        struct vc_run_result res;
        uint64_t t0 = now_ms();
        assert_int_equal(vc_run(argv, NULL, 300, &res), 0);
        uint64_t took = now_ms() - t0;
        assert_true(res.timed_out);
        assert_true(took < 3000);
        assert_true(res.out_len > 0);
        assert_true(res.out_len <= VC_RUN_MAX_OUTPUT);
        vc_run_result_free(&res);
}

static void test_timeout_after_eof(void **state) {
        /* Output closed, program still running: the timeout still applies. */
        const char *argv[] = {"sh", "-c", "exec >&- 2>&-; sleep 10", NULL};
        struct vc_run_result res;
        uint64_t t0 = now_ms();
        assert_int_equal(vc_run(argv, NULL, 300, &res), 0);
        uint64_t took = now_ms() - t0;
        assert_true(res.timed_out);
        assert_int_equal(res.status, 128 + SIGKILL);
        assert_true(took >= 290);
        assert_true(took < 2000);
        vc_run_result_free(&res);
}

/* pid_dead: gone, or a zombie nobody has reaped yet (in a container the
 * init process may never reap orphans). */
static bool pid_dead(pid_t pid) {
        if (kill(pid, 0) < 0 && errno == ESRCH)
                return true;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_free_ char *stat = NULL;
        if (read_file(path, &stat, NULL, 4096) < 0)
                return true;
        const char *rp = strrchr(stat, ')');
        return rp && (rp[2] == 'Z' || rp[2] == 'X');
}

static void test_timeout_kills_group(void **state) {
        char tmpl[] = "/tmp/test_run.XXXXXX";
        int fd = mkstemp(tmpl);
        assert_true(fd >= 0);
        close(fd);
        _cleanup_free_ char *script =
                xasprintf("sleep 30 & echo $! > %s; sleep 30", tmpl);
        const char *argv[] = {"sh", "-c", script, NULL};
        struct vc_run_result res;
        uint64_t t0 = now_ms();
        assert_int_equal(vc_run(argv, NULL, 500, &res), 0);
        uint64_t took = now_ms() - t0;
        assert_true(res.timed_out);
        assert_true(took < 2500);
        vc_run_result_free(&res);

        _cleanup_free_ char *pidtxt = NULL;
        assert_int_equal(read_file(tmpl, &pidtxt, NULL, 64), 0);
        unlink(tmpl);
        pid_t gc = (pid_t)atoi(pidtxt);
        assert_true(gc > 1);
        /* SIGKILL delivery is asynchronous: allow a moment. */
        bool dead = false;
        for (int i = 0; i < 100 && !dead; i++) {
                dead = pid_dead(gc);
                if (!dead)
                        usleep(10000);
        }
        assert_true(dead);
}

static void test_exec_enoent(void **state) {
        const char *argv[] = {"no-such-program-vc", "x", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 5000, &res), -ENOENT);
        assert_non_null(res.err);
        assert_non_null(strstr(res.err,
                               "cannot execute 'no-such-program-vc': No such file or directory"));
        vc_run_result_free(&res);

        /* An explicit path that does not exist: same report. */
        const char *abs[] = {"/nonexistent/dir/prog", NULL};
        assert_int_equal(vc_run(abs, "input", 5000, &res), -ENOENT);
        assert_non_null(strstr(res.err, "cannot execute '/nonexistent/dir/prog'"));
        vc_run_result_free(&res);
}

static void test_exec_eacces(void **state) {
        /* A file that exists but is not executable. */
        char tmpl[] = "/tmp/test_run_noexec.XXXXXX";
        int fd = mkstemp(tmpl);
        assert_true(fd >= 0);
        close(fd);
        const char *argv[] = {tmpl, NULL};
        struct vc_run_result res;
        int r = vc_run(argv, NULL, 5000, &res);
        unlink(tmpl);
        /* Even root needs an x bit to exec. */
        assert_int_equal(r, -EACCES);
        assert_non_null(strstr(res.err, "Permission denied"));
        vc_run_result_free(&res);
}

static void test_empty_argv(void **state) {
        const char *argv[] = {NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 1000, &res), -EINVAL);
        assert_non_null(res.err);
        vc_run_result_free(&res);
}

static void test_no_fd_leak(void **state) {
        /* An fd opened without O_CLOEXEC, as careless code elsewhere in a
         * daemon might, must still not reach the child. */
        int leak = open("/dev/null", O_RDONLY);
        assert_true(leak >= 3);
        const char *argv[] = {"ls", "-1", "/proc/self/fd", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 5000, &res), 0);
        close(leak);
        assert_int_equal(res.status, 0);
        /* 0, 1, 2, plus the one ls opened to read the directory. */
        size_t lines = 0;
        for (const char *p = res.out; *p; p++)
                if (*p == '\n')
                        lines++;
        assert_int_equal(lines, 4);
        assert_string_equal(res.out, "0\n1\n2\n3\n");
        vc_run_result_free(&res);
}

static void test_signal_state_reset(void **state) {
        /* The caller ignores SIGPIPE and blocks SIGTERM; the child must see
         * neither. */
        struct sigaction ign = {.sa_handler = SIG_IGN}, old;
        sigaction(SIGPIPE, &ign, &old);
        sigset_t set, oldmask;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, &oldmask);

        const char *argv[] = {"sh", "-c", "grep -E '^(SigBlk|SigIgn)' /proc/self/status", NULL};
        struct vc_run_result res;
        int r = vc_run(argv, NULL, 5000, &res);

        pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
        sigaction(SIGPIPE, &old, NULL);

        assert_int_equal(r, 0);
        assert_non_null(strstr(res.out, "SigBlk:\t0000000000000000"));
        /* sh itself may ignore some signals; SIGPIPE (bit 13) must not be. */
        const char *ig = strstr(res.out, "SigIgn:\t");
        assert_non_null(ig);
        unsigned long long mask = strtoull(ig + 8, NULL, 16);
        assert_false(mask & (1ULL << (SIGPIPE - 1)));
        vc_run_result_free(&res);
}

static void test_own_process_group(void **state) {
        const char *argv[] = {"sh", "-c", "echo $$; cut -d' ' -f5 /proc/$$/stat", NULL};
        struct vc_run_result res;
        assert_int_equal(vc_run(argv, NULL, 5000, &res), 0);
        assert_int_equal(res.status, 0);
        long pid = strtol(res.out, NULL, 10);
        const char *nl = strchr(res.out, '\n');
        assert_non_null(nl);
        long pgid = strtol(nl + 1, NULL, 10);
        assert_true(pid > 0);
        assert_int_equal(pid, pgid);
        assert_true(pgid != getpgrp());
        vc_run_result_free(&res);
}

static void test_argv_format(void **state) {
        const char *a[] = {"ip", "link", "add", "name", "vc0.100", NULL};
        _cleanup_free_ char *s1 = vc_argv_format(a);
        assert_string_equal(s1, "ip link add name vc0.100");

        const char *b[] = {"echo", "two words", "it's", "", "a\"b", NULL};
        _cleanup_free_ char *s2 = vc_argv_format(b);
        assert_string_equal(s2, "echo 'two words' 'it'\\''s' '' 'a\"b'");

        const char *d[] = {"printf", "a\nfake: line", NULL};
        _cleanup_free_ char *s4 = vc_argv_format(d);
        assert_string_equal(s4, "printf 'a\\x0afake: line'");

        const char *c[] = {NULL};
        _cleanup_free_ char *s3 = vc_argv_format(c);
        assert_string_equal(s3, "");
}

struct thread_arg {
        int id;
        int ok;
};

static void *run_thread(void *p) {
        struct thread_arg *a = p;
        char msg[32];
        snprintf(msg, sizeof(msg), "thread %d\n", a->id);
        for (int i = 0; i < 20; i++) {
                const char *argv[] = {"cat", NULL};
                struct vc_run_result res;
                if (vc_run(argv, msg, 5000, &res) == 0 && res.status == 0 &&
                    streq(res.out, msg))
                        a->ok++;
                vc_run_result_free(&res);
        }
        return NULL;
}

static void test_threads(void **state) {
        /* Concurrent runs must not cross wires (each child's pipes are
         * CLOEXEC, so no other child holds them open). */
        pthread_t th[8];
        struct thread_arg args[8];
        for (int i = 0; i < 8; i++) {
                args[i] = (struct thread_arg){.id = i};
                assert_int_equal(pthread_create(&th[i], NULL, run_thread, &args[i]), 0);
        }
        for (int i = 0; i < 8; i++) {
                pthread_join(th[i], NULL);
                assert_int_equal(args[i].ok, 20);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_echo_stdout),
                cmocka_unit_test(test_stderr_capture),
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_signal_death),
                cmocka_unit_test(test_stdin_cat),
                cmocka_unit_test(test_stdin_null),
                cmocka_unit_test(test_large_input_truncated),
                cmocka_unit_test(test_input_not_read),
                cmocka_unit_test(test_stderr_flood),
                cmocka_unit_test(test_timeout),
                cmocka_unit_test(test_timeout_while_flooding),
                cmocka_unit_test(test_timeout_after_eof),
                cmocka_unit_test(test_timeout_kills_group),
                cmocka_unit_test(test_exec_enoent),
                cmocka_unit_test(test_exec_eacces),
                cmocka_unit_test(test_empty_argv),
                cmocka_unit_test(test_no_fd_leak),
                cmocka_unit_test(test_signal_state_reset),
                cmocka_unit_test(test_own_process_group),
                cmocka_unit_test(test_argv_format),
                cmocka_unit_test(test_threads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
