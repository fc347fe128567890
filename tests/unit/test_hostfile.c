#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostfile.h"

/* One line per guest, in the cluster's order, as mpirun --hostfile reads it. */
static void test_lines(void **state) {
        (void)state;
        json_t *hosts = json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "deb-1-1", "ip", "10.0.0.1", "name", "deb-2-1",
                                  "ip", "10.0.0.2");
        char *t = NULL, *err = NULL;
        assert_int_equal(vc_hostfile_text(hosts, 4, &t, &err), 0);
        assert_string_equal(t, "deb-1-1 slots=4\ndeb-2-1 slots=4\n");
        free(t);
        json_decref(hosts);
}

static void test_empty(void **state) {
        (void)state;
        json_t *hosts = json_array();
        char *t = NULL, *err = NULL;
        assert_int_equal(vc_hostfile_text(hosts, 1, &t, &err), 0);
        assert_string_equal(t, "");
        free(t);
        json_decref(hosts);
}

static void expect_refused(json_t *hosts, unsigned slots, const char *want) {
        char *t = (char *)"unset", *err = NULL;
        assert_int_equal(vc_hostfile_text(hosts, slots, &t, &err), -EINVAL);
        assert_null(t);
        assert_non_null(err);
        assert_non_null(strstr(err, want));
        free(err);
        json_decref(hosts);
}

/* Nothing a reader could take for a second field or an option. */
static void test_refused(void **state) {
        (void)state;
        expect_refused(json_pack("[{s:s}]", "name", "a"), 0, "slots=0");
        expect_refused(json_object(), 1, "not a list");
        expect_refused(json_pack("[{s:s}, {s:i}]", "name", "a", "name", 3), 1, "host 1 has no name");
        expect_refused(json_pack("[{s:s}]", "name", "a b"), 1, "host 0");
        expect_refused(json_pack("[{s:s}]", "name", "a\nb slots=9"), 1, "host 0");
        expect_refused(json_pack("[{s:s}]", "name", "-np"), 1, "host 0");
        expect_refused(json_pack("[{s:s}]", "name", ""), 1, "host 0");
        expect_refused(json_pack("[{}]"), 1, "host 0");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lines),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
