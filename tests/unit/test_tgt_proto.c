/* test_tgt_proto — tgtd's management protocol without a tgtd: requests
 * encoded byte for byte as tgtadm 1.0.85 sends them (captured with strace),
 * reply headers, status codes, the values tgtd can take, and the parser of
 * a real "tgtadm --op show --mode target" text (one target with a live
 * session, one with two LUNs, an outgoing account and an address ACL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "tgt_proto.h"
#include "util.h"

/* Captured from tgtd 1.0.85 (Debian 12): tgtadm -C 77 --lld iscsi --op show --mode target. */
static const char show_fixture[] =
        "Target 1: iqn.2026-11.org.vcluster:job.1\n"
        "    System information:\n"
        "        Driver: iscsi\n"
        "        State: ready\n"
        "    I_T nexus information:\n"
        "        I_T nexus: 3\n"
        "            Initiator: iqn.2026-11.org.vcluster:node1 alias: none\n"
        "            Connection: 0\n"
        "                IP Address: 127.0.0.1\n"
        "    LUN information:\n"
        "        LUN: 0\n"
        "            Type: controller\n"
        "            SCSI ID: IET     00010000\n"
        "            SCSI SN: beaf10\n"
        "            Size: 0 MB, Block size: 1\n"
        "            Online: Yes\n"
        "            Removable media: No\n"
        "            Prevent removal: No\n"
        "            Readonly: No\n"
        "            SWP: No\n"
        "            Thin-provisioning: No\n"
        "            Backing store type: null\n"
        "            Backing store path: None\n"
        "            Backing store flags: \n"
        "        LUN: 1\n"
        "            Type: disk\n"
        "            SCSI ID: IET     00010001\n"
        "            SCSI SN: beaf11\n"
        "            Size: 67 MB, Block size: 512\n"
        "            Online: Yes\n"
        "            Removable media: No\n"
        "            Prevent removal: No\n"
        "            Readonly: No\n"
        "            SWP: No\n"
        "            Thin-provisioning: No\n"
        "            Backing store type: rdwr\n"
        "            Backing store path: /tmp/tgtx/a.img\n"
        "            Backing store flags: \n"
        "    Account information:\n"
        "        u1\n"
        "    ACL information:\n"
        "        iqn.2026-11.org.vcluster:node1\n"
        "Target 3: iqn.2026-11.org.vcluster:job.43\n"
        "    System information:\n"
        "        Driver: iscsi\n"
        "        State: ready\n"
        "    I_T nexus information:\n"
        "    LUN information:\n"
        "        LUN: 0\n"
        "            Type: controller\n"
        "            SCSI ID: IET     00030000\n"
        "            SCSI SN: beaf30\n"
        "            Size: 0 MB, Block size: 1\n"
        "            Online: Yes\n"
        "            Removable media: No\n"
        "            Prevent removal: No\n"
        "            Readonly: No\n"
        "            SWP: No\n"
        "            Thin-provisioning: No\n"
        "            Backing store type: null\n"
        "            Backing store path: None\n"
        "            Backing store flags: \n"
        "        LUN: 1\n"
        "            Type: disk\n"
        "            SCSI ID: IET     00030001\n"
        "            SCSI SN: beaf31\n"
        "            Size: 34 MB, Block size: 512\n"
        "            Online: Yes\n"
        "            Removable media: No\n"
        "            Prevent removal: No\n"
        "            Readonly: No\n"
        "            SWP: No\n"
        "            Thin-provisioning: No\n"
        "            Backing store type: rdwr\n"
        "            Backing store path: /tmp/tgtx/b.img\n"
        "            Backing store flags: \n"
        "        LUN: 2\n"
        "            Type: disk\n"
        "            SCSI ID: IET     00030002\n"
        "            SCSI SN: beaf32\n"
        "            Size: 34 MB, Block size: 512\n"
        "            Online: Yes\n"
        "            Removable media: No\n"
        "            Prevent removal: No\n"
        "            Readonly: No\n"
        "            SWP: No\n"
        "            Thin-provisioning: No\n"
        "            Backing store type: rdwr\n"
        "            Backing store path: /tmp/tgtx/c.img\n"
        "            Backing store flags: \n"
        "    Account information:\n"
        "        vc-43\n"
        "        out1 (outgoing)\n"
        "    ACL information:\n"
        "        10.0.0.0/24\n"
        "        iqn.2026-11.org.vcluster:a001\n"
        "        iqn.2026-11.org.vcluster:a002\n"
        ;

/* What tgtadm wrote to the control socket (header + parameters), as hex. */
static const char lun_new_hex[] = /* --op new --mode logicalunit --tid 5 --lun 2 -b /tmp/tgtx/a.img */
        "0200000000000000697363736900000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000008d000000050000000000000000000000"
        "0200000000000000000000000000000000000000000000000000000000000000706174683d2f746d702f7467"
        "74782f612e696d6700";
static const char account_new_hex[] = /* --op new --mode account --user vc-9 --password pw-secret-123 */
        "0700000000000000697363736900000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000099000000ffffffff0000000000000000"
        "ffffffffffffffff000000000000000000000000000000000000000000000000757365723d76632d392c7061"
        "7373776f72643d70772d7365637265742d31323300";
static const char target_delete_hex[] = /* --op delete --mode target --tid 5 --force */
        "0100000001000000697363736900000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000078000000050000000000000000000000"
        "ffffffffffffffff000000000000000000000000000000000000000001000000";
static const char target_show_hex[] = /* --op show --mode target */
        "0100000002000000697363736900000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000078000000ffffffff0000000000000000"
        "ffffffffffffffff000000000000000000000000000000000000000000000000";
static const char target_offline_hex[] = /* --op update --mode target --tid 1 --name state --value offline */
        "0100000005000000697363736900000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000086000000010000000000000000000000"
        "ffffffffffffffff00000000000000000000000000000000000000000000000073746174653d6f66666c696e"
        "6500";
static const char acl_bind_hex[] = /* --op bind --mode target --tid 9 --initiator-name iqn.x:n1 */
        "0100000003000000697363736900000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000090000000090000000000000000000000"
        "ffffffffffffffff000000000000000000000000000000000000000000000000696e69746961746f722d6e61"
        "6d653d69716e2e783a6e3100";

static void assert_encodes(const struct vc_tgt_req *req, const char *hex) {
        unsigned char *b = NULL;
        size_t len = 0;
        assert_int_equal(vc_tgt_encode(req, &b, &len), 0);
        assert_int_equal(len * 2, strlen(hex));
        _cleanup_free_ char *got = xmalloc(len * 2 + 1);
        for (size_t i = 0; i < len; i++)
                sprintf(got + 2 * i, "%02x", b[i]);
        free(b);
        assert_string_equal(got, hex);
}

static void test_encode_like_tgtadm(void **state) {
        assert_encodes(&(struct vc_tgt_req){.mode = VC_TGT_LUN, .op = VC_TGT_NEW, .tid = 5, .lun = 2,
                                            .params = "path=/tmp/tgtx/a.img"},
                       lun_new_hex);
        assert_encodes(&(struct vc_tgt_req){.mode = VC_TGT_ACCOUNT, .op = VC_TGT_NEW, .tid = VC_TGT_NO_TID,
                                            .lun = VC_TGT_NO_LUN, .params = "user=vc-9,password=pw-secret-123"},
                       account_new_hex);
        assert_encodes(&(struct vc_tgt_req){.mode = VC_TGT_TARGET, .op = VC_TGT_DELETE, .tid = 5,
                                            .lun = VC_TGT_NO_LUN, .force = true},
                       target_delete_hex);
        assert_encodes(&(struct vc_tgt_req){.mode = VC_TGT_TARGET, .op = VC_TGT_SHOW, .tid = VC_TGT_NO_TID,
                                            .lun = VC_TGT_NO_LUN},
                       target_show_hex);
        assert_encodes(&(struct vc_tgt_req){.mode = VC_TGT_TARGET, .op = VC_TGT_BIND, .tid = 9,
                                            .lun = VC_TGT_NO_LUN, .params = "initiator-name=iqn.x:n1"},
                       acl_bind_hex);
        assert_encodes(&(struct vc_tgt_req){.mode = VC_TGT_TARGET, .op = VC_TGT_UPDATE, .tid = 1,
                                            .lun = VC_TGT_NO_LUN, .params = "state=offline"},
                       target_offline_hex);
}

static void test_encode_limit(void **state) {
        /* tgtd drops parameters longer than 8192 bytes with their NUL. */
        _cleanup_free_ char *p = xmalloc(VC_TGT_PARAMS_MAX + 1);
        memset(p, 'a', VC_TGT_PARAMS_MAX - 1);
        p[VC_TGT_PARAMS_MAX - 1] = '\0';
        unsigned char *b = NULL;
        size_t len = 0;
        struct vc_tgt_req req = {.mode = VC_TGT_TARGET, .op = VC_TGT_NEW, .tid = 1, .lun = VC_TGT_NO_LUN, .params = p};
        assert_int_equal(vc_tgt_encode(&req, &b, &len), 0);
        assert_int_equal(len, VC_TGT_REQ_SIZE + VC_TGT_PARAMS_MAX);
        free(b);
        p[VC_TGT_PARAMS_MAX - 1] = 'a';
        p[VC_TGT_PARAMS_MAX] = '\0';
        assert_int_equal(vc_tgt_encode(&req, &b, &len), -EINVAL);
}

static void test_reply(void **state) {
        /* As received: success with 0x45b bytes in all; "this account already exists"; nonsense. */
        const unsigned char ok[8] = {0, 0, 0, 0, 0x5b, 0x04, 0, 0};
        const unsigned char exists[8] = {14, 0, 0, 0, 8, 0, 0, 0};
        const unsigned char bad[8] = {0, 0, 0, 0, 7, 0, 0, 0};
        uint32_t status = 99;
        size_t n = 99;
        assert_int_equal(vc_tgt_decode_reply(ok, &status, &n), 0);
        assert_int_equal(status, 0);
        assert_int_equal(n, 0x45b - 8);
        assert_int_equal(vc_tgt_decode_reply(exists, &status, &n), 0);
        assert_int_equal(status, VC_TGT_USER_EXISTS);
        assert_int_equal(n, 0);
        assert_int_equal(vc_tgt_decode_reply(bad, &status, &n), -EPROTO);
}

static void test_status(void **state) {
        assert_string_equal(vc_tgt_status_text(VC_TGT_NO_TARGET), "no such target");
        assert_string_equal(vc_tgt_status_text(VC_TGT_USER_EXISTS), "the account already exists");
        assert_string_equal(vc_tgt_status_text(VC_TGT_INVALID), "invalid request");
        assert_string_equal(vc_tgt_status_text(10), "the logical unit number is already in use");
        assert_string_equal(vc_tgt_status_text(20), "the logical unit is still in use");
        assert_string_equal(vc_tgt_status_text(24), "the device has Prevent Removal set");
        assert_string_equal(vc_tgt_status_text(25), "unknown status");
        assert_int_equal(vc_tgt_status_errno(VC_TGT_OK), 0);
        assert_int_equal(vc_tgt_status_errno(VC_TGT_NO_USER), -ENOENT);
        assert_int_equal(vc_tgt_status_errno(VC_TGT_TARGET_EXISTS), -EEXIST);
        assert_int_equal(vc_tgt_status_errno(19), -EBUSY);
        assert_int_equal(vc_tgt_status_errno(20), -EBUSY);
        assert_int_equal(vc_tgt_status_errno(VC_TGT_INVALID), -EINVAL);
        assert_int_equal(vc_tgt_status_errno(1000), -EIO);
}

static void test_values(void **state) {
        assert_true(vc_tgt_value_ok("iqn.2026-11.org.vcluster:job.42"));
        assert_true(vc_tgt_value_ok("/dev/vg0/vc-42-a001"));
        assert_false(vc_tgt_value_ok(NULL));
        assert_false(vc_tgt_value_ok(""));
        assert_false(vc_tgt_value_ok("a,b"));
        assert_false(vc_tgt_value_ok("a\nb"));
        assert_false(vc_tgt_value_ok("a\tb"));
}

static void test_parse_fixture(void **state) {
        struct vc_tgt_target *t = NULL;
        size_t n = 0;
        assert_int_equal(vc_tgt_parse_targets(show_fixture, &t, &n), 0);
        assert_int_equal(n, 2);

        assert_int_equal(t[0].tid, 1);
        assert_string_equal(t[0].iqn, "iqn.2026-11.org.vcluster:job.1");
        assert_int_equal(t[0].n_luns, 1); /* LUN 0, the controller, is not a data LUN */
        assert_int_equal(strv_len(t[0].accounts), 1);
        assert_string_equal(t[0].accounts[0], "u1");
        assert_int_equal(strv_len(t[0].acl), 1);
        assert_string_equal(t[0].acl[0], "iqn.2026-11.org.vcluster:node1");

        assert_int_equal(t[1].tid, 3);
        assert_string_equal(t[1].iqn, "iqn.2026-11.org.vcluster:job.43");
        assert_int_equal(t[1].n_luns, 2);
        assert_int_equal(strv_len(t[1].accounts), 1); /* "out1 (outgoing)" is not an incoming user */
        assert_string_equal(t[1].accounts[0], "vc-43");
        assert_int_equal(strv_len(t[1].acl), 3);
        assert_string_equal(t[1].acl[0], "10.0.0.0/24");
        assert_string_equal(t[1].acl[1], "iqn.2026-11.org.vcluster:a001");
        assert_string_equal(t[1].acl[2], "iqn.2026-11.org.vcluster:a002");

        assert_ptr_equal(vc_tgt_find(t, n, "iqn.2026-11.org.vcluster:job.43"), &t[1]);
        assert_null(vc_tgt_find(t, n, "iqn.2026-11.org.vcluster:job.4"));
        assert_int_equal(vc_tgt_free_tid(t, n), 2);
        vc_tgt_targets_free(t, n);
}

static void test_parse_edges(void **state) {
        struct vc_tgt_target *t = NULL;
        size_t n = 99;
        /* No targets: tgtd sends no text at all. */
        assert_int_equal(vc_tgt_parse_targets("", &t, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(vc_tgt_free_tid(t, n), 1);
        vc_tgt_targets_free(t, n);
        assert_int_equal(vc_tgt_parse_targets(NULL, &t, &n), 0);
        assert_int_equal(n, 0);
        vc_tgt_targets_free(t, n);

        /* A bare target; an IQN with ": " in it keeps it. */
        assert_int_equal(vc_tgt_parse_targets("Target 2: iqn.x:a: b\n    LUN information:\n        LUN: 0\n"
                                              "Target 1: iqn.y\n",
                                              &t, &n),
                         0);
        assert_int_equal(n, 2);
        assert_string_equal(t[0].iqn, "iqn.x:a: b");
        assert_int_equal(t[0].n_luns, 0);
        assert_null(t[0].accounts[0]);
        assert_null(t[0].acl[0]);
        assert_int_equal(vc_tgt_free_tid(t, n), 3);
        vc_tgt_targets_free(t, n);

        /* Not what tgtd says: refused, nothing leaked. */
        assert_int_equal(vc_tgt_parse_targets("Target 1: iqn.a\nTarget x: iqn.b\n", &t, &n), -EPROTO);
        assert_int_equal(vc_tgt_parse_targets("Target 0: iqn.a\n", &t, &n), -EPROTO);
        assert_int_equal(vc_tgt_parse_targets("Target 1:\n", &t, &n), -EPROTO);
        assert_int_equal(vc_tgt_parse_targets("    ACL information:\n        iqn.a\n", &t, &n), -EPROTO);
        assert_int_equal(vc_tgt_parse_targets("tgtadm: can't find the target\n", &t, &n), -EPROTO);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encode_like_tgtadm),
                cmocka_unit_test(test_encode_limit),
                cmocka_unit_test(test_reply),
                cmocka_unit_test(test_status),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_parse_fixture),
                cmocka_unit_test(test_parse_edges),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
