/* tgtd's management protocol: request encoding, reply header, status codes
 * and the parser of "show" text (see tgt_proto.h for the wire). */
#include <ctype.h>
#include <errno.h>

#include "tgt_proto.h"
#include "util.h"

/* Where each field of the 120-byte request header lies. tgtd reads the
 * header as its own C struct, so these are that struct's natural offsets
 * (seen on the wire from tgtadm 1.0.85): two enums, the 64-byte driver name,
 * then the numbers; sid, cid, host_no and pack stay 0 for what we send. */
enum {
        OFF_MODE = 0,
        OFF_OP = 4,
        OFF_LLD = 8,
        LLD_LEN = 64,
        OFF_LEN = 72,
        OFF_TID = 76,
        OFF_SID = 80,
        OFF_LUN = 88,
        OFF_CID = 96,
        OFF_HOST = 100,
        OFF_DEVTYPE = 104, /* 0: disk */
        OFF_ACDIR = 108,   /* 0: incoming account */
        OFF_PACK = 112,
        OFF_FORCE = 116,
};

static void put32(unsigned char *b, size_t off, uint32_t v) { memcpy(b + off, &v, sizeof(v)); }
static void put64(unsigned char *b, size_t off, uint64_t v) { memcpy(b + off, &v, sizeof(v)); }

int vc_tgt_encode(const struct vc_tgt_req *req, unsigned char **buf, size_t *len) {
        size_t plen = req->params ? strlen(req->params) + 1 : 0;
        if (plen > VC_TGT_PARAMS_MAX)
                return -EINVAL;
        size_t n = VC_TGT_REQ_SIZE + plen;
        unsigned char *b = xcalloc(1, n);
        put32(b, OFF_MODE, (uint32_t)req->mode);
        put32(b, OFF_OP, (uint32_t)req->op);
        /* Always the iSCSI driver: the only one this backend serves. */
        memcpy(b + OFF_LLD, "iscsi", sizeof("iscsi"));
        put32(b, OFF_LEN, (uint32_t)n);
        put32(b, OFF_TID, (uint32_t)req->tid);
        put64(b, OFF_LUN, req->lun);
        put32(b, OFF_FORCE, req->force ? 1 : 0);
        if (plen)
                memcpy(b + VC_TGT_REQ_SIZE, req->params, plen);
        *buf = b;
        *len = n;
        return 0;
}

int vc_tgt_decode_reply(const unsigned char *hdr, uint32_t *status, size_t *text_len) {
        uint32_t total;
        memcpy(status, hdr, sizeof(*status));
        memcpy(&total, hdr + 4, sizeof(total));
        if (total < VC_TGT_RSP_SIZE)
                return -EPROTO;
        *text_len = total - VC_TGT_RSP_SIZE;
        return 0;
}

/* tgtd's status codes in 1.0.85's numbering, with our words and errno. */
static const struct {
        const char *text;
        int err;
} statuses[] = {
        {"success", 0},
        {"unknown error", EIO},
        {"out of memory", ENOMEM},
        {"no such driver", ENODEV},
        {"no such target", ENOENT},
        {"no such logical unit", ENOENT},
        {"no such session", ENOENT},
        {"no such connection", ENOENT},
        {"no such binding", ENOENT},
        {"the target already exists", EEXIST},
        {"the logical unit number is already in use", EEXIST},
        {"the binding already exists", EEXIST},
        {"the access rule already exists", EEXIST},
        {"no such access rule", ENOENT},
        {"the account already exists", EEXIST},
        {"no such account", ENOENT},
        {"too many accounts", ENOSPC},
        {"invalid request", EINVAL},
        {"the target already has an outgoing account", EEXIST},
        {"the target is still in use", EBUSY},
        {"the logical unit is still in use", EBUSY},
        {"the driver is busy", EBUSY},
        {"operation not supported", EOPNOTSUPP},
        {"unknown parameter", EINVAL},
        {"the device has Prevent Removal set", EBUSY},
};

const char *vc_tgt_status_text(uint32_t status) {
        return status < ARRAY_SIZE(statuses) ? statuses[status].text : "unknown status";
}

int vc_tgt_status_errno(uint32_t status) { return status < ARRAY_SIZE(statuses) ? -statuses[status].err : -EIO; }

bool vc_tgt_value_ok(const char *s) {
        if (!s || !*s)
                return false;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p == ',' || iscntrl(*p))
                        return false;
        return true;
}

/* Show text. Targets start at column 0 ("Target 1: iqn…"); a section
 * heading is indented by 4 ("    LUN information:"), its entries by 8
 * ("        LUN: 1", "        user1", "        iqn…"), details deeper. */
enum section { SEC_OTHER, SEC_LUN, SEC_ACCOUNT, SEC_ACL };

static size_t indent(const char *l) { return strspn(l, " "); }

static int parse_target_line(const char *l, struct vc_tgt_target *t) {
        unsigned long long tid;
        const char *colon = strstr(l, ": ");
        if (strncmp(l, "Target ", 7) != 0 || !colon || !colon[2])
                return -EPROTO;
        _cleanup_free_ char *num = strndup(l + 7, (size_t)(colon - l - 7));
        if (!num || parse_uint(num, 1, INT32_MAX, &tid) < 0)
                return -EPROTO;
        *t = (struct vc_tgt_target){.tid = (int)tid, .iqn = xstrdup(colon + 2)};
        t->accounts = xcalloc(1, sizeof(char *));
        t->acl = xcalloc(1, sizeof(char *));
        return 0;
}

static enum section section_of(const char *heading) {
        if (streq(heading, "LUN information:"))
                return SEC_LUN;
        if (streq(heading, "Account information:"))
                return SEC_ACCOUNT;
        if (streq(heading, "ACL information:"))
                return SEC_ACL;
        return SEC_OTHER;
}

/* One entry (indented by 8) of the current section of t. */
static void parse_entry(struct vc_tgt_target *t, enum section sec, const char *e) {
        if (sec == SEC_LUN && strncmp(e, "LUN: ", 5) == 0 && !streq(e + 5, "0"))
                t->n_luns++;
        else if (sec == SEC_ACCOUNT && !strstr(e, " (outgoing)"))
                strv_push(&t->accounts, e);
        else if (sec == SEC_ACL)
                strv_push(&t->acl, e);
}

int vc_tgt_parse_targets(const char *text, struct vc_tgt_target **out, size_t *n) {
        struct vc_tgt_target *t = NULL;
        size_t nt = 0;
        enum section sec = SEC_OTHER;
        _cleanup_free_ char *copy = xstrdup(text ? text : "");
        char *save = NULL;
        int r = 0;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                size_t ind = indent(l);
                if (ind == 0) {
                        t = xrealloc(t, (nt + 1) * sizeof(*t));
                        r = parse_target_line(l, &t[nt]);
                        if (r < 0)
                                break;
                        nt++;
                        sec = SEC_OTHER;
                } else if (nt == 0) {
                        r = -EPROTO; /* an entry before any target */
                        break;
                } else if (ind == 4) {
                        sec = section_of(l + ind);
                } else if (ind == 8) {
                        parse_entry(&t[nt - 1], sec, l + ind);
                }
        }
        if (r < 0) {
                vc_tgt_targets_free(t, nt);
                return r;
        }
        *out = t;
        *n = nt;
        return 0;
}

void vc_tgt_targets_free(struct vc_tgt_target *t, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(t[i].iqn);
                strv_free(t[i].accounts);
                strv_free(t[i].acl);
        }
        free(t);
}

const struct vc_tgt_target *vc_tgt_find(const struct vc_tgt_target *t, size_t n, const char *iqn) {
        for (size_t i = 0; i < n; i++)
                if (streq(t[i].iqn, iqn))
                        return &t[i];
        return NULL;
}

int vc_tgt_free_tid(const struct vc_tgt_target *t, size_t n) {
        /* n targets leave at least one of 1..n+1 free. */
        for (int tid = 1;; tid++) {
                bool used = false;
                for (size_t i = 0; i < n && !used; i++)
                        used = t[i].tid == tid;
                if (!used)
                        return tid;
        }
}
