/* tests for lib/guestplan.c: every host numbers, names and addresses a
 * cluster's guests the same way, and a cluster too big for its subnet is
 * refused with the numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "guestplan.h"
#include "util.h"

/* two sites: a (id 1) with n1, n2; b (id 7) with m1 */
static json_t *sites(void) {
        return json_pack("[{s:s, s:i, s:[s,s]}, {s:s, s:i, s:[s]}]", "name", "a", "id", 1, "nodes", "n1", "n2",
                         "name", "b", "id", 7, "nodes", "m1");
}

static struct vc_spec spec(const char *text) {
        struct vc_spec s;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_spec_parse(text, &s, &err), 0);
        return s;
}

static void test_mac_and_addr(void **state) {
        char mac[18], ip[16];
        vc_guest_mac(7, 0x12345, 258, mac);
        assert_string_equal(mac, "02:07:23:45:01:02");
        assert_int_equal(vc_guest_addr(0x0a000000, 24, 1, ip), 0);
        assert_string_equal(ip, "10.0.0.1");
        assert_int_equal(vc_guest_addr(0x0a000000, 24, 254, ip), 0);
        assert_string_equal(ip, "10.0.0.254");
        assert_int_equal(vc_guest_addr(0x0a000000, 24, 255, ip), -ERANGE); /* broadcast */
        assert_int_equal(vc_guest_addr(0x0a000000, 24, 0, ip), -ERANGE);   /* network */
        assert_int_equal(vc_guest_addr(0x0a000080, 30, 2, ip), 0);
        assert_string_equal(ip, "10.0.0.130");
        assert_int_equal(vc_guest_addr(0x0a000080, 30, 3, ip), -ERANGE);
}

static void test_list_all_and_one_node(void **state) {
        _cleanup_(json_decrefp) json_t *s = sites();
        struct vc_spec sp = spec("image=x,vms=2,name=web,frontend=yes,subnet=10.1.0.0/24");
        _cleanup_(json_decrefp) json_t *all = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guest_list(s, &sp, 42, NULL, &all, &err), 0);
        assert_int_equal(json_array_size(all), 6);
        json_t *g0 = json_array_get(all, 0), *g5 = json_array_get(all, 5);
        assert_string_equal(json_string_value(json_object_get(g0, "name")), "web-1-1");
        assert_true(json_is_true(json_object_get(g0, "frontend")));
        assert_string_equal(json_string_value(json_object_get(g0, "ip")), "10.1.0.1");
        assert_string_equal(json_string_value(json_object_get(g0, "domain")), "vcluster-42-web-1-1");
        assert_string_equal(json_string_value(json_object_get(g0, "tap")), "vc2a.1");
        /* site b numbers its own guests from 1, but addresses go on */
        assert_string_equal(json_string_value(json_object_get(g5, "name")), "web-7-2");
        assert_string_equal(json_string_value(json_object_get(g5, "node")), "m1");
        assert_string_equal(json_string_value(json_object_get(g5, "site")), "b");
        assert_string_equal(json_string_value(json_object_get(g5, "ip")), "10.1.0.6");
        assert_string_equal(json_string_value(json_object_get(g5, "mac")), "02:07:00:2a:00:02");
        assert_false(json_is_true(json_object_get(g5, "frontend")));

        _cleanup_(json_decrefp) json_t *n2 = NULL;
        assert_int_equal(vc_plan_guest_list(s, &sp, 42, "n2", &n2, &err), 0);
        assert_int_equal(json_array_size(n2), 2);
        assert_string_equal(json_string_value(json_object_get(json_array_get(n2, 0), "name")), "web-1-3");
        assert_int_equal(json_integer_value(json_object_get(json_array_get(n2, 1), "k")), 4);
        assert_string_equal(json_string_value(json_object_get(json_array_get(n2, 1), "tap")), "vc2a.4");
}

static void test_tap_fits_ifname(void **state) {
        _cleanup_(json_decrefp) json_t *s = sites();
        struct vc_spec sp = spec("image=x,vms=16,subnet=10.0.0.0/16");
        _cleanup_(json_decrefp) json_t *all = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guest_list(s, &sp, 4294967295LL, NULL, &all, &err), 0);
        const char *tap = json_string_value(json_object_get(json_array_get(all, 47), "tap"));
        assert_string_equal(tap, "vcffffffff.30");
        assert_true(strlen(tap) <= 15);
}

static void test_refusals(void **state) {
        _cleanup_(json_decrefp) json_t *s = sites();
        struct vc_spec sp = spec("image=x,vms=2,subnet=10.0.0.0/30");
        json_t *out = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guest_list(s, &sp, 1, NULL, &out, &err), -EINVAL);
        assert_null(out);
        assert_string_equal(err, "the cluster has 6 guests: more than subnet=10.0.0.0/30 holds");
        free(TAKE_PTR(err));
        sp = spec("image=x");
        assert_int_equal(vc_plan_guest_list(s, &sp, 1, "zz", &out, &err), -EINVAL);
        assert_string_equal(err, "node zz is not in the plan");
        free(TAKE_PTR(err));
        _cleanup_(json_decrefp) json_t *bad = json_pack("[{s:s}]", "name", "a");
        assert_int_equal(vc_plan_guest_list(bad, &sp, 1, NULL, &out, &err), -EINVAL);
        assert_non_null(strstr(err, "needs \"id\""));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mac_and_addr),
                cmocka_unit_test(test_list_all_and_one_node),
                cmocka_unit_test(test_tap_fits_ifname),
                cmocka_unit_test(test_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
