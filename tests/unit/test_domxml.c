/* tests for node/domxml.c: the domain XML says what the guest gets — the
 * right network for the node's HostNet, the boot the image asks for, the
 * frontend's public NIC, its volume as IscsiAttach says — and config or
 * plan text cannot break out of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "domxml.h"
#include "util.h"

static struct vc_nodeplan_guest guest(bool frontend) {
        return (struct vc_nodeplan_guest){.name = "web-1-1", .domain = "vcluster-42-web-1-1",
                                          .mac = "02:01:00:2a:00:01", .ip = "10.0.0.1", .prefix = 24,
                                          .tap = "vc2a.1", .frontend = frontend};
}

static char *xml_of(const struct vc_nodeplan_guest *g, const struct vc_image *im, const struct vc_nodecfg *nc) {
        struct vc_domain_desc d = {.guest = g, .image = im, .node = nc, .cpus = 2, .mem = 256ULL << 20,
                                   .vlan = 101, .job = 42, .console = "/s/web-1-1.console",
                                   .agent = "/s/web-1-1.agent", .overlay = im->disk ? "/s/web-1-1.qcow2" : NULL};
        _cleanup_free_ char *err = NULL;
        char *x = vc_domain_xml(&d, &err);
        assert_non_null(x);
        return x;
}

#define HAS(x, s) assert_non_null(strstr((x), (s)))
#define HASNT(x, s) assert_null(strstr((x), (s)))

static void test_ovs_direct_boot(void **state) {
        struct vc_image im = {.name = "tiny", .kernel = "/img/vmlinuz", .initrd = "/img/initrd",
                              .cmdline = "console=ttyS0"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br-vc", .tcg = true};
        struct vc_nodeplan_guest g = guest(false);
        _cleanup_free_ char *x = xml_of(&g, &im, &nc);
        HAS(x, "<domain type='qemu'>");
        HAS(x, "<name>vcluster-42-web-1-1</name>");
        HAS(x, "<memory unit='KiB'>262144</memory>");
        HAS(x, "<vcpu>2</vcpu>");
        HAS(x, "<kernel>/img/vmlinuz</kernel>");
        HAS(x, "<initrd>/img/initrd</initrd>");
        HAS(x, "<cmdline>console=ttyS0 vc.name=web-1-1 vc.ip=10.0.0.1/24</cmdline>");
        HAS(x, "<source bridge='br-vc'/>\n      <virtualport type='openvswitch'/>\n      <vlan><tag id='101'/></vlan>");
        HAS(x, "<mac address='02:01:00:2a:00:01'/>");
        HAS(x, "<target dev='vc2a.1'/>");
        HAS(x, "<source path='/s/web-1-1.console'/>");
        HAS(x, "<source mode='bind' path='/s/web-1-1.agent'/>\n      <target type='virtio' name='org.vcluster.agent'/>");
        HASNT(x, "<disk");
}

/* inside the job's allocation: every vCPU and the emulator on the job's CPUs, the memory capped */
static void test_pinned_to_allocation(void **state) {
        struct vc_image im = {.name = "tiny", .kernel = "/k"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br-vc"};
        struct vc_nodeplan_guest g = guest(false);
        struct vc_domain_desc d = {.guest = &g, .image = &im, .node = &nc, .cpus = 2, .mem = 256ULL << 20, .vlan = 101,
                                   .job = 42, .console = "/c", .agent = "/a", .cpuset = "1,3-4",
                                   .mem_limit = 384ULL << 20};
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *x = vc_domain_xml(&d, &err);
        assert_non_null(x);
        HAS(x, "<vcpu placement='static' cpuset='1,3-4'>2</vcpu>\n  <cputune>\n"
               "    <vcpupin vcpu='0' cpuset='1,3-4'/>\n    <vcpupin vcpu='1' cpuset='1,3-4'/>\n"
               "    <emulatorpin cpuset='1,3-4'/>\n  </cputune>\n");
        HAS(x, "<memtune>\n    <hard_limit unit='KiB'>393216</hard_limit>\n  </memtune>");
        HASNT(x, "vcpupin vcpu='2'");
        /* no allocation known: neither */
        d.cpuset = NULL;
        d.mem_limit = 0;
        _cleanup_free_ char *y = vc_domain_xml(&d, &err);
        HAS(y, "<vcpu>2</vcpu>");
        HASNT(y, "cputune");
        HASNT(y, "memtune");
        /* what is not a CPU list never reaches the XML */
        d.cpuset = "0'/><foo";
        assert_null(vc_domain_xml(&d, &err));
        assert_non_null(strstr(err, "not a CPU list"));
}

static void test_bridge_disk_kvm(void **state) {
        struct vc_image im = {.name = "deb", .disk = "/img/deb.qcow2"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_BRIDGE, .trunk = "eth1"};
        struct vc_nodeplan_guest g = guest(false);
        _cleanup_free_ char *x = xml_of(&g, &im, &nc);
        HAS(x, "<domain type='kvm'>");
        HAS(x, "<boot dev='hd'/>");
        HASNT(x, "<kernel>");
        HAS(x, "<source file='/s/web-1-1.qcow2'/>");
        HAS(x, "<source bridge='vcbr101'/>\n      <target dev='vc2a.1'/>");
        HASNT(x, "openvswitch");
        HASNT(x, "<vlan>");
}

static void test_frontend_public_nic(void **state) {
        struct vc_image im = {.name = "tiny", .kernel = "/k"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br-vc", .public_bridge = "br-pub"};
        struct vc_nodeplan_guest fe = guest(true), other = guest(false);
        _cleanup_free_ char *x = xml_of(&fe, &im, &nc), *y = xml_of(&other, &im, &nc);
        HAS(x, "<source bridge='br-pub'/>\n      <virtualport type='openvswitch'/>\n      <model");
        HASNT(y, "br-pub");
        HAS(x, "<cmdline>vc.name=web-1-1 vc.ip=10.0.0.1/24</cmdline>");
        /* no PublicBridge: the frontend has one NIC */
        nc.public_bridge = NULL;
        _cleanup_free_ char *z = xml_of(&fe, &im, &nc);
        HASNT(z, "br-pub");
}

static void test_escaping_and_missing(void **state) {
        struct vc_image im = {.name = "t", .kernel = "/img/a&b<'c'>", .cmdline = "x=\"1\" </cmdline><evil/>"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br"};
        struct vc_nodeplan_guest g = guest(false);
        _cleanup_free_ char *x = xml_of(&g, &im, &nc);
        HAS(x, "<kernel>/img/a&amp;b&lt;&apos;c&apos;&gt;</kernel>");
        HAS(x, "x=&quot;1&quot; &lt;/cmdline&gt;&lt;evil/&gt;");
        HASNT(x, "<evil/>");

        struct vc_nodeplan_guest bad = {.name = "web-1-1"};
        struct vc_domain_desc d = {.guest = &bad, .image = &im, .node = &nc, .console = "/c", .agent = "/a"};
        _cleanup_free_ char *err = NULL;
        assert_null(vc_domain_xml(&d, &err));
        assert_string_equal(err, "guest web-1-1: incomplete description (plan entry, image, paths, uid/gid)");
}

/* vol_of: LUN 3 of job 42's target iqn, as node n1 reaches it. */
static struct vc_nodeplan_volume vol_of(char *iqn) {
        return (struct vc_nodeplan_volume){.storage = "st", .portal = "10.1.0.5:3260", .iqn = iqn, .lun = 3,
                                           .initiator = "iqn.2026-11.org.vcluster:42.n1", .user = "vcluster-42",
                                           .name = "vc-42-web-1-1", .bytes = 1LL << 30};
}

/* guest_vol: a guest of node n1 with volume v. */
static struct vc_nodeplan_guest guest_vol(struct vc_nodeplan_volume *v) {
        struct vc_nodeplan_guest g = guest(false);
        g.node = "n1";
        g.volume = v;
        return g;
}

static void test_volume_qemu_network_disk(void **state) {
        struct vc_image im = {.name = "tiny", .kernel = "/img/vmlinuz"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br-vc"};
        struct vc_nodeplan_volume v = vol_of("iqn.2026-11.org.vcluster:target.42");
        struct vc_nodeplan_guest g = guest_vol(&v);
        _cleanup_free_ char *x = xml_of(&g, &im, &nc);
        HAS(x, "    <disk type='network' device='disk'>\n"
               "      <driver name='qemu' type='raw' cache='none'/>\n"
               "      <source protocol='iscsi' name='iqn.2026-11.org.vcluster:target.42/3'>\n"
               "        <host name='10.1.0.5' port='3260'/>\n"
               "        <initiator><iqn name='iqn.2026-11.org.vcluster:42.n1'/></initiator>\n"
               "        <auth username='vcluster-42'><secret type='iscsi' usage='vcluster-42-n1'/></auth>\n"
               "      </source>\n"
               "      <target dev='vda' bus='virtio'/>\n"
               "    </disk>\n");
        /* the secret is named, never given */
        HASNT(x, "password");
        HASNT(x, "type='block'");
        /* a guest without a volume has no disk */
        struct vc_nodeplan_guest plain = guest(false);
        _cleanup_free_ char *y = xml_of(&plain, &im, &nc);
        HASNT(y, "<disk");
}

static void test_volume_after_image_disk(void **state) {
        struct vc_image im = {.name = "deb", .disk = "/img/deb.qcow2"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br-vc"};
        struct vc_nodeplan_volume v = vol_of("iqn.2026-11.org.vcluster:target.42");
        struct vc_nodeplan_guest g = guest_vol(&v);
        _cleanup_free_ char *x = xml_of(&g, &im, &nc);
        const char *own = strstr(x, "<target dev='vda' bus='virtio'/>");
        const char *data = strstr(x, "<target dev='vdb' bus='virtio'/>");
        assert_non_null(own);
        assert_non_null(data);
        assert_true(own < data);
        assert_true(strstr(x, "<source file='/s/web-1-1.qcow2'/>") < own);
        assert_true(strstr(x, "protocol='iscsi'") < data && strstr(x, "protocol='iscsi'") > own);
}

static void test_volume_host_block(void **state) {
        struct vc_image im = {.name = "deb", .disk = "/img/deb.qcow2"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br-vc", .iscsi_host = true};
        struct vc_nodeplan_volume v = vol_of("iqn.2026-11.org.vcluster:target.42");
        struct vc_nodeplan_guest g = guest_vol(&v);
        _cleanup_free_ char *x = xml_of(&g, &im, &nc);
        HAS(x, "    <disk type='block' device='disk'>\n"
               "      <driver name='qemu' type='raw' cache='none' io='native'/>\n"
               "      <source dev='/dev/disk/by-path/ip-10.1.0.5:3260-iscsi-iqn.2026-11.org.vcluster:target.42-lun-3'/>\n"
               "      <target dev='vdb' bus='virtio'/>\n"
               "    </disk>\n");
        HASNT(x, "protocol='iscsi'");
        HASNT(x, "<secret");
}

static void test_volume_escaping_and_missing(void **state) {
        struct vc_image im = {.name = "tiny", .kernel = "/k"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br"};
        struct vc_nodeplan_volume v = vol_of("iqn.x:t'/><evil/>&");
        struct vc_nodeplan_guest g = guest_vol(&v);
        v.user = "u\"<evil/>";
        g.node = "n'1";
        _cleanup_free_ char *x = xml_of(&g, &im, &nc);
        HAS(x, "name='iqn.x:t&apos;/&gt;&lt;evil/&gt;&amp;/3'");
        HAS(x, "<auth username='u&quot;&lt;evil/&gt;'><secret type='iscsi' usage='vcluster-42-n&apos;1'/>");
        HASNT(x, "<evil/>");

        struct vc_domain_desc d = {.image = &im, .node = &nc, .console = "/c", .agent = "/a", .job = 42};
        _cleanup_free_ char *err = NULL;
        /* a field missing, and a portal that is not ADDR:PORT */
        v.initiator = NULL;
        d.guest = &g;
        assert_null(vc_domain_xml(&d, &err));
        assert_string_equal(err, "guest web-1-1: incomplete volume in the plan (portal, iqn, lun, initiator, user, node)");
        free(TAKE_PTR(err));
        v.initiator = "iqn.2026-11.org.vcluster:42.n1";
        v.portal = "10.1.0.5";
        assert_null(vc_domain_xml(&d, &err));
        assert_non_null(strstr(err, "incomplete volume"));
}

/* QEMU as the job's user, relabelling nothing; the job's directory as a 9p
 * export only when asked; a uid that is not one refused. */
static void test_user_label_and_share(void **state) {
        struct vc_image im = {.name = "deb", .kernel = "/img/vmlinuz", .disk = "/img/disk.qcow2"};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br"};
        struct vc_nodeplan_guest g = guest(false);
        struct vc_domain_desc d = {.guest = &g, .image = &im, .node = &nc, .cpus = 1, .mem = 256ULL << 20, .vlan = 101,
                                   .job = 42, .console = "/s/c", .agent = "/s/a", .overlay = "/s/o.qcow2",
                                   .uid = 1234, .gid = 567};
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *x = vc_domain_xml(&d, &err);
        assert_non_null(x);
        HAS(x, "  <seclabel type='static' model='dac' relabel='no'>\n    <label>+1234:+567</label>\n"
               "  </seclabel>\n</domain>\n");
        HASNT(x, "<filesystem");
        d.share = "/home/u/job's <dir>";
        _cleanup_free_ char *y = vc_domain_xml(&d, &err);
        assert_non_null(y);
        HAS(y, "<filesystem type='mount' accessmode='squash'>\n      <source dir='/home/u/job&apos;s &lt;dir&gt;'/>\n"
               "      <target dir='vcshare'/>\n    </filesystem>");
        d.uid = -1;
        assert_null(vc_domain_xml(&d, &err));
        HAS(err, "uid/gid");
        free(err);
        err = NULL;
        d.uid = 0;
        d.gid = (int64_t)UINT32_MAX;
        assert_null(vc_domain_xml(&d, &err));
}

static void test_bridge_name(void **state) {
        char b[16];
        vc_bridge_name(4094, b);
        assert_string_equal(b, "vcbr4094");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ovs_direct_boot),   cmocka_unit_test(test_bridge_disk_kvm),
                cmocka_unit_test(test_frontend_public_nic), cmocka_unit_test(test_escaping_and_missing),
                cmocka_unit_test(test_bridge_name),         cmocka_unit_test(test_pinned_to_allocation),
                cmocka_unit_test(test_volume_qemu_network_disk), cmocka_unit_test(test_volume_after_image_disk),
                cmocka_unit_test(test_volume_host_block),   cmocka_unit_test(test_volume_escaping_and_missing),
                cmocka_unit_test(test_user_label_and_share),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
