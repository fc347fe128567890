/* tests for lib/jobplan.c: the plan's JSON to the typed model and back,
 * byte for byte, and every malformed member refused by name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "jobplan.h"
#include "util.h"

/* As vlanallocd writes them (vlanalloc/plan.c, plan_l2.c): a stitched job
 * over two sites, storage at the first, a cache at the second. */
static const char *const STITCHED =
        "{\"job\":42,\"uid\":1000,\"mode\":\"stitched\",\"spec\":\"name=c,vms=1,image=tiny\",\"vni\":5001,"
        "\"lease\":1760000000,\"sites\":[{\"name\":\"a\",\"id\":1,\"vlan\":100,\"gateway\":\"a1\","
        "\"nodes\":[\"a1\",\"a2\"],\"storage\":{\"name\":\"st\",\"host\":\"127.0.0.1\",\"portal\":\"127.0.0.1:3260\","
        "\"iqn_base\":\"iqn.2024-01.test\"},\"wan\":\"192.0.2.1\"},{\"name\":\"b\",\"id\":2,\"vlan\":300,"
        "\"gateway\":\"b1\",\"nodes\":[\"b1\"],\"wan\":\"192.0.2.2\",\"cache\":{\"address\":\"10.0.0.254/24\","
        "\"size_mb\":512,\"preload\":null,\"parent\":\"http://p:3128\",\"bypass\":null}}],\"l2ext\":\"vxlan\","
        "\"tunnel_port\":4789}";
/* One site, shared, no VNI, no lease, nothing else. */
static const char *const SHARED = "{\"job\":7,\"uid\":0,\"mode\":\"shared\",\"spec\":\"name=x\",\"vni\":null,"
                                  "\"lease\":null,\"sites\":[{\"name\":\"a\",\"id\":1,\"vlan\":101,"
                                  "\"gateway\":\"a3\",\"nodes\":[\"a3\"]}]}";

static void round_trip(const char *text) {
        json_t *o = json_loads(text, 0, NULL);
        assert_non_null(o);
        struct vc_jobplan p;
        char *err = NULL;
        assert_int_equal(vc_jobplan_from_json(o, &p, &err), 0);
        assert_null(err);
        json_t *back = vc_jobplan_to_json(&p);
        char *out = json_dumps(back, JSON_COMPACT);
        assert_string_equal(out, text);
        free(out);
        json_decref(back);
        json_decref(o);
        vc_jobplan_clear(&p);
}

static void test_round_trip(void **state) {
        round_trip(STITCHED);
        round_trip(SHARED);
}

static void test_model(void **state) {
        json_t *o = json_loads(STITCHED, 0, NULL);
        struct vc_jobplan p;
        char *err = NULL;
        assert_int_equal(vc_jobplan_from_json(o, &p, &err), 0);
        assert_int_equal(p.job, 42);
        assert_true(p.has_vni && p.vni == 5001);
        assert_int_equal(p.n_sites, 2);
        assert_string_equal(p.sites[0].storage->portal, "127.0.0.1:3260");
        assert_null(p.sites[0].cache);
        assert_null(p.sites[1].cache->preload);
        assert_string_equal(p.sites[1].cache->parent, "http://p:3128");
        assert_true(p.has_tunnel_port && p.tunnel_port == 4789);
        assert_ptr_equal(vc_jobplan_site_of(&p, "a2"), &p.sites[0]);
        assert_ptr_equal(vc_jobplan_site_of(&p, "b1"), &p.sites[1]);
        assert_null(vc_jobplan_site_of(&p, "c1"));
        vc_jobplan_clear(&p);
        json_decref(o);
}

/* refused: STITCHED with the member at path (a JSON pointer-ish list of
 * keys/indexes) set to value (NULL: removed) is refused, saying msg. */
static void refused(const char *site_key, const char *sub, const char *key, json_t *value, const char *msg) {
        json_t *o = json_loads(STITCHED, 0, NULL), *at = o;
        if (site_key)
                at = json_array_get(json_object_get(o, "sites"), (size_t)atoi(site_key));
        if (sub)
                at = json_object_get(at, sub);
        if (value)
                json_object_set_new(at, key, value);
        else
                json_object_del(at, key);
        struct vc_jobplan p;
        char *err = NULL;
        assert_int_equal(vc_jobplan_from_json(o, &p, &err), -EINVAL);
        assert_non_null(err);
        if (!strstr(err, msg))
                fail_msg("'%s' does not say '%s'", err, msg);
        assert_int_equal(p.n_sites, 0);
        free(err);
        json_decref(o);
}

static void test_malformed_refused_by_name(void **state) {
        refused(NULL, NULL, "job", NULL, "plan: job: missing");
        refused(NULL, NULL, "job", json_string("42"), "plan: job: not an integer");
        refused(NULL, NULL, "job", json_integer(0), "plan: job: out of range");
        refused(NULL, NULL, "uid", json_integer(-1), "plan: uid: out of range");
        refused(NULL, NULL, "mode", json_integer(1), "plan: mode: not a string");
        refused(NULL, NULL, "spec", NULL, "plan: spec: missing");
        refused(NULL, NULL, "vni", json_string("x"), "plan: vni: not an integer");
        refused(NULL, NULL, "lease", json_true(), "plan: lease: not an integer");
        refused(NULL, NULL, "sites", json_object(), "plan: sites: not an array");
        refused(NULL, NULL, "l2ext", json_integer(3), "plan: l2ext: not a string");
        refused(NULL, NULL, "tunnel_port", json_integer(70000), "plan: tunnel_port: out of range");
        refused("1", NULL, "name", NULL, "plan: sites[1].name: missing");
        refused("1", NULL, "id", json_real(1.5), "plan: sites[1].id: not an integer");
        refused("0", NULL, "vlan", json_integer(1LL << 40), "plan: sites[0].vlan: out of range");
        refused("0", NULL, "gateway", json_null(), "plan: sites[0].gateway: not a string");
        refused("0", NULL, "nodes", json_string("a1"), "plan: sites[0].nodes: not an array");
        refused("0", NULL, "nodes", json_pack("[s,i]", "a1", 2), "plan: sites[0].nodes[1]: not a string");
        refused("0", NULL, "storage", json_string("st"), "plan: sites[0].storage: not an object");
        refused("0", "storage", "portal", NULL, "plan: sites[0].storage.portal: missing");
        refused("1", NULL, "wan", json_integer(1), "plan: sites[1].wan: not a string");
        refused("1", NULL, "cache", json_array(), "plan: sites[1].cache: not an object");
        refused("1", "cache", "size_mb", json_string("512"), "plan: sites[1].cache.size_mb: not an integer");
        refused("1", "cache", "parent", json_false(), "plan: sites[1].cache.parent: not a string");
        json_t *arr = json_loads("[1]", 0, NULL);
        struct vc_jobplan p;
        char *err = NULL;
        assert_int_equal(vc_jobplan_from_json(arr, &p, &err), -EINVAL);
        assert_string_equal(err, "plan: not an object");
        free(err);
        json_decref(arr);
        json_t *o = json_loads(STITCHED, 0, NULL);
        json_array_append_new(json_object_get(o, "sites"), json_integer(3));
        assert_int_equal(vc_jobplan_from_json(o, &p, &err), -EINVAL);
        assert_string_equal(err, "plan: sites[2]: not an object");
        free(err);
        json_decref(o);
}

/* A "show" reply's job carries more than the plan: the model ignores it. */
static void test_unknown_keys_ignored(void **state) {
        json_t *o = json_loads(SHARED, 0, NULL);
        json_object_set_new(o, "state", json_string("held"));
        struct vc_jobplan p;
        char *err = NULL;
        assert_int_equal(vc_jobplan_from_json(o, &p, &err), 0);
        json_t *back = vc_jobplan_to_json(&p);
        char *out = json_dumps(back, JSON_COMPACT);
        assert_string_equal(out, SHARED);
        free(out);
        json_decref(back);
        vc_jobplan_clear(&p);
        json_decref(o);
}

/* A cluster's status carries the plan's sites alone. */
static void test_sites_alone(void **state) {
        json_t *o = json_loads(STITCHED, 0, NULL);
        struct vc_jobplan p;
        char *err = NULL;
        assert_int_equal(vc_jobplan_sites_from_json(json_object_get(o, "sites"), &p, &err), 0);
        assert_int_equal(p.n_sites, 2);
        assert_int_equal(p.job, 0);
        assert_string_equal(p.sites[1].cache->address, "10.0.0.254/24");
        vc_jobplan_clear(&p);
        json_object_set_new(json_array_get(json_object_get(o, "sites"), 0), "vlan", json_string("100"));
        assert_int_equal(vc_jobplan_sites_from_json(json_object_get(o, "sites"), &p, &err), -EINVAL);
        assert_string_equal(err, "plan: sites[0].vlan: not an integer");
        assert_int_equal(p.n_sites, 0);
        free(err);
        json_decref(o);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_model),
                cmocka_unit_test(test_malformed_refused_by_name),
                cmocka_unit_test(test_unknown_keys_ignored),
                cmocka_unit_test(test_sites_alone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
