/* test_hostlist — Slurm hostlist expressions: expansion order and padding,
 * compression round trip, and our refusal of what libslurm would repair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <slurm/slurm.h>

#include "hostlist.h"
#include "util.h"

/* Every call of libslurm's slurm_hostlist_shift from this program comes
 * here first (the executable's definition wins): each call moves the rest
 * of libslurm's list, so calling it per host is quadratic. */
static unsigned long shift_calls;
char *slurm_hostlist_shift(hostlist_t hl) {
        static char *(*real)(hostlist_t);
        if (!real)
                *(void **)&real = dlsym(RTLD_NEXT, "slurm_hostlist_shift");
        shift_calls++;
        return real(hl);
}

/* slurm_names: libslurm's own expansion of expr, the reference. */
static char **slurm_names(const char *expr) {
        hostlist_t hl = slurm_hostlist_create(expr);
        assert_non_null(hl);
        char **v = NULL;
        for (char *h; (h = slurm_hostlist_shift(hl));) {
                strv_push(&v, h);
                free(h);
        }
        slurm_hostlist_destroy(hl);
        return v;
}

static void expect_hosts(const char *expr, const char *const *want) {
        _cleanup_strv_ char **v = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_hostlist_expand(expr, &v, &err), 0);
        assert_null(err);
        size_t n = 0;
        while (want[n])
                n++;
        assert_int_equal(strv_len(v), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(v[i], want[i]);
}

static void test_expand_order_and_padding(void **state) {
        expect_hosts("tk[001-003],n[1-2]",
                     (const char *const[]){"tk001", "tk002", "tk003", "n1", "n2", NULL});
        expect_hosts("n[9-11]", (const char *const[]){"n9", "n10", "n11", NULL});
        expect_hosts("a[1,3,5-6]", (const char *const[]){"a1", "a3", "a5", "a6", NULL});
        expect_hosts("login1", (const char *const[]){"login1", NULL});
        expect_hosts("a.b-c_d,x", (const char *const[]){"a.b-c_d", "x", NULL});
        /* Duplicates are kept: conf.c reports them with a file position. */
        expect_hosts("n1,n1", (const char *const[]){"n1", "n1", NULL});
}

/* Switch ports: numbers, and vendor names with '/' and ':' that hosts may not have. */
static void test_portlist(void **state) {
        _cleanup_strv_ char **v = NULL, **w = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_portlist_expand("ge-0/0/[0-2],eth1:[1-2],[47-48]", &v, &err), 0);
        const char *want[] = {"ge-0/0/0", "ge-0/0/1", "ge-0/0/2", "eth1:1", "eth1:2", "47", "48"};
        assert_int_equal(strv_len(v), ARRAY_SIZE(want));
        for (size_t i = 0; i < ARRAY_SIZE(want); i++)
                assert_string_equal(v[i], want[i]);
        assert_int_equal(vc_hostlist_expand("ge-0/0/[0-2]", &w, &err), -EINVAL);
        assert_non_null(strstr(err, "character '/' not allowed in a host name"));
        free(TAKE_PTR(err));
        assert_int_equal(vc_portlist_expand("p 1", &w, &err), -EINVAL);
        assert_non_null(strstr(err, "character ' ' not allowed in a port name"));
}

static void test_expand_two_brackets(void **state) {
        expect_hosts("r[1-2]n[1-2]", (const char *const[]){"r1n1", "r1n2", "r2n1", "r2n2", NULL});
}

static void test_expand_cap(void **state) {
        _cleanup_strv_ char **v = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_hostlist_expand("n[1-65536]", &v, &err), 0);
        assert_int_equal(strv_len(v), 65536);
        assert_string_equal(v[65535], "n65536");
}

static void test_compress_round_trip(void **state) {
        char *hosts[] = {"n1", "n2", "n3", "tk001", "tk002", "login", NULL};
        _cleanup_free_ char *s = vc_hostlist_compress(hosts);
        assert_string_equal(s, "n[1-3],tk[001-002],login");
        _cleanup_strv_ char **v = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_hostlist_expand(s, &v, &err), 0);
        assert_int_equal(strv_len(v), 6);
        for (size_t i = 0; hosts[i]; i++)
                assert_string_equal(v[i], hosts[i]);

        char *none[] = {NULL};
        _cleanup_free_ char *e = vc_hostlist_compress(none);
        assert_string_equal(e, "");
}

/* Our expansion names exactly what libslurm's does, in its order. */
static void test_same_as_libslurm(void **state) {
        static const char *const exprs[] = {
                "tk[001-003],n[1-2]", "n[9-11]", "a[1,3,5-6]", "x[8-12,099-101]", "r[1-2]n[1-2]",
                "[1-3]", "a[07-9]b[1,3]c[00-01]", "[12]b-.[50][3-512]b-.[50]b[0]", "n1,n01,n001",
                "a.b-c_d,x", "a[0-0],b[5]", "rack[1-3]-node[01-04]", "z[1-9,10-12,100]",
                "a[1-2]b[1-2]c[1-2]", "[1-2]x[1-3]y[1-2]z[1-2]", "a[1,1]", "a[1-2,2-3]", "n[1-3]x[1,1]",
                "a[1-2]b[1-2],a[1-2]b[1-2]", "p[0-1]q[00-02]r[7,9-10]s[1-2]"};
        for (size_t i = 0; i < ARRAY_SIZE(exprs); i++) {
                _cleanup_strv_ char **want = slurm_names(exprs[i]), **got = NULL;
                _cleanup_free_ char *err = NULL;
                assert_int_equal(vc_hostlist_expand(exprs[i], &got, &err), 0);
                assert_int_equal(strv_len(got), strv_len(want));
                for (size_t k = 0; want[k]; k++)
                        if (!streq(got[k], want[k])) {
                                print_error("%s: host %zu is %s, libslurm says %s\n", exprs[i], k, got[k], want[k]);
                                fail();
                        }
        }
}

/* Issue 15 item 9: many ranges made expansion quadratic (2 s in the daemon
 * for this expression, against 0.13 s for a[1-50510]). Expanding must not
 * shift libslurm's list host by host; bench/hostlist prints the time. */
static void test_many_ranges_linear(void **state) {
        _cleanup_strv_ char **v = NULL;
        _cleanup_free_ char *err = NULL;
        shift_calls = 0;
        assert_int_equal(vc_hostlist_expand("[12]b-.[50][3-50512]b-.[50]b[0]", &v, &err), 0);
        assert_int_equal(strv_len(v), 50510);
        assert_string_equal(v[0], "12b-.503b-.50b0");
        assert_string_equal(v[50509], "12b-.5050512b-.50b0");
        assert_int_equal(shift_calls, 0);
}

static void test_malformed(void **state) {
        static const struct {
                const char *expr, *msg;
        } cases[] = {
                {"-oProxy", "host names must start with a letter or digit"},
                {"n1,.", "host names must start with a letter or digit"},
                {"a[1-", "hostlist 'a[1-': unclosed '['"},
                {"a[1-2", "unclosed '['"},
                {"a[1[2]]", "nested '['"},
                {"a]", "unmatched ']'"},
                {"a[3-1]", "range 3-1: start above end"},
                {"a,,b", "empty element"},
                {"a,", "empty element"},
                {",a", "empty element"},
                {"", "hostlist '': empty expression"},
                {"a[]", "empty '[]'"},
                {"a[1-]", "empty range"},
                {"a[,1]", "empty range"},
                {"a[1-x]", "unexpected 'x' inside '[...]'"},
                {"a[1;2]", "unexpected ';' inside '[...]'"},
                {"a b", "character ' ' not allowed"},
                {"a/b", "character '/' not allowed"},
                {"a[1-2]b", "text after the last ']'"},
                {"a[0-70000]", "more than 65536 hosts"},
                {"a[1-300]b[1-300]", "more than 65536 hosts"},
                {"a[1-40000],b[1-40000]", "more than 65536 hosts"},
                {"a[1234567890]", "longer than 9 digits"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char **v = NULL;
                _cleanup_free_ char *err = NULL;
                int r = vc_hostlist_expand(cases[i].expr, &v, &err);
                if (r != -EINVAL || !err || !strstr(err, cases[i].msg))
                        print_error("'%s': got %d '%s', want '%s'\n", cases[i].expr, r,
                                    err ? err : "(null)", cases[i].msg);
                assert_int_equal(r, -EINVAL);
                assert_non_null(err);
                assert_non_null(strstr(err, cases[i].msg));
                assert_null(v);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_expand_order_and_padding),
                cmocka_unit_test(test_expand_two_brackets),
                cmocka_unit_test(test_portlist),
                cmocka_unit_test(test_expand_cap),
                cmocka_unit_test(test_compress_round_trip),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_same_as_libslurm),
                cmocka_unit_test(test_many_ranges_linear),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
