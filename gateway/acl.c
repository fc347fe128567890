/* acl.c — the POSIX ACL codec (acl.h): the kernel's xattr format, linux/posix_acl_xattr.h. */
#include "acl.h"

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define ACL_XATTR_VERSION 2

enum {
        TAG_USER_OBJ = 0x01,
        TAG_USER = 0x02,
        TAG_GROUP_OBJ = 0x04,
        TAG_GROUP = 0x08,
        TAG_MASK = 0x10,
        TAG_OTHER = 0x20,
};

#define ACL_UNDEFINED_ID 0xffffffffu
#define PERM_X 1u

struct acl_ent {
        uint16_t tag, perm;
        uint32_t id;
};

/* acl_entries: the entries of xattr value acl, or the three mode implies when acl is NULL; room for 2 more. */
static int acl_entries(const void *acl, size_t len, mode_t mode, struct acl_ent **out, size_t *n) {
        *out = NULL;
        *n = 0;
        if (!acl) {
                struct acl_ent *e = xcalloc(5, sizeof(*e));
                e[0] = (struct acl_ent){TAG_USER_OBJ, (uint16_t)((mode >> 6) & 7), ACL_UNDEFINED_ID};
                e[1] = (struct acl_ent){TAG_GROUP_OBJ, (uint16_t)((mode >> 3) & 7), ACL_UNDEFINED_ID};
                e[2] = (struct acl_ent){TAG_OTHER, (uint16_t)(mode & 7), ACL_UNDEFINED_ID};
                *out = e;
                *n = 3;
                return 0;
        }
        const unsigned char *p = acl;
        uint32_t version;
        if (len < 4 || (len - 4) % 8 != 0)
                return -EINVAL;
        memcpy(&version, p, 4);
        if (le32toh(version) != ACL_XATTR_VERSION)
                return -EINVAL;
        size_t count = (len - 4) / 8;
        struct acl_ent *e = xcalloc(count + 2, sizeof(*e));
        for (size_t i = 0; i < count; i++) {
                const unsigned char *q = p + 4 + 8 * i;
                uint16_t tag, perm;
                uint32_t id;
                memcpy(&tag, q, 2);
                memcpy(&perm, q + 2, 2);
                memcpy(&id, q + 4, 4);
                e[i] = (struct acl_ent){le16toh(tag), le16toh(perm), le32toh(id)};
        }
        *out = e;
        *n = count;
        return 0;
}

bool vc_acl_permits_search(const void *acl, size_t len, uid_t owner, gid_t group, mode_t mode, uid_t uid,
                           const gid_t *gids, size_t ngids) {
        if (uid == 0)
                return true;
        _cleanup_free_ struct acl_ent *e = NULL;
        size_t n;
        if (acl_entries(acl, len, mode, &e, &n) < 0 && acl_entries(NULL, 0, mode, &e, &n) < 0)
                return false;
        unsigned mask = 7;
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == TAG_MASK)
                        mask = e[i].perm;
        if (uid == owner) {
                for (size_t i = 0; i < n; i++)
                        if (e[i].tag == TAG_USER_OBJ)
                                return e[i].perm & PERM_X;
                return false;
        }
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == TAG_USER && e[i].id == uid)
                        return e[i].perm & mask & PERM_X;
        bool matched = false;
        for (size_t i = 0; i < n; i++) {
                gid_t g = e[i].tag == TAG_GROUP_OBJ ? group : (gid_t)e[i].id;
                if (e[i].tag != TAG_GROUP_OBJ && e[i].tag != TAG_GROUP)
                        continue;
                for (size_t k = 0; k < ngids; k++)
                        if (gids[k] == g) {
                                matched = true;
                                if (e[i].perm & mask & PERM_X)
                                        return true;
                        }
        }
        if (matched)
                return false;
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == TAG_OTHER)
                        return e[i].perm & PERM_X;
        return false;
}

static int ent_cmp(const void *a, const void *b) {
        const struct acl_ent *x = a, *y = b;
        if (x->tag != y->tag)
                return x->tag < y->tag ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

int vc_acl_add_search(const void *acl, size_t len, mode_t mode, uid_t uid, void **out, size_t *out_len) {
        *out = NULL;
        *out_len = 0;
        _cleanup_free_ struct acl_ent *e = NULL;
        size_t n;
        int r = acl_entries(acl, len, mode, &e, &n);
        if (r < 0)
                return r;
        bool user = false, mask = false;
        unsigned group_class = 0;
        for (size_t i = 0; i < n; i++) {
                if (e[i].tag == TAG_USER && e[i].id == (uint32_t)uid) {
                        e[i].perm |= PERM_X;
                        user = true;
                }
                if (e[i].tag == TAG_USER || e[i].tag == TAG_GROUP_OBJ || e[i].tag == TAG_GROUP)
                        group_class |= e[i].perm;
        }
        if (!user)
                e[n++] = (struct acl_ent){TAG_USER, PERM_X, (uint32_t)uid};
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == TAG_MASK) {
                        e[i].perm |= PERM_X;
                        mask = true;
                }
        if (!mask)
                e[n++] = (struct acl_ent){TAG_MASK, (uint16_t)(group_class | PERM_X), ACL_UNDEFINED_ID};
        qsort(e, n, sizeof(*e), ent_cmp);
        size_t size = 4 + 8 * n;
        unsigned char *v = xmalloc(size);
        uint32_t version = htole32(ACL_XATTR_VERSION);
        memcpy(v, &version, 4);
        for (size_t i = 0; i < n; i++) {
                uint16_t tag = htole16(e[i].tag), perm = htole16(e[i].perm);
                uint32_t id = htole32(e[i].id);
                memcpy(v + 4 + 8 * i, &tag, 2);
                memcpy(v + 4 + 8 * i + 2, &perm, 2);
                memcpy(v + 4 + 8 * i + 4, &id, 4);
        }
        *out = v;
        *out_len = size;
        return 0;
}
