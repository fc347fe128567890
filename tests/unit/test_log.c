/* tests for lib/log.c: what a foreground program prints, and the level filter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>

#include "log.h"
#include "util.h"

/* capture: run fn with stderr redirected to a temp file; returns what it printed. */
static char *capture(void (*fn)(void)) {
        char path[] = "/tmp/vc-log.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        fflush(stderr);
        int saved = dup(2);
        dup2(fd, 2);
        fn();
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        close(fd);
        char *out = NULL;
        assert_int_equal(read_file(path, &out, NULL, 1 << 16), 0);
        unlink(path);
        return out;
}

static void emit_all(void) {
        log_error("disk %s", "full");
        log_warning("range %d shrunk", 7);
        log_info("job %d acquired", 1);
        log_debug("noise");
}

static void test_foreground_format_and_level(void **state) {
        vc_log_open("vctest", true);
        vc_log_set_level(LOG_INFO);
        _cleanup_free_ char *out = capture(emit_all);
        assert_string_equal(out, "vctest: error: disk full\n"
                                 "vctest: warning: range 7 shrunk\n"
                                 "vctest: job 1 acquired\n");
        vc_log_set_level(LOG_WARNING);
        _cleanup_free_ char *quiet = capture(emit_all);
        assert_string_equal(quiet, "vctest: error: disk full\nvctest: warning: range 7 shrunk\n");
        vc_log_set_level(LOG_DEBUG);
        _cleanup_free_ char *loud = capture(emit_all);
        assert_non_null(strstr(loud, "vctest: noise\n"));
        vc_log_set_level(LOG_INFO);
}

/* As a daemon nothing goes to stderr: it goes to syslog. */
static void test_daemon_mode_leaves_stderr_alone(void **state) {
        vc_log_open("vctest", false);
        _cleanup_free_ char *out = capture(emit_all);
        assert_string_equal(out, "");
        vc_log_open("vctest", true);
}

static void emit_hostile(void) {
        log_error("refused: %s", "image=x\n" "vctest: job 1 acquired\033[2K");
}

/* Issue 15 item 11: a quoted spec or console line forges no line of ours
 * and sends no escape sequence to whoever reads the log. */
static void test_control_characters_escaped(void **state) {
        vc_log_open("vctest", true);
        _cleanup_free_ char *out = capture(emit_hostile);
        assert_string_equal(out, "vctest: error: refused: image=x\\x0avctest: job 1 acquired\\x1b[2K\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_foreground_format_and_level),
                cmocka_unit_test(test_daemon_mode_leaves_stderr_alone),
                cmocka_unit_test(test_control_characters_escaped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
