/* tests for lib/auth.c against a real munged started privately for the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "auth.h"
#include "run.h"
#include "util.h"

static char dir[] = "/tmp/vc-auth.XXXXXX";
static char *sock;
static pid_t munged_pid;

static int setup(void **state) {
        if (!mkdtemp(dir) || chmod(dir, 0711) < 0)
                return -1;
        _cleanup_free_ char *key = xasprintf("%s/munge.key", dir);
        const char *mk[] = {"mungekey", "-c", "-k", key, NULL};
        struct vc_run_result rr;
        if (vc_run(mk, NULL, 10000, &rr) < 0 || rr.status != 0)
                return -1;
        vc_run_result_free(&rr);
        sock = xasprintf("%s/munge.socket", dir);
        munged_pid = fork();
        if (munged_pid == 0) {
                _cleanup_free_ char *a1 = xasprintf("--key-file=%s", key), *a2 = xasprintf("--socket=%s", sock),
                                    *a3 = xasprintf("--pid-file=%s/pid", dir), *a4 = xasprintf("--log-file=%s/log", dir),
                                    *a5 = xasprintf("--seed-file=%s/seed", dir);
                execlp("munged", "munged", "-F", a1, a2, a3, a4, a5, (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 200; i++) {
                if (access(sock, F_OK) == 0)
                        return 0;
                usleep(20000);
        }
        return -1;
}

static int teardown(void **state) {
        if (munged_pid > 0) {
                kill(munged_pid, SIGTERM);
                waitpid(munged_pid, NULL, 0);
        }
        const char *rm[] = {"rm", "-rf", dir, NULL};
        struct vc_run_result rr;
        if (vc_run(rm, NULL, 10000, &rr) == 0)
                vc_run_result_free(&rr);
        free(sock);
        return 0;
}

static void test_seal_verify(void **state) {
        _cleanup_free_ char *cred = NULL, *err = NULL;
        assert_int_equal(vc_auth_seal(sock, "{\"op\":\"ping\"}", &cred, &err), 0);
        uid_t uid = 1;
        gid_t gid = 1;
        assert_int_equal(vc_auth_verify(sock, cred, "{\"op\":\"ping\"}", &uid, &gid, &err), 0);
        assert_int_equal(uid, getuid());
        assert_int_equal(gid, getgid());
}

static void test_wrong_payload(void **state) {
        _cleanup_free_ char *cred = NULL, *err = NULL;
        assert_int_equal(vc_auth_seal(sock, "{\"op\":\"list\"}", &cred, &err), 0);
        uid_t uid;
        gid_t gid;
        assert_int_equal(vc_auth_verify(sock, cred, "{\"op\":\"release\",\"job\":1}", &uid, &gid, &err), -EACCES);
        assert_non_null(strstr(err, "payload does not match"));
}

static void test_replay(void **state) {
        _cleanup_free_ char *cred = NULL, *err = NULL;
        assert_int_equal(vc_auth_seal(sock, "x", &cred, &err), 0);
        uid_t uid;
        gid_t gid;
        assert_int_equal(vc_auth_verify(sock, cred, "x", &uid, &gid, &err), 0);
        assert_int_equal(vc_auth_verify(sock, cred, "x", &uid, &gid, &err), -EACCES);
        assert_non_null(strstr(err, "replayed credential"));
}

static void test_garbage_credential(void **state) {
        _cleanup_free_ char *err = NULL;
        uid_t uid;
        gid_t gid;
        assert_int_equal(vc_auth_verify(sock, "MUNGE:not-a-credential:", "x", &uid, &gid, &err), -EACCES);
        assert_non_null(strstr(err, "credential refused"));
}

static void test_no_munged(void **state) {
        _cleanup_free_ char *cred = NULL, *err = NULL;
        assert_int_equal(vc_auth_seal("/nonexistent/munge.socket", "x", &cred, &err), -ECONNREFUSED);
        assert_non_null(strstr(err, "munge"));
}

/* A reply sealed by root for request credential A: taken for A, and refused
 * for another request, for a changed reply, and when sealed by a user. */
static void test_reply_seal(void **state) {
        _cleanup_free_ char *a = NULL, *b = NULL, *rcred = NULL, *err = NULL;
        const char *reply = "{\"ok\":true,\"vlan\":101}";
        assert_int_equal(vc_auth_seal(sock, "{\"op\":\"show\",\"job\":1}", &a, &err), 0);
        assert_int_equal(vc_auth_seal(sock, "{\"op\":\"show\",\"job\":1}", &b, &err), 0);
        assert_int_equal(vc_auth_seal_reply(sock, a, reply, &rcred, &err), 0);
        assert_int_equal(vc_auth_verify_reply(sock, rcred, b, reply, &err), -EACCES);
        assert_non_null(strstr(err, "not sealed for this request"));
        free(TAKE_PTR(err));
        free(TAKE_PTR(rcred));
        assert_int_equal(vc_auth_seal_reply(sock, a, reply, &rcred, &err), 0);
        assert_int_equal(vc_auth_verify_reply(sock, rcred, a, "{\"ok\":true,\"vlan\":4000}", &err), -EACCES);
        free(TAKE_PTR(err));
        free(TAKE_PTR(rcred));
        assert_int_equal(vc_auth_seal_reply(sock, a, reply, &rcred, &err), 0);
        assert_int_equal(vc_auth_verify_reply(sock, rcred, a, reply, &err), 0);
        /* each reply credential is taken once: munged refuses a replay */
        assert_int_equal(vc_auth_verify_reply(sock, rcred, a, reply, &err), -EACCES);
}

static void test_reply_sealed_by_user(void **state) {
        if (getuid() != 0)
                skip();
        _cleanup_free_ char *a = NULL, *err = NULL;
        const char *reply = "{\"ok\":true}";
        assert_int_equal(vc_auth_seal(sock, "{\"op\":\"show\"}", &a, &err), 0);
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        if (pid == 0) { /* an impostor: any user can seal, as itself */
                char *c = NULL, *e = NULL;
                if (setgid(65534) < 0 || setuid(65534) < 0 || vc_auth_seal_reply(sock, a, reply, &c, &e) < 0)
                        _exit(1);
                _exit(write_all(p[1], c, strlen(c)) == 0 ? 0 : 1);
        }
        close(p[1]);
        char buf[4096] = {0};
        ssize_t n = read(p[0], buf, sizeof(buf) - 1);
        close(p[0]);
        int st;
        waitpid(pid, &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0);
        assert_int_equal(vc_auth_verify_reply(sock, buf, a, reply, &err), -EACCES);
        assert_string_equal(err, "sealed by uid 65534, not root");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_seal_verify),
                cmocka_unit_test(test_reply_seal),
                cmocka_unit_test(test_reply_sealed_by_user),
                cmocka_unit_test(test_wrong_payload),
                cmocka_unit_test(test_replay),
                cmocka_unit_test(test_garbage_credential),
                cmocka_unit_test(test_no_munged),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
