/* test_phase — a cluster's phase from its allocation state and its nodes' reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "phase.h"

static void test_node_phases(void **state) {
        assert_true(vc_node_phase_known("ready"));
        assert_true(vc_node_phase_known("failed"));
        assert_false(vc_node_phase_known("up"));
        assert_false(vc_node_phase_known(""));
        assert_false(vc_node_phase_known(NULL));
}

static void test_cluster_phase(void **state) {
        const char *none[] = {NULL, NULL};
        const char *half[] = {"ready", NULL};
        const char *all[] = {"ready", "ready"};
        const char *bad[] = {"ready", "failed"};
        assert_string_equal(vc_cluster_phase(NULL, 0, NULL), "unknown");
        assert_string_equal(vc_cluster_phase("acquiring", 2, none), "starting");
        assert_string_equal(vc_cluster_phase("held", 2, none), "starting");
        assert_string_equal(vc_cluster_phase("held", 2, half), "starting");
        assert_string_equal(vc_cluster_phase("held", 2, all), "ready");
        assert_string_equal(vc_cluster_phase("held", 2, bad), "failed");
        assert_string_equal(vc_cluster_phase("held", 0, NULL), "starting");
        assert_string_equal(vc_cluster_phase("releasing", 2, all), "ending");
        assert_string_equal(vc_cluster_phase("released", 2, all), "ended");
        assert_string_equal(vc_cluster_phase("failed", 2, none), "failed");
}

static void test_final(void **state) {
        assert_true(vc_cluster_phase_final("ready"));
        assert_true(vc_cluster_phase_final("failed"));
        assert_true(vc_cluster_phase_final("ended"));
        assert_true(vc_cluster_phase_final("ending"));
        assert_false(vc_cluster_phase_final("starting"));
        assert_false(vc_cluster_phase_final("unknown"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_node_phases),
                cmocka_unit_test(test_cluster_phase),
                cmocka_unit_test(test_final),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
