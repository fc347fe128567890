/* test_guestname — guest host names: NAME-SITEID-N, counted per site in plan
 * order, vms per node; one node's share; the frontend; bad plans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "guestname.h"
#include "util.h"

static struct vc_jobplan plan(void) {
        /* two sites as vlanallocd returns them: a (id 1) with two nodes, c (id 3) with one */
        _cleanup_(json_decrefp) json_t *o =
                json_loads("[{\"name\":\"a\",\"id\":1,\"vlan\":100,\"gateway\":\"a001\",\"nodes\":[\"a001\",\"a002\"]},"
                           " {\"name\":\"c\",\"id\":3,\"vlan\":2000,\"gateway\":\"c001\",\"nodes\":[\"c001\"]}]",
                           0, NULL);
        struct vc_jobplan p;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_jobplan_sites_from_json(o, &p, &err), 0);
        return p;
}

static char *joined(char **v) {
        char *s = xstrdup("");
        for (char **p = v; *p; p++) {
                char *n = xasprintf("%s%s%s", s, p == v ? "" : " ", *p);
                free(s);
                s = n;
        }
        return s;
}

static void test_name(void **state) {
        char buf[VC_GUEST_NAME_MAX + 1];
        assert_int_equal(vc_guest_name("web", 12, 7, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "web-12-7");
        /* a 32-character name, the largest site id and a huge index still fit a label */
        assert_int_equal(vc_guest_name("abcdefghijabcdefghijabcdefghijab", 255, 4000000, buf, sizeof(buf)), 0);
        char small[6];
        assert_int_equal(vc_guest_name("web", 1, 1, small, sizeof(small)), -ENAMETOOLONG);
        assert_string_equal(small, "");
        char name[61];
        memset(name, 'a', 60);
        name[60] = 0;
        assert_int_equal(vc_guest_name(name, 1, 1000, buf, sizeof(buf)), -ENAMETOOLONG);
}

static void test_all_guests_in_plan_order(void **state) {
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = plan();
        _cleanup_strv_ char **v = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guests(&p, "web", 2, NULL, &v, &err), 0);
        _cleanup_free_ char *s = joined(v);
        assert_string_equal(s, "web-1-1 web-1-2 web-1-3 web-1-4 web-3-1 web-3-2");
}

static void test_one_nodes_guests(void **state) {
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = plan();
        _cleanup_free_ char *err = NULL;
        _cleanup_strv_ char **a2 = NULL, **c1 = NULL, **one = NULL;
        assert_int_equal(vc_plan_guests(&p, "web", 2, "a002", &a2, &err), 0);
        _cleanup_free_ char *s = joined(a2);
        assert_string_equal(s, "web-1-3 web-1-4");
        assert_int_equal(vc_plan_guests(&p, "db", 3, "c001", &c1, &err), 0);
        _cleanup_free_ char *t = joined(c1);
        assert_string_equal(t, "db-3-1 db-3-2 db-3-3");
        /* every node computes the same names for itself as for the whole cluster */
        _cleanup_strv_ char **all = NULL;
        assert_int_equal(vc_plan_guests(&p, "db", 1, NULL, &all, &err), 0);
        assert_int_equal(vc_plan_guests(&p, "db", 1, "a001", &one, &err), 0);
        assert_string_equal(one[0], all[0]);
}

static void test_node_not_in_plan(void **state) {
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = plan();
        _cleanup_strv_ char **v = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guests(&p, "web", 1, "b001", &v, &err), -EINVAL);
        assert_string_equal(err, "node b001 is not in the plan");
        assert_null(v);
}

static void test_malformed_plans(void **state) {
        /* a site id a guest name and a MAC cannot carry; the plan's shape is jobplan.c's to check */
        static const int bad_ids[] = {0, 256, -1};
        for (size_t i = 0; i < ARRAY_SIZE(bad_ids); i++) {
                _cleanup_(vc_jobplan_clear) struct vc_jobplan p = plan();
                p.sites[1].id = bad_ids[i];
                _cleanup_strv_ char **v = NULL;
                _cleanup_free_ char *err = NULL;
                assert_int_equal(vc_plan_guests(&p, "web", 1, NULL, &v, &err), -EINVAL);
                assert_non_null(strstr(err, "is not 1..255"));
                assert_null(v);
        }
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = plan();
        _cleanup_strv_ char **v = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guests(&p, "web", 0, NULL, &v, &err), -EINVAL);
}

static void test_frontend(void **state) {
        _cleanup_(vc_jobplan_clear) struct vc_jobplan p = plan();
        char buf[VC_GUEST_NAME_MAX + 1] = "x";
        assert_int_equal(vc_plan_frontend(&p, "web", false, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
        assert_int_equal(vc_plan_frontend(&p, "web", true, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "web-1-1");
        struct vc_jobplan empty = {0};
        assert_int_equal(vc_plan_frontend(&empty, "web", true, buf, sizeof(buf)), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name),
                cmocka_unit_test(test_all_guests_in_plan_order),
                cmocka_unit_test(test_one_nodes_guests),
                cmocka_unit_test(test_node_not_in_plan),
                cmocka_unit_test(test_malformed_plans),
                cmocka_unit_test(test_frontend),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
