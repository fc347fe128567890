/* tests for lib/secret.c: the credentials file is read only when it is the
 * reader's own and private, and its errors never contain a value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "util.h"

static char dir[] = "/tmp/test_secret.XXXXXX";

static char *put(const char *name, const char *text, mode_t mode) {
        char *path = xasprintf("%s/%s", dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, text, strlen(text)), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
        return path;
}

static void refused(const char *path, int want, const char *phrase) {
        char **kv = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_secret_load(path, &kv, &err);
        if (r != want || !err || !strstr(err, phrase))
                print_error("%s: got %d '%s', want %d '%s'\n", path, r, err ? err : "", want, phrase);
        assert_int_equal(r, want);
        assert_null(kv);
        assert_non_null(strstr(err, path));
        assert_null(strstr(err, "hunter2"));
}

static void test_load(void **state) {
        _cleanup_free_ char *p = put("ok", "# switch creds\n\n  User=ops \nAuthPass=hunter2\r\nprivpass=a=b\n", 0600);
        char **kv = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_secret_load(p, &kv, &err), 0);
        assert_string_equal(vc_secret_get(kv, "User"), "ops");
        assert_string_equal(vc_secret_get(kv, "authpass"), "hunter2");
        assert_string_equal(vc_secret_get(kv, "PrivPass"), "a=b");
        assert_null(vc_secret_get(kv, "Community"));
        assert_null(vc_secret_get(kv, "Auth"));
        vc_secret_free(kv);
}

static void test_refused(void **state) {
        _cleanup_free_ char *open_ = put("open", "AuthPass=hunter2\n", 0644);
        refused(open_, -EPERM, "is readable by group or others (must be mode 0600 or stricter)");
        _cleanup_free_ char *gw = put("gw", "AuthPass=hunter2\n", 0620);
        refused(gw, -EPERM, "writable or executable by group or others");
        _cleanup_free_ char *bad = put("bad", "AuthPass=hunter2\nhunter2\n", 0600);
        refused(bad, -EINVAL, "a line is not Key=Value");
        _cleanup_free_ char *link = xasprintf("%s/link", dir);
        assert_int_equal(symlink(bad, link), 0);
        refused(link, -ELOOP, "is a symbolic link");
        _cleanup_free_ char *missing = xasprintf("%s/missing", dir);
        refused(missing, -ENOENT, "No such file or directory");
        refused(dir, -EINVAL, "is not a regular file");
        _cleanup_free_ char *fifo = xasprintf("%s/fifo", dir);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        refused(fifo, -EINVAL, "is not a regular file");
        /* owned by someone else: only root can make that file here */
        if (geteuid() == 0) {
                _cleanup_free_ char *theirs = put("theirs", "AuthPass=hunter2\n", 0600);
                assert_int_equal(chown(theirs, 65534, 65534), 0);
                refused(theirs, -EPERM, "is owned by uid 65534, not by uid 0 who reads it");
        }
}

static int setup(void **state) { return mkdtemp(dir) ? 0 : -1; }
static int teardown(void **state) {
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_load),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
