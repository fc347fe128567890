/* tests for node/iscsi.c and the storage steps of node/steps.c: the names a
 * node attaches volumes by, reading iscsiadm's session listing, putting the
 * CHAP password into a node record, and which steps a plan with volumes
 * gets in each IscsiAttach mode — never with the secret in their args. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "iscsi.h"
#include "sock.h"
#include "journal.h"
#include "node.h"
#include "steps.h"
#include "util.h"

static void test_names(void **state) {
        _cleanup_free_ char *u = vc_iscsi_secret_usage(42, "n1");
        assert_string_equal(u, "vcluster-42-n1");
        _cleanup_free_ char *i = vc_iscsi_iface_name(42, "Node_01.Site");
        assert_string_equal(i, "vc-42-node-01.site");
        char longname[80];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        assert_null(vc_iscsi_iface_name(42, longname));
        longname[64 - strlen("vc-42-")] = 0; /* exactly 64 */
        _cleanup_free_ char *fits = vc_iscsi_iface_name(42, longname);
        assert_non_null(fits);
        assert_int_equal(strlen(fits), 64);
        _cleanup_free_ char *p = vc_iscsi_by_path("10.0.0.5:3260", "iqn.2026-11.org.vcluster:target.42", 7);
        assert_string_equal(p, "/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.2026-11.org.vcluster:target.42-lun-7");
}

static void test_portal_split(void **state) {
        char *h = NULL;
        int port = 0;
        assert_int_equal(vc_hostport_split("10.0.0.5:3260", &h, &port), 0);
        assert_string_equal(h, "10.0.0.5");
        assert_int_equal(port, 3260);
        free(h);
        assert_int_equal(vc_hostport_split("[fd00::5]:3261", &h, &port), 0);
        assert_string_equal(h, "fd00::5");
        assert_int_equal(port, 3261);
        free(h);
        assert_int_equal(vc_hostport_split("storage.example:860", &h, &port), 0);
        assert_string_equal(h, "storage.example");
        free(h);
        const char *bad[] = {"10.0.0.5", "10.0.0.5:", ":3260", "10.0.0.5:0", "10.0.0.5:65536", "fd00::5:3260",
                             "[fd00::5]3260", "[fd00::5", "10.0.0.5:32x"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                assert_int_equal(vc_hostport_split(bad[i], &h, &port), -EINVAL);
                assert_null(h);
        }
}

static void test_secret_ok(void **state) {
        assert_true(vc_iscsi_secret_ok("AbCdEfGhIjKlMnOpQrStUv12"));
        assert_false(vc_iscsi_secret_ok(NULL));
        assert_false(vc_iscsi_secret_ok(""));
        assert_false(vc_iscsi_secret_ok("two words"));
        assert_false(vc_iscsi_secret_ok("line\nbreak"));
        char big[VC_ISCSI_SECRET_MAX + 2];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_false(vc_iscsi_secret_ok(big));
        big[VC_ISCSI_SECRET_MAX] = 0;
        assert_true(vc_iscsi_secret_ok(big));
}

/* What `iscsiadm -m session -P 1` prints (open-iscsi's session_info.c):
 * two sessions on one portal of target A (the second prints an empty line
 * instead of the portals), one of target B. */
static const char LISTING[] =
        "Target: iqn.2026-11.org.vcluster:target.42 (non-flash)\n"
        "\tCurrent Portal: 10.0.0.5:3260,1\n"
        "\tPersistent Portal: 10.0.0.5:3260,1\n"
        "\t\t**********\n\t\tInterface:\n\t\t**********\n"
        "\t\tIface Name: vc-42-n1\n"
        "\t\tIface Transport: tcp\n"
        "\t\tIface Initiatorname: iqn.2026-11.org.vcluster:42.n1\n"
        "\t\tSID: 1\n"
        "\t\tiSCSI Connection State: LOGGED IN\n"
        "\n"
        "\t\t**********\n\t\tInterface:\n\t\t**********\n"
        "\t\tIface Name: vc-42-n2\n"
        "\t\tSID: 2\n"
        "Target: iqn.2026-11.org.vcluster:target.43 (non-flash)\n"
        "\tCurrent Portal: 10.0.0.6:3260,1\n"
        "\tPersistent Portal: 10.0.0.9:3260,1\n"
        "\t\tIface Name: vc-43-n1\n";

static void test_session_listed(void **state) {
        const char *t42 = "iqn.2026-11.org.vcluster:target.42", *t43 = "iqn.2026-11.org.vcluster:target.43";
        assert_true(vc_iscsi_session_listed(LISTING, t42, "10.0.0.5:3260", "vc-42-n1"));
        assert_true(vc_iscsi_session_listed(LISTING, t42, "10.0.0.5:3260", "vc-42-n2"));
        assert_false(vc_iscsi_session_listed(LISTING, t42, "10.0.0.5:3260", "vc-42-n3"));
        assert_false(vc_iscsi_session_listed(LISTING, t42, "10.0.0.5:326", "vc-42-n1"));
        assert_false(vc_iscsi_session_listed(LISTING, t42, "10.0.0.6:3260", "vc-42-n1"));
        /* the iface of another target's session is not ours */
        assert_false(vc_iscsi_session_listed(LISTING, t42, "10.0.0.6:3260", "vc-43-n1"));
        assert_false(vc_iscsi_session_listed(LISTING, "iqn.2026-11.org.vcluster:target.4", "10.0.0.5:3260",
                                             "vc-42-n1"));
        /* current or persistent portal */
        assert_true(vc_iscsi_session_listed(LISTING, t43, "10.0.0.6:3260", "vc-43-n1"));
        assert_true(vc_iscsi_session_listed(LISTING, t43, "10.0.0.9:3260", "vc-43-n1"));
        assert_false(vc_iscsi_session_listed("", t42, "10.0.0.5:3260", "vc-42-n1"));
        assert_false(vc_iscsi_session_listed(NULL, t42, "10.0.0.5:3260", "vc-42-n1"));
        assert_false(vc_iscsi_session_listed("iscsiadm: No active sessions.\n", t42, "10.0.0.5:3260", "vc-42-n1"));
}

static void test_record_password(void **state) {
        const char *rec = "# BEGIN RECORD 2.1.8\n"
                          "node.name = iqn.x:t\n"
                          "node.session.auth.authmethod = CHAP\n"
                          "node.session.auth.password = old\n"
                          "node.session.auth.password_in = keep-mutual\n"
                          "node.session.auth.password_length = 3\n"
                          "# END RECORD\n";
        _cleanup_free_ char *a = vc_iscsi_record_with_password(rec, "NewSecret123");
        assert_string_equal(a, "# BEGIN RECORD 2.1.8\n"
                               "node.name = iqn.x:t\n"
                               "node.session.auth.authmethod = CHAP\n"
                               "node.session.auth.password_in = keep-mutual\n"
                               "node.session.auth.password_length = 3\n"
                               "node.session.auth.password = NewSecret123\n"
                               "# END RECORD\n");
        /* idempotent */
        _cleanup_free_ char *b = vc_iscsi_record_with_password(a, "NewSecret123");
        assert_string_equal(a, b);
        /* no end marker, no final newline, "key=value" without blanks */
        _cleanup_free_ char *c = vc_iscsi_record_with_password("node.name = q\nnode.session.auth.password=x", "S");
        assert_string_equal(c, "node.name = q\nnode.session.auth.password = S\n");
        _cleanup_free_ char *d = vc_iscsi_record_with_password("", "S");
        assert_string_equal(d, "node.session.auth.password = S\n");
}

/* An in-memory journal store: the tests look at the steps added. */
static int mem_add(void *self, const struct vc_step *st) { return 0; }
static int mem_mark(void *self, const struct vc_step *st, enum vc_step_state to) { return 0; }

/* A node plan (nodeplan.h) of node n1 in job 42 with two guests, the
 * first nvol of them with a volume (the second's on iqn2 when given). */
struct plan_fixture {
        struct vc_nodeplan p;
        struct vc_nodeplan_guest g[2];
        struct vc_nodeplan_volume v[2];
};

static void plan_with(struct plan_fixture *f, int nvol, char *iqn2) {
        *f = (struct plan_fixture){0};
        for (int i = 0; i < 2; i++) {
                f->v[i] = (struct vc_nodeplan_volume){.portal = "10.0.0.5:3260",
                                                      .iqn = i == 1 && iqn2 ? iqn2 : "iqn.2026-11.org.vcluster:target.42",
                                                      .lun = i + 1, .initiator = "iqn.2026-11.org.vcluster:42.n1",
                                                      .user = "vcluster-42"};
                f->g[i] = (struct vc_nodeplan_guest){.name = i == 0 ? "web-1-1" : "web-1-2", .node = "n1",
                                                     .volume = i < nvol ? &f->v[i] : NULL};
        }
        f->p = (struct vc_nodeplan){.job = 42, .node = "n1", .guests = f->g, .n_guests = 2};
}

static void test_add_storage(void **state) {
        struct vc_journal j = {.kinds = vc_node_step_kinds, .store = {mem_add, mem_mark, NULL}};
        struct vc_nodecfg qemu = {.libvirt_uri = "qemu:///system"}, host = {.iscsi_host = true};
        _cleanup_free_ char *err = NULL;

        struct plan_fixture none, two, split;
        plan_with(&none, 0, NULL);
        assert_int_equal(vc_nodeplan_volumes(&none.p), 0);
        assert_int_equal(vc_node_add_storage(&j, &qemu, &none.p, &err), 0);
        assert_int_equal(j.n, 0);

        plan_with(&two, 2, NULL);
        assert_int_equal(vc_nodeplan_volumes(&two.p), 2);
        assert_int_equal(vc_node_add_storage(&j, &qemu, &two.p, &err), 0);
        assert_int_equal(j.n, 1);
        assert_string_equal(j.steps[0].kind, "storage.secret");
        _cleanup_free_ char *a0 = json_dumps(j.steps[0].args, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(a0, "{\"uri\":\"qemu:///system\",\"usage\":\"vcluster-42-n1\"}");

        assert_int_equal(vc_node_add_storage(&j, &host, &two.p, &err), 0);
        assert_int_equal(j.n, 2);
        assert_string_equal(j.steps[1].kind, "storage.iscsi");
        _cleanup_free_ char *a1 = json_dumps(j.steps[1].args, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(a1, "{\"devices\":["
                                "\"/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.2026-11.org.vcluster:target.42-lun-1\","
                                "\"/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.2026-11.org.vcluster:target.42-lun-2\"],"
                                "\"iface\":\"vc-42-n1\",\"initiator\":\"iqn.2026-11.org.vcluster:42.n1\","
                                "\"iqn\":\"iqn.2026-11.org.vcluster:target.42\",\"portal\":\"10.0.0.5:3260\","
                                "\"user\":\"vcluster-42\",\"wait_s\":30}");

        /* host mode logs in to one target per node */
        plan_with(&split, 2, "iqn.2026-11.org.vcluster:target.99");
        assert_int_equal(vc_node_add_storage(&j, &host, &split.p, &err), -EINVAL);
        assert_string_equal(err, "node n1: volumes on two targets (iqn.2026-11.org.vcluster:target.42, "
                                 "iqn.2026-11.org.vcluster:target.99): IscsiAttach=host logs in to one");
        assert_int_equal(j.n, 2);
        vc_journal_clear(&j);
}

/* The steps refuse to run without the secret, and say so without touching anything. */
static void test_steps_need_secret(void **state) {
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        _cleanup_(json_decrefp) json_t *sa = json_pack("{s:s, s:s}", "uri", "test:///default", "usage", "vcluster-42-n1");
        _cleanup_(json_decrefp) json_t *ia = json_pack("{s:s, s:s, s:s, s:s, s:s}", "iface", "vc-42-n1", "initiator",
                                                       "iqn.i", "iqn", "iqn.t", "portal", "10.0.0.5:3260", "user", "u");
        char *err = NULL;
        assert_int_equal(vc_storage_secret_do(&ctx, sa, &err), vc_step_untouched(-EINVAL));
        assert_string_equal(err, "libvirt secret vcluster-42-n1: no usable CHAP secret of the job to give it");
        free(err);
        err = NULL;
        assert_int_equal(vc_storage_iscsi_do(&ctx, ia, &err), vc_step_untouched(-EINVAL));
        assert_string_equal(err, "iSCSI target iqn.t at 10.0.0.5:3260 (iface vc-42-n1): no usable CHAP secret of "
                                 "the job to log in with");
        free(err);
        err = NULL;
        /* a secret a record line could not carry is refused the same way */
        ctx.chap = xstrdup("has blank");
        assert_int_equal(vc_storage_secret_do(&ctx, sa, &err), vc_step_untouched(-EINVAL));
        free(err);
        err = NULL;
        _cleanup_(json_decrefp) json_t *bad = json_pack("{s:s}", "uri", "test:///default");
        assert_int_equal(vc_storage_secret_undo(&ctx, bad, &err), -EINVAL);
        assert_string_equal(err, "storage.secret: needs \"uri\" and \"usage\"");
        free(err);
        vc_node_ctx_done(&ctx);
        assert_null(ctx.chap);
}

/* libvirt's test driver keeps no secrets: the step says so, as untouched
 * (the real driver is exercised by tests/integration/test_node_iscsi.sh). */
static void test_secret_step_unsupported(void **state) {
        struct vc_node_ctx ctx;
        vc_node_ctx_init(&ctx);
        ctx.chap = xstrdup("AbCdEfGhIjKlMnOpQrStUv12");
        _cleanup_(json_decrefp) json_t *sa = json_pack("{s:s, s:s}", "uri", "test:///default", "usage", "vcluster-42-n1");
        char *err = NULL;
        assert_int_equal(vc_storage_secret_do(&ctx, sa, &err), vc_step_untouched(-EIO));
        assert_non_null(strstr(err, "libvirt secret vcluster-42-n1: lookup: "));
        assert_null(strstr(err, ctx.chap));
        free(err);
        err = NULL;
        assert_int_equal(vc_storage_secret_undo(&ctx, sa, &err), -EIO);
        free(err);
        vc_node_ctx_done(&ctx);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),          cmocka_unit_test(test_portal_split),
                cmocka_unit_test(test_secret_ok),      cmocka_unit_test(test_session_listed),
                cmocka_unit_test(test_record_password), cmocka_unit_test(test_add_storage),
                cmocka_unit_test(test_steps_need_secret), cmocka_unit_test(test_secret_step_unsupported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
