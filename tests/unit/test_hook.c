/* test_hook — what the hooks read from Slurm's environment: a job without
 * --vcluster, each context, missing and malformed variables, unsafe node names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "hook.h"
#include "util.h"

static int setup(void **state) {
        static const char *const vars[] = {"SLURM_SCRIPT_CONTEXT", "SLURM_JOB_ID", "SLURM_JOB_UID",
                                           "SLURM_JOB_RESTART_COUNT", "SPANK_VCLUSTER", "SLURM_JOB_NODELIST",
                                           "SLURM_NODELIST", "SLURMD_NODENAME"};
        for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
                unsetenv(vars[i]);
        return 0;
}

static void test_no_spec(void **state) {
        assert_null(vc_hook_spec());
        setenv("SPANK_VCLUSTER", "", 1);
        assert_null(vc_hook_spec());
        setenv("SPANK_VCLUSTER", "vms=2", 1);
        assert_string_equal(vc_hook_spec(), "vms=2");
}

static void test_contexts(void **state) {
        enum vc_hook_ctx c;
        assert_int_equal(vc_hook_ctx_parse("prolog_slurmctld", &c), 0);
        assert_int_equal(c, VC_HOOK_PROLOG_SLURMCTLD);
        assert_true(vc_hook_ctx_is_prolog(c));
        assert_int_equal(vc_hook_ctx_parse("epilog_slurmd", &c), 0);
        assert_false(vc_hook_ctx_is_prolog(c));
        assert_int_equal(vc_hook_ctx_parse("task_prolog", &c), -EINVAL);
        assert_int_equal(vc_hook_ctx_parse(NULL, &c), -EINVAL);
}

static void test_controller(void **state) {
        setenv("SLURM_SCRIPT_CONTEXT", "prolog_slurmctld", 1);
        setenv("SLURM_JOB_ID", "42", 1);
        setenv("SLURM_JOB_UID", "1000", 1);
        setenv("SLURM_JOB_RESTART_COUNT", "2", 1);
        setenv("SLURM_JOB_NODELIST", "a[001-002]", 1);
        setenv("SPANK_VCLUSTER", "vms=1", 1);
        struct vc_hook_env e;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_hook_env_read(&e, &err), 0);
        assert_int_equal(e.ctx, VC_HOOK_PROLOG_SLURMCTLD);
        assert_int_equal(e.job, 42);
        assert_int_equal(e.uid, 1000);
        assert_int_equal(e.restarts, 2);
        assert_string_equal(e.nodes, "a[001-002]");
        assert_string_equal(e.spec, "vms=1");
        assert_null(e.node);
}

static void test_node(void **state) {
        setenv("SLURM_SCRIPT_CONTEXT", "epilog_slurmd", 1);
        setenv("SLURM_JOB_ID", "4294967295", 1);
        setenv("SLURM_JOB_UID", "0", 1);
        setenv("SLURM_NODELIST", "a001", 1);
        setenv("SLURMD_NODENAME", "a001", 1);
        struct vc_hook_env e;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_hook_env_read(&e, &err), 0);
        assert_int_equal(e.job, 4294967295LL);
        assert_string_equal(e.node, "a001");
        assert_int_equal(e.restarts, 0);
        static const char *const unsafe[] = {"", "..", ".", "a/b"};
        for (size_t i = 0; i < ARRAY_SIZE(unsafe); i++) {
                setenv("SLURMD_NODENAME", unsafe[i], 1);
                _cleanup_free_ char *why = NULL;
                assert_int_equal(vc_hook_env_read(&e, &why), -EINVAL);
                assert_non_null(strstr(why, "SLURMD_NODENAME"));
        }
}

static void test_bad_env(void **state) {
        struct vc_hook_env e;
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        assert_int_equal(vc_hook_env_read(&e, &e1), -EINVAL);
        assert_non_null(strstr(e1, "SLURM_SCRIPT_CONTEXT=''"));
        setenv("SLURM_SCRIPT_CONTEXT", "prolog_slurmd", 1);
        setenv("SLURM_JOB_ID", "0", 1);
        assert_int_equal(vc_hook_env_read(&e, &e2), -EINVAL);
        assert_non_null(strstr(e2, "SLURM_JOB_ID='0'"));
        setenv("SLURM_JOB_ID", "7", 1);
        setenv("SLURM_JOB_UID", "-1", 1);
        assert_int_equal(vc_hook_env_read(&e, &e3), -EINVAL);
        assert_non_null(strstr(e3, "job 7: SLURM_JOB_UID='-1'"));
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_no_spec), T(test_contexts), T(test_controller), T(test_node), T(test_bad_env),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
