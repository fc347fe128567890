/* tests for the cloud-init pieces: the job's SSH keys (lib/sshkey.c: the
 * same on every node, OpenSSH reads them back, nothing secret in the public
 * half), the seed's texts (node/cloudinit.c: what each file says; user text
 * quoted by jansson; the user's part after ours), user-data= checks
 * (lib/userdata.c), the steps guest.seed and user.keys (node/seed.c: files,
 * modes, owners, undo), and the seed disk in the domain XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "cloudinit.h"
#include "domxml.h"
#include "node.h"
#include "run.h"
#include "seed.h"
#include "sshkey.h"
#include "userdata.h"
#include "userkeys.h"
#include "util.h"

static const char SEED[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#define HAS(x, s) assert_non_null(strstr((x), (s)))
#define HASNT(x, s) assert_null(strstr((x), (s)))

/* ssh_keygen_y: what `ssh-keygen -y` says the private key's public half is. */
static char *ssh_keygen_y(const char *priv) {
        char path[] = "/tmp/vc-test-key.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, priv, strlen(priv)), 0);
        close(fd);
        const char *argv[] = {"ssh-keygen", "-y", "-f", path, NULL};
        struct vc_run_result res = {0};
        assert_int_equal(vc_run(argv, NULL, 10000, &res), 0);
        unlink(path);
        assert_int_equal(res.status, 0);
        char *out = xstrdup(res.out);
        vc_run_result_free(&res);
        out[strcspn(out, "\n")] = 0;
        return out;
}

static void test_keys_derived_and_readable(void **state) {
        struct vc_sshkey a, b, h;
        assert_int_equal(vc_sshkey_derive(SEED, "user", "vcluster-job-7", &a), 0);
        assert_int_equal(vc_sshkey_derive(SEED, "user", "vcluster-job-7", &b), 0);
        assert_int_equal(vc_sshkey_derive(SEED, "host web-1-1", "web-1-1", &h), 0);
        /* every node derives the same pair; another label another key */
        assert_string_equal(a.pub, b.pub);
        assert_string_equal(a.priv, b.priv);
        assert_string_not_equal(strchr(a.pub, ' '), strchr(h.pub, ' '));
        assert_int_equal(strncmp(a.pub, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37), 0);
        HAS(a.pub, " vcluster-job-7");
        HAS(a.priv, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        HASNT(a.pub, "PRIVATE");
        /* OpenSSH reads the private half and finds our public half in it */
        _cleanup_free_ char *y = ssh_keygen_y(a.priv);
        assert_string_equal(y, a.pub);
        vc_sshkey_clear(&a);
        vc_sshkey_clear(&b);
        vc_sshkey_clear(&h);
        assert_null(a.priv);
        /* a seed that is not 64 hex digits derives nothing */
        assert_int_equal(vc_sshkey_derive("abc", "user", "x", &a), -EINVAL);
        assert_int_equal(vc_sshkey_derive(NULL, "user", "x", &a), -EINVAL);
        char bad[sizeof(SEED)];
        memcpy(bad, SEED, sizeof(SEED));
        bad[5] = 'G';
        assert_int_equal(vc_sshkey_derive(bad, "user", "x", &a), -EINVAL);
}

static void test_base64(void **state) {
        _cleanup_free_ char *e = vc_base64("ab\0c", 4);
        assert_string_equal(e, "YWIAYw==");
        char *d = NULL;
        size_t n = 0;
        assert_int_equal(vc_base64_decode(e, &d, &n), 0);
        assert_int_equal(n, 4);
        assert_memory_equal(d, "ab\0c", 4);
        free(d);
        assert_int_equal(vc_base64_decode("YWI", &d, &n), -EINVAL);
        assert_int_equal(vc_base64_decode("", &d, &n), 0);
        assert_int_equal(n, 0);
        free(d);
}

static void test_user_data_check(void **state) {
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_user_data_check("#cloud-config\nruncmd: []\n", 25, &err), 0);
        assert_int_equal(vc_user_data_check("#!/bin/sh\ntrue\n", 15, &err), 0);
        assert_int_equal(vc_user_data_check("hello: 1\n", 9, &err), -EINVAL);
        HAS(err, "neither cloud-config");
        free(TAKE_PTR(err));
        assert_int_equal(vc_user_data_check("#!x\0y", 5, &err), -EINVAL);
        HAS(err, "NUL");
        free(TAKE_PTR(err));
        size_t big = VC_USER_DATA_MAX + 1;
        _cleanup_free_ char *t = xmalloc(big);
        memset(t, 'x', big);
        memcpy(t, "#!", 2);
        assert_int_equal(vc_user_data_check(t, big, &err), -EFBIG);
        HAS(err, "64 KiB");
        free(TAKE_PTR(err));
        assert_int_equal(vc_user_data_check(t, big - 1, &err), 0);
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(vc_user_data_read("/nonexistent/ud", &text, &len, &err), -ENOENT);
        HAS(err, "user-data=/nonexistent/ud: cannot read it: No such file or directory");
        free(TAKE_PTR(err));
        assert_int_equal(vc_user_data_read("/dev/null", &text, &len, &err), -EINVAL);
        HAS(err, "not a regular file");
}

static void test_mtu(void **state) {
        assert_int_equal(vc_ci_mtu("vxlan"), 1450);
        assert_int_equal(vc_ci_mtu("openvpn"), 1500 - VC_OPENVPN_OVERHEAD);
        assert_int_equal(vc_ci_mtu("none"), 0);
        assert_int_equal(vc_ci_mtu(NULL), 0);
}

static const struct vc_ci_guest G = {.name = "web-1-1", .instance = "vcluster-42-0-web-1-1",
                                     .mac = "02:01:00:2a:00:01", .ip = "10.0.0.1", .prefix = 24};

static void test_meta_and_network(void **state) {
        _cleanup_free_ char *m = vc_ci_meta_data(&G);
        _cleanup_(json_decrefp) json_t *mj = json_loads(m, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(mj, "instance-id")), "vcluster-42-0-web-1-1");
        assert_string_equal(json_string_value(json_object_get(mj, "local-hostname")), "web-1-1");

        _cleanup_free_ char *n = vc_ci_network_config(&G);
        _cleanup_(json_decrefp) json_t *nj = json_loads(n, 0, NULL);
        assert_int_equal(json_integer_value(json_object_get(nj, "version")), 2);
        json_t *c = json_object_get(json_object_get(nj, "ethernets"), "cluster0");
        assert_string_equal(json_string_value(json_object_get(json_object_get(c, "match"), "macaddress")),
                            "02:01:00:2a:00:01");
        assert_string_equal(json_string_value(json_array_get(json_object_get(c, "addresses"), 0)), "10.0.0.1/24");
        /* no route of any kind, no MTU unless stitched, no public NIC unless asked */
        assert_null(json_object_get(c, "routes"));
        assert_null(json_object_get(c, "gateway4"));
        assert_null(json_object_get(c, "mtu"));
        assert_int_equal(json_object_size(json_object_get(nj, "ethernets")), 1);

        struct vc_ci_guest g2 = G;
        g2.mtu = 1450;
        g2.public_mac = "06:01:00:2a:00:01";
        _cleanup_free_ char *n2 = vc_ci_network_config(&g2);
        _cleanup_(json_decrefp) json_t *nj2 = json_loads(n2, 0, NULL);
        json_t *eth = json_object_get(nj2, "ethernets");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(eth, "cluster0"), "mtu")), 1450);
        json_t *p = json_object_get(eth, "public0");
        assert_true(json_is_true(json_object_get(p, "dhcp4")));
        assert_true(json_is_true(json_object_get(p, "optional")));
        assert_string_equal(json_string_value(json_object_get(json_object_get(p, "match"), "macaddress")),
                            "06:01:00:2a:00:01");
}

/* part: the body of the MIME part whose filename is name, base64-decoded when it says so (malloc'd). */
static char *part(const char *ud, const char *name) {
        _cleanup_free_ char *key = xasprintf("filename=\"%s\"\n\n", name);
        const char *at = strstr(ud, key);
        if (!at)
                return NULL;
        at += strlen(key);
        const char *end = strstr(at, "--==vcluster-seed==");
        assert_non_null(end);
        _cleanup_free_ char *body = strndup(at, (size_t)(end - at));
        const char *head = at - strlen(key);
        while (head > ud && strncmp(head, "--==vcluster-seed==\n", 20))
                head--;
        const char *b64 = strstr(head, "Content-Transfer-Encoding: base64");
        if (!b64 || b64 >= at)
                return TAKE_PTR(body);
        /* the base64 lines joined */
        char *flat = xmalloc(strlen(body) + 1), *o = flat;
        for (const char *s = body; *s; s++)
                if (*s != '\n')
                        *o++ = *s;
        *o = 0;
        char *out = NULL;
        size_t n = 0;
        assert_int_equal(vc_base64_decode(flat, &out, &n), 0);
        free(flat);
        return out;
}

static json_t *hosts(void) {
        return json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "web-1-1", "ip", "10.0.0.1", "name", "web-1-2", "ip",
                         "10.0.0.2");
}

static void test_user_data(void **state) {
        _cleanup_(json_decrefp) json_t *keys = json_pack("[s]", "ssh-ed25519 AAAAown \"quoted\" \\ comment");
        _cleanup_(json_decrefp) json_t *h = hosts();
        struct vc_ci_user u = {.name = "alice", .group = "hpc", .uid = 1234, .gid = 567, .sudo = true, .keys = keys,
                               .pub = "ssh-ed25519 AAAAjob vcluster-job-42", .priv = "PRIV\nATE\n",
                               .known_hosts = "web-1-1,10.0.0.1 ssh-ed25519 AAAAh1\n"};
        struct vc_ci_part mine = {"#cloud-config\nruncmd: [[touch, /x]]\n", 36};
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *ud = vc_ci_user_data(&G, &u, h, "ssh-ed25519 AAAAhost web-1-1", "HOSTPRIV", &mine, &err);
        assert_non_null(ud);
        /* the parts, in order: ours, the user's, the up script last */
        const char *a = strstr(ud, "filename=\"vcluster.cfg\""), *b = strstr(ud, "filename=\"user-data\""),
                   *c = strstr(ud, "filename=\"zz-vcluster-up\"");
        assert_true(a && b && c && a < b && b < c);
        HAS(ud, "Merge-Type: list(append)+dict(recurse_array)+str()");
        _cleanup_free_ char *cc = part(ud, "vcluster.cfg");
        assert_int_equal(strncmp(cc, "#cloud-config\n", 14), 0);
        json_error_t je;
        _cleanup_(json_decrefp) json_t *j = json_loads(cc + 14, 0, &je);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "hostname")), "web-1-1");
        assert_true(json_is_false(json_object_get(j, "manage_etc_hosts")));
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "ssh_keys"), "ed25519_private")),
                            "HOSTPRIV");
        json_t *user = json_array_get(json_object_get(j, "users"), 0);
        assert_string_equal(json_string_value(json_object_get(user, "name")), "alice");
        assert_string_equal(json_string_value(json_object_get(user, "uid")), "1234");
        assert_string_equal(json_string_value(json_object_get(user, "primary_group")), "hpc");
        assert_string_equal(json_string_value(json_object_get(user, "sudo")), "ALL=(ALL) NOPASSWD:ALL");
        json_t *ak = json_object_get(user, "ssh_authorized_keys");
        assert_string_equal(json_string_value(json_array_get(ak, 0)), "ssh-ed25519 AAAAown \"quoted\" \\ comment");
        assert_string_equal(json_string_value(json_array_get(ak, 1)), "ssh-ed25519 AAAAjob vcluster-job-42");
        /* the group with the host's gid, before users-groups */
        json_t *boot = json_array_get(json_object_get(j, "bootcmd"), 0);
        assert_string_equal(json_string_value(json_array_get(boot, 5)), "567");
        assert_string_equal(json_string_value(json_array_get(boot, 6)), "hpc");
        /* /etc/hosts and the user's ~/.ssh */
        json_t *files = json_object_get(j, "write_files");
        assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "path")), "/etc/hosts");
        HAS(json_string_value(json_object_get(json_array_get(files, 0), "content")), "10.0.0.2\tweb-1-2\n");
        json_t *id = json_array_get(files, 1);
        assert_string_equal(json_string_value(json_object_get(id, "path")), "/home/alice/.ssh/id_ed25519");
        assert_string_equal(json_string_value(json_object_get(id, "content")), "PRIV\nATE\n");
        assert_string_equal(json_string_value(json_object_get(id, "permissions")), "0600");
        assert_string_equal(json_string_value(json_object_get(id, "owner")), "alice:hpc");
        assert_true(json_is_true(json_object_get(id, "defer")));
        /* the user's part as given; the up script names the guest */
        _cleanup_free_ char *theirs = part(ud, "user-data");
        assert_string_equal(theirs, mine.text);
        _cleanup_free_ char *up = part(ud, "zz-vcluster-up");
        HAS(up, "ssh-keyscan");
        HAS(up, "printf 'up %s\\n' 'web-1-1' >/dev/virtio-ports/org.vcluster.agent");
        /* no secret in clear text outside the base64 part, and no text the user gave */
        HASNT(ud, "PRIV\nATE");
        HASNT(ud, "runcmd");

        /* sudo=no; a script as the user's part; no part at all */
        u.sudo = false;
        struct vc_ci_part script = {"#!/bin/sh\necho hi\n", 18};
        _cleanup_free_ char *ud2 = vc_ci_user_data(&G, &u, h, "k", "p", &script, &err);
        _cleanup_free_ char *cc2 = part(ud2, "vcluster.cfg");
        HASNT(cc2, "NOPASSWD");
        HAS(ud2, "Content-Type: text/x-shellscript; charset=\"utf-8\"");
        _cleanup_free_ char *ud3 = vc_ci_user_data(&G, &u, h, "k", "p", NULL, &err);
        HASNT(ud3, "filename=\"user-data\"");
}

static void test_user_data_root_and_bad_names(void **state) {
        _cleanup_(json_decrefp) json_t *keys = json_array();
        _cleanup_(json_decrefp) json_t *h = hosts();
        struct vc_ci_user u = {.name = "root", .group = "root", .uid = 0, .gid = 0, .sudo = true, .keys = keys,
                               .pub = "ssh-ed25519 AAAAjob j", .priv = "P", .known_hosts = ""};
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *ud = vc_ci_user_data(&G, &u, h, "k", "p", NULL, &err);
        _cleanup_free_ char *cc = part(ud, "vcluster.cfg");
        /* root exists in every image: no user to make, its keys as files */
        HAS(cc, "\"users\": []");
        HAS(cc, "\"disable_root\": false");
        HAS(cc, "/root/.ssh/authorized_keys");
        HASNT(cc, "groupadd");
        u = (struct vc_ci_user){.name = "Bad Name", .group = "g", .uid = 5, .keys = keys, .pub = "x", .priv = "y"};
        assert_null(vc_ci_user_data(&G, &u, h, "k", "p", NULL, &err));
        HAS(err, "not a name a guest can take");
        free(TAKE_PTR(err));
        u.name = "ok";
        u.group = "../etc";
        assert_null(vc_ci_user_data(&G, &u, h, "k", "p", NULL, &err));
}

/* every guest in /etc/vcluster/hostfile; MPI on the cluster's subnet; no
 * share unless asked */
static void test_hostfile_and_mpi(void **state) {
        _cleanup_(json_decrefp) json_t *keys = json_array();
        _cleanup_(json_decrefp) json_t *h = hosts();
        struct vc_ci_user u = {.name = "alice", .group = "hpc", .uid = 1234, .gid = 567, .keys = keys,
                               .pub = "ssh-ed25519 AAAAjob j", .priv = "P", .known_hosts = ""};
        struct vc_ci_guest g = G;
        g.slots = 2;
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *ud = vc_ci_user_data(&g, &u, h, "k", "p", NULL, &err);
        assert_non_null(ud);
        _cleanup_free_ char *cc = part(ud, "vcluster.cfg");
        _cleanup_(json_decrefp) json_t *j = json_loads(cc + 14, 0, NULL);
        json_t *files = json_object_get(j, "write_files"), *f;
        size_t i;
        const char *hostfile = NULL, *mca = NULL;
        json_array_foreach(files, i, f) {
                const char *path = json_string_value(json_object_get(f, "path"));
                if (streq(path, "/etc/vcluster/hostfile"))
                        hostfile = json_string_value(json_object_get(f, "content"));
                if (streq(path, "/etc/openmpi/openmpi-mca-params.conf"))
                        mca = json_string_value(json_object_get(f, "content"));
        }
        assert_non_null(hostfile);
        assert_string_equal(hostfile, "web-1-1 slots=2\nweb-1-2 slots=2\n");
        assert_non_null(mca);
        HAS(mca, "btl_tcp_if_include = 10.0.0.0/24\n");
        HAS(mca, "oob_tcp_if_include = 10.0.0.0/24\n");
        HAS(mca, "pml = ob1\n");
        /* only the groupadd at boot, no mount */
        assert_int_equal(json_array_size(json_object_get(j, "bootcmd")), 1);
        _cleanup_free_ char *up = part(ud, "zz-vcluster-up");
        HASNT(up, "mountpoint");
        _cleanup_free_ char *m = vc_ci_mca_params("192.168.7.130", 25);
        HAS(m, "btl_tcp_if_include = 192.168.7.128/25\n");
        assert_null(vc_ci_mca_params("x", 24));
}

/* the job's directory mounted at its own path before anything else, the
 * up line only once it is; a share over the home moves the home; paths
 * that would hide the guest's own system refused */
static void test_share(void **state) {
        _cleanup_(json_decrefp) json_t *keys = json_array();
        _cleanup_(json_decrefp) json_t *h = hosts();
        struct vc_ci_user u = {.name = "alice", .group = "hpc", .uid = 1234, .gid = 567, .keys = keys,
                               .pub = "ssh-ed25519 AAAAjob j", .priv = "P", .known_hosts = ""};
        struct vc_ci_guest g = G;
        g.share = "/scratch/alice/it's a job";
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *ud = vc_ci_user_data(&g, &u, h, "k", "p", NULL, &err);
        assert_non_null(ud);
        _cleanup_free_ char *cc = part(ud, "vcluster.cfg");
        _cleanup_(json_decrefp) json_t *j = json_loads(cc + 14, 0, NULL);
        json_t *boot = json_object_get(j, "bootcmd");
        assert_int_equal(json_array_size(boot), 4);
        json_t *mnt = json_array_get(boot, 3);
        assert_string_equal(json_string_value(json_array_get(mnt, 0)), "mount");
        assert_string_equal(json_string_value(json_array_get(mnt, 2)), "9p");
        assert_string_equal(json_string_value(json_array_get(mnt, 5)), "vcshare");
        assert_string_equal(json_string_value(json_array_get(mnt, 6)), "/scratch/alice/it's a job");
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "users"), 0),
                                                              "homedir")), "/home/alice");
        _cleanup_free_ char *up = part(ud, "zz-vcluster-up");
        HAS(up, "! mountpoint -q '/scratch/alice/it'\\''s a job'; }; do");
        HAS(up, "mountpoint -q '/scratch/alice/it'\\''s a job' || {");

        /* the share is the home: the guest's home is elsewhere */
        g.share = "/home/alice";
        _cleanup_free_ char *ud2 = vc_ci_user_data(&g, &u, h, "k", "p", NULL, &err);
        _cleanup_free_ char *cc2 = part(ud2, "vcluster.cfg");
        HAS(cc2, "\"homedir\": \"/var/lib/vcluster/home/alice\"");
        HAS(cc2, "/var/lib/vcluster/home/alice/.ssh/id_ed25519");
        HASNT(cc2, "\"/home/alice/.ssh");

        const char *bad[] = {"/", "/home", "/tmp", "/etc", "/usr/local/x", "/var/lib/cloud/x", "relative",
                             "/a/../b", "/a/"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                g.share = bad[i];
                assert_null(vc_ci_user_data(&g, &u, h, "k", "p", NULL, &err));
                HAS(err, "cannot be shared with the guests");
                HAS(err, "share=no");
                free(TAKE_PTR(err));
        }
        u.uid = 0;
        u.name = u.group = "root";
        g.share = "/root";
        assert_null(vc_ci_user_data(&g, &u, h, "k", "p", NULL, &err));
        HAS(err, "root's home");
        free(TAKE_PTR(err));
        g.share = "/root/job";
        _cleanup_free_ char *ud3 = vc_ci_user_data(&g, &u, h, "k", "p", NULL, &err);
        assert_non_null(ud3);
}

static void test_known_hosts(void **state) {
        _cleanup_(json_decrefp) json_t *h = hosts();
        _cleanup_free_ char *kh = vc_seed_known_hosts(SEED, h);
        assert_non_null(kh);
        struct vc_sshkey k;
        assert_int_equal(vc_sshkey_derive(SEED, "host web-1-2", "web-1-2", &k), 0);
        *strrchr(k.pub, ' ') = 0;
        _cleanup_free_ char *line = xasprintf("web-1-2,10.0.0.2 %s\n", k.pub);
        HAS(kh, line);
        HAS(kh, "web-1-1,10.0.0.1 ssh-ed25519 ");
        vc_sshkey_clear(&k);
        assert_null(vc_seed_known_hosts("nothex", h));
}

static void test_seed_step(void **state) {
        char dir[] = "/tmp/vc-test-seed.XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *path = vc_guest_seed_path(dir, "web-1-1");
        json_t *args = json_pack("{s:s, s:i, s:{s:s, s:s, s:s, s:s, s:i, s:i}, s:{s:s, s:s, s:i, s:i, s:b, s:[]},"
                                 " s:o, s:s, s:b}",
                                 "path", path, "job", 42, "guest", "name", "web-1-1", "instance", "i-1", "mac",
                                 "02:01:00:2a:00:01", "ip", "10.0.0.1", "prefix", 24, "mtu", 0, "user", "name",
                                 "alice", "group", "hpc", "uid", 1234, "gid", 567, "sudo", 1, "keys", "hosts",
                                 hosts(), "known_hosts", "", "user_part", 0);
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        _cleanup_free_ char *err = NULL;
        /* without the seed in the ctx: refused, nothing made */
        assert_int_equal(vc_guest_seed_do(&ctx, args, &err), -EINVAL);
        HAS(err, "SSH seed is not in the node's context");
        free(TAKE_PTR(err));
        struct stat st;
        assert_int_equal(stat(path, &st), -1);
        ctx.ssh_seed = xstrdup(SEED);
        int r = vc_guest_seed_do(&ctx, args, &err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        _cleanup_free_ char *scratch = xasprintf("%s.d", path);
        assert_int_equal(stat(scratch, &st), -1); /* the clear-text files are gone */
        /* an ISO labelled cidata holding the three files */
        const char *argv[] = {"blkid", "-o", "value", "-s", "LABEL", path, NULL};
        struct vc_run_result res = {0};
        if (vc_run(argv, NULL, 10000, &res) == 0 && res.status == 0)
                assert_string_equal(res.out, "cidata\n");
        vc_run_result_free(&res);
        /* user_part asked for but not in the ctx: refused */
        json_object_set_new(args, "user_part", json_true());
        assert_int_equal(vc_guest_seed_do(&ctx, args, &err), -EINVAL);
        HAS(err, "user-data is not in the node's context");
        free(TAKE_PTR(err));
        assert_int_equal(vc_guest_seed_undo(&ctx, args, &err), 0);
        assert_int_equal(stat(path, &st), -1);
        assert_int_equal(vc_guest_seed_undo(&ctx, args, &err), 0); /* idempotent */
        vc_node_ctx_done(&ctx);
        json_decref(args);
        assert_int_equal(rmdir(dir), 0);
}

static void test_user_keys_step(void **state) {
        if (geteuid() != 0)
                skip();
        char base[] = "/tmp/vc-test-keys.XXXXXX";
        assert_non_null(mkdtemp(base));
        _cleanup_free_ char *dir = vc_user_keys_dir(base, "n1", 42);
        json_t *args = json_pack("{s:s, s:i, s:i, s:i, s:s}", "dir", dir, "job", 42, "uid", 65534, "gid", 65534,
                                 "known_hosts", "web-1-1,10.0.0.1 ssh-ed25519 AAAA\n");
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        ctx.ssh_seed = xstrdup(SEED);
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_user_keys_do(&ctx, args, &err), 0);
        struct stat st;
        assert_int_equal(lstat(dir, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        assert_int_equal(st.st_uid, 65534);
        _cleanup_free_ char *id = xasprintf("%s/id_ed25519", dir), *parent = xasprintf("%s/keys", base);
        assert_int_equal(lstat(id, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(st.st_uid, 65534);
        assert_int_equal(lstat(parent, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0711);
        assert_int_equal(st.st_uid, 0);
        /* another job on the node: the parents exist already (as when two slurmd of one host race) */
        _cleanup_free_ char *dir2 = vc_user_keys_dir(base, "n1", 43);
        json_t *args2 = json_pack("{s:s, s:i, s:i, s:i, s:s}", "dir", dir2, "job", 43, "uid", 65534, "gid", 65534,
                                  "known_hosts", "");
        assert_int_equal(vc_user_keys_do(&ctx, args2, &err), 0);
        assert_int_equal(vc_user_keys_undo(&ctx, args2, &err), 0);
        json_decref(args2);
        /* the pair is the job's: the same as derived anywhere else */
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(read_file(id, &text, &len, 4096), 0);
        struct vc_sshkey k;
        assert_int_equal(vc_sshkey_derive(SEED, "user", "vcluster-job-42", &k), 0);
        assert_string_equal(text, k.priv);
        vc_sshkey_clear(&k);
        free(text);
        /* the user put things in it, a link among them: undo removes it all, following nothing */
        _cleanup_free_ char *sub = xasprintf("%s/sub", dir), *lnk = xasprintf("%s/sub/link", dir);
        assert_int_equal(mkdir(sub, 0700), 0);
        assert_int_equal(symlink(base, lnk), 0);
        assert_int_equal(vc_user_keys_undo(&ctx, args, &err), 0);
        assert_int_equal(lstat(dir, &st), -1);
        assert_int_equal(lstat(parent, &st), 0); /* the link's target is untouched */
        assert_int_equal(vc_user_keys_undo(&ctx, args, &err), 0);
        vc_node_ctx_done(&ctx);
        json_decref(args);
        _cleanup_free_ char *nodedir = xasprintf("%s/keys/n1", base);
        assert_int_equal(rmdir(nodedir), 0);
        assert_int_equal(rmdir(parent), 0);
        assert_int_equal(rmdir(base), 0);
}

/* write_text: path holds text, mode, owner uid/gid. */
static void write_text(const char *path, const char *text, mode_t mode, uid_t uid) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, text, strlen(text)), 0);
        assert_int_equal(fchown(fd, uid, uid), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void test_user_pubkeys(void **state) {
        if (geteuid() != 0)
                skip();
        _cleanup_free_ char *err = NULL;
        json_t *keys = NULL;
        /* no home, no ~/.ssh: no keys, no error */
        assert_int_equal(vc_user_pubkeys(65534, 65534, "/nonexistent", &keys, &err), 0);
        assert_int_equal(json_array_size(keys), 0);
        json_decref(keys);
        char home[] = "/tmp/vc-test-home.XXXXXX";
        assert_non_null(mkdtemp(home));
        assert_int_equal(chown(home, 65534, 65534), 0);
        _cleanup_free_ char *ssh = xasprintf("%s/.ssh", home), *ak = xasprintf("%s/authorized_keys", ssh),
                            *idp = xasprintf("%s/id_ed25519.pub", ssh), *other = xasprintf("%s/id_rsa.pub", ssh),
                            *secret = xasprintf("%s/root-only", home), *notpub = xasprintf("%s/id_ed25519", ssh);
        assert_int_equal(mkdir(ssh, 0700), 0);
        assert_int_equal(chown(ssh, 65534, 65534), 0);
        write_text(ak, "# comment\nssh-ed25519 AAAAone a@b\ncommand=\"x\" ssh-rsa AAAAopt\nssh-rsa AAAAtwo\r\n", 0600,
                   65534);
        write_text(idp, "ssh-ed25519 AAAAone a@b\n", 0644, 65534); /* a duplicate */
        write_text(notpub, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 0600, 65534);
        /* a key file the user may not read, and one that is a link to root's file: the user's rights decide */
        write_text(secret, "ssh-ed25519 AAAAroot\n", 0600, 0);
        assert_int_equal(symlink(secret, other), 0);
        assert_int_equal(vc_user_pubkeys(65534, 65534, home, &keys, &err), 0);
        assert_int_equal(json_array_size(keys), 2);
        assert_string_equal(json_string_value(json_array_get(keys, 0)), "ssh-ed25519 AAAAone a@b");
        assert_string_equal(json_string_value(json_array_get(keys, 1)), "ssh-rsa AAAAtwo");
        json_decref(keys);
        unlink(other);
        unlink(secret);
        unlink(notpub);
        unlink(idp);
        unlink(ak);
        rmdir(ssh);
        assert_int_equal(rmdir(home), 0);
}

static void test_domxml_seed(void **state) {
        struct vc_image im = {.name = "deb", .kernel = "/img/vmlinuz", .initrd = "/img/initrd", .disk = "/img/d.qcow2",
                              .context = VC_CTX_CLOUD_INIT};
        struct vc_nodecfg nc = {.host_net = VC_HOSTNET_OVS, .ovs_bridge = "br-vc", .public_bridge = "br-pub"};
        struct vc_nodeplan_guest g = {.name = "web-1-1", .domain = "vcluster-42-web-1-1", .mac = "02:01:00:2a:00:01",
                                      .ip = "10.0.0.1", .prefix = 24, .tap = "vc2a.1", .frontend = true};
        struct vc_domain_desc d = {.guest = &g, .image = &im, .node = &nc, .cpus = 1, .mem = 1ULL << 30, .vlan = 101,
                                   .job = 42, .console = "/s/c", .agent = "/s/a", .overlay = "/s/o.qcow2",
                                   .seed = "/s/web-1-1.seed"};
        _cleanup_free_ char *err = NULL;
        _cleanup_free_ char *x = vc_domain_xml(&d, &err);
        assert_non_null(x);
        HAS(x, "<source file='/s/web-1-1.seed'/>\n      <target dev='vdz' bus='virtio'/>\n      <readonly/>");
        HAS(x, "<mac address='06:01:00:2a:00:01'/>\n      <source bridge='br-pub'/>");
        d.seed = NULL;
        _cleanup_free_ char *y = vc_domain_xml(&d, &err);
        HASNT(y, "vdz");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_keys_derived_and_readable), cmocka_unit_test(test_base64),
                cmocka_unit_test(test_user_data_check),           cmocka_unit_test(test_mtu),
                cmocka_unit_test(test_meta_and_network),          cmocka_unit_test(test_user_data),
                cmocka_unit_test(test_user_data_root_and_bad_names), cmocka_unit_test(test_known_hosts),
                cmocka_unit_test(test_hostfile_and_mpi),
                cmocka_unit_test(test_share),
                cmocka_unit_test(test_seed_step),                 cmocka_unit_test(test_user_keys_step),
                cmocka_unit_test(test_domxml_seed),               cmocka_unit_test(test_user_pubkeys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
