/* tests for lib/failpoint.c: parsing VCLUSTER_FAILPOINTS and the actions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/wait.h>

#include "failpoint.h"
#include "util.h"

static void test_unarmed(void **state) {
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_failpoint_setup(NULL, &err), 0);
        assert_false(vc_failpoints_armed);
        assert_int_equal(FAILPOINT("step.do.before"), 0);
}

static void test_bad_specs(void **state) {
        static const struct {
                const char *spec, *want;
        } cases[] = {
                {"nosuch=error", "unknown failpoint 'nosuch'"},
                {"step.do.before", "expected name=error|crash|delay:MS"},
                {"step.do.before=explode", "action must be error, crash or delay:MS"},
                {"step.do.before=delay:abc", "action must be"},
                {"step.do.before=error,bogus=crash", "unknown failpoint 'bogus'"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *err = NULL;
                assert_int_equal(vc_failpoint_setup(cases[i].spec, &err), -EINVAL);
                if (!strstr(err, cases[i].want))
                        fail_msg("'%s': got '%s'", cases[i].spec, err);
                free(err);
                assert_false(vc_failpoints_armed);
        }
}

static void test_actions(void **state) {
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_failpoint_setup("step.do.before=error,step.do.after=delay:50", &err), 0);
        assert_int_equal(FAILPOINT("step.do.before"), -EIO);
        uint64_t t0 = now_ms();
        assert_int_equal(FAILPOINT("step.do.after"), 0);
        assert_true(now_ms() - t0 >= 50);
        assert_int_equal(FAILPOINT("step.undo.before"), 0); /* not armed */
        assert_int_equal(vc_failpoint_setup("", &err), 0);
}

static void test_crash_exits_137(void **state) {
        pid_t pid = fork();
        if (pid == 0) {
                char *err = NULL;
                vc_failpoint_setup("journal.mark.after=crash", &err);
                FAILPOINT("journal.mark.after");
                _exit(0);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 137);
}

static void test_table_is_complete(void **state) {
        size_t n = 0;
        for (const char *const(*p)[2] = vc_failpoint_table(); (*p)[0]; p++) {
                assert_non_null((*p)[1]);
                n++;
        }
        assert_true(n >= 16);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unarmed),
                cmocka_unit_test(test_bad_specs),
                cmocka_unit_test(test_actions),
                cmocka_unit_test(test_crash_exits_137),
                cmocka_unit_test(test_table_is_complete),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
