/* test_ovs — the pure parts of the ovs driver: OVSDB datum encodings, the
 * tag/trunks/external_ids rules of ovs_port.h, and the JSON-RPC stream client
 * against a scripted peer on a socketpair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "ovs_port.h"
#include "ovsdb.h"
#include "util.h"

static json_t *J(const char *text) {
        json_error_t je;
        json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
        if (!j)
                print_error("bad test JSON %s: %s\n", text, je.text);
        assert_non_null(j);
        return j;
}

static void assert_json(json_t *got, const char *want) {
        json_auto_t *w = J(want);
        if (!json_equal(got, w)) {
                _cleanup_free_ char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("NULL");
                print_error("got %s, want %s\n", g, want);
                fail();
        }
}

/* vc_ovsdb_set_elems of a datum given as text. */
static json_t *elems(const char *text) {
        json_auto_t *d = J(text);
        return vc_ovsdb_set_elems(d);
}

static json_t *map_obj(const char *text) {
        json_auto_t *d = J(text);
        return vc_ovsdb_map_object(d);
}

static void test_datums(void **state) {
        json_auto_t *a = elems("5");
        assert_json(a, "[5]");
        json_auto_t *b = elems("[\"set\",[]]");
        assert_json(b, "[]");
        json_auto_t *c = elems("[\"set\",[10,101]]");
        assert_json(c, "[10,101]");
        json_auto_t *d = elems("[\"uuid\",\"u1\"]"); /* a set of one uuid */
        assert_json(d, "[[\"uuid\",\"u1\"]]");
        json_auto_t *e = elems("\"access\"");
        assert_json(e, "[\"access\"]");
        assert_null(elems("[\"map\",[]]"));
        assert_null(elems("[\"set\",5]"));
        assert_null(elems("{}"));
        assert_null(map_obj("[\"map\",[[\"k\",1]]]"));
        assert_null(map_obj("[\"set\",[]]"));
        json_auto_t *obj = map_obj("[\"map\",[[\"b\",\"2\"],[\"a\",\"1\"]]]");
        assert_json(obj, "{\"a\":\"1\",\"b\":\"2\"}");
        json_auto_t *back = vc_ovsdb_map_datum(obj);
        assert_json(back, "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"]]]"); /* keys sorted */
        json_auto_t *u = J("[\"uuid\",\"abc\"]"), *nu = J("[\"named-uuid\",\"abc\"]");
        assert_string_equal(vc_ovsdb_uuid_str(u), "abc");
        assert_null(vc_ovsdb_uuid_str(nu));
        json_auto_t *w = vc_ovsdb_where_uuid("abc");
        assert_json(w, "[[\"_uuid\",\"==\",[\"uuid\",\"abc\"]]]");
}

/* A Port row as the server sends it; ids is the map's pair list. */
static void port_from(struct vc_ovs_port *p, const char *tag, const char *trunks, const char *mode, const char *ids) {
        _cleanup_free_ char *text = xasprintf(
                "{\"_uuid\":[\"uuid\",\"u-1\"],\"name\":\"p1\",\"tag\":%s,\"trunks\":%s,\"vlan_mode\":%s,"
                "\"external_ids\":[\"map\",%s]}",
                tag, trunks, mode, ids);
        json_auto_t *row = J(text);
        _cleanup_free_ char *err = NULL;
        int r = vc_ovs_port_parse(row, p, &err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
}

static void plain_port(struct vc_ovs_port *p, const char *trunks) {
        port_from(p, "[\"set\",[]]", trunks, "[\"set\",[]]", "[]");
}

/* The columns we would write, as one comparable JSON text. */
static void assert_row(const struct vc_ovs_port *p, const char *want) {
        json_auto_t *row = vc_ovs_port_row(p);
        assert_json(row, want);
}

#define NOTAG "\"tag\":[\"set\",[]]"
#define NOIDS "\"external_ids\":[\"map\",[]]"

static void test_parse(void **state) {
        struct vc_ovs_port p;
        port_from(&p, "7", "[\"set\",[10,20]]", "\"access\"", "[[\"k\",\"v\"]]");
        assert_string_equal(p.name, "p1");
        assert_string_equal(p.uuid, "u-1");
        assert_string_equal(p.vlan_mode, "access");
        assert_int_equal(p.tag, 7);
        assert_true(vc_ovs_trunk_has(&p, 10) && vc_ovs_trunk_has(&p, 20) && !vc_ovs_trunk_has(&p, 11));
        assert_row(&p, "{\"tag\":7,\"trunks\":[\"set\",[10,20]],\"external_ids\":[\"map\",[[\"k\",\"v\"]]]}");
        vc_ovs_port_clear(&p);
        port_from(&p, "[\"set\",[]]", "42", "[\"set\",[]]", "[]"); /* a set of one comes bare */
        assert_int_equal(p.tag, -1);
        assert_null(p.vlan_mode);
        assert_true(vc_ovs_trunk_has(&p, 42));
        vc_ovs_port_clear(&p);

        _cleanup_free_ char *err = NULL;
        json_auto_t *bad = J("{\"_uuid\":[\"uuid\",\"u\"],\"name\":\"px\",\"tag\":[\"set\",[1,2]],\"trunks\":[\"set\",[]],"
                             "\"vlan_mode\":[\"set\",[]],\"external_ids\":[\"map\",[]]}");
        assert_int_equal(vc_ovs_port_parse(bad, &p, &err), -EPROTO);
        assert_non_null(strstr(err, "port 'px'"));
}

static void test_admin_trunks_restored(void **state) {
        struct vc_ovs_port p;
        char *err = NULL;
        plain_port(&p, "10");
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_TAGGED, "1001", &err), 0);
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[10,101]],\"external_ids\":[\"map\",[[\"vcluster-job\",\"1001\"],"
                       "[\"vcluster-vlan-101\",\"1001\"]]]}");
        /* a second job on the same uplink */
        assert_int_equal(vc_ovs_port_add(&p, 102, VC_PORT_TAGGED, "1002", &err), 0);
        assert_string_equal(json_string_value(json_object_get(p.ids, "vcluster-job")), "1001,1002");
        /* adding again changes nothing */
        json_auto_t *before = vc_ovs_port_row(&p);
        assert_int_equal(vc_ovs_port_add(&p, 102, VC_PORT_TAGGED, "1002", &err), 0);
        json_auto_t *after = vc_ovs_port_row(&p);
        assert_true(json_equal(before, after));
        vc_ovs_port_remove(&p, 101);
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[10,102]],\"external_ids\":[\"map\",[[\"vcluster-job\",\"1002\"],"
                       "[\"vcluster-vlan-102\",\"1002\"]]]}");
        vc_ovs_port_remove(&p, 102);
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[10]]," NOIDS "}");
        vc_ovs_port_remove(&p, 102); /* again: nothing of ours, no change */
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[10]]," NOIDS "}");
        vc_ovs_port_clear(&p);
}

static void test_all_vlans_gotcha(void **state) {
        struct vc_ovs_port p;
        char *err = NULL;
        plain_port(&p, "[\"set\",[]]");
        assert_true(vc_ovs_port_carries_all(&p));
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_TAGGED, "1", &err), 0);
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[101]],\"external_ids\":[\"map\",[[\"vcluster-job\",\"1\"],"
                       "[\"vcluster-vlan-101\",\"1\"]]]}");
        vc_ovs_port_remove(&p, 101);
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[4095]]," NOIDS "}");
        assert_false(vc_ovs_port_carries_all(&p));
        /* the next job replaces the "carries nothing" filler, and gets it back */
        assert_int_equal(vc_ovs_port_add(&p, 102, VC_PORT_TAGGED, "2", &err), 0);
        assert_true(vc_ovs_trunk_has(&p, 102) && !vc_ovs_trunk_has(&p, 4095));
        vc_ovs_port_remove(&p, 102);
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[4095]]," NOIDS "}");
        vc_ovs_port_clear(&p);

        /* untagged on an all-VLANs port: removal leaves it carrying nothing too */
        plain_port(&p, "[\"set\",[]]");
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_UNTAGGED, "1", &err), 0);
        assert_row(&p, "{\"tag\":101,\"trunks\":[\"set\",[]],\"external_ids\":[\"map\",[[\"vcluster-job\",\"1\"],"
                       "[\"vcluster-prev-tag\",\"none\"],[\"vcluster-vlan-101\",\"1\"]]]}");
        vc_ovs_port_remove(&p, 101);
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[4095]]," NOIDS "}");
        vc_ovs_port_clear(&p);
}

static void test_untagged_restores_tag(void **state) {
        struct vc_ovs_port p;
        char *err = NULL;
        port_from(&p, "5", "[\"set\",[]]", "[\"set\",[]]", "[[\"admin\",\"x\"]]");
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_UNTAGGED, "7", &err), 0);
        assert_int_equal(p.tag, 101);
        assert_string_equal(json_string_value(json_object_get(p.ids, "vcluster-prev-tag")), "5");
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_UNTAGGED, "7", &err), 0); /* idempotent */
        vc_ovs_port_remove(&p, 101);
        assert_row(&p, "{\"tag\":5,\"trunks\":[\"set\",[]],\"external_ids\":[\"map\",[[\"admin\",\"x\"]]]}");
        vc_ovs_port_clear(&p);
}

static void test_kept_admin_trunk(void **state) {
        struct vc_ovs_port p;
        char *err = NULL;
        plain_port(&p, "[\"set\",[10,101]]");
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_TAGGED, "1", &err), 0);
        assert_string_equal(json_string_value(json_object_get(p.ids, "vcluster-kept-101")), "trunk");
        vc_ovs_port_remove(&p, 101);
        assert_row(&p, "{" NOTAG ",\"trunks\":[\"set\",[10,101]]," NOIDS "}");
        vc_ovs_port_clear(&p);
}

static void expect_busy(struct vc_ovs_port *p, int id, enum vc_port_mode m, const char *job, const char *why) {
        _cleanup_free_ char *err = NULL;
        json_auto_t *before = vc_ovs_port_row(p);
        assert_int_equal(vc_ovs_port_add(p, id, m, job, &err), -EBUSY);
        if (!strstr(err, why))
                print_error("'%s' lacks '%s'\n", err, why);
        assert_non_null(strstr(err, why));
        json_auto_t *after = vc_ovs_port_row(p);
        assert_true(json_equal(before, after)); /* a refusal changes nothing */
}

static void test_conflicts(void **state) {
        struct vc_ovs_port p;
        char *err = NULL;
        plain_port(&p, "[\"set\",[]]");
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_UNTAGGED, "1", &err), 0);
        expect_busy(&p, 102, VC_PORT_UNTAGGED, "2", "already carries VLAN 101 (job 1)");
        expect_busy(&p, 102, VC_PORT_TAGGED, "2", "is the untagged port of VLAN 101 (job 1)");
        expect_busy(&p, 101, VC_PORT_TAGGED, "1", "already an untagged member of VLAN 101");
        vc_ovs_port_clear(&p);

        plain_port(&p, "[\"set\",[]]");
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_TAGGED, "1", &err), 0);
        expect_busy(&p, 101, VC_PORT_UNTAGGED, "1", "already trunks VLAN 101");
        expect_busy(&p, 102, VC_PORT_UNTAGGED, "2", "already carries VLAN 101");
        vc_ovs_port_clear(&p);

        port_from(&p, "5", "[\"set\",[]]", "[\"set\",[]]", "[]"); /* the admin's access port */
        expect_busy(&p, 101, VC_PORT_TAGGED, "1", "is an access port (tag 5)");
        vc_ovs_port_clear(&p);
        port_from(&p, "[\"set\",[]]", "[\"set\",[]]", "\"trunk\"", "[]");
        expect_busy(&p, 101, VC_PORT_UNTAGGED, "1", "vlan_mode trunk");
        assert_int_equal(vc_ovs_port_add(&p, 101, VC_PORT_TAGGED, "1", &err), 0);
        assert_true(vc_ovs_trunk_has(&p, 101));
        vc_ovs_port_clear(&p);

        plain_port(&p, "[\"set\",[]]");
        assert_int_equal(vc_ovs_port_add(&p, 4095, VC_PORT_TAGGED, "1", &err), -EINVAL);
        free(err);
        vc_ovs_port_clear(&p);
}

static void test_vlan_ids(void **state) {
        json_auto_t *ids = J("{\"vcluster-vlan-300\":\"a\",\"vcluster-vlan-12\":\"b\",\"vcluster-vlan-x\":\"c\","
                             "\"vcluster-vlan-5000\":\"d\",\"other\":\"e\",\"vcluster-vlan-100\":\"f\"}");
        _cleanup_free_ int *v = NULL;
        size_t n = 0;
        vc_ovs_vlan_ids(ids, &v, &n);
        assert_int_equal(n, 3);
        assert_int_equal(v[0], 12);
        assert_int_equal(v[1], 100);
        assert_int_equal(v[2], 300);
}

/* The scripted server end of a socketpair. */
struct peer {
        int fd;
        const char *text;
        useconds_t gap; /* between single bytes; 0: all at once */
};

static void *peer_write(void *arg) {
        struct peer *p = arg;
        if (!p->gap) {
                (void)write_all(p->fd, p->text, strlen(p->text));
                return NULL;
        }
        for (const char *c = p->text; *c; c++) {
                if (write(p->fd, c, 1) != 1)
                        break;
                usleep(p->gap);
        }
        return NULL;
}

/* Everything the client sent, up to now. */
static char *peer_read(int fd) {
        char buf[65536];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        buf[n > 0 ? n : 0] = '\0';
        return xstrdup(buf);
}

static struct vc_ovsdb *client(int sv[2], int timeout_ms) {
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        return vc_ovsdb_from_fd(sv[0], "unix:/test.sock", timeout_ms);
}

static void test_stream(void **state) {
        int sv[2];
        struct vc_ovsdb *db = client(sv, 2000);
        /* An echo probe, a notification, a stale reply, then ours — byte by
         * byte, so every split point (mid-string, mid-"true") is seen. */
        struct peer p = {sv[1],
                         "{\"id\":\"echo\",\"method\":\"echo\",\"params\":[1]}\n"
                         "{\"id\":null,\"method\":\"update\",\"params\":[]}"
                         "{\"id\":99,\"result\":[],\"error\":null}  "
                         "{\"id\":0,\"result\":[{\"rows\":[{\"ok\":true,\"n\":null,\"x\":-12.5e1,"
                         "\"s\":\"br\u00fccke \xc3\xa9 \\\"}]{\\\\\"}]}],\"error\":null}",
                         100};
        pthread_t th;
        pthread_create(&th, NULL, peer_write, &p);
        json_auto_t *ops = J("[{\"op\":\"select\",\"table\":\"Bridge\",\"where\":[]}]");
        json_auto_t *res = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_ovsdb_transact(db, ops, &res, &err);
        pthread_join(th, NULL);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        assert_json(res, "[{\"rows\":[{\"ok\":true,\"n\":null,\"x\":-125.0,"
                         "\"s\":\"br\u00fccke \u00e9 \\\"}]{\\\\\"}]}]");
        _cleanup_free_ char *sent = peer_read(sv[1]);
        assert_non_null(strstr(sent, "\"method\":\"transact\""));
        assert_non_null(strstr(sent, "[\"Open_vSwitch\",{\"op\":\"select\""));
        assert_non_null(strstr(sent, "{\"result\":[1],\"error\":null,\"id\":\"echo\"}"));

        /* a big reply, read in several pieces */
        size_t big = 200000;
        _cleanup_free_ char *pad = xmalloc(big + 1);
        memset(pad, 'a', big);
        pad[big] = '\0';
        _cleanup_free_ char *reply = xasprintf("{\"id\":1,\"result\":[{\"rows\":[{\"s\":\"%s\"}]}],\"error\":null}", pad);
        struct peer p2 = {sv[1], reply, 0};
        pthread_create(&th, NULL, peer_write, &p2);
        json_decref(res);
        r = vc_ovsdb_transact(db, ops, &res, &err);
        pthread_join(th, NULL);
        assert_int_equal(r, 0);
        assert_int_equal(strlen(json_string_value(json_object_get(
                                 json_array_get(json_object_get(json_array_get(res, 0), "rows"), 0), "s"))),
                         big);
        vc_ovsdb_close(db);
        close(sv[1]);
}

/* One transact whose answer is reply (or none); returns r and *err. */
static int transact_with(const char *reply, const char *ops_text, int timeout_ms, char **err) {
        int sv[2];
        struct vc_ovsdb *db = client(sv, timeout_ms);
        if (reply)
                assert_true(write(sv[1], reply, strlen(reply)) == (ssize_t)strlen(reply));
        json_auto_t *ops = J(ops_text);
        json_auto_t *res = NULL;
        int r = vc_ovsdb_transact(db, ops, &res, err);
        vc_ovsdb_close(db);
        close(sv[1]);
        return r;
}

static void expect_err(int got, int want, const char *err, const char *text) {
        if (got != want || !err || !strstr(err, text))
                print_error("got %d '%s', want %d '%s'\n", got, err ? err : "", want, text);
        assert_int_equal(got, want);
        assert_non_null(strstr(err, text));
}

static void test_errors(void **state) {
        static const char ops2[] = "[{\"op\":\"wait\",\"table\":\"Port\"},{\"op\":\"update\",\"table\":\"Port\"}]";
        char *err = NULL;
        int r = transact_with("{\"id\":0,\"result\":[{\"error\":\"timed out\",\"details\":\"\\\"where\\\" clause test failed\"},null],\"error\":null}",
                              ops2, 1000, &err);
        expect_err(r, -EAGAIN, err, "operation 1 (wait Port) failed: timed out");
        free(err), err = NULL;

        r = transact_with("{\"id\":0,\"result\":[{},{\"error\":\"constraint violation\",\"details\":\"5000 is not in 0-4095\"}],\"error\":null}",
                          ops2, 1000, &err);
        expect_err(r, -EPROTO, err, "ovsdb unix:/test.sock: operation 2 (update Port) failed: constraint violation: 5000 is not in 0-4095");
        free(err), err = NULL;

        r = transact_with("{\"id\":0,\"result\":[{},{},{\"error\":\"referential integrity violation\"}],\"error\":null}",
                          ops2, 1000, &err);
        expect_err(r, -EPROTO, err, "refused at commit: referential integrity violation");
        free(err), err = NULL;

        r = transact_with("{\"id\":0,\"result\":null,\"error\":\"unknown database\"}", ops2, 1000, &err);
        expect_err(r, -EPROTO, err, "transact refused: unknown database");
        free(err), err = NULL;

        r = transact_with("{\"id\":0,\"result\":[],}", ops2, 1000, &err);
        expect_err(r, -EPROTO, err, "malformed JSON");
        free(err), err = NULL;

        r = transact_with("CLOSE", ops2, 1000, &err);
        expect_err(r, -EPROTO, err, "the server sent something that is not a JSON object");
        free(err), err = NULL;

        r = transact_with("{\"id\":0,\"res", ops2, 1000, &err);
        expect_err(r, -ETIMEDOUT, err, "no answer within 1 s");
        free(err), err = NULL;

        uint64_t t0 = now_ms();
        r = transact_with(NULL, ops2, 200, &err);
        expect_err(r, -ETIMEDOUT, err, "ovsdb unix:/test.sock: no answer within 0.2 s");
        assert_true(now_ms() - t0 < 1000);
        free(err), err = NULL;

        /* the peer hangs up before answering */
        int sv[2];
        struct vc_ovsdb *db = client(sv, 1000);
        shutdown(sv[1], SHUT_WR);
        json_auto_t *ops = J(ops2);
        json_auto_t *res = NULL;
        r = vc_ovsdb_transact(db, ops, &res, &err);
        expect_err(r, -ECONNRESET, err, "closed the connection before answering");
        free(err), err = NULL;
        /* the connection was dropped: the next request dials again */
        r = vc_ovsdb_transact(db, ops, &res, &err);
        expect_err(r, -ENOENT, err, "ovsdb unix:/test.sock: no such file or directory");
        free(err), err = NULL;
        vc_ovsdb_close(db);
        close(sv[1]);

        struct vc_ovsdb *none = NULL;
        r = vc_ovsdb_open("unix:/nonexistent/db.sock", 1000, &none, &err);
        expect_err(r, -ENOENT, err, "ovsdb unix:/nonexistent/db.sock: no such file or directory");
        free(err), err = NULL;
        r = vc_ovsdb_open("ssl:1.2.3.4:6640", 1000, &none, &err);
        expect_err(r, -EINVAL, err, "expected unix:PATH or tcp:HOST:PORT");
        free(err), err = NULL;
        r = vc_ovsdb_open("tcp:nohostport", 1000, &none, &err);
        expect_err(r, -EINVAL, err, "expected tcp:HOST:PORT");
        free(err);
}

int main(void) {
        /* A failed client closes its end; the scripted peer must see EPIPE, not die. */
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_datums),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_admin_trunks_restored),
                cmocka_unit_test(test_all_vlans_gotcha),
                cmocka_unit_test(test_untagged_restores_tag),
                cmocka_unit_test(test_kept_admin_trunk),
                cmocka_unit_test(test_conflicts),
                cmocka_unit_test(test_vlan_ids),
                cmocka_unit_test(test_stream),
                cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
