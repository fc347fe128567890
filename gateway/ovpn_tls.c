/* ovpn_tls.c — the job's TLS credentials for OpenVPN: a per-job CA key
 * derived from the job's secret, this gateway's own key and certificate. */
#include "ovpn.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "run.h"
#include "util.h"

/* Every gateway of the job holds the same secret (sealed to it by the
 * controller), so each derives the same per-job CA key from it and signs
 * its own certificate with it: the peers trust exactly the holders of the
 * secret, as with the static key, but the data channel's keys are
 * ephemeral. The CA key only ever passes through a pipe to openssl; this
 * gateway's own key is fresh and never leaves it. */
#define CA_LABEL "vcluster openvpn ca\n"
#define CERT_DAYS "3650"
#define OPENSSL_TIMEOUT_MS 20000

/* PKCS#8 for an Ed25519 key: this DER prefix, then the 32-byte seed. */
static const unsigned char ED25519_PKCS8[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                              0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};

/* openssl: run openssl with argv (input on its stdin), 0 or -EIO with its words in *err. */
static int openssl(const char *what, const char *const argv[], const char *input, char **out, char **err) {
        struct vc_run_result res = {0};
        int r = vc_run(argv, input, OPENSSL_TIMEOUT_MS, &res);
        if (r == 0 && (res.status != 0 || res.timed_out))
                r = -EIO;
        if (r < 0) {
                const char *why = res.err && *res.err ? res.err : res.timed_out ? "timed out" : strerror(-r);
                size_t n = strcspn(why, "\n");
                *err = xasprintf("openssl (%s): %.*s%s", what, (int)n, why, r == -EIO ? "" : " (is openssl installed?)");
        } else if (out) {
                *out = TAKE_PTR(res.out);
        }
        if (res.out)
                explicit_bzero(res.out, res.out_len);
        vc_run_result_free(&res);
        return r;
}

static char *base64(const unsigned char *in, size_t n) {
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
        for (size_t i = 0; i < n; i += 3) {
                unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
                *o++ = tab[v >> 18 & 63];
                *o++ = tab[v >> 12 & 63];
                *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? tab[v & 63] : '=';
        }
        *o = 0;
        return out;
}

/* ca_key: the job's CA private key (PEM, malloc'd; the caller wipes it) from its secret hex. */
static int ca_key(const char *hex, char **pem, char **err) {
        _cleanup_secret_ char *input = xasprintf(CA_LABEL "%.*s", VC_L2_KEY_HEX_LEN, hex);
        _cleanup_secret_ char *digest = NULL;
        const char *argv[] = {"openssl", "dgst", "-sha256", "-r", NULL};
        int r = openssl("deriving the job's CA key", argv, input, &digest, err);
        if (r < 0)
                return r;
        unsigned char der[sizeof ED25519_PKCS8 + 32];
        memcpy(der, ED25519_PKCS8, sizeof ED25519_PKCS8);
        for (size_t i = 0; i < 32; i++) {
                unsigned v;
                if (!isxdigit((unsigned char)digest[2 * i]) || !isxdigit((unsigned char)digest[2 * i + 1]) ||
                    sscanf(digest + 2 * i, "%2x", &v) != 1) {
                        explicit_bzero(der, sizeof der);
                        *err = xstrdup("openssl dgst gave no SHA-256 digest");
                        return -EIO;
                }
                der[sizeof ED25519_PKCS8 + i] = (unsigned char)v;
        }
        _cleanup_secret_ char *b64 = base64(der, sizeof der);
        explicit_bzero(der, sizeof der);
        *pem = xasprintf("-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", b64);
        return 0;
}

/* vc_l2_ovpn_cn: the certificate name of the hub, or of spoke n. */
char *vc_l2_ovpn_cn(bool hub, long long n) { return hub ? xstrdup("hub") : xasprintf("spoke-%lld", n); }

/* vc_l2_ovpn_credentials: the CA certificate, this gateway's key and its certificate signed by the CA, in f. */
int vc_l2_ovpn_credentials(const struct l2args *a, const struct ovpn_files *f, const char *hex, char **err) {
        _cleanup_secret_ char *cakey = NULL;
        int r = ca_key(hex, &cakey, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *casubj = xasprintf("/CN=vcluster job %lld", (long long)a->job);
        _cleanup_free_ char *cn = vc_l2_ovpn_cn(a->hub, a->spoke);
        _cleanup_free_ char *subj = xasprintf("/CN=%s", cn);
        _cleanup_free_ char *eku = xasprintf("extendedKeyUsage=%s", a->hub ? "serverAuth" : "clientAuth");
        /* The CA certificate is made here too, from the same key and name as at every peer:
         * a certificate signed by that key checks against any of them. */
        const char *ca_argv[] = {"openssl", "req", "-x509", "-new", "-key", "/dev/stdin", "-subj", casubj, "-days",
                                 "36500", "-set_serial", "1", "-addext", "basicConstraints=critical,CA:TRUE",
                                 "-addext", "keyUsage=critical,keyCertSign", "-out", f->ca, NULL};
        const char *id_argv[] = {"openssl", "genpkey", "-algorithm", "ed25519", "-out", f->id, NULL};
        const char *crt_argv[] = {"openssl", "req", "-new", "-x509", "-key", f->id, "-subj", subj, "-CA", f->ca,
                                  "-CAkey", "/dev/stdin", "-days", CERT_DAYS, "-addext",
                                  "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature",
                                  "-addext", eku, "-out", f->cert, NULL};
        /* the private key file: 0600 from the start, whatever openssl's umask */
        _cleanup_close_ int fd = open(f->id, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return vc_fail_errno(err, "creating %s", f->id);
        if ((r = openssl("the job's CA certificate", ca_argv, cakey, NULL, err)) < 0 ||
            (r = openssl("this gateway's key", id_argv, NULL, NULL, err)) < 0 ||
            (r = openssl("this gateway's certificate", crt_argv, cakey, NULL, err)) < 0)
                return r;
        return fchmod(fd, 0600) < 0 ? -errno : 0;
}
