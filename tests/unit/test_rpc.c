/* tests for lib/rpc.c: framing, limits, envelopes, replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

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

/* A peer that sends a byte every 50 ms never hits a per-read timeout; the
 * whole-message deadline still ends the read when it passes. */
struct trickler {
        int fd;
        int bytes;
};
static void *trickle(void *arg) {
        struct trickler *t = arg;
        uint32_t be = htonl(100);
        (void)vc_send_all(t->fd, &be, 4);
        for (int i = 0; i < t->bytes; i++) {
                struct timespec ts = {0, 50 * 1000000L};
                nanosleep(&ts, NULL);
                if (vc_send_all(t->fd, "x", 1) < 0)
                        break;
        }
        return NULL;
}

static void test_recv_deadline_whole_message(void **state) {
        int sv[2];
        pair(sv);
        struct trickler t = {.fd = sv[0], .bytes = 40};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, trickle, &t), 0);
        char *buf = NULL;
        size_t n = 0;
        uint64_t t0 = now_ms();
        assert_int_equal(vc_rpc_recv_until(sv[1], 1000, t0 + 300, &buf, &n), -ETIMEDOUT);
        uint64_t took = now_ms() - t0;
        assert_true(took >= 300 && took < 1000);
        assert_null(buf);
        close(sv[1]); /* the trickler's next byte fails and it stops */
        pthread_join(th, NULL);
        close(sv[0]);
}

static void test_recv_until_in_time(void **state) {
        int sv[2];
        pair(sv);
        assert_int_equal(vc_rpc_send_until(sv[0], "{\"a\":1}", 7, now_ms() + 1000), 0);
        char *buf = NULL;
        size_t n = 0;
        assert_int_equal(vc_rpc_recv_until(sv[1], 100, now_ms() + 1000, &buf, &n), 0);
        assert_string_equal(buf, "{\"a\":1}");
        free(buf);
        /* the deadline never stops a message that is already there */
        assert_int_equal(vc_rpc_send(sv[0], "{}", 2), 0);
        assert_int_equal(vc_rpc_recv_until(sv[1], 100, now_ms() - 1, &buf, &n), 0);
        assert_string_equal(buf, "{}");
        free(buf);
        close(sv[0]);
        close(sv[1]);
}

struct bigsend {
        int fd;
        const char *b;
        size_t n;
        int r;
};
static void *send_big(void *arg) {
        struct bigsend *bs = arg;
        bs->r = vc_rpc_send_until(bs->fd, bs->b, bs->n, now_ms() + 5000);
        return NULL;
}

/* A body larger than the first read step arrives whole, in growing steps. */
static void test_recv_until_large(void **state) {
        int sv[2];
        pair(sv);
        size_t big = 300 * 1000;
        char *body = xmalloc(big);
        for (size_t i = 0; i < big; i++)
                body[i] = (char)('a' + i % 26);
        struct bigsend bs = {sv[0], body, big, -1};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, send_big, &bs), 0);
        char *buf = NULL;
        size_t n = 0;
        assert_int_equal(vc_rpc_recv_until(sv[1], big, now_ms() + 5000, &buf, &n), 0);
        pthread_join(th, NULL);
        assert_int_equal(bs.r, 0);
        assert_int_equal(n, big);
        assert_memory_equal(buf, body, big);
        free(buf);
        free(body);
        close(sv[0]);
        close(sv[1]);
}

static void test_send_deadline(void **state) {
        int sv[2];
        pair(sv);
        /* nobody reads sv[1]: the send buffer fills and the deadline ends the send */
        size_t big = 8u << 20;
        char *body = xmalloc(big);
        memset(body, 'z', big);
        uint64_t t0 = now_ms();
        assert_int_equal(vc_rpc_send_until(sv[0], body, big, t0 + 200), -ETIMEDOUT);
        assert_true(now_ms() - t0 < 1000);
        free(body);
        close(sv[0]);
        close(sv[1]);
}

static void test_error_always_encodes(void **state) {
        /* a lone lead byte, a stray continuation, an overlong form, a surrogate, a cut sequence */
        json_t *e = vc_rpc_error(VC_ERR_BAD_REQUEST, "character '%c' not allowed; \x80 \xc0\xaf \xed\xa0\x80 caf\xc3", '\xc3');
        assert_non_null(e);
        assert_string_equal(json_string_value(json_object_get(e, "error")),
                            "character '?' not allowed; ? ?? ??? caf?");
        json_decref(e);
        /* well-formed UTF-8 stays as it is */
        e = vc_rpc_error(VC_ERR_BAD_REQUEST, "n\xc5\x93ud \xe2\x82\xac \xf0\x9f\x98\x80");
        assert_string_equal(json_string_value(json_object_get(e, "error")), "n\xc5\x93ud \xe2\x82\xac \xf0\x9f\x98\x80");
        json_decref(e);
        /* jansson cuts its error texts at 160 bytes, mid-character too: the envelope's own error reply still encodes */
        char env[512] = "{\"v\":1,\"cred\":\"x\",\"req\":\"{}\",\"a";
        for (int i = 0; i < 100; i++)
                strcat(env, "\xc3\xa9");
        strcat(env, "\":1}");
        json_t *root = NULL;
        const char *cred, *req;
        char *err = NULL;
        assert_int_equal(vc_rpc_unwrap(env, strlen(env), &root, &cred, &req, &err), -EBADMSG);
        e = vc_rpc_error(VC_ERR_BAD_REQUEST, "%s", err);
        assert_non_null(e);
        json_decref(e);
        free(err);
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
                cmocka_unit_test(test_recv_deadline_whole_message),
                cmocka_unit_test(test_recv_until_in_time),
                cmocka_unit_test(test_recv_until_large),
                cmocka_unit_test(test_send_deadline),
                cmocka_unit_test(test_error_always_encodes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
