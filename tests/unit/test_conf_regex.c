/* test_conf_regex — lib/conf_regex.c: what it accepts, regcomp accepts
 * too (and compiles quickly); what it refuses for syntax, regcomp refuses
 * too; what it refuses for cost is the pattern family that blows regcomp up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <regex.h>

#include "conf_regex.h"
#include "util.h"

static bool regcomp_ok(const char *p) {
        regex_t re;
        if (regcomp(&re, p, REG_EXTENDED | REG_NOSUB) != 0)
                return false;
        regfree(&re);
        return true;
}

static void test_accepted(void **state) {
        static const char *const ok[] = {
                "/config/", "\\.conf$", "^http://[a-z0-9.-]+/(dists|pool)/.*\\.(deb|udeb)$", "a{2,5}", "a{3}",
                "a{2,}", "a{,4}", "[]a]", "[^]a-z]", "[[:alpha:]_]+", "[[.-.]]", "[[=a=]]", "x|", "()", "a)", "(a|b)*c?",
                "\\w+\\s\\b", "[a\\]", "^$", "(^a|b$)", "[a-]", "a{0}", "(ab){100}", "(((a*)*)*)*", "V+", "V++",
                "(a|b|c|d){50}x{400}"};
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                _cleanup_free_ char *why = NULL;
                int r = vc_ere_check(ok[i], &why);
                if (r < 0)
                        print_error("'%s' refused: %s\n", ok[i], why);
                assert_int_equal(r, 0);
                assert_true(regcomp_ok(ok[i]));
        }
}

/* Refused for their syntax: regcomp refuses every one of them too. */
static void test_syntax(void **state) {
        static const struct {
                const char *re, *why;
        } bad[] = {
                {"(x", "unmatched '('"},
                {"a\\", "a trailing backslash"},
                {"*a", "'*' at offset 0 repeats nothing"},
                {"a|+b", "'+' at offset 2 repeats nothing"},
                {"(?a)", "'?' at offset 1 repeats nothing"},
                {"a{x}", "'{' starts no interval"},
                {"a{2", "'{' starts no interval"},
                {"a{3,2}", "interval {3,2}: its minimum is above its maximum"},
                {"a{99999}", "an interval bound above 32767"},
                {"[a", "unmatched '['"},
                {"[[:foo:]]", "unknown character class '[:foo:]'"},
                {"[[:alpha]", "unmatched '[:'"},
                {"[z-a]", "range 'z-a' in '[...]' ends before it starts"},
                {"^*", "repeats the anchor '^'"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                _cleanup_free_ char *why = NULL;
                int r = vc_ere_check(bad[i].re, &why);
                if (r != -EINVAL || !strstr(why, bad[i].why))
                        print_error("'%s': %d '%s', want '%s'\n", bad[i].re, r, why ? why : "", bad[i].why);
                assert_int_equal(r, -EINVAL);
                assert_non_null(strstr(why, bad[i].why));
                assert_false(regcomp_ok(bad[i].re));
        }
}

/* Refused for what regcomp would spend on them (never compiled here). */
static void test_cost(void **state) {
        char stacked[32] = "V";
        memset(stacked + 1, '+', 24);
        char deep[200] = "";
        for (int i = 0; i < 12; i++)
                strcat(deep, "(");
        strcat(deep, "a");
        for (int i = 0; i < 12; i++)
                strcat(deep, ")+");
        const char *const costly[] = {stacked, "V{100}{100}", "((a{10}){10}){30}", "a{2001}", "(a|b){1000}{3}", deep};
        for (size_t i = 0; i < ARRAY_SIZE(costly); i++) {
                _cleanup_free_ char *why = NULL;
                assert_int_equal(vc_ere_check(costly[i], &why), -EINVAL);
                assert_non_null(strstr(why, "more than 2000 copies"));
        }
        _cleanup_free_ char *why = NULL;
        assert_int_equal(vc_ere_check("(a)\\1", &why), -EINVAL);
        assert_non_null(strstr(why, "back-reference '\\1'"));
        free(TAKE_PTR(why));
        char *big = xmalloc(VC_ERE_MAX_LEN + 2);
        memset(big, 'a', VC_ERE_MAX_LEN + 1);
        big[VC_ERE_MAX_LEN + 1] = 0;
        assert_int_equal(vc_ere_check(big, &why), -EINVAL);
        assert_non_null(strstr(why, "longer than 1024 characters"));
        free(big);
        /* the most the check lets through still compiles at once */
        assert_int_equal(vc_ere_check("(a|b){1000}", NULL), 0);
        assert_true(regcomp_ok("(a|b){1000}"));
        assert_true(regcomp_ok("x{2000}"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accepted),
                cmocka_unit_test(test_syntax),
                cmocka_unit_test(test_cost),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
