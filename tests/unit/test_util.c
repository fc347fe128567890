/* test_util — integer/size/duration parsing, string vectors, read_file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include "util.h"

static void test_parse_uint(void **state) {
        unsigned long long v = 0;
        assert_int_equal(parse_uint("0", 0, 10, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_uint("10", 0, 10, &v), 0);
        assert_int_equal(v, 10);
        assert_int_equal(parse_uint("007", 0, 10, &v), 0);
        assert_int_equal(v, 7);
        assert_int_equal(parse_uint("18446744073709551615", 0, ULLONG_MAX, &v), 0);
        assert_true(v == ULLONG_MAX);

        v = 99;
        assert_int_equal(parse_uint("11", 0, 10, &v), -ERANGE);
        assert_int_equal(parse_uint("4", 5, 10, &v), -ERANGE);
        assert_int_equal(parse_uint("18446744073709551616", 0, ULLONG_MAX, &v), -ERANGE);
        assert_int_equal(parse_uint("99999999999999999999999", 0, ULLONG_MAX, &v), -ERANGE);
        assert_int_equal(v, 99); /* untouched on failure */

        assert_int_equal(parse_uint(NULL, 0, 10, &v), -EINVAL);
        assert_int_equal(parse_uint("", 0, 10, &v), -EINVAL);
        assert_int_equal(parse_uint("12x", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint("x12", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint(" 12", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint("12 ", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint("-1", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint("+1", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint("1.5", 0, 100, &v), -EINVAL);
        assert_int_equal(parse_uint("0x10", 0, 100, &v), -EINVAL);
        assert_int_equal(v, 99);
}

static void test_parse_size(void **state) {
        static const struct {
                const char *s;
                uint64_t v;
        } ok[] = {
                {"0", 0},
                {"512", 512},
                {"1K", 1024},
                {"1k", 1024},
                {"512K", 512 * 1024},
                {"4M", 4ULL << 20},
                {"4m", 4ULL << 20},
                {"4G", 4ULL << 30},
                {"1T", 1ULL << 40},
                {"2t", 2ULL << 40},
                {"16777215T", 16777215ULL << 40},
                {"18446744073709551615", UINT64_MAX},
        };
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                uint64_t v = 1;
                assert_int_equal(parse_size(ok[i].s, &v), 0);
                assert_true(v == ok[i].v);
        }

        static const char *const bad[] = {"", "K", "12x", "4GB", "4 G", " 4G", "-1", "+1",
                                          "1.5G", "G4", "4P", "4KK"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                uint64_t v = 7;
                assert_int_equal(parse_size(bad[i], &v), -EINVAL);
                assert_int_equal(v, 7);
        }
        uint64_t v = 7;
        assert_int_equal(parse_size(NULL, &v), -EINVAL);
        /* Overflow is a range error, in the number or after the multiplier. */
        assert_int_equal(parse_size("16777216T", &v), -ERANGE);
        assert_int_equal(parse_size("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_size("17179869184G", &v), -ERANGE);
        assert_int_equal(v, 7);
}

static void test_parse_duration(void **state) {
        static const struct {
                const char *s;
                unsigned long long v;
        } ok[] = {
                {"0", 0},       {"30", 30},       {"30s", 30},
                {"5m", 300},    {"2h", 7200},     {"1d", 86400},
                {"90m", 5400},  {"213503982334601d", 213503982334601ULL * 86400},
        };
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                unsigned long long v = 1;
                assert_int_equal(parse_duration(ok[i].s, &v), 0);
                assert_true(v == ok[i].v);
        }
        static const char *const bad[] = {"", "s", "12x", "5M", "5H", "1w", "1.5h", "-5",
                                          "5 m", "5mm", "m5"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                unsigned long long v = 7;
                assert_int_equal(parse_duration(bad[i], &v), -EINVAL);
                assert_int_equal(v, 7);
        }
        unsigned long long v = 7;
        assert_int_equal(parse_duration(NULL, &v), -EINVAL);
        assert_int_equal(parse_duration("213503982334602d", &v), -ERANGE);
        assert_int_equal(parse_duration("99999999999999999999", &v), -ERANGE);
        assert_int_equal(v, 7);
}

static void test_strv(void **state) {
        assert_int_equal(strv_len(NULL), 0);
        strv_free(NULL);

        _cleanup_strv_ char **v = NULL;
        strv_push(&v, "a");
        assert_non_null(v);
        assert_int_equal(strv_len(v), 1);
        assert_string_equal(v[0], "a");
        assert_null(v[1]);

        char buf[] = "copied";
        strv_push(&v, buf);
        buf[0] = 'X'; /* the vector holds its own copy */
        strv_push(&v, "");
        assert_int_equal(strv_len(v), 3);
        assert_string_equal(v[1], "copied");
        assert_string_equal(v[2], "");
        assert_null(v[3]);

        for (int i = 0; i < 1000; i++) {
                char s[16];
                snprintf(s, sizeof(s), "%d", i);
                strv_push(&v, s);
        }
        assert_int_equal(strv_len(v), 1003);
        assert_string_equal(v[1002], "999");
        assert_null(v[1003]);
}

static void test_cleanup_and_take(void **state) {
        _cleanup_free_ char *p = xstrdup("x");
        char *q = TAKE_PTR(p);
        assert_null(p);
        free(q);

        _cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        int g = TAKE_FD(fd);
        assert_int_equal(fd, -1);
        close(g);

        _cleanup_free_ char *s = xasprintf("%s-%d", "vc", 42);
        assert_string_equal(s, "vc-42");
}

/* write_tmp: a temp file holding n bytes of c; returns its malloc'd path. */
static char *write_tmp(size_t n, char c) {
        char *path = xstrdup("/tmp/test_util.XXXXXX");
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        char *buf = xmalloc(n ? n : 1);
        memset(buf, c, n);
        assert_int_equal(write_all(fd, buf, n), 0);
        free(buf);
        close(fd);
        return path;
}

static void test_read_file(void **state) {
        char *buf = NULL;
        size_t len = 99;
        assert_int_equal(read_file("/nonexistent/vcluster/file", &buf, &len, 1024), -ENOENT);
        assert_null(buf);
        assert_int_equal(len, 99);

        _cleanup_free_ char *empty = write_tmp(0, 0);
        assert_int_equal(read_file(empty, &buf, &len, 1024), 0);
        assert_int_equal(len, 0);
        assert_string_equal(buf, "");
        free(buf);
        unlink(empty);

        /* Larger than the first buffer, so growth is exercised. */
        _cleanup_free_ char *big = write_tmp(100000, 'z');
        assert_int_equal(read_file(big, &buf, &len, 1 << 20), 0);
        assert_int_equal(len, 100000);
        assert_int_equal(strlen(buf), 100000);
        assert_int_equal(buf[99999], 'z');
        free(buf);
        /* len may be NULL. */
        assert_int_equal(read_file(big, &buf, NULL, 1 << 20), 0);
        free(buf);
        buf = NULL;
        assert_int_equal(read_file(big, &buf, &len, 50000), -EFBIG);
        assert_null(buf);
        assert_int_equal(read_file(big, &buf, &len, 99999), -EFBIG);
        unlink(big);

        assert_int_equal(read_file("/tmp", &buf, &len, 1024), -EISDIR);
}

static void test_read_file_small_max(void **state) {
        /* max below the first buffer size must still be enforced. */
        _cleanup_free_ char *p = write_tmp(200, 'a');
        char *buf = NULL;
        size_t len = 0;
        int r = read_file(p, &buf, &len, 100);
        unlink(p);
        free(buf);
        assert_int_equal(r, -EFBIG);
}

static void test_read_file_exactly_max(void **state) {
        /* A file of exactly max bytes fits. */
        static const size_t sizes[] = {100, 4096, 8192, 10000};
        for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
                _cleanup_free_ char *p = write_tmp(sizes[i], 'e');
                char *buf = NULL;
                size_t len = 0;
                int r = read_file(p, &buf, &len, sizes[i]);
                unlink(p);
                if (r != 0)
                        print_error("file of %zu bytes, max %zu: %d\n", sizes[i], sizes[i], r);
                assert_int_equal(r, 0);
                assert_int_equal(len, sizes[i]);
                free(buf);
        }
}

static void test_now_ms(void **state) {
        uint64_t a = now_ms();
        usleep(20000);
        uint64_t b = now_ms();
        assert_true(b >= a + 15);
        assert_true(b < a + 5000);
}

static void test_line_next(void **state) {
        const char *p = "one\n\nthree\r\nlast";
        const char *want[] = {"one", "", "three\r", "last"};
        for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
                char *l = line_next(&p);
                assert_non_null(l);
                assert_string_equal(l, want[i]);
                free(l);
        }
        assert_null(line_next(&p));
        const char *empty = "", *nl = "\n";
        assert_null(line_next(&empty));
        char *l = line_next(&nl);
        assert_string_equal(l, "");
        free(l);
        assert_null(line_next(&nl));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_line_next),
                cmocka_unit_test(test_parse_uint),
                cmocka_unit_test(test_parse_size),
                cmocka_unit_test(test_parse_duration),
                cmocka_unit_test(test_strv),
                cmocka_unit_test(test_cleanup_and_take),
                cmocka_unit_test(test_read_file),
                cmocka_unit_test(test_read_file_small_max),
                cmocka_unit_test(test_read_file_exactly_max),
                cmocka_unit_test(test_now_ms),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
