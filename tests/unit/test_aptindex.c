/* test_aptindex.c — package names to .deb URLs through a flat repository's index (gateway/aptindex.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "aptindex.h"
#include "util.h"

/* An index as dpkg-scanpackages writes one (trimmed), with the shapes that
 * matter: versioned and :any dependencies, alternatives, Pre-Depends, a
 * continuation line, a package named twice, CRLF line ends, no final newline. */
static const char index_text[] =
        "Package: tcpdump\n"
        "Version: 4.99.3-1\n"
        "Depends: adduser, libc6 (>= 2.34), libpcap0.8 (>= 1.9.0), libssl3 (>= 3.0.0)\n"
        "Filename: ./tcpdump_4.99.3-1_amd64.deb\n"
        "Description: command-line network traffic analyzer\n"
        " This program allows you to dump the traffic on a network.\n"
        "\n"
        "Package: libpcap0.8\n"
        "Depends: libc6 (>= 2.34), libdbus-1-3 (>= 1.9.14) | libdbus-fake, libibverbs1:any [amd64]\n"
        "Filename: ./libpcap0.8_1.10.3-1_amd64.deb\n"
        "\n"
        "Package: libibverbs1\r\n"
        "Pre-Depends: libnl-route-3-200\r\n"
        "Filename: pool/libibverbs1_44.0-2_amd64.deb\r\n"
        "\r\n"
        "Package: libnl-route-3-200\n"
        "Filename: ./libnl-route-3-200_3.7.0-0.2_amd64.deb\n"
        "\n"
        "Package: iperf3\n"
        "Depends: libiperf0 (= 3.12-1)\n"
        "Filename: ./iperf3_3.12-1_amd64.deb\n"
        "\n"
        "Package: libiperf0\n"
        "Depends: libsctp1, libc6\n"
        "Filename: ./libiperf0_3.12-1_amd64.deb\n"
        "\n"
        "Package: libsctp1\n"
        "Filename: ./libsctp1_1.0.19_amd64.deb\n"
        "\n"
        "Package: libsctp1\n"
        "Filename: ./libsctp1_1.0.18_amd64.deb\n"
        "\n"
        "Package: lonely\n"
        "Depends: tcpdump\n"
        "Filename: ./lonely_1_all.deb";

static void test_closure(void **state) {
        char **urls = NULL, **missing = NULL, *err = NULL;
        char *names[] = {"iperf3", "tcpdump", "nosuch", "libsctp1", NULL};
        assert_int_equal(vc_apt_index_urls("http://10.0.0.250/repo/", index_text, names, &urls, &missing, &err), 0);
        assert_null(err);
        /* the names first, then what they need, breadth first; libsctp1 once,
         * its first stanza; adduser, libc6, libssl3 (not in the index) left to the image */
        const char *want[] = {
                "http://10.0.0.250/repo/iperf3_3.12-1_amd64.deb",
                "http://10.0.0.250/repo/tcpdump_4.99.3-1_amd64.deb",
                "http://10.0.0.250/repo/libsctp1_1.0.19_amd64.deb",
                "http://10.0.0.250/repo/libiperf0_3.12-1_amd64.deb",
                "http://10.0.0.250/repo/libpcap0.8_1.10.3-1_amd64.deb",
                "http://10.0.0.250/repo/pool/libibverbs1_44.0-2_amd64.deb",
                "http://10.0.0.250/repo/libnl-route-3-200_3.7.0-0.2_amd64.deb",
        };
        assert_int_equal(strv_len(urls), ARRAY_SIZE(want));
        for (size_t i = 0; i < ARRAY_SIZE(want); i++)
                assert_string_equal(urls[i], want[i]);
        assert_int_equal(strv_len(missing), 1);
        assert_string_equal(missing[0], "nosuch");
        strv_free(urls);
        strv_free(missing);

        /* nothing named: nothing to fetch; a cycle ends */
        char *none[] = {NULL};
        assert_int_equal(vc_apt_index_urls("http://h/", index_text, none, &urls, &missing, &err), 0);
        assert_int_equal(strv_len(urls), 0);
        strv_free(urls);
        strv_free(missing);
        const char *cycle = "Package: a1\nDepends: b1\nFilename: a1.deb\n\nPackage: b1\nDepends: a1\nFilename: b1.deb\n";
        char *a1[] = {"a1", NULL};
        assert_int_equal(vc_apt_index_urls("http://h/", cycle, a1, &urls, &missing, &err), 0);
        assert_int_equal(strv_len(urls), 2);
        assert_string_equal(urls[1], "http://h/b1.deb");
        strv_free(urls);
        strv_free(missing);
}

static void test_bad_index(void **state) {
        char **urls = NULL, **missing = NULL, *err = NULL;
        char *names[] = {"x1", NULL};
        struct {
                const char *text, *needle;
        } bad[] = {
                {"Package: x1\nVersion: 1\n\n", "package x1: no Filename"},
                {"Package: x1\nFilename: ../../etc/passwd\n", "package x1: a Filename outside the repository"},
                {"Package: x1\nFilename: pool/../../x.deb\n", "outside the repository"},
                {"Package: x1\nFilename: /etc/x.deb\n", "outside the repository"},
                {"Package: x1\nFilename: a\x01.deb\n", "outside the repository"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                assert_int_equal(vc_apt_index_urls("http://h/", bad[i].text, names, &urls, &missing, &err), -EINVAL);
                assert_null(urls);
                if (!strstr(err, bad[i].needle))
                        fail_msg("expected '%s' in '%s'", bad[i].needle, err);
                free(err);
                err = NULL;
        }
        /* ".." inside a name is not a parent directory */
        assert_int_equal(vc_apt_index_urls("http://h/", "Package: x1\nFilename: x1..2.deb\n", names, &urls, &missing,
                                           &err),
                         0);
        assert_string_equal(urls[0], "http://h/x1..2.deb");
        strv_free(urls);
        strv_free(missing);
}

static void test_names(void **state) {
        assert_true(vc_apt_name_ok("libpcap0.8"));
        assert_true(vc_apt_name_ok("g++"));
        assert_true(vc_apt_name_ok("0ad"));
        assert_false(vc_apt_name_ok("a"));
        assert_false(vc_apt_name_ok("Tcpdump"));
        assert_false(vc_apt_name_ok("-x"));
        assert_false(vc_apt_name_ok("a b"));
        assert_false(vc_apt_name_ok(""));

        char **names = NULL, *err = NULL;
        /* dpkg-query -W's "name<TAB>version" lines, comments, blanks */
        assert_int_equal(vc_apt_names_parse("/l", "# image\nadduser\t3.134\n\n  tcpdump   \r\nlibc6 2.36\n", &names, &err),
                         0);
        assert_int_equal(strv_len(names), 3);
        assert_string_equal(names[0], "adduser");
        assert_string_equal(names[1], "tcpdump");
        assert_string_equal(names[2], "libc6");
        strv_free(names);
        assert_int_equal(vc_apt_names_parse("/l", "adduser\n\nBad_Name 1\n", &names, &err), -EINVAL);
        assert_null(names);
        assert_string_equal(err, "/l:3: 'Bad_Name' is not a Debian package name");
        free(err);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_closure),
                cmocka_unit_test(test_bad_index),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
