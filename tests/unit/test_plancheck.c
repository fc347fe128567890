/* tests for lib/plancheck.c: a node refuses a plan that does not fit vcluster.conf. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "plancheck.h"
#include "util.h"

static struct vc_conf *conf;
static char conf_dir[] = "/tmp/vc-plancheck.XXXXXX";
static char *conf_path;

static int setup(void **state) {
        if (!mkdtemp(conf_dir))
                return -1;
        conf_path = xasprintf("%s/vcluster.conf", conf_dir);
        FILE *f = fopen(conf_path, "w");
        fprintf(f, "ControllerAddr=127.0.0.1:7000 StateDir=%s SlurmUser=root VniRange=5000-5999\n"
                   "SiteName=a SiteId=1 VlanIds=100-199 Nodes=a[1-4] L2Ext=vxlan\n"
                   "SiteName=b SiteId=2 VlanIds=300-349 Nodes=b[1-4] L2Ext=vxlan\n"
                   "NodeName=a1 WanAddr=192.0.2.1\n"
                   "NodeName=b1 WanAddr=192.0.2.2\n",
                conf_dir);
        fclose(f);
        char *err = NULL;
        int r = vc_conf_load(conf_path, &conf, &err);
        if (r < 0)
                fprintf(stderr, "%s\n", err);
        free(err);
        return r;
}

static int teardown(void **state) {
        vc_conf_unref(conf);
        unlink(conf_path);
        rmdir(conf_dir);
        free(conf_path);
        return 0;
}

/* A stitched plan as vlanallocd makes it for job 7 on a[1-2],b1. */
static json_t *good_plan(void) {
        json_error_t je;
        json_t *p = json_loads("{\"job\": 7, \"uid\": 1000, \"mode\": \"stitched\", \"spec\": \"vms=2\", \"vni\": 5001,"
                               " \"lease\": null, \"l2ext\": \"vxlan\", \"tunnel_port\": 4789, \"sites\": ["
                               "{\"name\": \"a\", \"id\": 1, \"vlan\": 150, \"gateway\": \"a1\", \"nodes\": [\"a1\", \"a2\"],"
                               " \"wan\": \"192.0.2.1\"},"
                               "{\"name\": \"b\", \"id\": 2, \"vlan\": 300, \"gateway\": \"b1\", \"nodes\": [\"b1\"],"
                               " \"wan\": \"192.0.2.2\"}]}",
                               0, &je);
        assert_non_null(p);
        return p;
}

static json_t *site(json_t *p, size_t i) { return json_array_get(json_object_get(p, "sites"), i); }

/* refused: check p for job 7 on nodes, require -EINVAL and want in the error. */
static void refused(json_t *p, const char *nodes, const char *want) {
        char *err = NULL;
        assert_int_equal(vc_plan_check(conf, p, 7, nodes, &err), -EINVAL);
        assert_non_null(err);
        if (!strstr(err, want))
                fail_msg("expected '%s' in: %s", want, err);
        free(err);
        json_decref(p);
}

static void test_good_plan_passes(void **state) {
        json_t *p = good_plan();
        char *err = NULL;
        assert_int_equal(vc_plan_check(conf, p, 7, "a[1-2],b1", &err), 0);
        assert_null(err);
        /* Without Slurm's node list (controller hooks), the rest still holds. */
        assert_int_equal(vc_plan_check(conf, p, 7, NULL, &err), 0);
        json_decref(p);
}

static void test_single_site_shared_passes(void **state) {
        json_t *p = good_plan();
        json_array_remove(json_object_get(p, "sites"), 1);
        json_object_set_new(p, "mode", json_string("shared"));
        json_object_set_new(p, "vni", json_null());
        json_object_del(site(p, 0), "wan");
        char *err = NULL;
        assert_int_equal(vc_plan_check(conf, p, 7, "a[1-2]", &err), 0);
        json_decref(p);
}

static void test_wrong_job(void **state) {
        char *err = NULL;
        json_t *p = good_plan();
        assert_int_equal(vc_plan_check(conf, p, 8, NULL, &err), -EINVAL);
        assert_non_null(strstr(err, "plan is for job 7, not job 8"));
        free(err);
        json_decref(p);
}

static void test_vlan_outside_range(void **state) {
        json_t *p = good_plan();
        json_object_set_new(site(p, 0), "vlan", json_integer(4000));
        refused(p, NULL, "plan gives site a VLAN 4000, outside its VlanIds=100-199");
        p = good_plan();
        json_object_set_new(site(p, 1), "vlan", json_integer(150)); /* a's range, not b's */
        refused(p, NULL, "site b VLAN 150, outside its VlanIds=300-349");
        p = good_plan();
        json_object_set_new(site(p, 0), "vlan", json_integer(4294967396LL)); /* 100 after truncation */
        refused(p, NULL, "outside its VlanIds");
        p = good_plan();
        json_object_set_new(site(p, 0), "vlan", json_string("150"));
        refused(p, NULL, "plan gives site a no VLAN id");
}

static void test_unknown_site(void **state) {
        json_t *p = good_plan();
        json_object_set_new(site(p, 1), "name", json_string("zz"));
        refused(p, NULL, "plan names site 'zz', which vcluster.conf does not declare");
}

static void test_node_not_in_site_or_job(void **state) {
        json_t *p = good_plan();
        json_array_append_new(json_object_get(site(p, 0), "nodes"), json_string("b2"));
        refused(p, NULL, "plan puts node b2 in site a, which does not list it");
        p = good_plan();
        json_array_append_new(json_object_get(site(p, 0), "nodes"), json_string("a3"));
        refused(p, "a[1-2],b1", "plan puts node a3 in the job, which Slurm did not give it");
        p = good_plan();
        json_object_set_new(site(p, 1), "nodes", json_array());
        refused(p, NULL, "plan gives site b no nodes");
}

static void test_gateway_not_a_node(void **state) {
        json_t *p = good_plan();
        json_object_set_new(site(p, 0), "gateway", json_string("a4"));
        refused(p, NULL, "plan gives site a gateway a4, which is not one of its nodes in the job");
        p = good_plan();
        json_object_del(site(p, 0), "gateway");
        refused(p, NULL, "gateway (none)");
}

static void test_vni_outside_range(void **state) {
        json_t *p = good_plan();
        json_object_set_new(p, "vni", json_integer(17));
        refused(p, NULL, "plan gives VNI 17, outside VniRange=5000-5999");
}

static void test_wan_address_not_configured(void **state) {
        json_t *p = good_plan();
        json_object_set_new(site(p, 1), "wan", json_string("203.0.113.9"));
        refused(p, NULL, "plan gives gateway b1 WAN address 203.0.113.9, but its WanAddr= is 192.0.2.2");
        p = good_plan();
        json_object_set_new(p, "mode", json_string("shared"));
        refused(p, NULL, "plan gives site a a WAN address although the job is not stitched");
        p = good_plan();
        json_object_set_new(p, "mode", json_string("bogus"));
        refused(p, NULL, "plan has an unknown L2 mode 'bogus'");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good_plan_passes),    cmocka_unit_test(test_single_site_shared_passes),
                cmocka_unit_test(test_wrong_job),           cmocka_unit_test(test_vlan_outside_range),
                cmocka_unit_test(test_unknown_site),        cmocka_unit_test(test_node_not_in_site_or_job),
                cmocka_unit_test(test_gateway_not_a_node),  cmocka_unit_test(test_vni_outside_range),
                cmocka_unit_test(test_wan_address_not_configured),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
