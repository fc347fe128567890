/* tests for node/jobaccess.c: the job dir's ACL entry for QEMU as the
 * job's user is set with its parents made searchable, and taken back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "jobaccess.h"
#include "journal.h"
#include "util.h"

static char root[] = "/tmp/test_jobaccess.XXXXXX";

static void test_do_undo(void **state) {
        (void)state;
        assert_non_null(mkdtemp(root));
        _cleanup_free_ char *nodes = xasprintf("%s/nodes", root), *node = xasprintf("%s/nodes/a001", root),
                            *dir = xasprintf("%s/nodes/a001/42", root);
        assert_int_equal(mkdir(nodes, 0700), 0);
        assert_int_equal(mkdir(node, 0700), 0);
        assert_int_equal(mkdir(dir, 0700), 0);
        json_t *args = json_pack("{s:s, s:i}", "dir", dir, "uid", 4321);
        char *err = NULL;
        int r = vc_job_user_do(NULL, args, &err);
        if (r < 0 && strstr(err ? err : "", "no POSIX ACLs")) {
                free(err);
                json_decref(args);
                skip();
        }
        assert_int_equal(r, 0);
        struct stat st;
        assert_int_equal(stat(nodes, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711);
        assert_int_equal(stat(node, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711);
        /* the mask (--x) shows as the group bits; nobody else gets anything */
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0710);
        unsigned char acl[64];
        ssize_t n = getxattr(dir, "system.posix_acl_access", acl, sizeof(acl));
        assert_int_equal(n, 4 + 5 * 8);
        /* the second entry: ACL_USER, --x, uid 4321 */
        uint16_t tag, perm;
        uint32_t id;
        memcpy(&tag, acl + 4 + 8, 2);
        memcpy(&perm, acl + 4 + 10, 2);
        memcpy(&id, acl + 4 + 12, 4);
        assert_int_equal(tag, 0x02);
        assert_int_equal(perm, 1);
        assert_int_equal(id, 4321);

        assert_int_equal(vc_job_user_undo(NULL, args, &err), 0);
        assert_int_equal(stat(dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_true(getxattr(dir, "system.posix_acl_access", acl, sizeof(acl)) < 0);
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(vc_job_user_undo(NULL, args, &err), 0); /* gone: fine */
        json_decref(args);
        rmdir(node);
        rmdir(nodes);
        rmdir(root);
}

static void expect_refused(json_t *args) {
        char *err = NULL;
        assert_int_equal(vc_job_user_do(NULL, args, &err), -EINVAL);
        assert_non_null(strstr(err, "job.user: needs"));
        free(err);
        json_decref(args);
}

/* root needs no entry; a relative dir or no uid is refused */
static void test_bad_args(void **state) {
        (void)state;
        expect_refused(json_pack("{s:s, s:i}", "dir", "/x", "uid", 0));
        expect_refused(json_pack("{s:s, s:i}", "dir", "x/y", "uid", 5));
        expect_refused(json_pack("{s:s}", "dir", "/x"));
        expect_refused(json_pack("{s:i}", "uid", 5));
}

/* a parent that is not a directory of root's is not changed */
static void test_parent_not_roots(void **state) {
        (void)state;
        char tmp[] = "/tmp/test_jobaccess_p.XXXXXX";
        assert_non_null(mkdtemp(tmp));
        _cleanup_free_ char *node = xasprintf("%s/n", tmp), *dir = xasprintf("%s/n/1", tmp);
        assert_int_equal(mkdir(node, 0700), 0);
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(chown(node, 1234, 1234), 0);
        json_t *args = json_pack("{s:s, s:i}", "dir", dir, "uid", 4321);
        char *err = NULL;
        assert_true(vc_job_user_do(NULL, args, &err) < 0);
        assert_non_null(strstr(err, "not a directory of root's"));
        free(err);
        struct stat st;
        assert_int_equal(stat(node, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        json_decref(args);
        rmdir(dir);
        rmdir(node);
        rmdir(tmp);
}

int main(void) {
        if (geteuid() != 0) {
                printf("test_jobaccess: skipped (needs root: chown, ACLs of root's dirs)\n");
                return 0;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_do_undo),
                cmocka_unit_test(test_bad_args),
                cmocka_unit_test(test_parent_not_roots),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
