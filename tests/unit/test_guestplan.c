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
static struct vc_jobplan sites(void) {
        _cleanup_(json_decrefp) json_t *o =
                json_pack("[{s:s, s:i, s:i, s:s, s:[s,s]}, {s:s, s:i, s:i, s:s, s:[s]}]", "name", "a", "id", 1,
                          "vlan", 100, "gateway", "n1", "nodes", "n1", "n2", "name", "b", "id", 7, "vlan", 200,
                          "gateway", "m1", "nodes", "m1");
        struct vc_jobplan p;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_jobplan_sites_from_json(o, &p, &err), 0);
        return p;
}

/* a guest list, freed at the end of its scope */
struct glist {
        struct vc_nodeplan_guest *g;
        size_t n;
};
static void glist_free(struct glist *l) { vc_nodeplan_guests_free(l->g, l->n); }

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
        _cleanup_(vc_jobplan_clear) struct vc_jobplan s = sites();
        struct vc_spec sp = spec("image=x,vms=2,name=web,frontend=yes,subnet=10.1.0.0/24");
        _cleanup_(glist_free) struct glist all = {0};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guest_list(&s, &sp, 42, NULL, &all.g, &all.n, &err), 0);
        assert_int_equal(all.n, 6);
        const struct vc_nodeplan_guest *g0 = &all.g[0], *g5 = &all.g[5];
        assert_string_equal(g0->name, "web-1-1");
        assert_true(g0->frontend);
        assert_string_equal(g0->ip, "10.1.0.1");
        assert_string_equal(g0->domain, "vcluster-42-web-1-1");
        assert_string_equal(g0->tap, "vc2a.1");
        assert_null(g0->volume);
        /* site b numbers its own guests from 1, but addresses go on */
        assert_string_equal(g5->name, "web-7-2");
        assert_string_equal(g5->node, "m1");
        assert_string_equal(g5->site, "b");
        assert_string_equal(g5->ip, "10.1.0.6");
        assert_string_equal(g5->mac, "02:07:00:2a:00:02");
        assert_false(g5->frontend);

        _cleanup_(glist_free) struct glist n2 = {0};
        assert_int_equal(vc_plan_guest_list(&s, &sp, 42, "n2", &n2.g, &n2.n, &err), 0);
        assert_int_equal(n2.n, 2);
        assert_string_equal(n2.g[0].name, "web-1-3");
        assert_int_equal(n2.g[1].k, 4);
        assert_string_equal(n2.g[1].tap, "vc2a.4");
}

/* disk=: each guest's LUN on its site's storage, numbered within the site */
static void test_volumes(void **state) {
        _cleanup_(json_decrefp) json_t *o = json_loads(
                "[{\"name\":\"a\",\"id\":1,\"vlan\":100,\"gateway\":\"n1\",\"nodes\":[\"n1\",\"n2\"],"
                "\"storage\":{\"name\":\"st\",\"host\":\"10.1.0.5\",\"portal\":\"10.1.0.5:3260\","
                "\"iqn_base\":\"iqn.2026-11.org.vcluster\"}},"
                "{\"name\":\"b\",\"id\":7,\"vlan\":200,\"gateway\":\"m1\",\"nodes\":[\"m1\"]}]", 0, NULL);
        _cleanup_(vc_jobplan_clear) struct vc_jobplan s = {0};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_jobplan_sites_from_json(o, &s, &err), 0);
        struct vc_spec sp = spec("image=x,name=web,disk=1G");
        _cleanup_(glist_free) struct glist all = {0};
        assert_int_equal(vc_plan_guest_list(&s, &sp, 42, NULL, &all.g, &all.n, &err), 0);
        assert_int_equal(all.n, 3);
        const struct vc_nodeplan_volume *v = all.g[1].volume;
        assert_non_null(v);
        assert_string_equal(v->portal, "10.1.0.5:3260");
        assert_int_equal(v->lun, 2);
        assert_int_equal(v->bytes, 1LL << 30);
        assert_string_equal(v->initiator, "iqn.2026-11.org.vcluster:42.n2");
        /* a site without storage gives its guests none */
        assert_null(all.g[2].volume);
}

static void test_tap_fits_ifname(void **state) {
        _cleanup_(vc_jobplan_clear) struct vc_jobplan s = sites();
        struct vc_spec sp = spec("image=x,vms=16,subnet=10.0.0.0/16");
        _cleanup_(glist_free) struct glist all = {0};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guest_list(&s, &sp, 4294967295LL, NULL, &all.g, &all.n, &err), 0);
        const char *tap = all.g[47].tap;
        assert_string_equal(tap, "vcffffffff.30");
        assert_true(strlen(tap) <= 15);
}

static void test_refusals(void **state) {
        _cleanup_(vc_jobplan_clear) struct vc_jobplan s = sites();
        struct vc_spec sp = spec("image=x,vms=2,subnet=10.0.0.0/30");
        struct vc_nodeplan_guest *out = NULL;
        size_t n = 0;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_plan_guest_list(&s, &sp, 1, NULL, &out, &n, &err), -EINVAL);
        assert_null(out);
        assert_string_equal(err, "the cluster has 6 guests: more than subnet=10.0.0.0/30 holds");
        free(TAKE_PTR(err));
        sp = spec("image=x");
        assert_int_equal(vc_plan_guest_list(&s, &sp, 1, "zz", &out, &n, &err), -EINVAL);
        assert_null(out);
        assert_string_equal(err, "node zz is not in the plan");
        free(TAKE_PTR(err));
        /* a site id a MAC and a guest name cannot carry */
        s.sites[1].id = 256;
        assert_int_equal(vc_plan_guest_list(&s, &sp, 1, NULL, &out, &n, &err), -EINVAL);
        assert_string_equal(err, "plan site 1: id 256 is not 1..255");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mac_and_addr),
                cmocka_unit_test(test_list_all_and_one_node),
                cmocka_unit_test(test_tap_fits_ifname),
                cmocka_unit_test(test_volumes),
                cmocka_unit_test(test_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
