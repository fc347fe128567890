/* tests for node/bridge.c's pure part: interface names as the kernel takes
 * them, and the TRUNK.VLAN name with its limits. The netlink part is tested
 * in tests/integration/test_hostnet_bridge.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "bridge.h"
#include "netns.h"
#include "util.h"

static void name_refused(const char *name, int want, const char *phrase) {
        _cleanup_free_ char *err = NULL;
        int r = vc_ifname_check(name, &err);
        if (r != want || !err || !strstr(err, phrase))
                print_error("'%s': got %d '%s', want %d '%s'\n", name ? name : "(null)", r, err ? err : "", want,
                            phrase);
        assert_int_equal(r, want);
        assert_non_null(strstr(err, phrase));
}

static void test_ifname(void **state) {
        const char *ok[] = {"eth0", "br-v101", "e", "trunk-fifteen15", "vc1234.ga_x", "@", ".a"};
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                char *err = NULL;
                assert_int_equal(vc_ifname_check(ok[i], &err), 0);
                assert_null(err);
        }
        name_refused("", -EINVAL, "empty interface name");
        name_refused(NULL, -EINVAL, "empty interface name");
        name_refused("trunk-sixteen-16", -ENAMETOOLONG, "'trunk-sixteen-16' is longer than 15 characters");
        name_refused(".", -EINVAL, "'.' is not a valid interface name");
        name_refused("..", -EINVAL, "'..' is not a valid interface name");
        name_refused("br/0", -EINVAL, "'br/0' contains a character that is not allowed");
        name_refused("eth0:1", -EINVAL, "'eth0:1' contains a character");
        name_refused("br 0", -EINVAL, "'br 0' contains a character");
        name_refused("br\t0", -EINVAL, "contains a character");
        name_refused("br\n0", -EINVAL, "contains a character");
}

static void vlan_refused(const char *trunk, int vlan, int want, const char *phrase) {
        char *name = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_vlan_ifname(trunk, vlan, &name, &err);
        if (r != want || !err || !strstr(err, phrase))
                print_error("%s.%d: got %d '%s', want %d '%s'\n", trunk, vlan, r, err ? err : "", want, phrase);
        assert_int_equal(r, want);
        assert_null(name);
        assert_non_null(strstr(err, phrase));
}

static void vlan_ok(const char *trunk, int vlan, const char *want) {
        _cleanup_free_ char *name = NULL;
        char *err = NULL;
        assert_int_equal(vc_vlan_ifname(trunk, vlan, &name, &err), 0);
        assert_null(err);
        assert_string_equal(name, want);
}

static void test_vlan_ifname(void **state) {
        vlan_ok("eth9", 101, "eth9.101");
        vlan_ok("eth9", 1, "eth9.1");
        vlan_ok("eth9", 4094, "eth9.4094");
        vlan_ok("enp65s0f1", 4094, "enp65s0f1.4094"); /* 14 */
        vlan_ok("enp65s0f1np", 101, "enp65s0f1np.101"); /* exactly 15 */
        vlan_refused("enp65s0f1np", 1001, -ENAMETOOLONG,
                     "VLAN interface name 'enp65s0f1np.1001' (TRUNK.VLAN) is longer than 15 characters");
        vlan_refused("eth9", 0, -ERANGE, "VLAN id 0 on eth9 is out of range (1-4094)");
        vlan_refused("eth9", 4095, -ERANGE, "VLAN id 4095 on eth9 is out of range");
        vlan_refused("eth9", -1, -ERANGE, "VLAN id -1 on eth9");
        vlan_refused("trunk-sixteen-16", 1, -ENAMETOOLONG, "interface name 'trunk-sixteen-16' is longer");
        vlan_refused("", 101, -EINVAL, "empty interface name");
        vlan_refused("eth/9", 101, -EINVAL, "'eth/9' contains a character");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ifname),
                cmocka_unit_test(test_vlan_ifname),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
