/* tests for lib/journal.c and lib/journal_file.c: order of do and undo,
 * rollback after a failure, replay after a crash, torn records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <time.h>
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

static void note(struct world *w, char sign, int id) {
        size_t n = strlen(w->log);
        snprintf(w->log + n, sizeof(w->log) - n, "%c%d", sign, id);
}

static int thing_do(void *ctx, json_t *args, char **err) {
        struct world *w = ctx;
        int id = (int)json_integer_value(json_object_get(args, "id"));
        if (id == w->fail_do_at) {
                *err = xasprintf("thing %d refused", id);
                return -EIO;
        }
        w->exists[id] = 1;
        note(w, '+', id);
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
        note(w, '-', id);
        return 0;
}

/* "pthing": a parallel kind whose do waits until all three of a batch have
 * arrived, so it can only succeed if the engine really runs them at once. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_arrived;

static int pthing_do(void *ctx, json_t *args, char **err) {
        struct world *w = ctx;
        int id = (int)json_integer_value(json_object_get(args, "id"));
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        pthread_mutex_lock(&gate_lock);
        gate_arrived++;
        pthread_cond_broadcast(&gate_cond);
        int r = 0;
        while (gate_arrived < 3 && r == 0)
                r = pthread_cond_timedwait(&gate_cond, &gate_lock, &until);
        if (id != w->fail_do_at)
                w->exists[id] = 1;
        pthread_mutex_unlock(&gate_lock);
        if (r) {
                *err = xasprintf("thing %d ran alone", id);
                return -ETIMEDOUT;
        }
        if (id == w->fail_do_at) {
                *err = xasprintf("thing %d refused", id);
                return -EIO;
        }
        return 0;
}

/* its undo likewise waits for all three, so the undo must be concurrent too */
static int undo_arrived;

static int pthing_undo(void *ctx, json_t *args, char **err) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        pthread_mutex_lock(&gate_lock);
        undo_arrived++;
        pthread_cond_broadcast(&gate_cond);
        int r = 0;
        while (undo_arrived < 3 && r == 0)
                r = pthread_cond_timedwait(&gate_cond, &gate_lock, &until);
        int u = r ? -ETIMEDOUT : thing_undo(ctx, args, err); /* under the lock: the world is not thread-safe */
        pthread_mutex_unlock(&gate_lock);
        if (r)
                *err = xasprintf("undo of thing %d ran alone", (int)json_integer_value(json_object_get(args, "id")));
        return u;
}

static const struct vc_step_kind kinds[] = {{"thing", thing_do, thing_undo, false},
                                            {"pthing", pthing_do, pthing_undo, true},
                                            {NULL, NULL, NULL, false}};

/* Every test: a world, a journal file in its own temp dir, opened. */
struct fixture {
        struct world w;
        struct vc_journal j;
        char dir[32];
        char *path;
        char *err;
};

static void reopen(struct fixture *f) {
        f->j = (struct vc_journal){0};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_journal_file_open(&f->j, f->path, &err), 0);
        f->j.kinds = kinds;
        f->j.ctx = &f->w;
}

static int setup(void **state) {
        struct fixture *f = xcalloc(1, sizeof(*f));
        strcpy(f->dir, "/tmp/vc-journal.XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        f->path = xasprintf("%s/job.journal", f->dir);
        reopen(f);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        vc_journal_file_close(&f->j);
        unlink(f->path);
        rmdir(f->dir);
        free(f->path);
        free(f->err);
        free(f);
        return 0;
}

static void add_things(struct fixture *f, int n) {
        for (int i = 1; i <= n; i++)
                assert_int_equal(vc_journal_add(&f->j, "thing", json_pack("{s:i}", "id", i)), 0);
}

static void test_run_in_order_then_undo_in_reverse(void **state) {
        struct fixture *f = *state;
        add_things(f, 3);
        assert_int_equal(vc_journal_run(&f->j, &f->err), 0);
        assert_string_equal(f->w.log, "+1+2+3");
        assert_int_equal(vc_journal_pending(&f->j), 3);
        assert_int_equal(vc_journal_undo(&f->j, &f->err), 0);
        assert_string_equal(f->w.log, "+1+2+3-3-2-1");
        assert_int_equal(vc_journal_pending(&f->j), 0);
        /* a second undo has nothing left to do */
        assert_int_equal(vc_journal_undo(&f->j, &f->err), 0);
        assert_string_equal(f->w.log, "+1+2+3-3-2-1");
}

/* Consecutive parallel steps run at once; the sequential step after them
 * waits for the batch; one failure in the batch leaves its siblings done. */
static void test_parallel_batch(void **state) {
        struct fixture *f = *state;
        for (int i = 1; i <= 3; i++)
                assert_int_equal(vc_journal_add(&f->j, "pthing", json_pack("{s:i}", "id", i)), 0);
        assert_int_equal(vc_journal_add(&f->j, "thing", json_pack("{s:i}", "id", 4)), 0);
        gate_arrived = 0;
        assert_int_equal(vc_journal_run(&f->j, &f->err), 0);
        for (int i = 1; i <= 4; i++)
                assert_int_equal(f->j.steps[i - 1].state, VC_STEP_DONE);
        assert_string_equal(f->w.log, "+4");
        undo_arrived = 0;
        assert_int_equal(vc_journal_undo(&f->j, &f->err), 0);
        assert_int_equal(vc_journal_pending(&f->j), 0);
        /* the sequential step first, then the batch in any order */
        assert_int_equal(strncmp(f->w.log, "+4-4", 4), 0);
        assert_int_equal(strlen(f->w.log), 10);

        /* a fresh journal: the middle one of the batch fails */
        vc_journal_file_close(&f->j);
        unlink(f->path);
        reopen(f);
        f->w = (struct world){.fail_do_at = 2};
        for (int i = 1; i <= 3; i++)
                assert_int_equal(vc_journal_add(&f->j, "pthing", json_pack("{s:i}", "id", i)), 0);
        assert_int_equal(vc_journal_add(&f->j, "thing", json_pack("{s:i}", "id", 4)), 0);
        gate_arrived = 0;
        assert_int_equal(vc_journal_run(&f->j, &f->err), -EIO);
        assert_non_null(strstr(f->err, "step 2 (pthing): thing 2 refused"));
        assert_int_equal(f->j.steps[0].state, VC_STEP_DONE);
        assert_int_equal(f->j.steps[1].state, VC_STEP_DOING);
        assert_int_equal(f->j.steps[2].state, VC_STEP_DONE);
        assert_int_equal(f->j.steps[3].state, VC_STEP_PLANNED);
        /* what the file holds is what memory says */
        vc_journal_file_close(&f->j);
        reopen(f);
        assert_int_equal(f->j.steps[1].state, VC_STEP_DOING);
        assert_int_equal(f->j.steps[2].state, VC_STEP_DONE);
        assert_int_equal(vc_journal_pending(&f->j), 3);
        /* the half-done step is undone with its siblings, concurrently */
        undo_arrived = 0;
        assert_int_equal(vc_journal_undo(&f->j, &f->err), 0);
        assert_int_equal(vc_journal_pending(&f->j), 0);
}

static void test_run_stops_at_failure_and_undo_covers_it(void **state) {
        struct fixture *f = *state;
        f->w.fail_do_at = 3;
        add_things(f, 4);
        assert_int_equal(vc_journal_run(&f->j, &f->err), -EIO);
        assert_non_null(strstr(f->err, "step 3 (thing): thing 3 refused"));
        assert_string_equal(f->w.log, "+1+2"); /* stopped: step 4 never ran, nothing undone yet */
        assert_int_equal(f->j.steps[2].state, VC_STEP_DOING);
        assert_int_equal(f->j.steps[3].state, VC_STEP_PLANNED);
        /* step 3 was "doing" when it failed: it may have half-acted, so it is undone too */
        assert_int_equal(vc_journal_pending(&f->j), 3);
        assert_int_equal(vc_journal_undo(&f->j, &f->err), 0);
        assert_string_equal(f->w.log, "+1+2-3-2-1");
        for (int i = 1; i <= 4; i++)
                assert_int_equal(f->w.exists[i], 0);
}

static void test_undo_continues_past_a_failure(void **state) {
        struct fixture *f = *state;
        f->w.fail_undo_at = 2;
        add_things(f, 3);
        assert_int_equal(vc_journal_run(&f->j, &f->err), 0);
        assert_int_equal(vc_journal_undo(&f->j, &f->err), -EBUSY);
        assert_non_null(strstr(f->err, "undo of step 2 (thing): thing 2 stuck"));
        assert_string_equal(f->w.log, "+1+2+3-3-1");
        assert_int_equal(vc_journal_pending(&f->j), 1);
        /* after a restart the stuck step is still known and undone when possible */
        vc_journal_file_close(&f->j);
        f->w.fail_undo_at = 0;
        reopen(f);
        assert_int_equal(vc_journal_pending(&f->j), 1);
        assert_int_equal(vc_journal_undo(&f->j, &f->err), 0);
        assert_int_equal(f->w.exists[2], 0);
}

/* A crash between "doing" and "done": the replayed journal still knows the
 * step may have acted, so recovery undoes it. */
static void test_replay_after_crash(void **state) {
        struct fixture *f = *state;
        add_things(f, 3);
        assert_int_equal(vc_journal_run(&f->j, &f->err), 0);
        vc_journal_file_close(&f->j);
        /* simulate: step 3's undo started, then the process died mid-write */
        int fd = open(f->path, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        const char rec[] = "{\"seq\":3,\"state\":\"undoing\"}\n{\"seq\":2,\"sta"; /* torn tail */
        assert_int_equal(write(fd, rec, sizeof(rec) - 1), (ssize_t)(sizeof(rec) - 1));
        close(fd);
        reopen(f);
        assert_int_equal(f->j.n, 3);
        assert_int_equal(f->j.steps[2].state, VC_STEP_UNDOING);
        assert_int_equal(f->j.steps[1].state, VC_STEP_DONE);
        assert_int_equal(vc_journal_pending(&f->j), 3);
        f->w.log[0] = 0;
        assert_int_equal(vc_journal_undo(&f->j, &f->err), 0);
        assert_string_equal(f->w.log, "-3-2-1");
        /* the torn record was cut off, and the undone states are durable */
        vc_journal_file_close(&f->j);
        reopen(f);
        assert_int_equal(vc_journal_pending(&f->j), 0);
}

static void test_corrupt_record_refused(void **state) {
        struct fixture *f = *state;
        vc_journal_file_close(&f->j);
        int fd = open(f->path, O_WRONLY | O_TRUNC);
        const char rec[] = "{\"seq\":1,\"kind\":\"thing\",\"args\":{\"id\":1}}\n{\"seq\":7,\"state\":\"done\"}\n";
        assert_int_equal(write(fd, rec, sizeof(rec) - 1), (ssize_t)(sizeof(rec) - 1));
        close(fd);
        assert_int_equal(vc_journal_file_open(&f->j, f->path, &f->err), -EBADMSG);
        assert_non_null(strstr(f->err, ":2: corrupt journal record"));
        assert_int_equal(f->j.n, 0); /* nothing half-loaded */
}

static void test_unknown_kind(void **state) {
        struct fixture *f = *state;
        assert_int_equal(vc_journal_add(&f->j, "teleport", json_object()), 0);
        assert_int_equal(vc_journal_run(&f->j, &f->err), -EINVAL);
        assert_non_null(strstr(f->err, "unknown kind 'teleport'"));
}

static void test_failpoint_after_a_step_acted(void **state) {
        struct fixture *f = *state;
        add_things(f, 2);
        _cleanup_free_ char *fperr = NULL;
        assert_int_equal(vc_failpoint_setup("step.do.after=error", &fperr), 0);
        assert_int_equal(vc_journal_run(&f->j, &f->err), -EIO);
        assert_int_equal(vc_failpoint_setup(NULL, &fperr), 0);
        assert_non_null(strstr(f->err, "injected failure (step.do.after)"));
        /* step 1 acted before the failure: it is pending until undone */
        assert_string_equal(f->w.log, "+1");
        assert_int_equal(vc_journal_pending(&f->j), 1);
        free(f->err);
        f->err = NULL;
        assert_int_equal(vc_journal_undo(&f->j, &f->err), 0);
        assert_string_equal(f->w.log, "+1-1");
}

static void test_state_names(void **state) {
        enum vc_step_state s;
        for (int i = VC_STEP_PLANNED; i <= VC_STEP_UNDONE; i++) {
                assert_int_equal(vc_step_state_parse(vc_step_state_name((enum vc_step_state)i), &s), 0);
                assert_int_equal(s, i);
        }
        assert_int_equal(vc_step_state_parse("bogus", &s), -EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_run_in_order_then_undo_in_reverse),
                T(test_run_stops_at_failure_and_undo_covers_it),
                T(test_parallel_batch),
                T(test_undo_continues_past_a_failure),
                T(test_replay_after_crash),
                T(test_corrupt_record_refused),
                T(test_unknown_kind),
                T(test_failpoint_after_a_step_acted),
                cmocka_unit_test(test_state_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
