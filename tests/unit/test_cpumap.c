/* tests for lib/cpulist.c (lists parsed strictly, formatted as ranges) and node/cpumap.c: Slurm's CPU ids become the kernel's as slurmd
 * would translate them — the identity without SMT, a core's threads
 * together where the kernel interleaves hyperthread siblings, packages in
 * order — read from a sysfs tree made here; bad lists and ids beyond the
 * node are refused naming them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cpulist.h"
#include "cpumap.h"
#include "util.h"

static char dir[] = "/tmp/vc-cpumap.XXXXXX";

static void put(const char *rel, const char *text) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, rel);
        char *slash = strrchr(path, '/');
        *slash = 0;
        _cleanup_free_ char *cmd = xasprintf("mkdir -p '%s'", path);
        assert_int_equal(system(cmd), 0);
        *slash = '/';
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "%s\n", text);
        fclose(f);
}

/* node: n CPUs online; cpu i in package pkg[i] with thread siblings sib[i]. */
static void node(int n, const int *pkg, const char *const *sib) {
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'/*", dir);
        assert_int_equal(system(cmd), 0);
        _cleanup_free_ char *online = xasprintf("0-%d", n - 1);
        put("online", online);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = xasprintf("cpu%d/topology/physical_package_id", i),
                                    *s = xasprintf("cpu%d/topology/thread_siblings_list", i),
                                    *v = xasprintf("%d", pkg[i]);
                put(p, v);
                put(s, sib[i]);
        }
}

static char *map(const char *ids) {
        char *out = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_cpus_to_kernel(dir, ids, &out, &err);
        if (r < 0)
                fail_msg("%s: %s", ids, err);
        return out;
}

static void test_identity_without_smt(void **state) {
        static const int pkg[] = {0, 0, 0, 0};
        static const char *const sib[] = {"0", "1", "2", "3"};
        node(4, pkg, sib);
        _cleanup_free_ char *a = map("0"), *b = map("1-3"), *c = map("0,2");
        assert_string_equal(a, "0");
        assert_string_equal(b, "1-3");
        assert_string_equal(c, "0,2");
}

/* 2 packages × 2 cores × 2 threads, the kernel's usual x86 numbering:
 * package 0 has CPUs 0,1 (+4,5), package 1 has 2,3 (+6,7). Slurm's order:
 * 0:0 1:4 2:1 3:5 | 4:2 5:6 6:3 7:7. */
static void test_interleaved_siblings(void **state) {
        static const int pkg[] = {0, 0, 1, 1, 0, 0, 1, 1};
        static const char *const sib[] = {"0,4", "1,5", "2,6", "3,7", "0,4", "1,5", "2,6", "3,7"};
        node(8, pkg, sib);
        _cleanup_free_ char *core0 = map("0-1"), *one = map("1"), *pkg1 = map("4-7"), *all = map("0-7"),
                            *odd = map("3,6");
        assert_string_equal(core0, "0,4");
        assert_string_equal(one, "4");
        assert_string_equal(pkg1, "2-3,6-7");
        assert_string_equal(all, "0-7");
        assert_string_equal(odd, "3,5");
}

static void test_refusals(void **state) {
        static const int pkg[] = {0, 0};
        static const char *const sib[] = {"0", "1"};
        node(2, pkg, sib);
        char *out = NULL, *err = NULL;
        assert_int_equal(vc_cpus_to_kernel(dir, "2", &out, &err), -EINVAL);
        assert_non_null(strstr(err, "Slurm's CPU id 2 is beyond this node's 2 online CPUs"));
        free(err);
        err = NULL;
        assert_int_equal(vc_cpus_to_kernel(dir, "0;1", &out, &err), -EINVAL);
        assert_string_equal(err, "Slurm's CPU ids '0;1' are not a CPU list");
        free(err);
        err = NULL;
        assert_int_equal(vc_cpus_to_kernel("/nonexistent", "0", &out, &err), -ENOENT);
        assert_non_null(strstr(err, "/nonexistent/online"));
        free(err);
        assert_null(out);
}

static void test_cpulist(void **state) {
        static const char *const good[] = {"0", "0-3,8", "1,3-4", "16383", "0-0"};
        static const char *const bad[] = {"", "3-1", "1,", ",1", "1--2", "16384", "-1", "1-", "a", "0;1", "1 2"};
        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                assert_true(vc_cpulist_valid(good[i]));
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (vc_cpulist_valid(bad[i]))
                        fail_msg("'%s' taken as a CPU list", bad[i]);
        _cleanup_free_ bool *set = NULL;
        assert_int_equal(vc_cpulist_parse("5,0-2,1\n", &set), 0);
        _cleanup_free_ char *text = vc_cpulist_format(set);
        assert_string_equal(text, "0-2,5");
}

int main(void) {
        if (!mkdtemp(dir))
                return 1;
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_cpulist), cmocka_unit_test(test_identity_without_smt),
                                           cmocka_unit_test(test_interleaved_siblings), cmocka_unit_test(test_refusals)};
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
        if (system(cmd) != 0)
                r = 1;
        return r;
}
