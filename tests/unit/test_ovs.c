/* test_ovs — the pure parts of the ovs driver: OVSDB datum encodings, the
 * tag/trunks/external_ids rules of ovs_port.h, the JSON-RPC stream client
 * against a scripted peer on a socketpair, and the driver's commit (skipping
 * ports already gone, waiting for cur_cfg) against a scripted ovsdb-server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "ovs_port.h"
#include "ovsdb.h"
#include "sock.h"
#include "switch.h"
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

/* A loopback listener (never accepted from) whose accept queue is full, so
 * that Linux drops the next SYN; its port in port. -1 when this kernel
 * refuses on overflow instead (net.ipv4.tcp_abort_on_overflow=1). */
static int full_listener(char port[16], int held[16]) {
        _cleanup_free_ char *v = NULL;
        size_t len;
        if (read_file("/proc/sys/net/ipv4/tcp_abort_on_overflow", &v, &len, 64) == 0 && v[0] == '1')
                return -1;
        int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof(a);
        assert_true(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 0) == 0 &&
                    getsockname(l, (struct sockaddr *)&a, &alen) == 0);
        snprintf(port, 16, "%u", ntohs(a.sin_port));
        for (int i = 0; i < 16; i++) {
                _cleanup_free_ char *err = NULL;
                held[i] = vc_tcp_connect_timeout("127.0.0.1", port, 100, &err);
                if (held[i] == -ETIMEDOUT)
                        return l; /* this one hung: the queue is full */
                assert_true(held[i] >= 0);
        }
        fail_msg("the accept queue of a listen(fd, 0) socket never filled");
        return -1;
}

/* tcp: remotes: refused at once, and a connect that hangs ends at the timeout
 * instead of the kernel's minutes of SYN retries. */
static void test_tcp_dial(void **state) {
        char port[16];
        int held[16];
        for (int i = 0; i < 16; i++)
                held[i] = -1;
        int l = full_listener(port, held);
        if (l < 0) {
                print_message("net.ipv4.tcp_abort_on_overflow=1: cannot make a connect hang; skipped\n");
                skip();
        }
        _cleanup_free_ char *remote = xasprintf("tcp:127.0.0.1:%s", port);
        struct vc_ovsdb *db = NULL;
        char *err = NULL;
        uint64_t t0 = now_ms();
        int r = vc_ovsdb_open(remote, 300, &db, &err);
        uint64_t ms = now_ms() - t0;
        _cleanup_free_ char *want = xasprintf("ovsdb %s: no connection within 0.3 s", remote);
        expect_err(r, -ETIMEDOUT, err, want);
        assert_true(ms >= 290 && ms < 1000);
        free(err), err = NULL;
        for (int i = 0; i < 16; i++)
                if (held[i] >= 0)
                        close(held[i]);
        close(l); /* nothing listens there now */
        r = vc_ovsdb_open(remote, 300, &db, &err);
        expect_err(r, -ECONNREFUSED, err, "connection refused");
        free(err);
}

/* A scripted ovsdb-server on a Unix socket, one connection: each request
 * gets the next step's result; the last step answers every further request.
 * A step's result NULL answers a write: {} per operation, and the closing
 * select of next_cfg gets next_cfg. Requests are kept for the test to check. */
struct step {
        const char *result;
        json_int_t next_cfg;
};

struct fake_db {
        char dir[64], *path;
        int lfd;
        const struct step *steps;
        size_t n_steps;
        char *reqs[16]; /* the first requests' ops, as compact JSON */
        size_t n_reqs;  /* every request */
        pthread_t th;
};

static json_t *write_results(json_t *ops, json_int_t next_cfg) {
        json_t *res = json_array();
        size_t i;
        json_t *op;
        json_array_foreach(ops, i, op) {
                if (i == 0)
                        continue; /* the database name */
                const char *kind = json_string_value(json_object_get(op, "op"));
                json_array_append_new(res, streq(kind, "select")
                                                   ? json_pack("{s:[{s:I}]}", "rows", "next_cfg", next_cfg)
                                                   : json_object());
        }
        return res;
}

static void *fake_db_serve(void *arg) {
        struct fake_db *f = arg;
        _cleanup_close_ int fd = accept(f->lfd, NULL, NULL);
        char buf[65536];
        size_t len = 0;
        while (fd >= 0) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                ssize_t n = poll(&p, 1, 5000) == 1 ? read(fd, buf + len, sizeof(buf) - len) : 0;
                if (n <= 0)
                        break; /* the client closed (or never spoke): done */
                len += (size_t)n;
                json_error_t je;
                json_auto_t *req = json_loadb(buf, len, 0, &je);
                if (!req)
                        continue; /* a request cut in two: read on */
                len = 0;
                json_t *ops = json_object_get(req, "params");
                if (f->n_reqs < ARRAY_SIZE(f->reqs))
                        f->reqs[f->n_reqs] = json_dumps(ops, JSON_COMPACT);
                const struct step *st = &f->steps[f->n_reqs < f->n_steps ? f->n_reqs : f->n_steps - 1];
                f->n_reqs++;
                json_t *result = st->result ? json_loads(st->result, 0, NULL) : write_results(ops, st->next_cfg);
                json_auto_t *reply = json_pack("{s:o, s:n, s:O}", "result", result, "error", "id",
                                               json_object_get(req, "id"));
                _cleanup_free_ char *text = json_dumps(reply, JSON_COMPACT);
                if (write_all(fd, text, strlen(text)) < 0)
                        break;
        }
        return NULL;
}

static void fake_db_start(struct fake_db *f, const struct step *steps, size_t n) {
        *f = (struct fake_db){.steps = steps, .n_steps = n};
        strcpy(f->dir, "/tmp/test_ovs.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        f->path = xasprintf("%s/db.sock", f->dir);
        char *err = NULL;
        f->lfd = vc_unix_listen(f->path, &err);
        assert_true(f->lfd >= 0);
        pthread_create(&f->th, NULL, fake_db_serve, f);
}

/* Once the client closed: the requests stay in f until fake_db_clear. */
static void fake_db_stop(struct fake_db *f) {
        pthread_join(f->th, NULL);
        close(f->lfd);
        unlink(f->path);
        rmdir(f->dir);
}

static void fake_db_clear(struct fake_db *f) {
        free(f->path);
        for (size_t i = 0; i < f->n_reqs && i < ARRAY_SIZE(f->reqs); i++)
                free(f->reqs[i]);
}

/* A session of the ovs driver on the fake database, for job 1004. */
static void *drv_open(struct fake_db *f, const char *timeout) {
        json_auto_t *opts = json_pack("{s:s+, s:s, s:s}", "Db", "unix:", f->path, "Bridge", "br0", "Timeout", timeout);
        struct vc_switch_target t = {.name = "sw0", .driver = "ovs", .opts = opts, .owner = "1004"};
        void *sess = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_switch_driver_find("ovs")->open(&t, &sess, &err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        return sess;
}

/* The read of the bridge br0 (ports u2), Open_vSwitch next/cur_cfg, and the
 * Port rows asked: "nosuch" is no port, "up2" trunks 10 and 104 for job 1004. */
#define BRIDGE_ROWS "{\"rows\":[{\"_uuid\":[\"uuid\",\"b1\"],\"ports\":[\"uuid\",\"u2\"]," \
                    "\"external_ids\":[\"map\",[[\"vcluster-vlan-104\",\"job-1004\"]]]}]}"
#define CFG_ROWS(next, cur) "{\"rows\":[{\"next_cfg\":" #next ",\"cur_cfg\":" #cur "}]}"
#define NO_ROWS "{\"rows\":[]}"
#define UP2_ROWS "{\"rows\":[{\"_uuid\":[\"uuid\",\"u2\"],\"name\":\"up2\",\"tag\":[\"set\",[]]," \
                 "\"trunks\":[\"set\",[10,104]],\"vlan_mode\":[\"set\",[]],\"external_ids\":[\"map\"," \
                 "[[\"vcluster-job\",\"1004\"],[\"vcluster-vlan-104\",\"1004\"]]]}]}"
#define CUR_CFG(n) "[{\"rows\":[{\"cur_cfg\":" #n "}]}]"

static void assert_has(const char *text, const char *part) {
        if (!strstr(text, part))
                print_error("'%s' lacks '%s'\n", text, part);
        assert_non_null(strstr(text, part));
}

/* The undo of a step that named a port the bridge does not have: the port
 * is skipped, the real one restored, and commit waits for cur_cfg. */
static void test_commit_remove_gone(void **state) {
        static const struct step steps[] = {
                {"[" BRIDGE_ROWS "," CFG_ROWS(5, 5) "," NO_ROWS "," UP2_ROWS "]", 0},
                {NULL, 6},
                {CUR_CFG(5), 0},
                {CUR_CFG(6), 0},
        };
        struct fake_db f;
        fake_db_start(&f, steps, ARRAY_SIZE(steps));
        const struct vc_switch_driver *d = vc_switch_driver_find("ovs");
        void *sess = drv_open(&f, "2");
        char *ports[] = {"nosuch", "up2", NULL};
        _cleanup_free_ char *err = NULL;
        assert_int_equal(d->ports_remove(sess, 104, ports, &err), 0);
        assert_int_equal(d->vlan_delete(sess, 104, &err), 0);
        int r = d->commit(sess, &err);
        if (r < 0)
                print_error("%s\n", err);
        assert_int_equal(r, 0);
        d->close(sess);
        fake_db_stop(&f);
        assert_int_equal(f.n_reqs, 4); /* read, write, two polls */
        const char *w = f.reqs[1];
        assert_has(w, "{\"op\":\"update\",\"table\":\"Port\",\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"u2\"]]]");
        assert_has(w, "\"trunks\":[\"set\",[10]]");
        assert_has(w, "\"external_ids\":[\"map\",[]]"); /* the bridge's key gone, and up2's marks */
        assert_null(strstr(w, "nosuch"));
        assert_has(w, "{\"op\":\"mutate\",\"table\":\"Open_vSwitch\",\"where\":[],\"mutations\":[[\"next_cfg\",\"+=\",1]]}");
        assert_has(f.reqs[2], "\"cur_cfg\"");
        fake_db_clear(&f);
}

/* Adding a port the bridge does not have is refused before any write. */
static void test_commit_add_missing(void **state) {
        static const struct step steps[] = {
                {"[" BRIDGE_ROWS "," CFG_ROWS(5, 5) "," NO_ROWS "]", 0},
        };
        struct fake_db f;
        fake_db_start(&f, steps, ARRAY_SIZE(steps));
        const struct vc_switch_driver *d = vc_switch_driver_find("ovs");
        void *sess = drv_open(&f, "2");
        char *ports[] = {"nosuch", NULL};
        char *err = NULL;
        assert_int_equal(d->ports_add(sess, 104, ports, VC_PORT_TAGGED, &err), 0);
        int r = d->commit(sess, &err);
        d->close(sess);
        fake_db_stop(&f);
        expect_err(r, -ENOENT, err, "switch 'sw0': port 'nosuch' is not on bridge 'br0'");
        free(err);
        assert_int_equal(f.n_reqs, 1);
        fake_db_clear(&f);
}

/* ovs-vswitchd never catches up: the write is done, commit gives up after
 * Timeout; a commit with nothing to write still waits for a cur_cfg behind. */
static void test_commit_not_applied(void **state) {
        static const struct step steps[] = {
                {"[" BRIDGE_ROWS "," CFG_ROWS(5, 5) "]", 0},
                {NULL, 6},
                {CUR_CFG(5), 0},
        };
        struct fake_db f;
        fake_db_start(&f, steps, ARRAY_SIZE(steps));
        const struct vc_switch_driver *d = vc_switch_driver_find("ovs");
        void *sess = drv_open(&f, "1");
        char *err = NULL;
        assert_int_equal(d->vlan_create(sess, 105, "x", &err), 0);
        uint64_t t0 = now_ms();
        int r = d->commit(sess, &err);
        uint64_t ms = now_ms() - t0;
        d->close(sess);
        fake_db_stop(&f);
        expect_err(r, -ETIMEDOUT, err,
                   "switch 'sw0': ovs-vswitchd did not apply the change within 1 s (is it running?)");
        free(err), err = NULL;
        assert_true(ms >= 1000 && ms < 2000);
        assert_true(f.n_reqs > 10); /* polled every few ms */
        fake_db_clear(&f);

        /* The retry finds VLAN 104 there already (nothing to write), but
         * cur_cfg 6 behind next_cfg 7: it waits until ovs-vswitchd reports 7. */
        static const struct step retry[] = {
                {"[" BRIDGE_ROWS "," CFG_ROWS(7, 6) "]", 0},
                {CUR_CFG(6), 0},
                {CUR_CFG(7), 0},
        };
        fake_db_start(&f, retry, ARRAY_SIZE(retry));
        sess = drv_open(&f, "1");
        assert_int_equal(d->vlan_create(sess, 104, "job-1004", &err), 0);
        r = d->commit(sess, &err);
        d->close(sess);
        fake_db_stop(&f);
        assert_int_equal(r, 0);
        assert_int_equal(f.n_reqs, 3);
        assert_null(strstr(f.reqs[0], "mutate"));
        fake_db_clear(&f);

        /* nothing to write and nothing behind: one read, no wait */
        static const struct step quiet[] = {{"[" BRIDGE_ROWS "," CFG_ROWS(7, 7) "]", 0}};
        fake_db_start(&f, quiet, ARRAY_SIZE(quiet));
        sess = drv_open(&f, "1");
        assert_int_equal(d->vlan_create(sess, 104, "job-1004", &err), 0);
        assert_int_equal(d->commit(sess, &err), 0);
        d->close(sess);
        fake_db_stop(&f);
        assert_int_equal(f.n_reqs, 1);
        fake_db_clear(&f);
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
                cmocka_unit_test(test_tcp_dial),
                cmocka_unit_test(test_commit_remove_gone),
                cmocka_unit_test(test_commit_add_missing),
                cmocka_unit_test(test_commit_not_applied),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
