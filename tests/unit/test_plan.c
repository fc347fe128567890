/* tests for vlanalloc/plan.c: grouping by site, the L2 mode, the plan and its steps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "conf.h"
#include "hostlist.h"
#include "plan.h"
#include "spec.h"
#include "util.h"

static struct vc_conf *conf;
static char conf_dir[] = "/tmp/vc-plan.XXXXXX";
static char *conf_path;

static int setup(void **state) {
        if (!mkdtemp(conf_dir))
                return -1;
        conf_path = xasprintf("%s/vcluster.conf", conf_dir);
        FILE *f = fopen(conf_path, "w");
        fprintf(f, "ControllerAddr=127.0.0.1:7000 StateDir=%s SlurmUser=root\n"
                   "SiteName=a SiteId=1 VlanIds=100-199 Nodes=a[1-4] L2Domain=x Storage=sa\n"
                   "SiteName=b SiteId=2 VlanIds=100-199 Nodes=b[1-4] L2Domain=x\n"
                   "SiteName=c SiteId=3 VlanIds=300-399 Nodes=c[1-4] Storage=sc L2Ext=openvpn CacheSize=64M "
                   "CacheBypass=/config/ CachePreload=/etc/vc/urls\n"
                   "SiteName=d SiteId=4 VlanIds=500-599 Nodes=d[1-2] L2Ext=none\n"
                   "SiteName=e SiteId=5 VlanIds=600-699 Nodes=e[1-3] L2Ext=none Gateway=e3\n"
                   "NodeName=a1 WanAddr=192.0.2.1 WanNetns=wan-a\n"
                   "NodeName=b1 WanAddr=192.0.2.2\n"
                   "NodeName=c1 WanAddr=192.0.2.3\n"
                   "StorageName=sa Host=127.0.0.1 Backend=lvm VolumeGroup=vg0 Export=tgt Portal=10.1.0.1:3260\n"
                   "StorageName=sc Host=stor-c Backend=file Directory=/vols Export=tgt Portal=10.3.0.1:3260 "
                   "TgtControl=4 AgentPort=7001\n"
                   "ImageName=img Kernel=/k\n"
                   "Limits MaxVolumes=6\n"
                   "SwitchName=sa1 Site=a Driver=none NodePorts=a[1-2]:[11-12] Uplinks=48\n"
                   "SwitchName=sa2 Site=a Driver=ovs Db=unix:/x Bridge=br0 NodePorts=a[3-4]:p[3-4] "
                   "NodePortMode=access\n"
                   "SwitchName=sc Site=c Driver=exec Program=/bin/sw NodePorts=c[1-4]:[1-4]\n",
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

static int group(const char *hosts, struct vc_plan *p, char **err) {
        _cleanup_strv_ char **v = NULL;
        assert_int_equal(vc_hostlist_expand(hosts, &v, err), 0);
        return vc_plan_group(conf, v, p, err);
}

static void test_group_in_job_order(void **state) {
        struct vc_plan p;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(group("c2,a3,c1,a1", &p, &err), 0);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.sites[0].site->name, "c");
        assert_string_equal(p.sites[0].nodes[0], "c2"); /* the site's first node is its gateway */
        assert_string_equal(p.sites[0].nodes[1], "c1");
        assert_string_equal(p.sites[1].site->name, "a");
        assert_null(p.sites[1].nodes[2]);
        vc_plan_clear(&p);
}

static void test_group_gateway_first(void **state) {
        /* Gateway=e3: the job's gateway at e whenever the job has e3 … */
        struct vc_plan p;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(group("e1,e2,e3", &p, &err), 0);
        assert_string_equal(p.sites[0].nodes[0], "e3");
        assert_string_equal(p.sites[0].nodes[1], "e1");
        assert_string_equal(p.sites[0].nodes[2], "e2");
        vc_plan_clear(&p);
        /* … else its first node there */
        assert_int_equal(group("e2,e1", &p, &err), 0);
        assert_string_equal(p.sites[0].nodes[0], "e2");
        vc_plan_clear(&p);
}

static void test_group_errors(void **state) {
        struct vc_plan p;
        char *err = NULL;
        assert_int_equal(group("a1,z9", &p, &err), -EINVAL);
        assert_non_null(strstr(err, "'z9' is in no site"));
        free(err);
        err = NULL;
        assert_int_equal(group("a1,a2,a1", &p, &err), -EINVAL);
        assert_non_null(strstr(err, "'a1' is listed twice"));
        free(err);
}

static void test_modes(void **state) {
        struct vc_plan p;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(group("a1,b1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(p.mode, VC_L2_SHARED); /* same L2Domain */
        assert_int_equal(vc_plan_mode(&p, VC_L2_STITCHED, &err), 0);
        assert_int_equal(p.mode, VC_L2_STITCHED); /* asked for, and possible */
        vc_plan_clear(&p);
        assert_int_equal(group("a1,c1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(p.mode, VC_L2_STITCHED);
        assert_int_equal(vc_plan_mode(&p, VC_L2_SHARED, &err), -EINVAL);
        assert_non_null(strstr(err, "do not share an L2Domain"));
        vc_plan_clear(&p);
        assert_int_equal(group("c1,c2", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_STITCHED, &err), 0);
        assert_int_equal(p.mode, VC_L2_SHARED); /* one site: nothing to stitch */
        vc_plan_clear(&p);
}

static void test_json_and_steps(void **state) {
        struct vc_plan p;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(group("a1,a2,c1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        p.sites[0].vlan = 120;
        p.sites[1].vlan = 301;
        p.vni = 5007;
        json_t *j = vc_plan_json(&p, 42, "vms=1", 1000, 1700000000);
        assert_int_equal(json_integer_value(json_object_get(j, "job")), 42);
        assert_string_equal(json_string_value(json_object_get(j, "mode")), "stitched");
        assert_int_equal(json_integer_value(json_object_get(j, "vni")), 5007);
        json_t *s0 = json_array_get(json_object_get(j, "sites"), 0);
        assert_string_equal(json_string_value(json_object_get(s0, "gateway")), "a1");
        assert_int_equal(json_integer_value(json_object_get(s0, "vlan")), 120);
        assert_int_equal(json_integer_value(json_object_get(s0, "id")), 1);
        json_decref(j);
        /* one step per switch of each site of the job: sa1, sa2 (site a), sc (site c) */
        json_t *steps = vc_plan_steps(conf, &p, 42);
        assert_int_equal(json_array_size(steps), 3);
        json_t *a1 = json_object_get(json_array_get(steps, 0), "args");
        _cleanup_free_ char *a1s = json_dumps(a1, JSON_SORT_KEYS | JSON_COMPACT);
        /* trunk node ports a1, a2 and the uplink, tagged; nothing untagged */
        assert_string_equal(a1s, "{\"driver\":\"none\",\"job\":42,\"name\":\"vcluster-42\",\"opts\":{},"
                                 "\"site\":\"a\",\"switch\":\"sa1\",\"tagged\":[\"48\",\"11\",\"12\"],"
                                 "\"untagged\":[],\"vlan\":120}");
        /* sa2 cables a3, a4: none of the job's nodes, so only the VLAN itself */
        json_t *a2 = json_object_get(json_array_get(steps, 1), "args");
        assert_string_equal(json_string_value(json_object_get(a2, "switch")), "sa2");
        assert_string_equal(json_string_value(json_object_get(json_object_get(a2, "opts"), "Db")), "unix:/x");
        assert_string_equal(json_string_value(json_object_get(json_object_get(a2, "opts"), "Bridge")), "br0");
        assert_int_equal(json_array_size(json_object_get(a2, "tagged")), 0);
        assert_int_equal(json_array_size(json_object_get(a2, "untagged")), 0);
        json_t *c = json_object_get(json_array_get(steps, 2), "args");
        assert_int_equal(json_integer_value(json_object_get(c, "vlan")), 301);
        assert_string_equal(json_string_value(json_array_get(json_object_get(c, "tagged"), 0)), "1");
        json_decref(steps);
        vc_plan_clear(&p);

        /* access-mode node ports go untagged */
        assert_int_equal(group("a4,a3", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        p.sites[0].vlan = 130;
        steps = vc_plan_steps(conf, &p, 43);
        a2 = json_object_get(json_array_get(steps, 1), "args");
        _cleanup_free_ char *un = json_dumps(json_object_get(a2, "untagged"), JSON_COMPACT);
        assert_string_equal(un, "[\"p4\",\"p3\"]");
        assert_int_equal(json_array_size(json_object_get(a2, "tagged")), 0);
        json_decref(steps);
        vc_plan_clear(&p);
}

static json_t *step_args(json_t *steps, size_t i, const char *kind) {
        json_t *st = json_array_get(steps, i);
        assert_string_equal(json_string_value(json_object_get(st, "kind")), kind);
        return json_object_get(st, "args");
}

static void test_storage_steps(void **state) {
        struct vc_plan p;
        struct vc_spec spec;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_spec_parse("image=img,vms=2,disk=1G,name=w", &spec, &err), 0);
        assert_int_equal(group("a1,a2,c1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(vc_plan_storage(conf, &p, &spec, &err), 0);
        p.sites[0].vlan = 120;
        p.sites[1].vlan = 301;
        json_t *plan = vc_plan_json(&p, 42, "x", 1000, 0);
        /* the plan tells nodes where their volumes are, never a secret */
        json_t *st0 = json_object_get(json_array_get(json_object_get(plan, "sites"), 0), "storage");
        _cleanup_free_ char *st0s = json_dumps(st0, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(st0s, "{\"host\":\"127.0.0.1\",\"iqn_base\":\"iqn.2026-11.org.vcluster\","
                                  "\"name\":\"sa\",\"portal\":\"10.1.0.1:3260\"}");
        json_t *steps = json_array();
        assert_int_equal(vc_plan_storage_steps(conf, &p, plan, &spec, 42, steps, &err), 0);
        /* chap, then both volume steps, then both exports */
        assert_int_equal(json_array_size(steps), 5);
        json_t *chap = step_args(steps, 0, "storage.chap");
        _cleanup_free_ char *want = xasprintf("%s/secrets/42.chap", conf_dir);
        assert_string_equal(json_string_value(json_object_get(chap, "file")), want);
        json_t *va = step_args(steps, 1, "storage.volumes");
        _cleanup_free_ char *vas = json_dumps(va, JSON_SORT_KEYS | JSON_COMPACT);
        /* the controller is site a's storage host: no agent */
        assert_string_equal(vas, "{\"host\":\"127.0.0.1\",\"job\":42,\"place\":{\"backend\":\"lvm\",\"vg\":\"vg0\"},"
                                 "\"storage\":\"sa\",\"volumes\":[{\"bytes\":1073741824,\"name\":\"vc-42-w-1-1\"},"
                                 "{\"bytes\":1073741824,\"name\":\"vc-42-w-1-2\"},{\"bytes\":1073741824,\"name\":"
                                 "\"vc-42-w-1-3\"},{\"bytes\":1073741824,\"name\":\"vc-42-w-1-4\"}]}");
        json_t *vc = step_args(steps, 2, "storage.volumes");
        assert_string_equal(json_string_value(json_object_get(vc, "agent")), "stor-c:7001");
        assert_int_equal(json_array_size(json_object_get(vc, "volumes")), 2);
        json_t *xa = step_args(steps, 3, "storage.export");
        assert_string_equal(json_string_value(json_object_get(xa, "iqn")), "iqn.2026-11.org.vcluster:target.42");
        assert_string_equal(json_string_value(json_object_get(xa, "user")), "vcluster-42");
        _cleanup_free_ char *inits = json_dumps(json_object_get(xa, "initiators"), JSON_COMPACT);
        assert_string_equal(inits, "[\"iqn.2026-11.org.vcluster:42.a1\",\"iqn.2026-11.org.vcluster:42.a2\"]");
        json_t *luns = json_object_get(xa, "luns");
        assert_int_equal(json_array_size(luns), 4);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(luns, 3), "lun")), 4);
        assert_null(json_object_get(xa, "secret"));
        json_t *xc = step_args(steps, 4, "storage.export");
        assert_string_equal(json_string_value(json_object_get(json_object_get(xc, "export"), "control")), "4");
        assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(xc, "luns"), 1), "lun")), 2);
        json_decref(steps);
        json_decref(plan);
        vc_plan_clear(&p);

        /* refusals: too many volumes, a site without storage */
        assert_int_equal(vc_spec_parse("image=img,vms=4,disk=1G", &spec, &err), 0);
        assert_int_equal(group("a1,a2", &p, &err), 0);
        assert_int_equal(vc_plan_storage(conf, &p, &spec, &err), -EINVAL);
        assert_string_equal(err, "spec: the job needs 8 volumes (one per guest), above this site's limit MaxVolumes=6");
        vc_plan_clear(&p);
        free(err);
        err = NULL;
        assert_int_equal(group("b1", &p, &err), 0);
        assert_int_equal(vc_plan_storage(conf, &p, &spec, &err), -EINVAL);
        assert_string_equal(err, "spec: disk= needs a storage host, and site 'b' names none (no Storage= on its "
                                 "SiteName line)");
        vc_plan_clear(&p);
}

/* l2: a stitched plan's tunnel, WAN addresses and caches. */
static void test_l2(void **state) {
        struct vc_plan p;
        struct vc_spec spec;
        char *err = NULL;
        assert_int_equal(vc_spec_parse("image=img,vms=2", &spec, &err), 0);
        assert_int_equal(group("a1,a2,c1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(vc_plan_l2(conf, &p, &spec, &err), 0);
        assert_int_equal(p.l2ext, VC_L2EXT_OPENVPN); /* site c asks for encryption: every tunnel gets it */
        assert_false(p.sites[0].cache);
        assert_true(p.sites[1].cache);
        p.sites[0].vlan = 120;
        p.sites[1].vlan = 301;
        p.vni = 5003;
        json_t *j = vc_plan_json(&p, 42, "vms=2", 1000, 0);
        assert_int_equal(vc_plan_l2_json(conf, &p, &spec, j, &err), 0);
        assert_string_equal(json_string_value(json_object_get(j, "l2ext")), "openvpn");
        /* ports of VNI 5003: 20000 + 3 * 16, one per spoke from there */
        assert_int_equal(json_integer_value(json_object_get(j, "tunnel_port")), 20000 + 3 * VC_OPENVPN_SPOKES_MAX);
        json_t *s0 = json_array_get(json_object_get(j, "sites"), 0), *s1 = json_array_get(json_object_get(j, "sites"), 1);
        assert_string_equal(json_string_value(json_object_get(s0, "wan")), "192.0.2.1");
        assert_null(json_object_get(s0, "cache"));
        _cleanup_free_ char *c1 = json_dumps(json_object_get(s1, "cache"), JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(c1, "{\"address\":\"10.0.0.254/24\",\"bypass\":\"/config/\",\"parent\":null,"
                                "\"preload\":\"/etc/vc/urls\",\"size_mb\":64}");
        json_decref(j);
        /* a VNI whose OpenVPN ports would pass 65535 */
        p.vni = 5000 + 3000;
        j = vc_plan_json(&p, 42, "vms=2", 1000, 0);
        assert_int_equal(vc_plan_l2_json(conf, &p, &spec, j, &err), -ENOSPC);
        assert_non_null(strstr(err, "no OpenVPN port free: VNI 8000"));
        json_decref(j);
        free(err);
        err = NULL;
        vc_plan_clear(&p);

        /* vxlan between a and b (asked for: they share an L2Domain), cache=off: no cache */
        assert_int_equal(vc_spec_parse("cache=off", &spec, &err), 0);
        assert_int_equal(group("a1,b1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_STITCHED, &err), 0);
        assert_int_equal(vc_plan_l2(conf, &p, &spec, &err), 0);
        assert_int_equal(p.l2ext, VC_L2EXT_VXLAN);
        p.vni = 5000;
        j = vc_plan_json(&p, 43, "cache=off", 1000, 0);
        assert_int_equal(vc_plan_l2_json(conf, &p, &spec, j, &err), 0);
        assert_int_equal(json_integer_value(json_object_get(j, "tunnel_port")), 4789);
        assert_null(json_object_get(json_array_get(json_object_get(j, "sites"), 1), "cache"));
        json_decref(j);
        vc_plan_clear(&p);
        /* shared: nothing of this */
        assert_int_equal(group("a1,b1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(vc_plan_l2(conf, &p, &spec, &err), 0);
        j = vc_plan_json(&p, 44, "", 1000, 0);
        assert_int_equal(vc_plan_l2_json(conf, &p, &spec, j, &err), 0);
        assert_null(json_object_get(j, "l2ext"));
        json_decref(j);
        vc_plan_clear(&p);

        /* L2Ext=none at every site: per-site VLANs, no tunnel, no WanAddr needed, no cache */
        assert_int_equal(vc_spec_parse("", &spec, &err), 0);
        assert_int_equal(group("d1,e1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(vc_plan_l2(conf, &p, &spec, &err), 0);
        assert_int_equal(p.l2ext, VC_L2EXT_NONE);
        assert_false(p.sites[1].cache);
        j = vc_plan_json(&p, 45, "", 1000, 0);
        assert_int_equal(vc_plan_l2_json(conf, &p, &spec, j, &err), 0);
        assert_string_equal(json_string_value(json_object_get(j, "l2ext")), "none");
        assert_null(json_object_get(j, "tunnel_port"));
        json_decref(j);
        vc_plan_clear(&p);
        /* none cannot mix with a tunnel */
        assert_int_equal(group("a1,d1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(vc_plan_l2(conf, &p, &spec, &err), -EINVAL);
        assert_string_equal(err, "l2=stitched: site 'd' has L2Ext=none (its WAN joins the VLANs) but other sites of the "
                                 "job want a tunnel: no single segment");
        free(err);
        err = NULL;
        vc_plan_clear(&p);

        /* refusals: a gateway with no WanAddr; no room in the subnet for the cache */
        assert_int_equal(vc_spec_parse("image=img", &spec, &err), 0);
        assert_int_equal(group("a1,c2", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(vc_plan_l2(conf, &p, &spec, &err), -EINVAL);
        assert_string_equal(err, "l2=stitched: node c2, the job's gateway at site 'c' (its first node there), has no "
                                 "WanAddr= on a NodeName line, so no tunnel can reach it");
        free(err);
        err = NULL;
        vc_plan_clear(&p);
        assert_int_equal(vc_spec_parse("image=img,subnet=10.0.0.0/30", &spec, &err), 0);
        assert_int_equal(group("a1,c1", &p, &err), 0);
        assert_int_equal(vc_plan_mode(&p, VC_L2_AUTO, &err), 0);
        assert_int_equal(vc_plan_l2(conf, &p, &spec, &err), -EINVAL);
        assert_non_null(strstr(err, "3 guests: more than subnet=10.0.0.0/30 holds (with the 1 address(es) the remote "
                                    "sites' caches take)"));
        free(err);
        vc_plan_clear(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_group_in_job_order),
                cmocka_unit_test(test_group_gateway_first),
                cmocka_unit_test(test_group_errors),
                cmocka_unit_test(test_modes),
                cmocka_unit_test(test_json_and_steps),
                cmocka_unit_test(test_storage_steps),
                cmocka_unit_test(test_l2),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
