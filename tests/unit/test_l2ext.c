/* tests for the pure part of gateway/l2ext.h's steps: the names of a job's namespace and
 * OVS-side veth end, the OpenVPN static-key file made from the job's hex
 * key, openvpn's argv, the VXLAN source filter's nft rules, and the args checks of l2.segment, l2.vxlan and
 * l2.openvpn, which refuse bad args before touching anything (so these
 * calls change nothing on the machine). The netlink, OVSDB and openvpn
 * parts are tested in tests/integration/test_l2ext.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>

#include "journal.h"
#include "l2ext.h"
#include "l2steps.h"
#include "netns.h"
#include "node.h"
#include "util.h"

/* A key: 256 bytes 00 01 … ff in hex. */
static char *test_key(void) {
        char *k = xmalloc(VC_L2_KEY_HEX_LEN + 1);
        for (int i = 0; i < 256; i++)
                snprintf(k + 2 * i, 3, "%02x", i);
        return k;
}

static void test_names(void **state) {
        char b[16];
        assert_string_equal(vc_l2_port_name(4242, 2, b), "vcg1092.2");
        /* a Slurm job id (32 bits) and a site id (8 bits) always fit: 3 + 8 + 1 + 2 */
        assert_string_equal(vc_l2_port_name(0xffffffffLL, 255, b), "vcgffffffff.ff");
        assert_null(vc_l2_port_name(0x1000000000LL, 255, b)); /* 16: does not */
        assert_null(vc_l2_port_name(0, 1, b));
        assert_null(vc_l2_port_name(5, 0, b));
        assert_string_equal(vc_l2_tap_name(4242, true, 1, b), "vct1092.1");
        assert_string_equal(vc_l2_tap_name(4242, false, 16, b), "vcs1092.10");
        assert_null(vc_l2_tap_name(4242, false, 0, b));
        _cleanup_free_ char *ns = vc_l2_netns_name(4242, "b001");
        assert_string_equal(ns, "vcl-4242-b001");
}

static void test_key_text(void **state) {
        _cleanup_free_ char *hex = test_key(), *text = NULL, *err = NULL;
        assert_int_equal(vc_l2_key_text(hex, &text, &err), 0);
        assert_null(err);
        char *lines[20] = {0};
        size_t n = 0;
        _cleanup_free_ char *copy = xstrdup(text);
        for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && n < 20; l = strtok_r(NULL, "\n", &save))
                lines[n++] = l;
        assert_int_equal(n, 18);
        assert_string_equal(lines[0], "-----BEGIN OpenVPN Static key V1-----");
        assert_string_equal(lines[1], "000102030405060708090a0b0c0d0e0f");
        assert_string_equal(lines[16], "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        assert_string_equal(lines[17], "-----END OpenVPN Static key V1-----");
        for (size_t i = 1; i <= 16; i++)
                assert_int_equal(strlen(lines[i]), 32);
        assert_int_equal(text[strlen(text) - 1], '\n');
        assert_int_equal(strlen(text), 38 + 16 * 33 + 36);

        /* a trailing newline (a key read from a file) is fine */
        _cleanup_free_ char *nl = xasprintf("%s\n", hex), *text2 = NULL;
        assert_int_equal(vc_l2_key_text(nl, &text2, &err), 0);
        assert_string_equal(text, text2);
}

static void key_refused(const char *hex, const char *phrase) {
        char *text = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_l2_key_text(hex, &text, &err), -EINVAL);
        assert_null(text);
        assert_non_null(err);
        if (!strstr(err, phrase))
                print_error("got '%s', want '%s'\n", err, phrase);
        assert_non_null(strstr(err, phrase));
        if (hex && strlen(hex) > 8) {
                char head[9];
                memcpy(head, hex, 8);
                head[8] = 0;
                assert_null(strstr(err, head)); /* the key is never quoted */
        }
}

static void test_key_refused(void **state) {
        _cleanup_free_ char *hex = test_key();
        key_refused(NULL, "the job has no tunnel key");
        key_refused("", "the job has no tunnel key");
        key_refused("abcd", "not 512 lowercase hex digits");
        _cleanup_free_ char *upper = xstrdup(hex);
        upper[10] = 'A';
        key_refused(upper, "not 512 lowercase hex digits");
        _cleanup_free_ char *longer = xasprintf("%s00", hex);
        key_refused(longer, "not 512 lowercase hex digits");
        _cleanup_free_ char *inner = xstrdup(hex);
        inner[100] = ' ';
        key_refused(inner, "not 512 lowercase hex digits");
        _cleanup_free_ char *junk = xasprintf("%s\nx", hex);
        key_refused(junk, "not 512 lowercase hex digits");
}

static void test_openvpn_argv(void **state) {
        struct vc_l2_ovpn o = {.dev = "tap1", .local = "192.0.2.1", .remote = "192.0.2.11", .port = 1194,
                               .hub = true, .peer_cn = "spoke-1", .ca = "/s/tap1.ca.pem", .cert = "/s/tap1.crt.pem",
                               .key = "/s/tap1.id.pem", .tls_crypt = "/s/tap1.key", .user = "nobody",
                               .group = "nogroup", .chroot = "/s/tap1.root", .pidfile = "/s/tap1.pid",
                               .logfile = "/s/tap1.log"};
        _cleanup_strv_ char **v = vc_l2_openvpn_argv(&o);
        _cleanup_free_ char *line = strv_join(v, " ");
        /* TLS, no --secret (static-key mode); privileges dropped after setup */
        assert_string_equal(line, "openvpn --dev-type tap --dev tap1 --proto udp --local 192.0.2.1 --lport 1194 "
                                  "--remote 192.0.2.11 --rport 1194 --tls-server --dh none --ca /s/tap1.ca.pem "
                                  "--cert /s/tap1.crt.pem --key /s/tap1.id.pem --tls-crypt /s/tap1.key "
                                  "--tls-version-min 1.3 --remote-cert-tls client --verify-x509-name spoke-1 name "
                                  "--data-ciphers AES-256-GCM:CHACHA20-POLY1305 --ping 5 --ping-restart 30 "
                                  "--persist-tun --persist-key --user nobody --group nogroup --chroot /s/tap1.root "
                                  "--tmp-dir / --daemon --writepid /s/tap1.pid --log /s/tap1.log");
        o.hub = false;
        o.peer_cn = "hub";
        _cleanup_strv_ char **c = vc_l2_openvpn_argv(&o);
        _cleanup_free_ char *cline = strv_join(c, " ");
        assert_non_null(strstr(cline, " --rport 1194 --tls-client --ca "));
        assert_non_null(strstr(cline, " --remote-cert-tls server --verify-x509-name hub name "));
        assert_null(strstr(cline, "--dh"));
        assert_null(strstr(cline, "--secret"));
}

typedef int (*step_fn)(void *ctx, json_t *args, char **err);

/* refused: fn(ctx, args) fails with want (untouched when asked) and phrase in its message. */
static void refused_ctx(step_fn fn, void *ctx, const char *json, int want, bool untouched, const char *phrase) {
        json_error_t je;
        _cleanup_(json_decrefp) json_t *args = json_loads(json, 0, &je);
        if (!args)
                fail_msg("bad test JSON %s: %s", json, je.text);
        _cleanup_free_ char *err = NULL;
        int r = fn(ctx, args, &err);
        int expect = untouched ? vc_step_untouched(want) : want;
        if (r != expect || !err || !strstr(err, phrase))
                print_error("%s: got %d '%s', want %d '%s'\n", json, r, err ? err : "", expect, phrase);
        assert_int_equal(r, expect);
        assert_non_null(strstr(err, phrase));
}

static void refused(step_fn fn, const char *json, int want, bool untouched, const char *phrase) {
        refused_ctx(fn, NULL, json, want, untouched, phrase);
}

#define SEG "\"job\": 4242, \"netns\": \"vcl-4242\", \"ovs_db\": \"unix:/nonexistent/db.sock\", " \
            "\"ovs_bridge\": \"br-a\""

static void test_segment_args(void **state) {
        step_fn d = vc_l2_segment_do, u = vc_l2_segment_undo;
        refused(d, "[]", -EINVAL, true, "l2.segment: args must be a JSON object");
        refused(d, "{\"netns\": \"vcl-1\"}", -EINVAL, true, "l2.segment: \"job\" must be an integer in 1-");
        refused(d, "{\"job\": 0}", -EINVAL, true, "\"job\" must be an integer");
        refused(d, "{\"job\": \"7\"}", -EINVAL, true, "\"job\" must be an integer");
        refused(d, "{\"job\": 7}", -EINVAL, true, "l2.segment: \"netns\" must be a non-empty string");
        refused(d, "{\"job\": 7, \"netns\": \"a/b\"}", -EINVAL, true,
                "l2.segment: \"netns\": 'a/b' is not a valid network namespace name");
        refused(d, "{\"job\": 7, \"netns\": \"..\"}", -EINVAL, true, "'..' is not a valid network namespace name");
        refused(d, "{\"job\": 7, \"netns\": \"vcl-7\", \"ovs_bridge\": \"br-a\"}", -EINVAL, true,
                "\"ovs_db\" must be a non-empty string");
        refused(d, "{" SEG ", \"ovs_netns\": 5, \"port\": \"vcg1092\", \"vlan\": 101}", -EINVAL, true,
                "\"ovs_netns\" must be a non-empty string or null");
        refused(d, "{" SEG ", \"port\": \"vcg-much-too-long\", \"vlan\": 101}", -ENAMETOOLONG, true,
                "l2.segment: \"port\": interface name 'vcg-much-too-long' is longer than 15 characters");
        refused(d, "{" SEG ", \"port\": \"lan0\", \"vlan\": 101}", -EINVAL, true, "\"port\" must not be lan0 or br0");
        refused(d, "{" SEG ", \"port\": \"vcg1092\"}", -EINVAL, true, "\"vlan\" must be an integer in 1-4094");
        refused(d, "{" SEG ", \"port\": \"vcg1092\", \"vlan\": 4095}", -EINVAL, true,
                "\"vlan\" must be an integer in 1-4094");
        refused(d, "{" SEG ", \"port\": \"vcg1092\", \"vlan\": 101, \"address\": \"10.0.0.254\"}", -EINVAL, true,
                "\"address\" '10.0.0.254' is not ADDRESS/PREFIXLEN");
        refused(d, "{" SEG ", \"port\": \"vcg1092\", \"vlan\": 101, \"address\": \"10.0.0.254/33\"}", -EINVAL, true,
                "'10.0.0.254/33' is not ADDRESS/PREFIXLEN");
        refused(d, "{" SEG ", \"port\": \"vcg1092\", \"vlan\": 101, \"address\": \"nonsense/24\"}", -EINVAL, true,
                "'nonsense/24' is not ADDRESS/PREFIXLEN");
        /* A missing OVS namespace is found before anything is made. */
        refused(d, "{" SEG ", \"port\": \"vcg1092\", \"vlan\": 101, \"address\": \"fd00::1/64\", "
                   "\"ovs_netns\": \"vc-unit-no-such-netns\"}",
                -ENOENT, true, "l2.segment: OVS namespace (\"ovs_netns\") vc-unit-no-such-netns does not exist");
        /* undo checks the same, but owes nothing: a plain error */
        refused(u, "{\"job\": 7}", -EINVAL, false, "l2.segment: \"netns\" must be a non-empty string");
}

#define TUN "\"job\": 4242, \"netns\": \"vcl-4242\", \"wan_netns\": null, \"local\": \"192.0.2.1\", \"port\": 4789"

static void test_vxlan_args(void **state) {
        step_fn d = vc_l2_vxlan_do, u = vc_l2_vxlan_undo;
        refused(d, "{\"job\": 1, \"netns\": \"vcl-1\", \"local\": \"192.0.2.1\", \"port\": 4789, \"dev\": \"vx0\"}",
                -EINVAL, true, "l2.vxlan: \"vni\" must be an integer in 1-16777215");
        refused(d, "{\"job\": 1, \"netns\": \"vcl-1\", \"local\": \"gateway-a\"}", -EINVAL, true,
                "l2.vxlan: \"local\" 'gateway-a' is not an IPv4 or IPv6 address");
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 16777216, \"remotes\": [\"192.0.2.11\"]}", -EINVAL, true,
                "\"vni\" must be an integer in 1-16777215");
        refused(d, "{\"job\": 1, \"netns\": \"vcl-1\", \"local\": \"192.0.2.1\", \"port\": 0}", -EINVAL, true,
                "\"port\" must be an integer in 1-65535");
        refused(d, "{" TUN ", \"dev\": \"vxlan-far-too-long\", \"vni\": 5}", -ENAMETOOLONG, true,
                "\"dev\": interface name 'vxlan-far-too-long' is longer than 15 characters");
        refused(d, "{" TUN ", \"dev\": \"br0\", \"vni\": 5}", -EINVAL, true, "\"dev\" must not be lan0, br0 or lo");
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5, \"wan_netns\": \"\"}", -EINVAL, true,
                "\"wan_netns\" must be a non-empty string or null");
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5}", -EINVAL, true,
                "\"remotes\" must be a non-empty array of addresses");
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5, \"remotes\": []}", -EINVAL, true,
                "\"remotes\" must be a non-empty array");
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5, \"remotes\": [\"192.0.2.11\", \"2001:db8::1\"]}",
                -EINVAL, true, "\"remotes\" [1] is not an IPv4 address like \"local\" (192.0.2.1)");
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5, \"remotes\": [\"192.0.2.11\", \"192.0.2.11\"]}",
                -EINVAL, true, "\"remotes\" [1] (192.0.2.11) is given twice");
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5, \"remotes\": [\"192.0.2.1\"]}", -EINVAL, true,
                "\"remotes\" [0] (192.0.2.1) is the local address");
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5, \"remotes\": [7]}", -EINVAL, true,
                "\"remotes\" [0] is not an IPv4 address");
        /* good args, missing namespaces: found before anything is made */
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5, \"remotes\": [\"192.0.2.11\"], \"netns\": "
                   "\"vc-unit-no-such-netns\"}",
                -ENOENT, true,
                "l2.vxlan: network namespace vc-unit-no-such-netns does not exist (is l2.segment done?)");
        /* the namespace and device name the WAN filter's nftables table: nft's characters only */
        refused(d, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5, \"remotes\": [\"192.0.2.11\"], \"netns\": \"vcl 7\"}",
                -EINVAL, true, "l2.vxlan: \"netns\" must be letters, digits, '_', '.' and '-' only");
        refused(d, "{" TUN ", \"dev\": \"vx+0\", \"vni\": 5, \"remotes\": [\"192.0.2.11\"]}", -EINVAL, true,
                "l2.vxlan: \"dev\" must be letters, digits");
        refused(u, "{" TUN ", \"dev\": \"vx0\", \"vni\": 5}", -EINVAL, false, "\"remotes\" must be a non-empty array");
}

static void test_vxlan_ruleset(void **state) {
        char *two[] = {(char *)"192.0.2.11", (char *)"192.0.2.21", NULL};
        _cleanup_free_ char *r4 = vc_l2_vxlan_ruleset("vcvx-vcl-7-a001-vx0", AF_INET, "192.0.2.1", 4789, 5001, two);
        /* made anew each time (a do run again replaces it), in one nft -f transaction */
        assert_string_equal(r4, "table inet vcvx-vcl-7-a001-vx0\n"
                                "delete table inet vcvx-vcl-7-a001-vx0\n"
                                "table inet vcvx-vcl-7-a001-vx0 {\n"
                                "\tchain input {\n"
                                "\t\ttype filter hook input priority filter - 10; policy accept;\n"
                                "\t\tip daddr 192.0.2.1 udp dport 4789 @th,96,24 5001 "
                                "ip saddr != { 192.0.2.11, 192.0.2.21 } counter drop\n"
                                "\t}\n}\n");
        char *one[] = {(char *)"2001:db8::2", NULL};
        _cleanup_free_ char *r6 = vc_l2_vxlan_ruleset("t", AF_INET6, "2001:db8::1", 8472, 16777215, one);
        assert_non_null(strstr(r6, "ip6 daddr 2001:db8::1 udp dport 8472 @th,96,24 16777215 "
                                   "ip6 saddr != { 2001:db8::2 } counter drop\n"));
}

#define OVPN TUN ", \"dev\": \"tap1\", \"remote\": \"192.0.2.11\", \"dir\": \"/nonexistent/l2\""
#define OVPN_HUB OVPN ", \"role\": \"hub\", \"spoke\": 1"

static void test_openvpn_args(void **state) {
        step_fn d = vc_l2_openvpn_do, u = vc_l2_openvpn_undo;
        _cleanup_free_ char *hex = test_key();
        struct vc_gateway_ctx c = {.tunnel_key = hex};
        refused_ctx(d, &c, "{" TUN ", \"dev\": \"tap1\", \"dir\": \"/x\"}", -EINVAL, true,
                    "l2.openvpn: \"remote\" must be a non-empty string");
        refused_ctx(d, &c, "{" TUN ", \"dev\": \"tap1\", \"remote\": \"2001:db8::2\", \"dir\": \"/x\"}", -EINVAL, true,
                    "\"remote\" must be of the same address family as \"local\"");
        refused_ctx(d, &c, "{" TUN ", \"dev\": \"tap1\", \"remote\": \"192.0.2.1\", \"dir\": \"/x\"}", -EINVAL, true,
                    "\"remote\" is the local address");
        refused_ctx(d, &c, "{" TUN ", \"dev\": \"tap1\", \"remote\": \"192.0.2.11\", \"dir\": \"state\"}", -EINVAL,
                    true, "\"dir\" must be an absolute path");
        refused_ctx(d, &c, "{" TUN ", \"dev\": \"tap1\", \"remote\": \"192.0.2.11\"}", -EINVAL, true,
                    "\"dir\" must be a non-empty string");
        /* the TLS peers' names: do needs them, and they must make sense */
        refused_ctx(d, &c, "{" TUN ", \"dev\": \"tap1\", \"remote\": \"192.0.2.11\", \"dir\": \"/x\"}", -EINVAL, true,
                    "l2.openvpn: \"role\" must be \"hub\" or \"spoke\" (it names the TLS peers)");
        refused_ctx(d, &c, "{" OVPN ", \"role\": \"server\", \"spoke\": 1}", -EINVAL, true,
                    "\"role\" must be \"hub\" or \"spoke\"");
        refused_ctx(d, &c, "{" OVPN ", \"role\": \"hub\"}", -EINVAL, true, "\"spoke\" must be an integer in 1-255");
        refused_ctx(d, &c, "{" OVPN ", \"role\": \"spoke\", \"spoke\": 0}", -EINVAL, true,
                    "\"spoke\" must be an integer in 1-255");
        /* no key in the ctx (or no ctx): refused before anything is made, the device named */
        struct vc_node_ctx none = {0};
        refused_ctx(d, &none, "{" OVPN_HUB "}", -EINVAL, true, "l2.openvpn: tap1: the job has no tunnel key");
        refused_ctx(d, NULL, "{" OVPN_HUB "}", -EINVAL, true, "l2.openvpn: tap1: the job has no tunnel key");
        struct vc_gateway_ctx shortkey = {.tunnel_key = (char *)"00ff"};
        refused_ctx(d, &shortkey, "{" OVPN_HUB "}", -EINVAL, true, "tap1: the job's tunnel key is not 512 lowercase hex");
        refused_ctx(d, &c, "{" OVPN_HUB ", \"wan_netns\": \"vc-unit-no-such-netns\", \"netns\": \"vc-unit-no-such-2\"}",
                    -ENOENT, true, "network namespace vc-unit-no-such-2 does not exist (is l2.segment done?)");
        refused(u, "{" TUN ", \"dev\": \"tap1\", \"remote\": \"192.0.2.11\", \"dir\": \"rel\"}", -EINVAL, false,
                "\"dir\" must be an absolute path");
}

static void test_netns_names(void **state) {
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL;
        assert_int_equal(vc_netns_name_check("vcl-4242", &e1), 0);
        assert_null(e1);
        assert_int_equal(vc_netns_name_check("", &e1), -EINVAL);
        assert_int_equal(vc_netns_name_check("a/b", &e2), -EINVAL);
        char big[300];
        memset(big, 'n', sizeof big - 1);
        big[sizeof big - 1] = 0;
        assert_int_equal(vc_netns_name_check(big, &e3), -ENAMETOOLONG);
        assert_true(vc_netns_exists(NULL));
        assert_false(vc_netns_exists("vc-unit-no-such-netns"));
        assert_false(vc_netns_exists("../../etc"));
        int fd = -1;
        _cleanup_free_ char *e4 = NULL;
        assert_int_equal(vc_netns_open("vc-unit-no-such-netns", &fd, &e4), -ENOENT);
        assert_non_null(strstr(e4, "network namespace vc-unit-no-such-netns does not exist"));
        assert_int_equal(fd, -1);
}

/* the gateway's tunnel from the job plan: none for a shared job, refused
 * (not silently left out) when a stitched plan lacks its port or a WAN */
static void test_l2_plan(void **state) {
        static const char *const STITCHED =
                "{\"job\":42,\"uid\":0,\"mode\":\"stitched\",\"spec\":\"name=c,subnet=10.9.0.0/24\",\"vni\":5001,"
                "\"lease\":null,\"sites\":[{\"name\":\"a\",\"id\":1,\"vlan\":100,\"gateway\":\"a1\",\"nodes\":[\"a1\"],"
                "\"wan\":\"192.0.2.1\"},{\"name\":\"b\",\"id\":2,\"vlan\":300,\"gateway\":\"b1\",\"nodes\":[\"b1\"],"
                "\"wan\":\"192.0.2.2\"}],\"l2ext\":\"vxlan\",\"tunnel_port\":4789}";
        struct vc_jobplan p;
        struct vc_nodeplan_l2 *l = NULL;
        char *err = NULL;
        assert_int_equal(vc_jobplan_from_text(STITCHED, &p, &err), 0);
        assert_int_equal(vc_node_l2_plan(&p, 1, &l, &err), 0);
        assert_non_null(l);
        assert_string_equal(l->kind, "vxlan");
        assert_string_equal(l->subnet, "10.9.0.0/24");
        assert_int_equal(l->index, 1);
        assert_string_equal(l->sites[0].wan, "192.0.2.1");
        vc_nodeplan_l2_free(l);
        free(p.sites[1].wan);
        p.sites[1].wan = NULL;
        assert_int_equal(vc_node_l2_plan(&p, 0, &l, &err), -EINVAL);
        assert_null(l);
        assert_string_equal(err, "plan: stitched over vxlan but site b has no WAN address");
        free(err);
        err = NULL;
        p.has_tunnel_port = false;
        assert_int_equal(vc_node_l2_plan(&p, 0, &l, &err), -EINVAL);
        assert_string_equal(err, "plan: stitched over vxlan but no tunnel_port");
        free(err);
        err = NULL;
        free(p.mode);
        p.mode = xstrdup("shared");
        assert_int_equal(vc_node_l2_plan(&p, 0, &l, &err), 0);
        assert_null(l);
        vc_jobplan_clear(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),        cmocka_unit_test(test_key_text), cmocka_unit_test(test_l2_plan),
                cmocka_unit_test(test_key_refused),  cmocka_unit_test(test_openvpn_argv),
                cmocka_unit_test(test_segment_args), cmocka_unit_test(test_vxlan_args),
                cmocka_unit_test(test_openvpn_args), cmocka_unit_test(test_netns_names),
                cmocka_unit_test(test_vxlan_ruleset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
