/* test_escape — lib/escape.c: what may reach a terminal or a log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "escape.h"
#include "util.h"

static void expect(const char *in, const char *want) {
        _cleanup_free_ char *got = vc_escape(in);
        if (!streq(got, want))
                print_error("escape of '%s': '%s', want '%s'\n", in, got, want);
        assert_string_equal(got, want);
        assert_int_equal(vc_escape_needed(in), !streq(in, want));
}

static void test_controls(void **state) {
        expect("plain text, 100% [ok] \\s", "plain text, 100% [ok] \\s");
        expect("a\nb\r\tc", "a\\x0ab\\x0d\\x09c");
        expect("\033[2J\033]0;title\007", "\\x1b[2J\\x1b]0;title\\x07");
        expect("del\177", "del\\x7f");
        expect("", "");
        assert_null(vc_escape(NULL));
        assert_false(vc_escape_needed(NULL));
}

static void test_utf8(void **state) {
        expect("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
        /* C1 controls (U+009B is CSI to some terminals) */
        expect("\xc2\x9b" "2J", "\\xc2\\x9b2J");
        /* a lone 8-bit CSI, a stray continuation byte, overlong '/', a cut sequence, a surrogate */
        expect("\x9b", "\\x9b");
        expect("\x80", "\\x80");
        expect("\xc0\xaf", "\\xc0\\xaf");
        expect("\xe2\x9c", "\\xe2\\x9c");
        expect("\xed\xa0\x80", "\\xed\\xa0\\x80");
}

static void test_json(void **state) {
        json_t *v = json_pack("{s:s, s:[s, {s:s}], s:i}", "spec", "image=\033[31m", "nodes", "n1\n", "detail",
                              "ok", "n", 3);
        vc_escape_json(v);
        assert_string_equal(json_string_value(json_object_get(v, "spec")), "image=\\x1b[31m");
        json_t *nodes = json_object_get(v, "nodes");
        assert_string_equal(json_string_value(json_array_get(nodes, 0)), "n1\\x0a");
        assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 1), "detail")), "ok");
        assert_int_equal(json_integer_value(json_object_get(v, "n")), 3);
        json_decref(v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_controls),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
