/* tests for lib/jobfit.c: guests that fit the job's share of a node pass,
 * and those that do not are refused with both sides' numbers, where the
 * share comes from, and what to ask for; an unknown share is not judged. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobfit.h"
#include "util.h"

static struct vc_spec spec(const char *text) {
        struct vc_spec s;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_spec_parse(text, &s, &err), 0);
        return s;
}

static void test_cpus(void **state) {
        struct vc_spec s = spec("image=tiny,vms=2,cpus=2");
        struct vc_node_share sh = {.cpus = 4, .cpus_how = "asked: -c 4"};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_guests_fit(&s, &sh, &err), 0);
        assert_null(err);
        sh.cpus = 3;
        assert_int_equal(vc_guests_fit(&s, &sh, &err), -E2BIG);
        assert_string_equal(err, "vms=2 × cpus=2 = 4 vCPUs per node, but the job's share of a node is 3 CPUs "
                                 "(asked: -c 4): ask Slurm for 4 CPUs per node (e.g. -c 4 with one task per node) "
                                 "or give the guests fewer");
        free(TAKE_PTR(err));
        sh.cpus = 1;
        assert_int_equal(vc_guests_fit(&s, &sh, &err), -E2BIG);
        assert_non_null(strstr(err, "is 1 CPU (asked"));
        free(TAKE_PTR(err));
        /* not known (--exclusive at submit): not judged */
        sh.cpus = 0;
        assert_int_equal(vc_guests_fit(&s, &sh, &err), 0);
}

static void test_mem(void **state) {
        struct vc_spec s = spec("image=tiny,vms=3,mem=128M");
        struct vc_node_share sh = {.mem = 384ULL << 20, .mem_how = "allocated on a001"};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_guests_fit(&s, &sh, &err), 0);
        sh.mem = 383ULL << 20;
        assert_int_equal(vc_guests_fit(&s, &sh, &err), -E2BIG);
        assert_string_equal(err, "vms=3 × mem=128M = 384M per node, but the job's share of a node is 383M of memory "
                                 "(allocated on a001): ask Slurm for --mem=384M or more, or give the guests less");
        free(TAKE_PTR(err));
        sh.mem = 0; /* Slurm bounds no memory */
        assert_int_equal(vc_guests_fit(&s, &sh, &err), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_cpus), cmocka_unit_test(test_mem)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
