/* tests for lib/nodeplan.c: a node's plan from its JSON to the typed model
 * and back, byte for byte, optional members absent staying absent, and
 * every malformed member refused by name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "nodeplan.h"
#include "util.h"

/* As the node prolog records it (node/nodeplan.c): the gateway of site b of
 * a stitched job, one guest with a volume, a cache at its site, the job's
 * allocation, group and shared directory. */
static const char *const GATEWAY =
        "{\"job\":42,\"node\":\"b1\",\"uid\":1000,\"mode\":\"stitched\",\"vni\":5001,"
        "\"spec\":\"name=c,vms=1,image=deb,disk=1G\",\"site\":{\"name\":\"b\",\"id\":2,\"vlan\":300,\"gateway\":\"b1\"},"
        "\"is_gateway\":true,\"guests\":[{\"name\":\"c-2-1\",\"k\":2,\"site\":\"b\",\"site_id\":2,\"node\":\"b1\","
        "\"mac\":\"02:02:00:2a:00:01\",\"ip\":\"10.0.0.2\",\"prefix\":24,\"domain\":\"vcluster-42-c-2-1\","
        "\"tap\":\"vc2a.2\",\"frontend\":false,\"volume\":{\"storage\":\"st\",\"portal\":\"127.0.0.1:3260\","
        "\"iqn\":\"iqn.2024-01.test:target.42\",\"lun\":1,\"initiator\":\"iqn.2024-01.test:42.b1\",\"user\":\"vc-42\","
        "\"name\":\"vc-42-c-2-1\",\"bytes\":1073741824}}],\"cluster_nodes\":\"c-1-1,c-2-1\",\"frontend\":\"c-1-1\","
        "\"hosts\":[{\"name\":\"c-1-1\",\"ip\":\"10.0.0.1\"},{\"name\":\"c-2-1\",\"ip\":\"10.0.0.2\"}],\"image\":\"deb\","
        "\"l2\":{\"kind\":\"vxlan\",\"port\":4789,\"vni\":5001,\"index\":1,\"subnet\":\"10.0.0.0/24\",\"sites\":["
        "{\"name\":\"a\",\"wan\":\"192.0.2.1\",\"cache\":null},{\"name\":\"b\",\"wan\":\"192.0.2.2\",\"cache\":"
        "{\"address\":\"10.0.0.254/24\",\"size_mb\":512,\"preload\":null,\"parent\":null,\"bypass\":\"\\\\.iso$\"}}]},"
        "\"access\":{\"index\":1,\"sites\":2,\"nodes\":[\"a1\",\"b1\"]},"
        "\"alloc\":{\"cpus\":\"0-1\",\"ncpus\":2,\"mem\":1073741824,\"slurm_cpus\":\"0-1\",\"mem_by\":\"memtune\"},"
        "\"gid\":100,\"share\":\"/home/u/job\"}";
/* A plain node of a shared job: no VNI, no guests' image, no tunnel, no alloc, gid or share. */
static const char *const PLAIN =
        "{\"job\":7,\"node\":\"a3\",\"uid\":0,\"mode\":\"shared\",\"vni\":null,\"spec\":\"name=x\","
        "\"site\":{\"name\":\"a\",\"id\":1,\"vlan\":101,\"gateway\":\"a2\"},\"is_gateway\":false,\"guests\":[],"
        "\"cluster_nodes\":\"\",\"frontend\":\"x-1-1\",\"hosts\":[],\"image\":null,\"l2\":null,"
        "\"access\":{\"index\":1,\"sites\":1,\"nodes\":[]}}";

static void round_trip(const char *text) {
        json_t *o = json_loads(text, 0, NULL);
        assert_non_null(o);
        struct vc_nodeplan p;
        char *err = NULL;
        assert_int_equal(vc_nodeplan_from_json(o, &p, &err), 0);
        assert_null(err);
        json_t *back = vc_nodeplan_to_json(&p);
        char *out = json_dumps(back, JSON_COMPACT);
        assert_string_equal(out, text);
        free(out);
        json_decref(back);
        json_decref(o);
        vc_nodeplan_clear(&p);
}

static void test_round_trip(void **state) {
        round_trip(GATEWAY);
        round_trip(PLAIN);
}

static void test_model(void **state) {
        json_t *o = json_loads(GATEWAY, 0, NULL);
        struct vc_nodeplan p;
        char *err = NULL;
        assert_int_equal(vc_nodeplan_from_json(o, &p, &err), 0);
        assert_int_equal(p.job, 42);
        assert_string_equal(p.spec.image, "deb");
        assert_true(p.is_gateway);
        assert_int_equal(p.site.vlan, 300);
        assert_int_equal(p.n_guests, 1);
        assert_int_equal(p.guests[0].volume->lun, 1);
        assert_int_equal(vc_nodeplan_volumes(&p), 1);
        assert_int_equal(p.n_hosts, 2);
        assert_string_equal(p.hosts[1].node, "b1");
        assert_string_equal(p.l2->kind, "vxlan");
        assert_null(p.l2->sites[0].cache);
        assert_string_equal(p.l2->sites[1].cache->bypass, "\\.iso$");
        assert_string_equal(p.alloc->mem_by, "memtune");
        assert_true(p.has_gid && p.gid == 100);
        assert_string_equal(p.share, "/home/u/job");
        json_t *hosts = vc_nodeplan_hosts_json(&p);
        char *h = json_dumps(hosts, JSON_COMPACT);
        assert_string_equal(h, "[{\"name\":\"c-1-1\",\"ip\":\"10.0.0.1\"},{\"name\":\"c-2-1\",\"ip\":\"10.0.0.2\"}]");
        free(h);
        json_decref(hosts);
        vc_nodeplan_clear(&p);
        json_decref(o);
}

/* refused: GATEWAY with the member at path (object keys, "0" for the first
 * array element) set to value (NULL: removed) is refused, saying msg, and
 * leaves the model empty. */
static void refused(const char *a, const char *b, const char *c, json_t *value, const char *msg) {
        json_t *o = json_loads(GATEWAY, 0, NULL);
        json_t *at = o;
        const char *path[] = {a, b, c};
        size_t n = c ? 3 : b ? 2 : 1;
        for (size_t i = 0; i + 1 < n; i++)
                at = json_is_array(at) ? json_array_get(at, (size_t)atoi(path[i])) : json_object_get(at, path[i]);
        assert_non_null(at);
        if (value)
                json_object_set_new(at, path[n - 1], value);
        else
                json_object_del(at, path[n - 1]);
        struct vc_nodeplan p;
        char *err = NULL;
        assert_int_equal(vc_nodeplan_from_json(o, &p, &err), -EINVAL);
        assert_string_equal(err, msg);
        assert_null(p.node);
        assert_null(p.guests);
        free(err);
        json_decref(o);
}

static void test_malformed_refused_by_name(void **state) {
        refused("job", NULL, NULL, NULL, "node plan: job: missing");
        refused("uid", NULL, NULL, json_integer(-1), "node plan: uid: out of range");
        refused("spec", NULL, NULL, json_string("vms=zero"), "node plan: spec: vms=zero: must be a whole number from 1 to 64");
        refused("site", NULL, NULL, json_string("b"), "node plan: site: not an object");
        refused("site", "vlan", NULL, NULL, "node plan: site.vlan: missing");
        refused("is_gateway", NULL, NULL, json_integer(1), "node plan: is_gateway: not true or false");
        refused("guests", "0", "mac", NULL, "node plan: guests[0].mac: missing");
        refused("guests", "0", "prefix", json_integer(33), "node plan: guests[0].prefix: out of range");
        refused("guests", "0", "volume", json_string("x"), "node plan: guests[0].volume: not an object");
        refused("hosts", "0", "ip", json_integer(1), "node plan: hosts[0].ip: not a string");
        refused("access", "nodes", NULL, json_array(), "node plan: access.nodes: not an array as long as hosts");
        refused("l2", "index", NULL, json_integer(2), "node plan: l2.index: beyond its sites");
        refused("l2", "port", NULL, json_integer(70000), "node plan: l2.port: out of range");
        refused("alloc", "cpus", NULL, NULL, "node plan: alloc.cpus: missing");
        refused("gid", NULL, NULL, json_string("100"), "node plan: gid: not an integer");
        struct vc_nodeplan p;
        char *err = NULL;
        json_t *arr = json_array();
        assert_int_equal(vc_nodeplan_from_json(arr, &p, &err), -EINVAL);
        assert_string_equal(err, "node plan: not an object");
        free(err);
        json_decref(arr);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_model),
                cmocka_unit_test(test_malformed_refused_by_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
