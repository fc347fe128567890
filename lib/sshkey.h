/* sshkey.h — a virtual cluster's SSH keys, derived from the job's SSH seed.
 *
 * Every node of a job must give its guests the same user key pair and know
 * every guest's host key (for a known_hosts made before the first
 * connection), yet node prologs run concurrently and never talk to each
 * other. So vlanallocd makes one random 32-byte seed per job (a root-only
 * secret, fetched like the CHAP secret, chap.h) and each node derives the
 * keys from it: ed25519 private key = SHA-256("vcluster-ssh" 0 LABEL 0 SEED),
 * LABEL "user" for the job's key pair, "host NAME" for guest NAME's host key.
 * The texts are OpenSSH's own formats (ssh-keygen reads them back).
 */
#ifndef VC_SSHKEY_H
#define VC_SSHKEY_H

#include <stddef.h>

/* The seed as vlanallocd keeps and hands it out: 64 lowercase hex digits. */
#define VC_SSH_SEED_LEN 64

struct vc_sshkey {
        char *pub;  /* "ssh-ed25519 BASE64 COMMENT" (no newline), malloc'd */
        char *priv; /* "-----BEGIN OPENSSH PRIVATE KEY-----\n…" (secret: wipe), malloc'd */
};

/* vc_sshkey_derive: the key pair of label from seed_hex (VC_SSH_SEED_LEN hex
 * digits), with comment in both halves; 0, or -EINVAL (bad seed) / -EIO (libcrypto). */
int vc_sshkey_derive(const char *seed_hex, const char *label, const char *comment, struct vc_sshkey *k);
/* vc_sshkey_clear: wipe the private half, free both. */
void vc_sshkey_clear(struct vc_sshkey *k);
/* vc_base64: data as standard base64 with padding, no line breaks (malloc'd). */
char *vc_base64(const void *data, size_t len);
/* vc_base64_decode: text (standard base64, no line breaks) as bytes, NUL
 * added (malloc'd, *len without the NUL); 0 or -EINVAL. */
int vc_base64_decode(const char *text, char **out, size_t *len);

#endif
