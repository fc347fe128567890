/* tests for lib/journal.c and lib/journal_file.c: order of do and undo,
 * rollback on failure, replay after a crash, torn records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "failpoint.h"
#include "journal.h"
#include "util.h"

/* A world the steps act on: which things exist, and the order of actions. */
struct world {
        int exists[16];
        char log[256];
        int fail_do_at;   /* the step id whose do fails, 0 = none */
        int fail_undo_at; /* the step id whose undo fails */
};

static int thing_do(void *ctx, json_t *args, char **err) {
        struct world *w = ctx;
        int id = (int)json_integer_value(json_object_get(args, "id"));
        if (id == w->fail_do_at) {
                *err = xasprintf("thing %d refused", id);
                return -EIO;
        }
        w->exists[id] = 1;
        snprintf(w->log + strlen(w->log), sizeof(w->log) - strlen(w->log), "+%d", id);
        return 0;
}

static int thing_undo(void *ctx, json_t *args, char **err) {
        struct world *w = ctx;
        int id = (int)json_integer_value(json_object_get(args, "id"));
        if (id == w->fail_undo_at) {
                *err = xasprintf("thing %d stuck", id);
                return -EBUSY;
        }
        /* idempotent: undoing something already gone succeeds */
        w->exists[id] = 0;
        snprintf(w->log + strlen(w->log), sizeof(w->log) - strlen(w->log), "-%d", id);
        return 0;
}

static const struct vc_step_kind kinds[] = {{"thing", thing_do, thing_undo}, {NULL, NULL, NULL}};

static char *tmp_journal(void) {
        char dir[] = "/tmp/vc-journal.XXXXXX";
        assert_non_null(mkdtemp(dir));
        return xasprintf("%s/job.journal", dir);
}

static void remove_journal(char *path) {
        unlink(path);
        *strrchr(path, '/') = 0;
        rmdir(path);
        free(path);
}

static void open_journal(struct vc_journal *j, const char *path, struct world *w) {
        _cleanup_free_ char *err = NULL;
        *j = (struct vc_journal){.kinds = kinds, .ctx = w};
        assert_int_equal(vc_journal_file_open(j, path, &err), 0);
        j->kinds = kinds;
        j->ctx = w;
}

static void add_things(struct vc_journal *j, int n) {
        for (int i = 1; i <= n; i++)
                assert_int_equal(vc_journal_add(j, "thing", json_pack("{s:i}", "id", i)), 0);
}

static void test_run_in_order_then_undo_in_reverse(void **state) {
        struct world w = {0};
        struct vc_journal j;
        char *path = tmp_journal();
        open_journal(&j, path, &w);
        add_things(&j, 3);
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_journal_run(&j, &err), 0);
        assert_string_equal(w.log, "+1+2+3");
        assert_int_equal(vc_journal_pending(&j), 3);
        assert_int_equal(vc_journal_undo(&j, &err), 0);
        assert_string_equal(w.log, "+1+2+3-3-2-1");
        assert_int_equal(vc_journal_pending(&j), 0);
        /* a second undo has nothing left to do */
        assert_int_equal(vc_journal_undo(&j, &err), 0);
        assert_string_equal(w.log, "+1+2+3-3-2-1");
        vc_journal_file_close(&j);
        remove_journal(path);
}

static void test_failure_rolls_back_done_steps(void **state) {
        struct world w = {.fail_do_at = 3};
        struct vc_journal j;
        char *path = tmp_journal();
        open_journal(&j, path, &w);
        add_things(&j, 4);
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_journal_run(&j, &err), -EIO);
        assert_non_null(strstr(err, "step 3 (thing): thing 3 refused"));
        assert_non_null(strstr(err, "rolled back"));
        /* step 3 was "doing" when it failed: its undo runs too (it may have half-acted) */
        assert_string_equal(w.log, "+1+2-3-2-1");
        assert_int_equal(j.steps[3].state, VC_STEP_PLANNED);
        for (int i = 1; i <= 4; i++)
                assert_int_equal(w.exists[i], 0);
        vc_journal_file_close(&j);
        remove_journal(path);
}

static void test_undo_continues_past_a_failure(void **state) {
        struct world w = {.fail_undo_at = 2};
        struct vc_journal j;
        char *path = tmp_journal();
        open_journal(&j, path, &w);
        add_things(&j, 3);
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_journal_run(&j, &err), 0);
        assert_int_equal(vc_journal_undo(&j, &err), -EBUSY);
        assert_non_null(strstr(err, "undo of step 2 (thing): thing 2 stuck"));
        assert_string_equal(w.log, "+1+2+3-3-1");
        assert_int_equal(vc_journal_pending(&j), 1);
        vc_journal_file_close(&j);
        /* after a restart the stuck step is still known and undone when possible */
        w.fail_undo_at = 0;
        open_journal(&j, path, &w);
        assert_int_equal(vc_journal_pending(&j), 1);
        free(err);
        err = NULL;
        assert_int_equal(vc_journal_undo(&j, &err), 0);
        assert_int_equal(w.exists[2], 0);
        vc_journal_file_close(&j);
        remove_journal(path);
}

/* A crash between "doing" and "done": the replayed journal still knows the
 * step may have acted, so recovery undoes it. */
static void test_replay_after_crash(void **state) {
        struct world w = {0};
        struct vc_journal j;
        char *path = tmp_journal();
        open_journal(&j, path, &w);
        add_things(&j, 3);
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_journal_run(&j, &err), 0);
        vc_journal_file_close(&j);
        /* simulate: step 3's undo started, then the process died */
        int fd = open(path, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        const char rec[] = "{\"seq\":3,\"state\":\"undoing\"}\n{\"seq\":2,\"sta"; /* torn tail */
        assert_int_equal(write(fd, rec, sizeof(rec) - 1), (ssize_t)(sizeof(rec) - 1));
        close(fd);
        open_journal(&j, path, &w);
        assert_int_equal(j.n, 3);
        assert_int_equal(j.steps[2].state, VC_STEP_UNDOING);
        assert_int_equal(j.steps[1].state, VC_STEP_DONE);
        assert_int_equal(vc_journal_pending(&j), 3);
        w.log[0] = 0;
        assert_int_equal(vc_journal_undo(&j, &err), 0);
        assert_string_equal(w.log, "-3-2-1");
        vc_journal_file_close(&j);
        /* the torn record was cut off, and the undone states are durable */
        open_journal(&j, path, &w);
        assert_int_equal(vc_journal_pending(&j), 0);
        vc_journal_file_close(&j);
        remove_journal(path);
}

static void test_corrupt_record_refused(void **state) {
        char *path = tmp_journal();
        int fd = open(path, O_WRONLY | O_CREAT, 0600);
        const char rec[] = "{\"seq\":1,\"kind\":\"thing\",\"args\":{\"id\":1}}\n{\"seq\":7,\"state\":\"done\"}\n";
        assert_int_equal(write(fd, rec, sizeof(rec) - 1), (ssize_t)(sizeof(rec) - 1));
        close(fd);
        struct vc_journal j = {.kinds = kinds};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_journal_file_open(&j, path, &err), -EBADMSG);
        assert_non_null(strstr(err, ":2: corrupt journal record"));
        remove_journal(path);
}

static void test_unknown_kind(void **state) {
        struct world w = {0};
        struct vc_journal j;
        char *path = tmp_journal();
        open_journal(&j, path, &w);
        assert_int_equal(vc_journal_add(&j, "teleport", json_object()), 0);
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_journal_run(&j, &err), -EINVAL);
        assert_non_null(strstr(err, "unknown kind 'teleport'"));
        vc_journal_file_close(&j);
        remove_journal(path);
}

static void test_failpoint_error_in_journal_write(void **state) {
        struct world w = {0};
        struct vc_journal j;
        char *path = tmp_journal();
        open_journal(&j, path, &w);
        add_things(&j, 2);
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_failpoint_setup("step.do.after=error", &err), 0);
        assert_int_equal(vc_journal_run(&j, &err), -EIO);
        assert_int_equal(vc_failpoint_setup(NULL, &err), 0);
        /* step 1 acted, then the failpoint fired: it must have been undone */
        assert_string_equal(w.log, "+1-1");
        assert_int_equal(vc_journal_pending(&j), 0);
        vc_journal_file_close(&j);
        remove_journal(path);
}

static void test_state_names(void **state) {
        enum vc_step_state s;
        for (int i = VC_STEP_PLANNED; i <= VC_STEP_UNDONE; i++) {
                assert_int_equal(vc_step_state_parse(vc_step_state_name((enum vc_step_state)i), &s), 0);
                assert_int_equal(s, i);
        }
        assert_int_equal(vc_step_state_parse("bogus", &s), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_run_in_order_then_undo_in_reverse),
                cmocka_unit_test(test_failure_rolls_back_done_steps),
                cmocka_unit_test(test_undo_continues_past_a_failure),
                cmocka_unit_test(test_replay_after_crash),
                cmocka_unit_test(test_corrupt_record_refused),
                cmocka_unit_test(test_unknown_kind),
                cmocka_unit_test(test_failpoint_error_in_journal_write),
                cmocka_unit_test(test_state_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
