/* test_conf — vcluster.conf: a full file with includes parses to the right
 * values, defaults apply, and every refusal names FILE:LINE and the fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <syslog.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "conf.h"
#include "util.h"

static char dir[64];

/* put: write text to dir/name with mode; returns the full path. */
static char *put(const char *name, const char *text, mode_t mode) {
        char *path = xasprintf("%s/%s", dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, text, strlen(text)), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
        return path;
}

static int setup(void **state) {
        strcpy(dir, "/tmp/test_conf.XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        _cleanup_free_ char *sub = xasprintf("%s/sub", dir);
        return mkdir(sub, 0700);
}

static int teardown(void **state) {
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* refused: loading text as dir/name fails with "DIR/where: …phrase…";
 * where is "name:LINE" or, for whole-file faults, "name". */
static void refused(const char *name, const char *text, const char *where, const char *phrase) {
        _cleanup_free_ char *path = put(name, text, 0644);
        _cleanup_free_ char *prefix = xasprintf("%s/%s: ", dir, where);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_conf_load(path, &c, &err);
        if (r != -EINVAL || !err || strncmp(err, prefix, strlen(prefix)) || !strstr(err, phrase))
                print_error("%s: got %d '%s', want '%s…%s'\n", name, r, err ? err : "(null)",
                            prefix, phrase);
        assert_int_equal(r, -EINVAL);
        assert_null(c);
        assert_non_null(err);
        assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
        assert_non_null(strstr(err, phrase));
}

#define CTL "ControllerAddr=ctl:6820\n"
#define SITE_A "SiteName=a SiteId=1 VlanIds=100-199 Nodes=n[1-2]\n"

static void test_full(void **state) {
        _cleanup_free_ char *secret = put("secret", "s3cret\n", 0600);
        _cleanup_free_ char *spaced = put("my secret", "x\n", 0400);
        free(put("sub/b.conf", "sitename=b siteid=2 VlanIds=100-110 Nodes=login1 # b\n", 0644));
        free(put(
                "sub/sites.conf",
                "# sites\n"
                "SiteName=a SiteId=1 VlanIds=300-349,100-199,400,200-210 Nodes=tk[001-003],n[1-2] "
                "Gateway=n1 L2Domain=campus Storage=st-a\n"
                "Include b.conf\n",
                0644));
        _cleanup_free_ char *path = put(
                "main.conf",
                "# vcluster test\n"
                "\n"
                "ControllerAddr=ctl.example:6820   # trailing comment\n"
                "StateDir=/tmp/vcstate SlurmUser=root AdminGroup=root\n"
                "  LeaseGrace=10m ReapInterval=15 MungeSocket=/run/munge/m.socket VniRange=100-200\n"
                "Include sub/sites.conf\n"
                "limits MaxNodes=8 MaxVmsPerNode=4 MaxCpus=32 MaxMem=64G MaxDisk=1T\n"
                "SwitchName=sw-a Site=a Driver=snmp Host=10.0.0.1 Version=3 Timeout=2s Retries=1 "
                "SecretFile=secret NodePorts=tk[001-003],n[1-2]:[1-5] Uplinks=47,48 NodePortMode=access\n"
                "SwitchName=sw-b site=b DRIVER=ovs Db=unix:/run/ovs/db.sock Bridge=br0 "
                "nodeports=login1:ge-0/0/7 SecretFile=\"my secret\"\n"
                "SwitchName=sw-c site=b Driver=none\n"
                "ImageName=tiny Kernel=/img/vmlinuz Initrd=img/initrd Cmdline=\"console=ttyS0 quiet\"\n"
                "ImageName=deb Disk=/img/debian.qcow2\n"
                "ImageName=both Kernel=/img/vmlinuz Disk=/img/root.raw\n"
                "NodeName=n1 HostNet=bridge Trunk=eth1 PublicBridge=pub0 DomainType=qemu BootTimeout=1m\n"
                "NodeName=tk[001-002] OvsBridge=br-g OvsDb=tcp:127.0.0.1:6640 Libvirt=qemu:///session "
                "IscsiAttach=host\n"
                "StorageName=st-a Host=ctl.example Backend=LVM VolumeGroup=vg0 ThinPool=pool Export=tgt "
                "Portal=10.0.0.9:3260 TgtControl=3 AgentPort=7000 IqnBase=iqn.2020-01.example.vc\n"
                "StorageName=st-b Host=store2 Backend=file Directory=/srv/vols Export=tgt Portal=[fe80::1]:3260\n"
                "Limits MaxVolumes=64\n",
                0644);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_conf_load(path, &c, &err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        assert_null(err);

        assert_string_equal(c->path, path);
        assert_string_equal(c->controller_host, "ctl.example");
        assert_string_equal(c->controller_port, "6820");
        assert_string_equal(c->state_dir, "/tmp/vcstate");
        assert_string_equal(c->slurm_user, "root");
        assert_int_equal(c->slurm_uid, 0);
        assert_string_equal(c->admin_group, "root");
        assert_int_equal(c->admin_gid, 0);
        assert_int_equal(c->lease_grace, 600);
        assert_int_equal(c->reap_interval, 15);
        assert_string_equal(c->munge_socket, "/run/munge/m.socket");
        assert_int_equal(c->vni_lo, 100);
        assert_int_equal(c->vni_hi, 200);
        assert_int_equal(c->limits.max_nodes, 8);
        assert_int_equal(c->limits.max_vms_per_node, 4);
        assert_int_equal(c->limits.max_cpus, 32);
        assert_int_equal(c->limits.max_mem, 64ULL << 30);
        assert_int_equal(c->limits.max_disk, 1ULL << 40);

        assert_int_equal(c->n_sites, 2);
        const struct vc_site *a = vc_conf_site(c, "a");
        assert_ptr_equal(a, &c->sites[0]);
        assert_int_equal(a->id, 1);
        _cleanup_free_ char *ranges = vc_ranges_format(a->ranges, a->n_ranges);
        assert_string_equal(ranges, "100-199,200-210,300-349,400");
        assert_int_equal(vc_site_range_size(a), 100 + 11 + 50 + 1);
        assert_true(vc_site_has_vlan(a, 100));
        assert_true(vc_site_has_vlan(a, 205));
        assert_true(vc_site_has_vlan(a, 349));
        assert_true(vc_site_has_vlan(a, 400));
        assert_false(vc_site_has_vlan(a, 99));
        assert_false(vc_site_has_vlan(a, 250));
        assert_false(vc_site_has_vlan(a, 401));
        assert_int_equal(a->n_nodes, 5);
        const char *want[] = {"tk001", "tk002", "tk003", "n1", "n2"};
        for (size_t i = 0; i < 5; i++)
                assert_string_equal(a->nodes[i], want[i]);
        assert_null(a->nodes[5]);
        assert_string_equal(a->gateway, "n1");
        assert_string_equal(a->l2domain, "campus");

        const struct vc_site *sb = vc_conf_site(c, "b");
        assert_non_null(sb);
        assert_int_equal(sb->id, 2);
        assert_null(sb->gateway); /* none: a job's first node at the site */
        assert_null(sb->l2domain);
        assert_null(vc_conf_site(c, "zz"));

        assert_ptr_equal(vc_conf_site_of_node(c, "tk002"), a);
        assert_ptr_equal(vc_conf_site_of_node(c, "n2"), a);
        assert_ptr_equal(vc_conf_site_of_node(c, "login1"), sb);
        assert_null(vc_conf_site_of_node(c, "tk004"));

        assert_int_equal(c->n_switches, 3);
        const struct vc_switch *swa = &c->switches[0], *swb = &c->switches[1];
        assert_string_equal(swa->name, "sw-a");
        assert_string_equal(swa->site, "a");
        assert_string_equal(swa->driver, "snmp");
        assert_string_equal(vc_switch_opt(swa, "Host"), "10.0.0.1");
        assert_string_equal(vc_switch_opt(swa, "Version"), "3");
        assert_string_equal(vc_switch_opt(swa, "Timeout"), "2s");
        assert_null(vc_switch_opt(swa, "Port"));
        assert_string_equal(swa->secret_file, secret);
        assert_true(swa->access);
        const char *ports[] = {"1", "2", "3", "4", "5"};
        for (size_t i = 0; i < 5; i++) {
                assert_string_equal(swa->nodes[i], want[i]);
                assert_string_equal(swa->ports[i], ports[i]);
        }
        assert_null(swa->nodes[5]);
        assert_string_equal(swa->uplinks[0], "47");
        assert_string_equal(swa->uplinks[1], "48");
        assert_null(swa->uplinks[2]);
        assert_string_equal(swb->site, "b");
        assert_string_equal(swb->driver, "ovs");
        assert_string_equal(vc_switch_opt(swb, "Db"), "unix:/run/ovs/db.sock");
        assert_string_equal(vc_switch_opt(swb, "Bridge"), "br0");
        assert_false(swb->access);
        assert_string_equal(swb->secret_file, spaced);
        assert_null(c->switches[2].nodes[0]);
        assert_null(c->switches[2].uplinks[0]);
        const char *port = NULL;
        assert_ptr_equal(vc_conf_switch_of_node(c, "n2", &port), swa);
        assert_string_equal(port, "5");
        assert_ptr_equal(vc_conf_switch_of_node(c, "login1", &port), swb);
        assert_string_equal(port, "ge-0/0/7");
        assert_null(vc_conf_switch_of_node(c, "tk004", &port));

        assert_int_equal(c->n_images, 3);
        const struct vc_image *tiny = vc_conf_image(c, "tiny");
        assert_non_null(tiny);
        assert_string_equal(tiny->kernel, "/img/vmlinuz");
        _cleanup_free_ char *initrd = xasprintf("%s/img/initrd", dir);
        assert_string_equal(tiny->initrd, initrd);
        assert_string_equal(tiny->cmdline, "console=ttyS0 quiet");
        assert_null(tiny->disk);
        assert_string_equal(vc_conf_image(c, "deb")->disk, "/img/debian.qcow2");
        assert_null(vc_conf_image(c, "nope"));
        assert_string_equal(vc_conf_image(c, "both")->kernel, "/img/vmlinuz");
        assert_string_equal(vc_conf_image(c, "both")->disk, "/img/root.raw");
        /* Context= defaults: cloud-init with a disk, the command line without */
        assert_int_equal(tiny->context, VC_CTX_CMDLINE);
        assert_int_equal(vc_conf_image(c, "deb")->context, VC_CTX_CLOUD_INIT);
        assert_int_equal(vc_conf_image(c, "both")->context, VC_CTX_CLOUD_INIT);
        const struct vc_nodecfg *n1 = vc_conf_node(c, "n1");
        assert_int_equal(n1->host_net, VC_HOSTNET_BRIDGE);
        assert_string_equal(n1->trunk, "eth1");
        assert_string_equal(n1->public_bridge, "pub0");
        assert_true(n1->tcg);
        assert_int_equal(n1->boot_timeout, 60);
        const struct vc_nodecfg *tk = vc_conf_node(c, "tk002");
        assert_int_equal(tk->host_net, VC_HOSTNET_OVS);
        assert_string_equal(tk->ovs_bridge, "br-g");
        assert_string_equal(tk->ovs_db, "tcp:127.0.0.1:6640");
        assert_string_equal(tk->libvirt_uri, "qemu:///session");
        assert_false(tk->tcg);
        const struct vc_nodecfg *dflt = vc_conf_node(c, "n2");
        assert_string_equal(dflt->ovs_bridge, "br-vcluster");
        assert_string_equal(dflt->libvirt_uri, "qemu:///system");
        assert_int_equal(dflt->boot_timeout, 300);
        assert_null(dflt->public_bridge);
        assert_true(tk->iscsi_host);
        assert_false(dflt->iscsi_host);

        assert_int_equal(c->limits.max_volumes, 64);
        assert_int_equal(c->n_storages, 2);
        const struct vc_storage *sa = vc_conf_storage(c, a->storage);
        assert_non_null(sa);
        assert_string_equal(sa->backend, "lvm");
        assert_string_equal(sa->vg, "vg0");
        assert_string_equal(sa->thin_pool, "pool");
        assert_null(sa->dir);
        assert_string_equal(sa->tgt_control, "3");
        assert_string_equal(sa->agent_port, "7000");
        assert_string_equal(sa->iqn_base, "iqn.2020-01.example.vc");
        assert_true(vc_storage_is_local(c, sa)); /* Host= is the controller's host */
        const struct vc_storage *sb2 = vc_conf_storage(c, "st-b");
        assert_string_equal(sb2->dir, "/srv/vols");
        assert_string_equal(sb2->portal, "[fe80::1]:3260");
        assert_string_equal(sb2->tgt_control, "0");
        assert_string_equal(sb2->agent_port, VC_STORAGE_AGENT_PORT);
        assert_string_equal(sb2->iqn_base, VC_IQN_BASE);
        assert_false(vc_storage_is_local(c, sb2));
        assert_null(sb->storage);

        /* Shared between holders; freed by the last one. */
        assert_ptr_equal(vc_conf_ref(c), c);
        assert_int_equal(c->refs, 2);
        vc_conf_unref(c);
        assert_int_equal(c->refs, 1);
        vc_conf_unref(c);
        vc_conf_unref(NULL);
}

static void test_defaults(void **state) {
        _cleanup_free_ char *path = put("min.conf", "ControllerAddr=[::1]:1\n", 0644);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_conf_load(path, &c, &err), 0);
        assert_string_equal(c->controller_host, "::1");
        assert_string_equal(c->controller_port, "1");
        assert_string_equal(c->state_dir, "/var/lib/vcluster");
        assert_string_equal(c->slurm_user, getpwnam("slurm") ? "slurm" : "root");
        assert_null(c->admin_group);
        assert_null(c->munge_socket);
        assert_int_equal(c->lease_grace, 300);
        assert_int_equal(c->reap_interval, 30);
        assert_int_equal(c->vni_lo, 5000);
        assert_int_equal(c->vni_hi, 16777215);
        assert_int_equal(c->limits.max_nodes, 0);
        assert_int_equal(c->limits.max_vms_per_node, 16);
        assert_int_equal(c->limits.max_cpus, 64);
        assert_int_equal(c->limits.max_mem, 256ULL << 30);
        assert_int_equal(c->limits.max_disk, 16ULL << 40);
        assert_int_equal(c->n_sites, 0);
        assert_int_equal(c->n_switches, 0);
        assert_null(vc_conf_site_of_node(c, "n1"));
        vc_conf_unref(c);
}

static void test_long_line(void **state) {
        /* 3000 names on one line: far beyond any fixed line buffer. */
        char *text = xstrdup(CTL "SiteName=a SiteId=1 VlanIds=10 Nodes=");
        for (int i = 0; i < 3000; i++) {
                char *t = xasprintf("%s%shost%d", text, i ? "," : "", i);
                free(text);
                text = t;
        }
        _cleanup_free_ char *body = text;
        _cleanup_free_ char *path = put("long.conf", body, 0644);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_conf_load(path, &c, &err), 0);
        assert_int_equal(c->sites[0].n_nodes, 3000);
        assert_ptr_equal(vc_conf_site_of_node(c, "host2999"), &c->sites[0]);
        vc_conf_unref(c);
}

static void test_path(void **state) {
        setenv("VCLUSTER_CONF", "/x/y.conf", 1);
        assert_string_equal(vc_conf_path(), "/x/y.conf");
        unsetenv("VCLUSTER_CONF");
        assert_string_equal(vc_conf_path(), VC_CONF_DEFAULT);
}

static void test_missing_file(void **state) {
        _cleanup_free_ char *path = xasprintf("%s/nope.conf", dir);
        _cleanup_free_ char *want = xasprintf("%s: No such file or directory", path);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_conf_load(path, &c, &err), -ENOENT);
        assert_null(c);
        assert_string_equal(err, want);
}

/* The example the project ships must stay a valid configuration (its user
 * and group are a site's; this machine has root). */
static void test_shipped_example(void **state) {
        /* As shipped, on a host that need not know its SlurmUser or AdminGroup. */
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_conf_load("etc/vcluster.conf.example", &c, &err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        assert_int_equal(c->n_switches, 3);
        assert_non_null(vc_conf_image(c, "debian12"));
        if (!getgrnam("vcadmin")) {
                assert_int_equal(vc_conf_check_ids(c, &err), -ENOENT);
                assert_non_null(strstr(err, "unknown AdminGroup 'vcadmin'"));
        }
        vc_conf_unref(c);
}

/* Every key the parser knows (read off its own "known: …" refusal for each
 * kind of line, so a new key cannot be forgotten here) is shown in the
 * shipped example, which loads. */
static void test_shipped_example_has_every_key(void **state) {
        static const char *const kinds[] = {"", "SiteName=x ", "SwitchName=x ", "Limits ", "NodeName=x ",
                                            "ImageName=x ", "StorageName=x "};
        _cleanup_free_ char *example = NULL;
        assert_int_equal(read_file("etc/vcluster.conf.example", &example, NULL, 1 << 20), 0);
        size_t seen = 0;
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                _cleanup_free_ char *text = xasprintf(CTL "%sZzzUnknown=1\n", kinds[i]);
                _cleanup_free_ char *path = put("keys.conf", text, 0644), *err = NULL;
                struct vc_conf *c = NULL;
                assert_int_equal(vc_conf_load(path, &c, &err), -EINVAL);
                const char *known = strstr(err, "(known: ");
                if (!known)
                        fail_msg("no key list in: %s", err);
                _cleanup_free_ char *list = xstrdup(known + 8);
                list[strcspn(list, ")")] = '\0';
                for (char *save = NULL, *k = strtok_r(list, ", ", &save); k; k = strtok_r(NULL, ", ", &save)) {
                        _cleanup_free_ char *want = xasprintf("%s=", k);
                        if (!strstr(example, want))
                                fail_msg("etc/vcluster.conf.example never shows %s (a %sline key)", want,
                                         kinds[i][0] ? kinds[i] : "global ");
                        seen++;
                }
        }
        assert_true(seen > 70);
}

static struct vc_conf *loaded(const char *name, const char *text) {
        _cleanup_free_ char *path = put(name, text, 0644);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_conf_load(path, &c, &err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        return c;
}

static void test_unknown_ids_load_where_unused(void **state) {
        struct vc_conf *c = loaded("ids.conf", CTL "SlurmUser=no_such_user_vc\nAdminGroup=no_such_group_vc\n");
        assert_int_equal(c->slurm_uid, (uid_t)-1);
        assert_int_equal(c->admin_gid, (gid_t)-1);
        _cleanup_free_ char *err = NULL, *want = xasprintf("%s/ids.conf:2: unknown SlurmUser 'no_such_user_vc'", dir);
        assert_int_equal(vc_conf_check_ids(c, &err), -ENOENT);
        assert_string_equal(err, want);
        vc_conf_unref(c);
        c = loaded("ids2.conf", CTL "SlurmUser=root\nAdminGroup=root\n");
        assert_int_equal(vc_conf_check_ids(c, &err), 0);
        assert_int_equal(c->slurm_uid, 0);
        vc_conf_unref(c);
}

static void test_sizes_bare_mib(void **state) {
        /* One rule with the spec's mem=: a bare number is MiB. */
        struct vc_conf *c = loaded("sizes.conf", CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CacheSize=64\n"
                                                     "Limits MaxMem=65536 MaxDisk=2T\n");
        assert_int_equal(c->limits.max_mem, 64ULL << 30);
        assert_int_equal(c->limits.max_disk, 2ULL << 40);
        assert_int_equal(c->sites[0].cache_mb, 64);
        vc_conf_unref(c);
}

static void test_logging_keys(void **state) {
        struct vc_conf *c = loaded("log.conf", CTL "DebugLevel=Debug SyslogFacility=local3\n");
        assert_int_equal(c->log_level, LOG_DEBUG);
        assert_int_equal(c->syslog_facility, LOG_LOCAL3);
        vc_conf_unref(c);
        c = loaded("log2.conf", CTL);
        assert_int_equal(c->log_level, LOG_INFO);
        assert_int_equal(c->syslog_facility, LOG_DAEMON);
        vc_conf_unref(c);
}

static void test_continuation(void **state) {
        struct vc_conf *c = loaded("cont.conf", "ControllerAddr=ctl:6820 \\\n   StateDir=/x\n"
                                                "SiteName=a SiteId=1 \\\n VlanIds=100-199 \\\n Nodes=n[1-2]\n");
        assert_string_equal(c->state_dir, "/x");
        assert_int_equal(c->n_sites, 1);
        assert_int_equal(c->sites[0].n_nodes, 2);
        vc_conf_unref(c);
        /* an error on a continued line names the line it began on */
        refused("cont2.conf", CTL "SiteName=a SiteId=1 \\\n Bogus=1\n", "cont2.conf:2", "unknown key 'Bogus'");
        refused("cont3.conf", CTL "StateDir=/x \\\n", "cont3.conf:2", "ends inside a line continued");
        /* the line after a continued one has its own number */
        refused("cont4.conf", CTL "StateDir=/x \\\n \nbogus\n", "cont4.conf:4", "'bogus' is not Key=Value");
}

static void test_nodename_default(void **state) {
        struct vc_conf *c = loaded("def.conf", CTL SITE_A "NodeName=DEFAULT DomainType=qemu BootTimeout=60 "
                                                         "HostNet=bridge Trunk=eth1\n"
                                                         "NodeName=n1 HostNet=ovs OvsBridge=br1\n");
        const struct vc_nodecfg *n1 = vc_conf_node(c, "n1"), *n2 = vc_conf_node(c, "n2");
        assert_true(n1->tcg);
        assert_int_equal(n1->boot_timeout, 60);
        assert_int_equal(n1->host_net, VC_HOSTNET_OVS);
        assert_string_equal(n1->ovs_bridge, "br1");
        assert_null(n1->trunk); /* the default's Trunk= went with its bridge network */
        assert_true(n2->tcg);  /* named on no line: the defaults */
        assert_int_equal(n2->host_net, VC_HOSTNET_BRIDGE);
        assert_string_equal(n2->trunk, "eth1");
        vc_conf_unref(c);
        refused("def2.conf", CTL SITE_A "NodeName=n1\nNodeName=DEFAULT DomainType=qemu\n", "def2.conf:4",
                "NodeName=DEFAULT must come before the NodeName lines");
        refused("def3.conf", CTL SITE_A "NodeName=DEFAULT WanAddr=192.0.2.1\n", "def3.conf:3",
                "WanAddr= is one node's address, not a default");
}

static void test_include_errors(void **state) {
        _cleanup_free_ char *l1 = put("loop1.conf", CTL "Include loop2.conf\n", 0644);
        free(put("loop2.conf", "# second\nInclude loop1.conf\n", 0644));
        _cleanup_free_ char *want = xasprintf("%s/loop2.conf:2: Include '%s/loop1.conf' loops back to '%s'",
                                              dir, dir, l1);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_conf_load(l1, &c, &err), -EINVAL);
        assert_string_equal(err, want);

        refused("self.conf", CTL "Include self.conf\n", "self.conf:2", "loops back to");
        refused("inc-missing.conf", CTL "Include nope.conf\n", "inc-missing.conf:2",
                "nope.conf': No such file or directory");
        refused("inc-dir.conf", CTL "Include sub\n", "inc-dir.conf:2", "Is a directory");
        /* a FIFO is refused at once: opening it must not wait for a writer */
        _cleanup_free_ char *fifo = xasprintf("%s/fifo.conf", dir);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        refused("inc-fifo.conf", CTL "Include fifo.conf\n", "inc-fifo.conf:2", "not a regular file");
        struct vc_conf *cf = NULL;
        _cleanup_free_ char *ferr = NULL;
        assert_int_equal(vc_conf_load(fifo, &cf, &ferr), -EINVAL);
        assert_non_null(strstr(ferr, "not a regular file"));
        unlink(fifo);
        /* a line of megabytes is refused before it is parsed */
        char *huge = xmalloc((2u << 20) + 2);
        memset(huge, 'x', 2u << 20);
        strcpy(huge + (2u << 20), "\n");
        _cleanup_free_ char *long_line = xasprintf(CTL "%s", huge);
        free(huge);
        refused("huge-line.conf", long_line, "huge-line.conf:2", "line longer than 1048576 bytes");
        refused("inc-args.conf", CTL "Include a b\n", "inc-args.conf:2",
                "Include takes exactly one file");

        /* Top file plus 8 nested includes is allowed; a 9th is not. */
        for (int i = 1; i <= 9; i++) {
                _cleanup_free_ char *name = xasprintf("deep%d.conf", i);
                _cleanup_free_ char *text = i < 9 ? xasprintf("Include deep%d.conf\n", i + 1)
                                                  : xstrdup("# bottom\n");
                free(put(name, text, 0644));
        }
        _cleanup_free_ char *ok = put("deep0.conf", CTL "Include deep2.conf\n", 0644);
        struct vc_conf *c2 = NULL;
        _cleanup_free_ char *err2 = NULL;
        assert_int_equal(vc_conf_load(ok, &c2, &err2), 0);
        vc_conf_unref(c2);
        refused("deep.conf", CTL "Include deep1.conf\n", "deep8.conf:1",
                "includes nested deeper than 8");
}

static void test_errors(void **state) {
        static const struct {
                const char *text, *where, *phrase;
        } cases[] = {
                /* lexical and line kinds */
                {CTL "SiteName=a SiteId=1 Vlans=100 Nodes=n1\n", "2",
                 "unknown key 'Vlans' in SiteName line (known: SiteName, SiteId, VlanIds, Nodes, "
                 "Gateway, L2Domain, Storage, L2Ext, CacheSize, CachePreload, CacheParent, CacheBypass)"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 StateDir=/x\n", "2",
                 "unknown key 'StateDir' in SiteName line"},
                {CTL "SwitchName=s Site=a Driver=none Nodes=n1\n", "2",
                 "unknown key 'Nodes' in SwitchName line (known: SwitchName, Site, Driver, NodePorts, "
                 "Uplinks, NodePortMode, SecretFile, Host, Port, Version, Timeout, Retries, Db, Bridge, "
                 "Program)"},
                {CTL "Limits MaxNodes=1 StateDir=/x\n", "2", "unknown key 'StateDir' in Limits line"},
                {CTL "SiteId=1\n", "2", "unknown key 'SiteId' in global line (known: ControllerAddr"},
                {CTL "bogus\n", "2", "'bogus' is not Key=Value"},
                {CTL "StateDir=/x junk\n", "2", "'junk' is not Key=Value"},
                {CTL "StateDir=\"/x\n", "2", "unterminated '\"'"},
                {CTL "StateDir=\n", "2", "StateDir: empty value"},
                {CTL "SiteName=a SiteId=1 siteid=2 VlanIds=100 Nodes=n1\n", "2",
                 "duplicate key SiteId on one line"},
                {CTL "StateDir=/x\nStateDir=/y\n", "3", "StateDir already set at "},
                {CTL "Limits MaxCpus=2\nLimits MaxCpus=3\n", "3", "MaxCpus already set at "},
                /* sites */
                {CTL "SiteName=a VlanIds=100 Nodes=n1\n", "2", "site 'a': missing SiteId"},
                {CTL "SiteName=a SiteId=1 Nodes=n1\n", "2", "site 'a': missing VlanIds"},
                {CTL "SiteName=a SiteId=1 VlanIds=100\n", "2", "site 'a': missing Nodes"},
                {CTL "SiteName=a/b SiteId=1 VlanIds=100 Nodes=n1\n", "2", "SiteName=a/b: only letters"},
                {CTL "SiteName=a SiteId=0 VlanIds=100 Nodes=n1\n", "2", "SiteId=0 outside 1..255"},
                {CTL "SiteName=a SiteId=256 VlanIds=100 Nodes=n1\n", "2", "SiteId=256 outside 1..255"},
                {CTL "SiteName=a SiteId=x VlanIds=100 Nodes=n1\n", "2", "SiteId=x: not a number"},
                {CTL SITE_A "SiteName=a SiteId=2 VlanIds=100 Nodes=m1\n", "3",
                 "duplicate site name 'a' (first at "},
                {CTL SITE_A "SiteName=b SiteId=1 VlanIds=100 Nodes=m1\n", "3",
                 "SiteId 1 already used by site 'a' ("},
                {CTL "SiteName=a SiteId=1 VlanIds=100-50 Nodes=n1\n", "2",
                 "VlanIds=100-50: range start 100 is above its end 50"},
                {CTL "SiteName=a SiteId=1 VlanIds=100,4095 Nodes=n1\n", "2",
                 "VlanIds=100,4095: VLAN id 4095 outside 1..4094"},
                {CTL "SiteName=a SiteId=1 VlanIds=0-10 Nodes=n1\n", "2", "VLAN id 0 outside 1..4094"},
                {CTL "SiteName=a SiteId=1 VlanIds=1-x Nodes=n1\n", "2", "'x' is not a number"},
                {CTL "SiteName=a SiteId=1 VlanIds=1,,2 Nodes=n1\n", "2", "VlanIds=1,,2: empty element"},
                {CTL "SiteName=a SiteId=1 VlanIds=100-199,150-160 Nodes=n1\n", "2",
                 "VlanIds: 150-160 overlaps 100-199 in site 'a'"},
                {CTL "SiteName=a SiteId=1 VlanIds=100-199,120-130,150-160 Nodes=n1\n", "2",
                 "VlanIds: 120-130 overlaps 100-199 in site 'a'"},
                {CTL "SiteName=a SiteId=1 VlanIds=5,5 Nodes=n1\n", "2", "VlanIds: 5 overlaps 5"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=a[1-\n", "2",
                 "Nodes=a[1-: hostlist 'a[1-': unclosed '['"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n[1-2] Gateway=n3\n", "2",
                 "Gateway=n3 is not one of the nodes of site 'a'"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1,n1\n", "2",
                 "node 'n1' appears twice in site 'a'"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n[1-5]\n#\n"
                     "SiteName=b SiteId=2 VlanIds=100 Nodes=n[3-4]\n",
                 "4", "node 'n3' is in site 'a' (" /* file:2 */},
                /* switches */
                {CTL SITE_A "SwitchName=sw1 Driver=none\n", "3", "switch 'sw1': missing Site"},
                {CTL SITE_A "SwitchName=sw1 Site=a\n", "3", "switch 'sw1': missing Driver"},
                {CTL SITE_A "SwitchName=sw1 Site=zz Driver=none\n", "3",
                 "switch 'sw1': unknown site 'zz'"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=cisco\n", "3",
                 "Driver=cisco: unknown driver (known: none, snmp, ovs, exec)"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none Host=x\n", "3",
                 "switch 'sw1': Host= is not a key of driver none (its keys: none)"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=ovs Db=unix:/x Bridge=b Host=x\n", "3",
                 "switch 'sw1': Host= is not a key of driver ovs (its keys: Db, Bridge, Timeout)"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=snmp SecretFile=/s\n", "3",
                 "switch 'sw1': driver snmp needs Host="},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=snmp Host=h\n", "3",
                 "switch 'sw1': driver snmp needs SecretFile= (its credentials)"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=snmp Host=h SecretFile=/s Version=1\n", "3",
                 "Version=1: must be 2c or 3"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=snmp Host=h SecretFile=/s Port=0\n", "3",
                 "Port=0 outside 1..65535"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=snmp Host=h SecretFile=/s Retries=11\n", "3",
                 "Retries=11 outside 0..10"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=snmp Host=h SecretFile=/s NodePorts=n[1-2]:ge-0/0/[1-2]\n", "3",
                 "NodePorts port=ge-0/0/1: not a number"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=snmp Host=h SecretFile=/s Uplinks=4097\n", "3",
                 "Uplinks port=4097 outside 1..4096"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=ovs Db=/x Bridge=b\n", "3",
                 "Db=/x: must be unix:/PATH or tcp:HOST:PORT"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=ovs Db=unix:/x\n", "3",
                 "switch 'sw1': driver ovs needs Bridge="},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=exec Program=sw.sh\n", "3",
                 "Program=sw.sh: not an absolute path"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=exec Program=/s Timeout=0\n", "3",
                 "Timeout=0 outside 1s.."},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none NodePortMode=hybrid\n", "3",
                 "NodePortMode=hybrid: must be trunk or access"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none NodePorts=n1\n", "3",
                 "NodePorts=n1: not HOSTLIST:PORTS (e.g. n[1-4]:[1-4])"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none NodePorts=n[1-2]:[1-3]\n", "3",
                 "NodePorts=n[1-2]:[1-3]: 2 node(s) but 3 port(s)"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none NodePorts=n[1-2]:[1-2] Uplinks=2\n", "3",
                 "switch 'sw1': port '2' is used twice (NodePorts/Uplinks)"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none NodePorts=n[1-2],n1:[1-3]\n", "3",
                 "switch 'sw1': node 'n1' is cabled twice"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none NodePorts=m1:1\n", "3",
                 "switch 'sw1': NodePorts node 'm1' is not a node of site 'a'"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none NodePorts=n1:1\n"
                            "SwitchName=sw2 Site=a Driver=none NodePorts=n1:1\n", "4",
                 "node 'n1' is on switch 'sw1' ("},
                {CTL "ImageName=x\n", "2", "image 'x': needs Kernel= (direct boot), Disk= (a disk image) or both"},
                {CTL "NodeName=n1\n", "2", "NodeName: node 'n1' is in no site"},
                {CTL SITE_A "NodeName=n1 HostNet=bridge\n", "3", "HostNet=bridge needs Trunk="},
                {CTL SITE_A "NodeName=n1 HostNet=tap\n", "3", "HostNet=tap: not a host network (ovs or bridge)"},
                {CTL SITE_A "NodeName=n1 Trunk=eth1\n", "3", "Trunk= only goes with HostNet=bridge"},
                {CTL SITE_A "NodeName=n1 HostNet=bridge Trunk=eth1 OvsBridge=br0\n", "3", "OvsBridge= only goes with HostNet=ovs"},
                {CTL SITE_A "NodeName=n1 OvsBridge=a-very-long-bridge-name\n", "3", "OvsBridge=a-very-long-bridge-name: an interface name has at most 15"},
                {CTL SITE_A "NodeName=n1 OvsDb=/run/db.sock\n", "3", "OvsDb=/run/db.sock: not an OVSDB remote"},
                {CTL SITE_A "NodeName=n1 Libvirt=qemu\n", "3", "Libvirt=qemu: not a libvirt URI"},
                {CTL SITE_A "NodeName=n1 DomainType=xen\n", "3", "DomainType=xen: not a domain type"},
                {CTL SITE_A "NodeName=n1 BootTimeout=0\n", "3", "BootTimeout"},
                {CTL SITE_A "NodeName=n1 Color=red\n", "3", "unknown key 'Color'"},
                {CTL SITE_A "NodeName=n[1-2]\nNodeName=n2\n", "4", "node 'n2' is already configured by the NodeName line at "},
                {CTL "ImageName=x Disk=/d Cmdline=y\n", "2", "image 'x': Cmdline= only goes with Kernel="},
                {CTL "ImageName=x Disk=/d Context=nocloud\n", "2", "image 'x': Context=nocloud: must be cloud-init or cmdline"},
                {CTL "ImageName=x Disk=/d Context=cmdline\n", "2", "image 'x': Context=cmdline needs Kernel="},
                {CTL "ImageName=x Kernel=/k\nImageName=x Kernel=/k\n", "3", "duplicate image name 'x' (first at "},
                {CTL "ImageName=../x Kernel=/k\n", "2", "ImageName=../x: must start with a letter or digit"},
                {CTL SITE_A "SwitchName=sw1 Site=a Driver=none\nSwitchName=sw1 Site=a Driver=none\n",
                 "4", "duplicate switch name 'sw1'"},
                /* globals */
                {"StateDir=/x\n", NULL, "missing ControllerAddr"},
                {"ControllerAddr=ctl\n", "1", "ControllerAddr=ctl is not HOST:PORT"},
                {"ControllerAddr=:80\n", "1", "is not HOST:PORT"},
                {"ControllerAddr=ctl:0\n", "1", "port '0' is not a number in 1..65535"},
                {"ControllerAddr=ctl:65536\n", "1", "port '65536' is not a number in 1..65535"},
                {"ControllerAddr=ctl:http\n", "1", "port 'http'"},
                {"ControllerAddr=::1:80\n", "1", "write IPv6 as [ADDR]:PORT"},
                {"ControllerAddr=[]:80\n", "1", "write IPv6 as [ADDR]:PORT"},
                {CTL "SiteName=.. SiteId=1 VlanIds=1 Nodes=n1\n", "2", "SiteName=..: must start with a letter or digit"},
                {"ControllerAddr=[:80\n", "1", "write IPv6 as [ADDR]:PORT"},
                {CTL "ControllerAddr=other:1\n", "2", "ControllerAddr already set at "},
                {CTL "StateDir=relative\n", "2", "StateDir=relative: not an absolute path"},
                {CTL "MungeSocket=sock\n", "2", "MungeSocket=sock: not an absolute path"},
                {CTL "LeaseGrace=5x\n", "2", "LeaseGrace=5x: not a duration"},
                {CTL "LeaseGrace=-1\n", "2", "LeaseGrace=-1: not a duration"},
                {CTL "ReapInterval=0\n", "2", "ReapInterval=0 outside 1s.."},
                {CTL "ReapInterval=99999999999d\n", "2", "ReapInterval=99999999999d"},
                {CTL "LeaseGrace=99999999999999999999999\n", "2", "LeaseGrace=99999999999999999999999 outside 0s.."},
                {CTL "VniRange=0-5\n", "2", "VniRange=0-5: VNI 0 outside 1..16777215"},
                {CTL "VniRange=5-16777216\n", "2", "VNI 16777216 outside 1..16777215"},
                {CTL "VniRange=9-5\n", "2", "VniRange=9-5: range start 9 is above its end 5"},
                {CTL "VniRange=abc\n", "2", "VniRange=abc: 'abc' is not a number"},
                /* limits */
                {CTL "Limits MaxNodes=abc\n", "2", "MaxNodes=abc: not a number"},
                {CTL "Limits MaxVmsPerNode=0\n", "2", "MaxVmsPerNode=0 outside 1..4294967295"},
                {CTL "Limits MaxCpus=4294967296\n", "2", "MaxCpus=4294967296 outside"},
                {CTL "Limits MaxMem=4Q\n", "2", "MaxMem=4Q: not a size"},
                {CTL "Limits MaxDisk=0\n", "2", "MaxDisk=0: must be above 0"},
                {CTL "Limits MaxDisk=99999999999T\n", "2", "MaxDisk=99999999999T: too large"},
                {CTL "Limits MaxVolumes=0\n", "2", "MaxVolumes=0 outside 1.."},
                /* storage */
#define ST "StorageName=st Host=s1 Backend=file Directory=/v Export=tgt Portal=10.0.0.9:3260"
                {CTL "SiteName=a SiteId=1 VlanIds=1 Nodes=n1 Storage=nope\n", "2",
                 "site 'a': Storage=nope names no StorageName line"},
                {CTL ST "\nSiteName=a SiteId=1 VlanIds=1 Nodes=n1 Storage=st\nSiteName=b SiteId=2 VlanIds=1 "
                        "Nodes=n2 Storage=st\n",
                 "4", "site 'b': Storage=st is already the storage of site 'a'"},
                {CTL ST "\n" ST "\n", "3", "duplicate storage name 'st' (first at "},
                {CTL "StorageName=st Host=s1 Backend=file Directory=/v Portal=h:1\n", "2", "storage 'st': missing Export"},
                {CTL "StorageName=st Host=s1 Backend=zfs Export=tgt Portal=h:1\n", "2",
                 "Backend=zfs: not a volume backend (lvm or file)"},
                {CTL "StorageName=st Host=s1 Backend=lvm Export=tgt Portal=h:1\n", "2",
                 "storage 'st': Backend=lvm needs VolumeGroup="},
                {CTL "StorageName=st Host=s1 Backend=file Export=tgt Portal=h:1\n", "2",
                 "storage 'st': Backend=file needs Directory="},
                {CTL "StorageName=st Host=s1 Backend=file Directory=/v ThinPool=p Export=tgt Portal=h:1\n", "2",
                 "storage 'st': ThinPool= only goes with Backend=lvm"},
                {CTL "StorageName=st Host=s1 Backend=lvm VolumeGroup=vg Directory=/v Export=tgt Portal=h:1\n", "2",
                 "storage 'st': Directory= only goes with Backend=file"},
                {CTL "StorageName=st Host=s1 Backend=file Directory=v Export=tgt Portal=h:1\n", "2",
                 "Directory=v: must be an absolute path on the storage host"},
                {CTL "StorageName=st Host=s1 Backend=file Directory=/v Export=lio Portal=h:1\n", "2",
                 "Export=lio: not an export backend (tgt)"},
                {CTL "StorageName=st Host=s1 Backend=file Directory=/v Export=tgt Portal=h\n", "2",
                 "Portal=h: not ADDR:PORT"},
                {CTL "StorageName=st Host=s1 Backend=file Directory=/v Export=tgt Portal=h:99999\n", "2",
                 "Portal=h:99999: '99999' is not a port (1..65535)"},
                {CTL ST " AgentPort=x\n", "2", "AgentPort=x: 'x' is not a port"},
                {CTL ST " TgtControl=70000\n", "2", "TgtControl=70000 outside 0..65535"},
                {CTL ST " IqnBase=iqn.2026-11.Org.X\n", "2", "IqnBase=iqn.2026-11.Org.X: not an iSCSI qualified name"},
                {CTL SITE_A "NodeName=n1 IscsiAttach=fc\n", "3", "IscsiAttach=fc: not an attach mode"},
                /* multi-site: tunnels and caches */
                {CTL SITE_A "NodeName=n1 WanAddr=192.0.2.300\n", "3", "WanAddr=192.0.2.300: not an IPv4 address"},
                {CTL SITE_A "NodeName=n1 WanNetns=a/b\n", "3", "WanNetns=a/b"},
                {CTL SITE_A "NodeName=n1 HostNet=bridge Trunk=eth0 OvsNetns=sw\n", "3",
                 "OvsNetns= only goes with HostNet=ovs"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 L2Ext=gre\n", "2", "L2Ext=gre: not a tunnel kind"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CacheSize=1M\n", "2", "CacheSize=1M: outside 16M"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CachePreload=urls\n", "2",
                 "CachePreload=urls: not an absolute path"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CacheParent=cache\n", "2",
                 "CacheParent=cache is not HOST:PORT"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CacheBypass=(x\n", "2",
                 "CacheBypass=(x: not a regular expression"},
                {CTL "VxlanPort=0\n", "2", "VxlanPort=0"},
                {CTL "CacheUser=a/b\n", "2", "CacheUser=a/b"},
                {CTL "DebugLevel=loud\n", "2", "DebugLevel=loud: not a level (error, warning, notice, info, debug)"},
                {CTL "SyslogFacility=kern\n", "2", "SyslogFacility=kern: not a facility (daemon, user, local0..local7)"},
                {CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CacheBypass=-i\n", "2",
                 "CacheBypass=-i: printable ASCII without blanks"},
#undef ST
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *name = xasprintf("e%zu.conf", i);
                _cleanup_free_ char *where = cases[i].where
                                                     ? xasprintf("%s:%s", name, cases[i].where)
                                                     : xstrdup(name);
                refused(name, cases[i].text, where, cases[i].phrase);
        }
}

/* Issue 15 item 6: "V" and 24 '+' cost glibc's regcomp 12.5 GB and 74 s,
 * in every program that loads the file (sbatch's SPANK plugin too). Loading
 * it must refuse it at once: the child gets 10 s of CPU (SIGXCPU after), a
 * thousand times what the check takes, a seventh of what regcomp took. */
static void test_costly_regex_refused_cheaply(void **state) {
        char re[64] = "V";
        memset(re + 1, '+', 24);
        _cleanup_free_ char *text = xasprintf(CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CacheBypass=%s\n", re);
        _cleanup_free_ char *path = put("costly.conf", text, 0644);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit cpu = {10, 10};
                setrlimit(RLIMIT_CPU, &cpu);
                struct vc_conf *c = NULL;
                char *err = NULL;
                int r = vc_conf_load(path, &c, &err);
                _exit(r == -EINVAL && err && strstr(err, "more than 2000 copies") ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status))
                print_error("loading the conf was killed by signal %d (SIGXCPU is %d)\n", WTERMSIG(status), SIGXCPU);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        /* in the parent too, for the message */
        refused("costly2.conf", text, "costly2.conf:2", "CacheBypass=V+");
        refused("nested.conf", CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CacheBypass=((a{10}){10}){30}\n",
                "nested.conf:2", "more than 2000 copies");
        refused("backref.conf", CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n1 CacheBypass=(a*)*\\1\n",
                "backref.conf:2", "back-reference");
}

static void test_error_in_include_names_that_file(void **state) {
        free(put("sub/bad.conf", "# one\n# two\nSiteName=a SiteId=1 VlanIds=100-50 Nodes=n1\n",
                 0644));
        refused("inc-bad.conf", CTL "Include sub/bad.conf\n", "sub/bad.conf:3",
                "VlanIds=100-50: range start 100 is above its end 50");
}

static void test_node_clash_names_both_places(void **state) {
        _cleanup_free_ char *path =
                put("clash.conf",
                    CTL "SiteName=a SiteId=1 VlanIds=100 Nodes=n[1-5]\n"
                        "SiteName=b SiteId=2 VlanIds=100 Nodes=n3\n",
                    0644);
        _cleanup_free_ char *want = xasprintf("%s:3: node 'n3' is in site 'a' (%s:2) and site 'b'",
                                              path, path);
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_conf_load(path, &c, &err), -EINVAL);
        assert_string_equal(err, want);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shipped_example),
                cmocka_unit_test(test_shipped_example_has_every_key),
                cmocka_unit_test(test_unknown_ids_load_where_unused),
                cmocka_unit_test(test_sizes_bare_mib),
                cmocka_unit_test(test_continuation),
                cmocka_unit_test(test_logging_keys),
                cmocka_unit_test(test_nodename_default),
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_path),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_include_errors),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_error_in_include_names_that_file),
                cmocka_unit_test(test_costly_regex_refused_cheaply),
                cmocka_unit_test(test_node_clash_names_both_places),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
