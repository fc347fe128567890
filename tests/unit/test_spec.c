/* test_spec — the --vcluster grammar: defaults, every key, every error,
 * canonical round trip, site limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "conf.h"
#include "spec.h"
#include "util.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define TIB (1ULL << 40)

static void test_defaults(void **state) {
        struct vc_spec s;
        vc_spec_default(&s);
        assert_string_equal(s.image, "");
        assert_int_equal(s.vms, 1);
        assert_int_equal(s.cpus, 1);
        assert_int_equal(s.mem, 512 * MIB);
        assert_int_equal(s.disk, 0);
        assert_string_equal(s.name, "vc");
        assert_int_equal(s.subnet, 0x0a000000);
        assert_int_equal(s.prefix, 24);
        assert_false(s.frontend);
        assert_int_equal(s.l2, VC_L2_AUTO);
        assert_true(s.cache);

        _cleanup_free_ char *f = vc_spec_format(&s);
        assert_string_equal(f, "vms=1,cpus=1,mem=512M,disk=0,name=vc,subnet=10.0.0.0/24,"
                               "frontend=no,l2=auto,cache=on");

        /* NULL and "" both mean defaults. */
        struct vc_spec p;
        char *err = NULL;
        assert_int_equal(vc_spec_parse(NULL, &p, &err), 0);
        assert_null(err);
        assert_memory_equal(&p, &s, sizeof(s));
        assert_int_equal(vc_spec_parse("", &p, &err), 0);
        assert_memory_equal(&p, &s, sizeof(s));
}

static void test_every_key(void **state) {
        struct vc_spec s;
        char *err = NULL;
        assert_int_equal(vc_spec_parse("image=centos-7.9_x86,vms=4,cpus=8,mem=4G,disk=20G,"
                                       "name=my-cluster1,subnet=192.168.0.0/16,frontend=yes,"
                                       "l2=stitched,cache=off",
                                       &s, &err),
                         0);
        assert_null(err);
        assert_string_equal(s.image, "centos-7.9_x86");
        assert_int_equal(s.vms, 4);
        assert_int_equal(s.cpus, 8);
        assert_int_equal(s.mem, 4 * GIB);
        assert_int_equal(s.disk, 20 * GIB);
        assert_string_equal(s.name, "my-cluster1");
        assert_int_equal(s.subnet, 0xc0a80000);
        assert_int_equal(s.prefix, 16);
        assert_true(s.frontend);
        assert_int_equal(s.l2, VC_L2_STITCHED);
        assert_false(s.cache);

        /* Keys in any order; unnamed keys keep their defaults. */
        assert_int_equal(vc_spec_parse("l2=shared,vms=2", &s, &err), 0);
        assert_int_equal(s.l2, VC_L2_SHARED);
        assert_int_equal(s.vms, 2);
        assert_int_equal(s.cpus, 1);
        assert_int_equal(vc_spec_parse("frontend=no,cache=on,l2=auto", &s, &err), 0);
        assert_false(s.frontend);
        assert_true(s.cache);
        assert_int_equal(s.l2, VC_L2_AUTO);
}

static void test_sizes(void **state) {
        static const struct {
                const char *text;
                uint64_t mem;
        } cases[] = {
                {"mem=1024", 1024 * MIB}, /* bare number = MiB, like --mem */
                {"mem=1", MIB},
                {"mem=2048K", 2 * MIB},
                {"mem=1536M", 1536 * MIB},
                {"mem=2G", 2 * GIB},
                {"mem=1T", TIB},
                {"mem=4g", 4 * GIB},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct vc_spec s;
                char *err = NULL;
                assert_int_equal(vc_spec_parse(cases[i].text, &s, &err), 0);
                assert_int_equal(s.mem, cases[i].mem);
        }
        struct vc_spec s;
        char *err = NULL;
        assert_int_equal(vc_spec_parse("disk=0", &s, &err), 0);
        assert_int_equal(s.disk, 0);
        assert_int_equal(vc_spec_parse("disk=100", &s, &err), 0);
        assert_int_equal(s.disk, 100 * MIB);
        assert_int_equal(vc_spec_parse("disk=1536K", &s, &err), 0);
        assert_int_equal(s.disk, 1536 * 1024);
}

static void test_limits_of_values(void **state) {
        struct vc_spec s;
        char *err = NULL;
        assert_int_equal(vc_spec_parse("vms=64", &s, &err), 0);
        assert_int_equal(s.vms, 64);
        assert_int_equal(vc_spec_parse("name=a", &s, &err), 0);
        assert_string_equal(s.name, "a");
        /* 32 characters: the longest name allowed. */
        assert_int_equal(vc_spec_parse("name=abcdefghijklmnopqrstuvwxyz-123456", &s, &err),
                         -EINVAL);
        free(err);
        assert_int_equal(vc_spec_parse("name=abcdefghijklmnopqrstuvwxyz-12345", &s, &err), 0);
        assert_int_equal(strlen(s.name), 32);
        char img[80];
        memset(img, 'i', 64);
        img[64] = 0;
        _cleanup_free_ char *t = xasprintf("image=%s", img);
        assert_int_equal(vc_spec_parse(t, &s, &err), 0);
        assert_string_equal(s.image, img);
        assert_int_equal(vc_spec_parse("subnet=10.0.0.0/8", &s, &err), 0);
        assert_int_equal(s.prefix, 8);
        assert_int_equal(vc_spec_parse("subnet=172.16.4.0/30", &s, &err), 0);
        assert_int_equal(s.subnet, 0xac100400);
        assert_int_equal(s.prefix, 30);
}

/* expect_error: parse must fail with -EINVAL, leave out untouched, and the
 * message must contain want. */
static void expect_error(const char *text, const char *want) {
        struct vc_spec s, before;
        memset(&s, 0x5a, sizeof(s));
        memcpy(&before, &s, sizeof(s));
        char *err = NULL;
        int r = vc_spec_parse(text, &s, &err);
        if (r != -EINVAL || !err || !strstr(err, want))
                print_error("spec '%s': r=%d err='%s', wanted '%s'\n", text, r,
                            err ? err : "(null)", want);
        assert_int_equal(r, -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, want));
        assert_memory_equal(&s, &before, sizeof(s));
        free(err);
}

static void test_errors(void **state) {
        expect_error("mem=3X", "mem=3X: not a size (examples: 512M, 4G)");
        expect_error("mem=", "mem=: not a size (examples: 512M, 4G)");
        expect_error("mem=4GB", "mem=4GB: not a size");
        expect_error("mem=-1", "mem=-1: not a size");
        expect_error("mem=0", "mem=0: must be at least 1M");
        expect_error("mem=99999999999999T", "mem=99999999999999T: too large");
        expect_error("disk=99999999999999", "disk=99999999999999: too large");
        expect_error("disk=1.5G", "disk=1.5G: not a size (examples: 512M, 4G)");
        expect_error("vms=0", "vms=0: must be a whole number from 1 to 64");
        expect_error("vms=65", "vms=65: must be a whole number from 1 to 64");
        expect_error("vms=two", "vms=two: must be a whole number from 1 to 64");
        expect_error("vms=", "vms=: must be a whole number from 1 to 64");
        expect_error("vms=+3", "vms=+3: must be a whole number from 1 to 64");
        expect_error("cpus=0", "cpus=0: must be a whole number from 1 to");
        expect_error("l2=mesh", "l2=mesh: must be auto, shared or stitched");
        expect_error("l2=AUTO", "l2=AUTO: must be auto, shared or stitched");
        expect_error("frontend=maybe", "frontend=maybe: must be yes or no");
        expect_error("frontend=", "frontend=: must be yes or no");
        expect_error("cache=x", "cache=x: must be on or off");
        expect_error("subnet=10.0.0.1/24", "subnet=10.0.0.1/24: host bits set "
                                           "(did you mean 10.0.0.0/24?)");
        expect_error("subnet=192.168.1.77/16", "(did you mean 192.168.0.0/16?)");
        expect_error("subnet=10.0.0.0/31", "subnet=10.0.0.0/31: prefix must be 8..30");
        expect_error("subnet=10.0.0.0/7", "subnet=10.0.0.0/7: prefix must be 8..30");
        expect_error("subnet=10.0.0.0/33", "subnet=10.0.0.0/33: not a subnet");
        expect_error("subnet=10.0.0.0", "subnet=10.0.0.0: not a subnet (example: 10.0.0.0/24)");
        expect_error("subnet=10.0.0/24", "not a subnet");
        expect_error("subnet=10.0.0.256/24", "not a subnet");
        expect_error("subnet=010.0.0.0/24", "not a subnet");
        expect_error("subnet=10.0.0.0.0/24", "not a subnet");
        expect_error("subnet=10.0.0.0/", "not a subnet");
        expect_error("subnet=/24", "not a subnet");
        expect_error("color=red", "color=red: unknown key (known: image, vms, cpus, mem, disk, "
                                  "name, subnet, frontend, l2, cache, sudo, share, user-data)");
        expect_error("sudo=maybe", "sudo=maybe: must be yes or no");
        expect_error("share=off", "share=off: must be yes or no");
        expect_error("share=yes,share=no", "share given twice");
        expect_error("user-data=", "user-data=: must be a path of 1 to 255 characters");
        expect_error("user-data=a\tb", "user-data=: the path holds a control character");
        expect_error("VMS=2", "VMS=2: unknown key");
        expect_error("vms", "vms: expected vms=VALUE");
        expect_error("vms=2,vms=2", "vms given twice");
        expect_error("cpus=2,mem=1G,cpus=4", "cpus given twice");
        expect_error("vms=2,,cpus=2", "empty element");
        expect_error("vms=2,", "empty element");
        expect_error(",vms=2", "empty element");
        expect_error(",", "empty element");
        expect_error("name=Vc", "name=Vc: must start with a-z");
        expect_error("name=1vc", "name=1vc: must start with a-z");
        expect_error("name=", "name=: must start with a-z");
        expect_error("name=vc_1", "name=vc_1: must start with a-z and continue with up to 31");
        expect_error("image=", "image=: must be 1 to 64 characters");
        expect_error("image=a/b", "image=a/b: must be 1 to 64 characters");
        char img[80];
        memset(img, 'i', 65);
        img[65] = 0;
        _cleanup_free_ char *t = xasprintf("image=%s", img);
        expect_error(t, "must be 1 to 64 characters");
        /* The first bad element is the one reported. */
        expect_error("vms=2,mem=3X,l2=mesh", "mem=3X: not a size");
}

static void roundtrip(const char *text, const char *canonical) {
        struct vc_spec a, b;
        char *err = NULL;
        int r = vc_spec_parse(text, &a, &err);
        if (r < 0)
                print_error("spec '%s': %s\n", text, err);
        assert_int_equal(r, 0);
        _cleanup_free_ char *f = vc_spec_format(&a);
        if (canonical)
                assert_string_equal(f, canonical);
        assert_int_equal(vc_spec_parse(f, &b, &err), 0);
        assert_memory_equal(&a, &b, sizeof(a));
        _cleanup_free_ char *g = vc_spec_format(&b);
        assert_string_equal(f, g);
}

/* sudo= and user-data= appear in the canonical text only when not the
 * default, so every older spec keeps its canonical form. */
static void test_sudo_user_data(void **state) {
        struct vc_spec s;
        char *err = NULL;
        assert_int_equal(vc_spec_parse("image=x", &s, &err), 0);
        assert_true(s.sudo);
        assert_string_equal(s.user_data, "");
        char *t = vc_spec_format(&s);
        assert_null(strstr(t, "sudo"));
        assert_null(strstr(t, "user-data"));
        free(t);
        assert_int_equal(vc_spec_parse("image=x,sudo=no,user-data=/home/u/my cfg=1.yaml", &s, &err), 0);
        assert_false(s.sudo);
        assert_string_equal(s.user_data, "/home/u/my cfg=1.yaml");
        t = vc_spec_format(&s);
        struct vc_spec back;
        assert_int_equal(vc_spec_parse(t, &back, &err), 0);
        assert_memory_equal(&s, &back, sizeof(s));
        assert_non_null(strstr(t, ",sudo=no,user-data=/home/u/my cfg=1.yaml"));
        free(t);
}

/* share= (default yes) appears in the canonical text only as share=no. */
static void test_share(void **state) {
        struct vc_spec s;
        char *err = NULL;
        assert_int_equal(vc_spec_parse("image=x,share=yes", &s, &err), 0);
        assert_true(s.share);
        char *t = vc_spec_format(&s);
        assert_null(strstr(t, "share"));
        free(t);
        assert_int_equal(vc_spec_parse("image=x,sudo=no,share=no", &s, &err), 0);
        assert_false(s.share);
        t = vc_spec_format(&s);
        assert_non_null(strstr(t, ",sudo=no,share=no"));
        struct vc_spec back;
        assert_int_equal(vc_spec_parse(t, &back, &err), 0);
        assert_memory_equal(&s, &back, sizeof(s));
        free(t);
}

static void test_roundtrip(void **state) {
        roundtrip("", "vms=1,cpus=1,mem=512M,disk=0,name=vc,subnet=10.0.0.0/24,frontend=no,"
                      "l2=auto,cache=on");
        roundtrip("cache=off,image=rocky9,vms=3", "image=rocky9,vms=3,cpus=1,mem=512M,disk=0,"
                                                  "name=vc,subnet=10.0.0.0/24,frontend=no,"
                                                  "l2=auto,cache=off");
        roundtrip("mem=1024", "vms=1,cpus=1,mem=1G,disk=0,name=vc,subnet=10.0.0.0/24,"
                              "frontend=no,l2=auto,cache=on");
        roundtrip("mem=1536M,disk=1048576", "vms=1,cpus=1,mem=1536M,disk=1T,name=vc,"
                                            "subnet=10.0.0.0/24,frontend=no,l2=auto,cache=on");
        roundtrip("disk=1025K", NULL);
        roundtrip("disk=2048K,mem=4096K", "vms=1,cpus=1,mem=4M,disk=2M,name=vc,"
                                          "subnet=10.0.0.0/24,frontend=no,l2=auto,cache=on");
        roundtrip("mem=3T", NULL);
        roundtrip("subnet=172.16.0.0/12,l2=shared", NULL);
        roundtrip("subnet=192.168.200.252/30,frontend=yes", NULL);
        roundtrip("image=a.b_c-D,vms=64,cpus=1024,mem=1M,disk=1K,name=z,subnet=10.0.0.0/8,"
                  "frontend=yes,l2=stitched,cache=off",
                  "image=a.b_c-D,vms=64,cpus=1024,mem=1M,disk=1K,name=z,subnet=10.0.0.0/8,"
                  "frontend=yes,l2=stitched,cache=off");

        /* Sweep sizes and names to cover the unit choice broadly. */
        static const char *const sizes[] = {"1", "7", "1023", "1024", "1025", "2049K", "1024K",
                                            "5G", "1023G", "1024G", "1025G", "17T", "4096K"};
        static const char *const disks[] = {"0", "3K", "2047K", "1", "1048577", "9T"};
        static const char *const l2s[] = {"auto", "shared", "stitched"};
        for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
                for (size_t j = 0; j < ARRAY_SIZE(l2s); j++) {
                        _cleanup_free_ char *t = xasprintf(
                                "mem=%s,disk=%s,l2=%s,vms=%zu,cpus=%zu,name=n%zu-%zu", sizes[i],
                                sizes[ARRAY_SIZE(sizes) - 1 - i], l2s[j], i + 1, j + 1, i, j);
                        roundtrip(t, NULL);
                }
        for (size_t i = 0; i < ARRAY_SIZE(disks); i++) {
                _cleanup_free_ char *t = xasprintf("disk=%s,frontend=yes", disks[i]);
                roundtrip(t, NULL);
        }
}

static void test_format_hand_built(void **state) {
        /* A struct nobody parsed: sizes in odd bytes still format to
         * something that parses (rounded up to K). */
        struct vc_spec s;
        vc_spec_default(&s);
        s.disk = 1000;
        _cleanup_free_ char *f = vc_spec_format(&s);
        assert_non_null(strstr(f, "disk=1K,"));
        struct vc_spec b;
        char *err = NULL;
        assert_int_equal(vc_spec_parse(f, &b, &err), 0);
        assert_int_equal(b.disk, 1024);
}

static void test_l2_name(void **state) {
        assert_string_equal(vc_l2_name(VC_L2_AUTO), "auto");
        assert_string_equal(vc_l2_name(VC_L2_SHARED), "shared");
        assert_string_equal(vc_l2_name(VC_L2_STITCHED), "stitched");
}

static void test_check_limits(void **state) {
        struct vc_conf c;
        memset(&c, 0, sizeof(c));
        c.limits.max_vms_per_node = 16;
        c.limits.max_cpus = 64;
        c.limits.max_mem = 256 * GIB;
        c.limits.max_disk = 16 * TIB;
        struct vc_image im = {.name = "i", .kernel = "/k"};
        struct vc_storage st = {.name = "st"};
        c.images = &im;
        c.n_images = 1;
        c.storages = &st;
        c.n_storages = 1;

        struct vc_spec s;
        char *err = NULL;
        assert_int_equal(vc_spec_parse("image=i,vms=16,cpus=64,mem=256G,disk=16T", &s, &err), 0);
        assert_int_equal(vc_spec_check(&s, &c, &err), 0);
        assert_null(err);

        static const struct {
                const char *text, *want;
        } bad[] = {
                {"mem=512G", "mem=512G: above this site's limit MaxMem=256G"},
                {"mem=262145", "mem=262145M: above this site's limit MaxMem=256G"},
                {"vms=17", "vms=17: above this site's limit MaxVmsPerNode=16"},
                {"cpus=65", "cpus=65: above this site's limit MaxCpus=64"},
                {"disk=17T", "disk=17T: above this site's limit MaxDisk=16T"},
                {"disk=4G", "disk=4G: a volume is a guest's disk, so it needs image="},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                assert_int_equal(vc_spec_parse(bad[i].text, &s, &err), 0);
                assert_int_equal(vc_spec_check(&s, &c, &err), -EINVAL);
                assert_non_null(err);
                if (!strstr(err, bad[i].want))
                        print_error("got '%s', wanted '%s'\n", err, bad[i].want);
                assert_non_null(strstr(err, bad[i].want));
                free(err);
                err = NULL;
        }
        c.n_storages = 0;
        assert_int_equal(vc_spec_parse("image=i,disk=4G", &s, &err), 0);
        assert_int_equal(vc_spec_check(&s, &c, &err), -EINVAL);
        assert_string_equal(err, "disk=4G: this site's vcluster.conf declares no StorageName= to keep volumes");
        free(err);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_limits_of_values),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_sudo_user_data),
                cmocka_unit_test(test_share),
                cmocka_unit_test(test_format_hand_built),
                cmocka_unit_test(test_l2_name),
                cmocka_unit_test(test_check_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
