/* tests for lib/rpc.c: framing, limits, envelopes, replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>

#include "rpc.h"
#include "util.h"

static void pair(int sv[2]) { assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0); }

static void test_roundtrip(void **state) {
        int sv[2];
        pair(sv);
        assert_int_equal(vc_rpc_send(sv[0], "{\"a\":1}", 7), 0);
        assert_int_equal(vc_rpc_send(sv[0], "", 0), 0);
        _cleanup_free_ char *a = NULL, *b = NULL;
        size_t n;
        assert_int_equal(vc_rpc_recv(sv[1], 100, &a, &n), 0);
        assert_int_equal(n, 7);
        assert_string_equal(a, "{\"a\":1}");
        assert_int_equal(vc_rpc_recv(sv[1], 100, &b, &n), 0);
        assert_int_equal(n, 0);
        assert_string_equal(b, "");
        close(sv[0]);
        char *c = NULL;
        assert_int_equal(vc_rpc_recv(sv[1], 100, &c, &n), -ENODATA); /* clean end */
        close(sv[1]);
}

static void test_oversize_refused_from_header(void **state) {
        int sv[2];
        pair(sv);
        const unsigned char hdr[4] = {0x06, 0x00, 0x00, 0x00}; /* 100 663 296 bytes announced */
        assert_int_equal(write(sv[0], hdr, 4), 4);
        char *buf = NULL;
        size_t n = 0;
        assert_int_equal(vc_rpc_recv(sv[1], VC_RPC_MAX_MSG, &buf, &n), -EMSGSIZE);
        assert_int_equal(n, 100663296u);
        assert_null(buf);
        close(sv[0]);
        close(sv[1]);
}

static void test_truncated(void **state) {
        int sv[2];
        pair(sv);
        const unsigned char hdr[4] = {0, 0, 0, 10};
        assert_int_equal(write(sv[0], hdr, 4), 4);
        assert_int_equal(write(sv[0], "abc", 3), 3);
        close(sv[0]);
        char *buf = NULL;
        size_t n;
        assert_int_equal(vc_rpc_recv(sv[1], 100, &buf, &n), -EPROTO);
        close(sv[1]);
        /* a header cut short is truncation too */
        pair(sv);
        assert_int_equal(write(sv[0], hdr, 2), 2);
        close(sv[0]);
        assert_int_equal(vc_rpc_recv(sv[1], 100, &buf, &n), -EPROTO);
        close(sv[1]);
}

static void test_envelope(void **state) {
        _cleanup_free_ char *env = vc_rpc_envelope("MUNGE:abc:", "{\"op\":\"ping\"}");
        json_t *root = NULL;
        const char *cred, *req;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_rpc_unwrap(env, strlen(env), &root, &cred, &req, &err), 0);
        assert_string_equal(cred, "MUNGE:abc:");
        assert_string_equal(req, "{\"op\":\"ping\"}");
        json_decref(root);
}

static void test_bad_envelopes(void **state) {
        static const struct {
                const char *msg, *want;
        } cases[] = {
                {"not json", "malformed message"},
                {"[1,2]", "malformed envelope"},
                {"{\"v\":1}", "malformed envelope"},
                {"{\"v\":1,\"cred\":\"x\",\"req\":5}", "malformed envelope"},
                {"{\"v\":1,\"cred\":\"x\",\"req\":\"{}\",\"extra\":1}", "malformed envelope"},
                {"{\"v\":1,\"v\":1,\"cred\":\"x\",\"req\":\"{}\"}", "malformed message"},
                {"{\"v\":2,\"cred\":\"x\",\"req\":\"{}\"}", "unsupported protocol version 2"},
                {"\xff\xfe", "malformed message"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                json_t *root = NULL;
                const char *cred, *req;
                char *err = NULL;
                assert_int_equal(vc_rpc_unwrap(cases[i].msg, strlen(cases[i].msg), &root, &cred, &req, &err),
                                 -EBADMSG);
                if (!strstr(err, cases[i].want))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].want);
                assert_null(root);
                free(err);
        }
}

static void test_replies(void **state) {
        json_t *ok = vc_rpc_ok();
        assert_true(json_is_true(json_object_get(ok, "ok")));
        json_decref(ok);
        json_t *e = vc_rpc_error(VC_ERR_EXHAUSTED, "site %s: %d free", "a", 0);
        assert_true(json_is_false(json_object_get(e, "ok")));
        assert_string_equal(json_string_value(json_object_get(e, "code")), "pool-exhausted");
        assert_string_equal(json_string_value(json_object_get(e, "error")), "site a: 0 free");
        json_decref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_oversize_refused_from_header),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_envelope),
                cmocka_unit_test(test_bad_envelopes),
                cmocka_unit_test(test_replies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
