/* test_nodestate — the node's state dir and its journal: the layout, the
 * node.plan step (do writes atomically, undo removes, undo twice is fine),
 * removal only once nothing is left, and a plan read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>

#include "nodestate.h"
#include "util.h"

/* node.plan alone: the node steps of node/ are tested elsewhere. */
static const struct vc_step_kind kinds[] = {
        {"node.plan", vc_node_plan_do, vc_node_plan_undo, false},
        {NULL, NULL, NULL, false},
};

struct fx {
        char root[64];
        char *dir;
};

static int setup(void **state) {
        struct fx *f = xcalloc(1, sizeof(*f));
        strcpy(f->root, "/tmp/vc-nodestate.XXXXXX");
        if (!mkdtemp(f->root))
                return -1;
        f->dir = vc_node_job_dir(f->root, "a001", 42);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        _cleanup_free_ char *cmd = xasprintf("%s/nodes/a001", f->root);
        (void)rmdir(f->dir);
        (void)rmdir(cmd);
        free(cmd);
        cmd = xasprintf("%s/nodes", f->root);
        (void)rmdir(cmd);
        (void)rmdir(f->root);
        free(f->dir);
        free(f);
        return 0;
}

static void test_layout(void **state) {
        struct fx *f = *state;
        _cleanup_free_ char *want = xasprintf("%s/nodes/a001/42", f->root);
        assert_string_equal(f->dir, want);
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_node_job_dir_make(f->dir, &err), 0);
        assert_int_equal(vc_node_job_dir_make(f->dir, &err), 0); /* again: fine */
        struct stat sb;
        assert_int_equal(stat(f->dir, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0700);
        assert_int_equal(vc_node_job_dir_remove(f->dir, &err), 0);
        assert_int_equal(vc_node_job_dir_remove(f->dir, &err), 0); /* already gone: fine */
}

static void test_plan_step(void **state) {
        struct fx *f = *state;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_node_job_dir_make(f->dir, &err), 0);
        struct vc_journal j = {0};
        assert_int_equal(vc_node_journal_open(f->dir, kinds, &j, &err), 0);
        _cleanup_free_ char *path = xasprintf("%s/%s", f->dir, VC_NODE_PLAN);
        json_t *recorded = json_loads("{\"job\":42,\"node\":\"a3\",\"uid\":0,\"mode\":\"shared\",\"vni\":null,"
                                      "\"spec\":\"name=x\",\"site\":{\"name\":\"a\",\"id\":1,\"vlan\":100,"
                                      "\"gateway\":\"a3\"},\"is_gateway\":true,\"guests\":[],\"cluster_nodes\":\"\","
                                      "\"frontend\":\"x-1-1\",\"hosts\":[],\"image\":null,\"l2\":null,"
                                      "\"access\":{\"index\":0,\"sites\":1,\"nodes\":[]}}",
                                      0, NULL);
        assert_non_null(recorded);
        assert_int_equal(vc_journal_add(&j, "node.plan", json_pack("{s:s, s:o}", "path", path, "plan", recorded)),
                         0);
        assert_int_equal(vc_journal_run(&j, &err), 0);
        vc_journal_file_close(&j);

        struct vc_nodeplan plan;
        assert_int_equal(vc_node_plan_read(f->dir, &plan, &err), 0);
        assert_int_equal(plan.site.vlan, 100);
        vc_nodeplan_clear(&plan);

        /* the directory cannot go while the plan is there */
        assert_int_equal(vc_node_job_dir_remove(f->dir, &err), -ENOTEMPTY);
        assert_non_null(strstr(err, "not empty"));
        free(TAKE_PTR(err));

        /* a new process (the epilog) replays the journal and undoes it */
        assert_int_equal(vc_node_journal_open(f->dir, kinds, &j, &err), 0);
        assert_int_equal(vc_journal_pending(&j), 1);
        assert_int_equal(vc_journal_undo(&j, &err), 0);
        assert_int_equal(vc_journal_pending(&j), 0);
        assert_int_equal(vc_journal_undo(&j, &err), 0);
        vc_journal_file_close(&j);
        assert_int_equal(vc_node_plan_read(f->dir, &plan, &err), -ENOENT);
        assert_int_equal(vc_node_job_dir_remove(f->dir, &err), 0);
}

static void test_undo_when_already_gone(void **state) {
        struct fx *f = *state;
        _cleanup_free_ char *err = NULL;
        const struct vc_step_kind *k = &kinds[0];
        assert_string_equal(k->name, "node.plan");
        _cleanup_free_ char *path = xasprintf("%s/none.json", f->root);
        _cleanup_(json_decrefp) json_t *args = json_pack("{s:s}", "path", path);
        assert_int_equal(k->undo(NULL, args, &err), 0);
        _cleanup_(json_decrefp) json_t *noargs = json_object();
        assert_int_equal(k->do_(NULL, noargs, &err), -EINVAL);
}

static void test_corrupt_plan(void **state) {
        struct fx *f = *state;
        _cleanup_free_ char *err = NULL, *err2 = NULL;
        assert_int_equal(vc_node_job_dir_make(f->dir, &err), 0);
        _cleanup_free_ char *path = xasprintf("%s/%s", f->dir, VC_NODE_PLAN);
        assert_int_equal(vc_write_file_atomic(path, "[1]", 3, 0600, &err), 0);
        struct vc_nodeplan plan;
        assert_int_equal(vc_node_plan_read(f->dir, &plan, &err2), -EBADMSG);
        assert_null(plan.node);
        /* a JSON object that is not a node plan: refused, the member named */
        _cleanup_free_ char *err3 = NULL;
        assert_int_equal(vc_write_file_atomic(path, "{\"job\":42}", 10, 0600, &err), 0);
        assert_int_equal(vc_node_plan_read(f->dir, &plan, &err3), -EBADMSG);
        assert_non_null(strstr(err3, "plan.json: node plan: node: missing"));
        assert_int_equal(unlink(path), 0);
        assert_int_equal(vc_node_job_dir_remove(f->dir, &err), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(test_layout), T(test_plan_step), T(test_undo_when_already_gone), T(test_corrupt_plan),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
