/* tgt_proto.h — tgtd's management protocol (what tgtadm speaks), without
 * the socket: request encoding, the reply header, tgtd's status codes, and
 * the parser of the text a "show" of targets returns. exp_tgt.c does the I/O.
 *
 * The wire, as checked against tgtd 1.0.85 (Debian 12): one connection to
 * the unix socket /var/run/tgtd/socket.N per request. The client sends a
 * 120-byte header in host byte order and, when the request has parameters,
 * the "key=value[,key=value…]" text with its NUL, which the header's total
 * length counts. tgtd answers an 8-byte header (status, total length), then,
 * for a successful show, NUL-terminated text, and closes the connection.
 * tgtd finds parameters by plain substring search and takes a value up to
 * the next ',' or the end, so no value may contain a ',' (vc_tgt_value_ok).
 */
#ifndef VC_TGT_PROTO_H
#define VC_TGT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_TGT_REQ_SIZE 120
#define VC_TGT_RSP_SIZE 8
#define VC_TGT_PARAMS_MAX 8192 /* tgtd drops a request whose parameters (with NUL) are longer */
#define VC_TGT_NO_TID (-1)     /* "every target" (show) or "none" (accounts) */
#define VC_TGT_NO_LUN UINT64_MAX

enum vc_tgt_mode { VC_TGT_SYSTEM = 0, VC_TGT_TARGET = 1, VC_TGT_LUN = 2, VC_TGT_ACCOUNT = 7 };
enum vc_tgt_op { VC_TGT_NEW = 0, VC_TGT_DELETE = 1, VC_TGT_SHOW = 2, VC_TGT_BIND = 3, VC_TGT_UNBIND = 4, VC_TGT_UPDATE = 5 };

/* tgtd's status codes, as numbered by 1.0.85 (the ones we act on). */
enum {
        VC_TGT_OK = 0,
        VC_TGT_NO_TARGET = 4,
        VC_TGT_TARGET_EXISTS = 9,
        VC_TGT_USER_EXISTS = 14,
        VC_TGT_NO_USER = 15,
        VC_TGT_INVALID = 17,
};

struct vc_tgt_req {
        enum vc_tgt_mode mode;
        enum vc_tgt_op op;
        int32_t tid;        /* VC_TGT_NO_TID when the request has none */
        uint64_t lun;       /* VC_TGT_NO_LUN when the request has none */
        bool force;         /* delete a target even with sessions */
        const char *params; /* "key=value,…" or NULL */
};

/* vc_tgt_encode: the request's bytes (malloc'd, *len of them); -EINVAL when
 * the parameters are longer than tgtd accepts. The caller wipes the buffer
 * when the parameters hold a secret. */
int vc_tgt_encode(const struct vc_tgt_req *req, unsigned char **buf, size_t *len);
/* vc_tgt_decode_reply: the status and text length from a reply's header
 * (VC_TGT_RSP_SIZE bytes); -EPROTO when its total length is impossible. */
int vc_tgt_decode_reply(const unsigned char *hdr, uint32_t *status, size_t *text_len);
/* vc_tgt_status_text: what a status code means (static, never NULL). */
const char *vc_tgt_status_text(uint32_t status);
/* vc_tgt_status_errno: the -errno a status code becomes (-EIO when unknown). */
int vc_tgt_status_errno(uint32_t status);
/* vc_tgt_value_ok: whether s can be a parameter value (non-empty, printable, no ','). */
bool vc_tgt_value_ok(const char *s);

/* One target of a show. */
struct vc_tgt_target {
        int tid;
        char *iqn;
        int n_luns;       /* data LUNs: the controller LUN 0 is not counted */
        char **accounts;  /* bound incoming users, NULL-terminated */
        char **acl;       /* ACL entries (initiator names or addresses), NULL-terminated */
};

/* vc_tgt_parse_targets: the targets in the text of a show in target mode
 * (NULL or "" for none); *out malloc'd array of *n. -EPROTO on a line that
 * should start a target and does not. */
int vc_tgt_parse_targets(const char *text, struct vc_tgt_target **out, size_t *n);
/* vc_tgt_targets_free: free what vc_tgt_parse_targets returned. */
void vc_tgt_targets_free(struct vc_tgt_target *t, size_t n);
/* vc_tgt_find: the target named iqn among t[0..n), or NULL. */
const struct vc_tgt_target *vc_tgt_find(const struct vc_tgt_target *t, size_t n, const char *iqn);
/* vc_tgt_free_tid: the lowest tid >= 1 that none of t[0..n) has. */
int vc_tgt_free_tid(const struct vc_tgt_target *t, size_t n);

#endif
