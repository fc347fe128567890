#include "sshkey.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>

#include "util.h"

char *vc_base64(const void *data, size_t len) {
        char *out = xmalloc(4 * ((len + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
        return out;
}

int vc_base64_decode(const char *text, char **out, size_t *len) {
        size_t n = strlen(text);
        if (n % 4)
                return -EINVAL;
        unsigned char *b = xmalloc(n / 4 * 3 + 1);
        int m = n ? EVP_DecodeBlock(b, (const unsigned char *)text, (int)n) : 0;
        if (m < 0) {
                free(b);
                return -EINVAL;
        }
        /* EVP_DecodeBlock counts the padding as zero bytes */
        size_t pad = n >= 2 && text[n - 1] == '=' ? (text[n - 2] == '=' ? 2 : 1) : 0;
        *len = (size_t)m - pad;
        b[*len] = 0;
        *out = (char *)b;
        return 0;
}

/* A growing byte string in SSH wire format (RFC 4251: uint32, string). */
struct wire {
        unsigned char *b;
        size_t n;
};

static void w_bytes(struct wire *w, const void *p, size_t n) {
        w->b = xrealloc(w->b, w->n + n);
        memcpy(w->b + w->n, p, n);
        w->n += n;
}

static void w_u32(struct wire *w, uint32_t v) {
        unsigned char b[4] = {v >> 24, v >> 16, v >> 8, v};
        w_bytes(w, b, 4);
}

static void w_str(struct wire *w, const void *p, size_t n) {
        w_u32(w, (uint32_t)n);
        w_bytes(w, p, n);
}

static void w_wipe(struct wire *w) {
        if (w->b)
                explicit_bzero(w->b, w->n);
        free(w->b);
        w->b = NULL;
        w->n = 0;
}

static int unhex(const char *s, unsigned char *out, size_t n) {
        if (strlen(s) != 2 * n)
                return -EINVAL;
        for (size_t i = 0; i < 2 * n; i++) {
                char c = s[i];
                int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                if (v < 0)
                        return -EINVAL;
                out[i / 2] = (unsigned char)(i % 2 ? out[i / 2] | v : v << 4);
        }
        return 0;
}

/* derive: the 32-byte ed25519 private key of label. */
static int derive(const unsigned char seed[32], const char *label, unsigned char out[32]) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned len = 0;
        int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
                 EVP_DigestUpdate(md, "vcluster-ssh", sizeof("vcluster-ssh")) &&
                 EVP_DigestUpdate(md, label, strlen(label) + 1) && EVP_DigestUpdate(md, seed, 32) &&
                 EVP_DigestFinal_ex(md, out, &len) && len == 32;
        EVP_MD_CTX_free(md);
        return ok ? 0 : -EIO;
}

int vc_sshkey_derive(const char *seed_hex, const char *label, const char *comment, struct vc_sshkey *k) {
        *k = (struct vc_sshkey){0};
        unsigned char seed[32], sk[32], pk[32];
        if (!seed_hex || unhex(seed_hex, seed, sizeof(seed)) < 0)
                return -EINVAL;
        int r = derive(seed, label, sk);
        explicit_bzero(seed, sizeof(seed));
        if (r < 0)
                return r;
        EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, sizeof(sk));
        size_t pklen = sizeof(pk);
        if (!key || EVP_PKEY_get_raw_public_key(key, pk, &pklen) != 1 || pklen != sizeof(pk)) {
                EVP_PKEY_free(key);
                explicit_bzero(sk, sizeof(sk));
                return -EIO;
        }
        EVP_PKEY_free(key);

        static const char type[] = "ssh-ed25519";
        struct wire blob = {0}, priv = {0}, file = {0};
        w_str(&blob, type, strlen(type));
        w_str(&blob, pk, sizeof(pk));
        _cleanup_free_ char *b64 = vc_base64(blob.b, blob.n);
        k->pub = xasprintf("%s %s %s", type, b64, comment);

        /* PROTOCOL.key: the unencrypted private section. The check words
         * only detect a wrong passphrase; they need not be random here,
         * and a fixed pair keeps the text the same on every node. */
        uint32_t check = 0x76636c75;
        w_u32(&priv, check);
        w_u32(&priv, check);
        w_str(&priv, type, strlen(type));
        w_str(&priv, pk, sizeof(pk));
        w_u32(&priv, 64);
        w_bytes(&priv, sk, sizeof(sk));
        w_bytes(&priv, pk, sizeof(pk));
        explicit_bzero(sk, sizeof(sk));
        w_str(&priv, comment, strlen(comment));
        for (unsigned char pad = 1; priv.n % 8; pad++)
                w_bytes(&priv, &pad, 1);
        w_bytes(&file, "openssh-key-v1", sizeof("openssh-key-v1"));
        w_str(&file, "none", 4);
        w_str(&file, "none", 4);
        w_str(&file, "", 0);
        w_u32(&file, 1);
        w_str(&file, blob.b, blob.n);
        w_str(&file, priv.b, priv.n);
        w_wipe(&priv);
        w_wipe(&blob);
        _cleanup_secret_ char *all = vc_base64(file.b, file.n);
        w_wipe(&file);
        /* armored as ssh-keygen writes it: 70 characters a line */
        size_t n = strlen(all), lines = (n + 69) / 70;
        static const char head[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n", tail[] = "-----END OPENSSH PRIVATE KEY-----\n";
        char *t = xmalloc(sizeof(head) + n + lines + sizeof(tail));
        size_t at = 0;
        memcpy(t, head, sizeof(head) - 1);
        at += sizeof(head) - 1;
        for (size_t i = 0; i < n; i += 70) {
                size_t m = n - i < 70 ? n - i : 70;
                memcpy(t + at, all + i, m);
                at += m;
                t[at++] = '\n';
        }
        memcpy(t + at, tail, sizeof(tail));
        k->priv = t;
        return 0;
}

void vc_sshkey_clear(struct vc_sshkey *k) {
        free(k->pub);
        secret_freep(&k->priv);
        *k = (struct vc_sshkey){0};
}
