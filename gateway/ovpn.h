/* ovpn.h — what the two halves of l2.openvpn share: the step (openvpn.c)
 * and the job's TLS credentials (ovpn_tls.c).
 */
#ifndef VC_OVPN_H
#define VC_OVPN_H

#include <stdbool.h>

#include "l2int.h"

/* The files of one openvpn: the tls-crypt key (the job's secret in static-key
 * format), the per-job CA's certificate, this gateway's certificate and
 * private key, pid and log, and the empty directory it is chrooted into. */
struct ovpn_files {
        char *key, *ca, *cert, *id, *pid, *log, *root;
};

/* vc_l2_ovpn_cn: the certificate name of the hub, or of spoke n (malloc'd). */
char *vc_l2_ovpn_cn(bool hub, long long n);
/* vc_l2_ovpn_credentials: the CA certificate, this gateway's key and its
 * certificate signed by the job's CA (derived from hex), in f's files. */
int vc_l2_ovpn_credentials(const struct l2args *a, const struct ovpn_files *f, const char *hex, char **err);

#endif
