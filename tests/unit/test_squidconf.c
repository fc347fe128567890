/* tests for gateway/squidconf.c and the pure parts of gateway/cache.c: the
 * squid.conf of a cluster's cache, the nft ruleset that intercepts the local
 * guests' HTTP, the preload list (errors with FILE:LINE), the POSIX ACL
 * that lets squid's user reach its dir, and the step's argument checks
 * (which fail untouched, before anything is made). The step itself runs
 * against a real squid in tests/integration/test_cache.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>

#include "acl.h"
#include "cache.h"
#include "journal.h"
#include "squidconf.h"
#include "util.h"

static const char *const two_bypass[] = {"/config/", "\\.conf$", NULL};

static struct vc_squid_conf good_conf(void) {
        return (struct vc_squid_conf){.job = 42, .dir = "/var/lib/vcluster/nodes/n1/42/cache", .port = 3129,
                                      .proxy_port = 3130, .user = "proxy", .size_mb = 2048,
                                      .subnet = "10.0.0.0/24", .bypass = two_bypass, .parent = "10.1.2.3:3128"};
}

static void test_conf_full(void **state) {
        struct vc_squid_conf c = good_conf();
        char *text = NULL, *err = NULL;
        assert_int_equal(vc_squid_conf_render(&c, &text, &err), 0);
        assert_null(err);
        const char *want =
                "# squid.conf of the package cache of virtual cluster 42, written by\n"
                "# vcluster (cache.squid step): it is rewritten on every start, do not edit.\n"
                "visible_hostname vcluster-42-cache\n"
                "http_port 0.0.0.0:3129 intercept\n"
                "http_port 127.0.0.1:3130\n"
                "acl vc_clients src 10.0.0.0/24 127.0.0.1/32 ::1\n"
                "http_access allow vc_clients\n"
                "http_access deny all\n"
                "acl vc_bypass url_regex /config/ \\.conf$\n"
                "cache deny vc_bypass\n"
                "cache_peer 10.1.2.3 parent 3128 0 no-query default\n"
                "prefer_direct off\n"
                "client_dst_passthru off\n"
                "cache_mem 256 MB\n"
                "maximum_object_size_in_memory 64 MB\n"
                "read_ahead_gap 64 MB\n"
                "maximum_object_size 1024 MB\n"
                "cache_dir ufs /var/lib/vcluster/nodes/n1/42/cache/cache 2048 16 256\n"
                "pid_filename /var/lib/vcluster/nodes/n1/42/cache/squid.pid\n"
                "access_log stdio:/var/lib/vcluster/nodes/n1/42/cache/log/access.log\n"
                "cache_log /var/lib/vcluster/nodes/n1/42/cache/log/cache.log\n"
                "coredump_dir /var/lib/vcluster/nodes/n1/42/cache/log\n"
                "pinger_enable off\n"
                "netdb_filename none\n"
                "shutdown_lifetime 1 seconds\n"
                "collapsed_forwarding on\n"
                "refresh_pattern -i \\.u?deb$ 129600 100% 129600 override-lastmod\n"
                "refresh_pattern . 1440 100% 10080\n"
                "cache_effective_user proxy\n";
        assert_string_equal(text, want);
        free(text);
}

static void test_conf_minimal(void **state) {
        struct vc_squid_conf c = good_conf();
        c.bypass = NULL;
        c.parent = NULL;
        c.subnet = "fd00:42::/64";
        char *text = NULL, *err = NULL;
        assert_int_equal(vc_squid_conf_render(&c, &text, &err), 0);
        assert_null(strstr(text, "vc_bypass"));
        assert_null(strstr(text, "cache_peer"));
        assert_null(strstr(text, "prefer_direct"));
        assert_null(strstr(text, "client_dst_passthru"));
        assert_non_null(strstr(text, "acl vc_clients src fd00:42::/64 127.0.0.1/32 ::1\n"));
        /* an empty bypass list is no bypass */
        free(text);
        const char *const none[] = {NULL};
        c.bypass = none;
        c.parent = "[fd00::1]:8080";
        assert_int_equal(vc_squid_conf_render(&c, &text, &err), 0);
        assert_null(strstr(text, "vc_bypass"));
        assert_non_null(strstr(text, "cache_peer fd00::1 parent 8080 0 no-query default\n"));
        free(text);
}

/* expect_bad: rendering c fails with -EINVAL, nothing rendered, and *err holds needle. */
static void expect_bad(const struct vc_squid_conf *c, const char *needle) {
        char *text = NULL, *err = NULL;
        assert_int_equal(vc_squid_conf_render(c, &text, &err), -EINVAL);
        assert_null(text);
        assert_non_null(err);
        if (!strstr(err, needle))
                fail_msg("expected '%s' in '%s'", needle, err);
        free(err);
}

static void test_conf_errors(void **state) {
        struct vc_squid_conf c = good_conf();
        c.dir = "relative/cache";
        expect_bad(&c, "dir 'relative/cache': must be an absolute path");
        c.dir = "/";
        expect_bad(&c, "dir '/': must be an absolute path below /");
        c.dir = "/var/lib/my cache";
        expect_bad(&c, "dir '/var/lib/my cache': squid.conf cannot carry the character ' '");
        c.dir = "/var/${service_name}";
        expect_bad(&c, "cannot carry the character '$'");
        c.dir = "/var/x\ny";
        expect_bad(&c, "dir: squid.conf cannot carry the byte 0x0a");
        c = good_conf();
        c.port = 0;
        expect_bad(&c, "port 0: not a TCP port");
        c = good_conf();
        c.proxy_port = 65536;
        expect_bad(&c, "proxy_port 65536: not a TCP port");
        c = good_conf();
        c.proxy_port = c.port;
        expect_bad(&c, "port and proxy_port are both 3129");
        c = good_conf();
        c.user = "pro xy";
        expect_bad(&c, "user 'pro xy': not a user name");
        c.user = "";
        expect_bad(&c, "user '': not a user name");
        c = good_conf();
        c.size_mb = 0;
        expect_bad(&c, "size_mb 0: out of range");
        const char *bad_subnets[] = {"10.0.0.0", "10.0.0.0/33", "10.0.0/24", "x/24", "10.0.0.0/", "fd00::/129"};
        for (size_t i = 0; i < ARRAY_SIZE(bad_subnets); i++) {
                c = good_conf();
                c.subnet = bad_subnets[i];
                expect_bad(&c, "not ADDRESS/PREFIXLEN");
        }
        c = good_conf();
        const char *const spaced[] = {"/con fig/", NULL};
        c.bypass = spaced;
        expect_bad(&c, "bypass pattern '/con fig/': white space");
        const char *const file[] = {"\"/etc/passwd\"", NULL};
        c.bypass = file;
        expect_bad(&c, "reads a value starting with '\"' as a file name");
        const char *const flag[] = {"-i", NULL};
        c.bypass = flag;
        expect_bad(&c, "reads a value starting with '-' as a flag");
        const char *const broken[] = {"/ok/", "(unclosed", NULL};
        c.bypass = broken;
        expect_bad(&c, "bypass pattern '(unclosed': not a regular expression");
        const char *const empty[] = {"", NULL};
        c.bypass = empty;
        expect_bad(&c, "bypass: an empty pattern");
        const char *bad_parents[] = {"parent.example", "parent.example:0", "pa rent:3128", ":3128", "-x:3128",
                                     "fd00::1:3128"};
        for (size_t i = 0; i < ARRAY_SIZE(bad_parents); i++) {
                c = good_conf();
                c.parent = bad_parents[i];
                expect_bad(&c, "not HOST:PORT");
        }
}

static void test_nft(void **state) {
        char *text = NULL, *err = NULL;
        assert_int_equal(vc_squid_nft_render("lan0", "10.0.0.0/24", VC_SQUID_MARK, 3129, &text, &err), 0);
        const char *want = "table bridge vcache\n"
                           "delete table bridge vcache\n"
                           "table bridge vcache {\n"
                           "\tchain pre {\n"
                           "\t\ttype filter hook prerouting priority -200; policy accept;\n"
                           "\t\tiifname \"lan0\" ip daddr 10.0.0.0/24 meta l4proto tcp th dport 80 meta mark set 0x76630001\n"
                           "\t}\n"
                           "}\n"
                           "table ip vcache\n"
                           "delete table ip vcache\n"
                           "table ip vcache {\n"
                           "\tchain pre {\n"
                           "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
                           "\t\tmeta mark 0x76630001 meta l4proto tcp redirect to :3129\n"
                           "\t}\n"
                           "\tchain guard {\n"
                           "\t\ttype filter hook input priority filter; policy accept;\n"
                           "\t\ttcp dport 3129 ct status & dnat == 0 reject with tcp reset\n"
                           "\t}\n"
                           "}\n";
        assert_string_equal(text, want);
        free(text);
        /* the guard alone, loaded before squid starts */
        assert_int_equal(vc_squid_nft_guard(3129, &text, &err), 0);
        assert_string_equal(text, "table ip vcache\n"
                                  "delete table ip vcache\n"
                                  "table ip vcache {\n"
                                  "\tchain guard {\n"
                                  "\t\ttype filter hook input priority filter; policy accept;\n"
                                  "\t\ttcp dport 3129 ct status & dnat == 0 reject with tcp reset\n"
                                  "\t}\n"
                                  "}\n");
        free(text);
        assert_int_equal(vc_squid_nft_guard(65536, &text, &err), -EINVAL);
        assert_null(text);
        assert_non_null(strstr(err, "port 65536: not a TCP port"));
        free(err);
        err = NULL;
        assert_string_equal(vc_squid_nft_delete(), "table bridge vcache\ndelete table bridge vcache\n"
                                                   "table ip vcache\ndelete table ip vcache\n");
        struct {
                const char *lan;
                uint32_t mark;
                int port;
                const char *needle;
        } bad[] = {
                {"", VC_SQUID_MARK, 3129, "lan: empty interface name"},
                {"averyveryverylongname", VC_SQUID_MARK, 3129, "lan: interface name 'averyveryverylongname' is longer"},
                {"la\"n", VC_SQUID_MARK, 3129, "an nft ruleset cannot carry"},
                {"la n", VC_SQUID_MARK, 3129, "lan: interface name 'la n' contains"},
                {"lan0", VC_SQUID_MARK, 0, "port 0: not a TCP port"},
                {"lan0", 0, 3129, "mark 0"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                assert_int_not_equal(vc_squid_nft_render(bad[i].lan, "10.0.0.0/24", bad[i].mark, bad[i].port, &text, &err), 0);
                assert_null(text);
                if (!strstr(err, bad[i].needle))
                        fail_msg("expected '%s' in '%s'", bad[i].needle, err);
                free(err);
                err = NULL;
        }
}

static void test_preload_parse(void **state) {
        struct vc_preload pl;
        char *err = NULL;
        const char *text = "# packages of the demo image\n"
                           "\n"
                           "http://deb.example/pool/a.deb\n"
                           "   http://10.0.0.200:8080/b.deb   # with a comment\r\n"
                           "\t\n"
                           "apt http://10.0.0.250/repo tcpdump iperf3 @/etc/vcluster/image.packages # a flat repository\n"
                           "HTTP://Mirror.Example/c.deb?x=1\n"
                           "apt\thttp://10.0.0.250:8080/  libc6\n"
                           "http://10.0.0.200/last";
        assert_int_equal(vc_preload_parse("/etc/list.txt", text, &pl, &err), 0);
        assert_null(err);
        assert_int_equal(strv_len(pl.urls), 4);
        assert_string_equal(pl.urls[0], "http://deb.example/pool/a.deb");
        assert_string_equal(pl.urls[1], "http://10.0.0.200:8080/b.deb");
        assert_string_equal(pl.urls[2], "HTTP://Mirror.Example/c.deb?x=1");
        assert_string_equal(pl.urls[3], "http://10.0.0.200/last");
        assert_int_equal(pl.napt, 2);
        assert_string_equal(pl.apt[0].base, "http://10.0.0.250/repo/");
        assert_int_equal(strv_len(pl.apt[0].names), 3);
        assert_string_equal(pl.apt[0].names[0], "tcpdump");
        assert_string_equal(pl.apt[0].names[2], "@/etc/vcluster/image.packages");
        assert_string_equal(pl.apt[1].base, "http://10.0.0.250:8080/");
        assert_int_equal(strv_len(pl.apt[1].names), 1);
        vc_preload_clear(&pl);
        assert_int_equal(vc_preload_parse("/etc/empty.txt", "# nothing\n\n", &pl, &err), 0);
        assert_int_equal(strv_len(pl.urls), 0);
        assert_int_equal(pl.napt, 0);
        vc_preload_clear(&pl);

        struct {
                const char *text, *needle;
        } bad[] = {
                {"http://a/x\nhttps://b/y\n", "/l:2: 'https://b/y': https:// cannot be preloaded"},
                {"# c\n\nftp://b/y\n", "/l:3: 'ftp://b/y' is not an http:// URL"},
                {"http://a/x http://b/y\n", "/l:1: more than one word (one URL per line, or apt BASE NAME…)"},
                {"http:///path\n", "/l:1: URL 'http:///path' names no host"},
                {"http://a/\x01x\n", "/l:1: URL 'http://a/\x01x' contains a control character"},
                {"\n\n\n\nwww.example/x.deb\n", "/l:5: 'www.example/x.deb' is not an http:// URL"},
                {"apt http://a/\n", "/l:1: 'apt' needs a repository's URL and at least one package name or @FILE"},
                {"apt https://a/ x1\n", "/l:1: 'https://a/': https:// cannot be preloaded"},
                {"http://a/x\napt http://a/ Tcpdump\n",
                 "/l:2: 'Tcpdump' is neither a Debian package name nor @FILE (an absolute path)"},
                {"apt http://a/ tcpdump @rel/list\n", "/l:1: '@rel/list' is neither a Debian package name nor @FILE"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                assert_int_equal(vc_preload_parse("/l", bad[i].text, &pl, &err), -EINVAL);
                assert_null(pl.urls);
                assert_int_equal(pl.napt, 0);
                if (!strstr(err, bad[i].needle))
                        fail_msg("expected '%s' in '%s'", bad[i].needle, err);
                free(err);
                err = NULL;
        }
}

static void test_url_authority(void **state) {
        struct {
                const char *url, *want;
        } t[] = {
                {"http://a.example:8080/x", "a.example:8080"}, {"http://u:p@h/x", "h"}, {"http://h", "h"},
                {"http://h?q=1", "h"},                         {"HTTP://H#f", "H"},     {"http:///x", NULL},
                {"ftp://x/y", NULL},                           {"http://u@/x", NULL},
        };
        for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
                _cleanup_free_ char *a = vc_url_authority(t[i].url);
                if (t[i].want)
                        assert_string_equal(a, t[i].want);
                else
                        assert_null(a);
        }
}

static void test_acl(void **state) {
        const gid_t proxy_groups[] = {13};
        /* no ACL: the mode decides */
        assert_false(vc_acl_permits_search(NULL, 0, 0, 0, S_IFDIR | 0700, 13, proxy_groups, 1));
        assert_true(vc_acl_permits_search(NULL, 0, 0, 0, S_IFDIR | 0711, 13, proxy_groups, 1));
        assert_true(vc_acl_permits_search(NULL, 0, 0, 13, S_IFDIR | 0710, 13, proxy_groups, 1));
        assert_false(vc_acl_permits_search(NULL, 0, 0, 13, S_IFDIR | 0701, 13, proxy_groups, 1)); /* group wins */
        assert_true(vc_acl_permits_search(NULL, 0, 13, 0, S_IFDIR | 0100, 13, proxy_groups, 1));
        assert_true(vc_acl_permits_search(NULL, 0, 0, 0, S_IFDIR | 0700, 0, NULL, 0)); /* root */

        void *acl = NULL;
        size_t len = 0;
        assert_int_equal(vc_acl_add_search(NULL, 0, S_IFDIR | 0750, 13, &acl, &len), 0);
        /* user_obj rwx, user:13 --x, group_obj r-x, mask r-x, other --- */
        const unsigned char want[] = {2, 0, 0, 0, 0x01, 0, 7, 0, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 1, 0, 13, 0, 0, 0,
                                      0x04, 0, 5, 0, 0xff, 0xff, 0xff, 0xff, 0x10, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
                                      0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
        assert_int_equal(len, sizeof(want));
        assert_memory_equal(acl, want, sizeof(want));
        assert_true(vc_acl_permits_search(acl, len, 0, 0, S_IFDIR | 0750, 13, proxy_groups, 1));
        /* another user is no better off */
        const gid_t other_groups[] = {100};
        assert_false(vc_acl_permits_search(acl, len, 0, 0, S_IFDIR | 0750, 1000, other_groups, 1));
        /* granting again changes nothing; a second user adds an entry, sorted by id */
        void *again = NULL, *two = NULL;
        size_t alen, tlen;
        assert_int_equal(vc_acl_add_search(acl, len, S_IFDIR | 0750, 13, &again, &alen), 0);
        assert_int_equal(alen, len);
        assert_memory_equal(again, acl, len);
        assert_int_equal(vc_acl_add_search(acl, len, S_IFDIR | 0750, 7, &two, &tlen), 0);
        assert_int_equal(tlen, len + 8);
        const unsigned char *t = two;
        assert_int_equal(t[4 + 8 * 1], 0x02);
        assert_int_equal(t[4 + 8 * 1 + 4], 7);
        assert_int_equal(t[4 + 8 * 2], 0x02);
        assert_int_equal(t[4 + 8 * 2 + 4], 13);
        free(again);
        free(two);
        /* a mask without x stops a named user's x */
        unsigned char masked[sizeof(want)];
        memcpy(masked, want, sizeof(want));
        masked[4 + 8 * 3 + 2] = 4; /* mask r-- */
        assert_false(vc_acl_permits_search(masked, sizeof(masked), 0, 0, S_IFDIR | 0740, 13, proxy_groups, 1));
        void *fixed = NULL;
        size_t flen;
        assert_int_equal(vc_acl_add_search(masked, sizeof(masked), S_IFDIR | 0740, 13, &fixed, &flen), 0);
        assert_true(vc_acl_permits_search(fixed, flen, 0, 0, S_IFDIR | 0740, 13, proxy_groups, 1));
        free(fixed);
        free(acl);
        /* malformed values */
        const unsigned char v1[] = {1, 0, 0, 0};
        assert_int_equal(vc_acl_add_search(v1, sizeof(v1), 0700, 13, &acl, &len), -EINVAL);
        assert_int_equal(vc_acl_add_search(want, 7, 0700, 13, &acl, &len), -EINVAL);
        assert_null(acl);
}

/* do_fails: the step's do fails untouched with needle in its error. */
static void do_fails(json_t *args, const char *needle) {
        char *err = NULL;
        int r = vc_cache_squid_do(NULL, args, &err);
        assert_true(r < -VC_STEP_UNTOUCHED_BIAS);
        if (!err || !strstr(err, needle))
                fail_msg("expected '%s' in '%s'", needle, err ? err : "(no error)");
        free(err);
        json_decref(args);
}

static json_t *good_args(void) {
        return json_pack("{s:i, s:s, s:s, s:i, s:i, s:s, s:i, s:s, s:s, s:[s], s:n, s:n}", "job", 42, "netns",
                         "vcl-no-such-netns-42", "dir", "/tmp/vc-unit-no-such-dir/cache", "port", 3129, "proxy_port",
                         3130, "user", "proxy", "size_mb", 64, "subnet", "10.0.0.0/24", "lan", "lan0", "bypass",
                         "/config/", "parent", "preload");
}

static void test_step_args(void **state) {
        json_t *a = good_args();
        json_object_del(a, "netns");
        do_fails(a, "cache.squid: needs \"job\", \"netns\", \"dir\"");
        a = good_args();
        json_object_set_new(a, "dir", json_string("/tmp/../etc"));
        do_fails(a, "dir '/tmp/../etc': must be an absolute, plain path");
        a = good_args();
        json_object_set_new(a, "port", json_string("3129"));
        do_fails(a, "\"port\" must be an integer");
        a = good_args();
        json_object_set_new(a, "bypass", json_string("/config/"));
        do_fails(a, "\"bypass\" must be a list");
        a = good_args();
        json_object_set_new(a, "bypass", json_pack("[s]", "(x"));
        do_fails(a, "the cache of job 42 (netns vcl-no-such-netns-42): bypass pattern '(x': not a regular expression");
        a = good_args();
        json_object_set_new(a, "lan", json_string("lan0/x"));
        do_fails(a, "lan: interface name 'lan0/x'");
        a = good_args();
        json_object_set_new(a, "user", json_string("vc-no-such-user"));
        do_fails(a, "user 'vc-no-such-user' (squid's cache_effective_user) does not exist on this node");
        a = good_args();
        json_object_set_new(a, "user", json_string("root"));
        do_fails(a, "squid refuses to run as root");
        do_fails(good_args(), "network namespace vcl-no-such-netns-42 does not exist");
}

/* Undo of what is not there is done: no namespace, no squid, no dir. */
static void test_undo_gone(void **state) {
        _cleanup_(json_decrefp) json_t *a = good_args();
        char *err = NULL;
        assert_int_equal(vc_cache_squid_undo(NULL, a, &err), 0);
        assert_int_equal(vc_cache_squid_undo(NULL, a, &err), 0);
        assert_null(err);
        _cleanup_(json_decrefp) json_t *bad = json_pack("{s:s}", "netns", "vcl-1");
        assert_int_equal(vc_cache_squid_undo(NULL, bad, &err), -EINVAL);
        assert_non_null(strstr(err, "needs"));
        free(err);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_conf_full),      cmocka_unit_test(test_conf_minimal),
                cmocka_unit_test(test_conf_errors),    cmocka_unit_test(test_nft),
                cmocka_unit_test(test_preload_parse),  cmocka_unit_test(test_url_authority),
                cmocka_unit_test(test_acl),            cmocka_unit_test(test_step_args),
                cmocka_unit_test(test_undo_gone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
