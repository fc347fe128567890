/* Driver "snmp": Q-BRIDGE-MIB (RFC 4363) over SNMPv2c or SNMPv3 (authPriv,
 * SHA/AES) through net-snmp's single-session library API.
 *
 * A session queues intent; commit reads the rows it will change (one GET),
 * computes the new PortList bitmaps, and writes everything in ONE SET PDU —
 * the agent applies a multi-varbind SET atomically, so a switch is never left
 * half-configured by us. Port names are port numbers ("1".."4096").
 *
 * Credentials come from the switch's SecretFile (Community= for v2c; User=,
 * AuthProto=SHA, AuthPass=, PrivProto=AES, PrivPass= for v3) and never appear
 * in an error or a log. Errors name the switch, the OID and the SNMP error
 * status ("noCreation").
 */
#include <errno.h>
#include <pthread.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "portlist.h"
#include "secret.h"
#include "switch.h"
#include "util.h"

/* dot1qVlanStaticEntry columns and dot1qPvid */
static const oid STATIC_ENTRY[] = {1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 3, 1};
static const oid PVID[] = {1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 5, 1, 1};
enum { COL_NAME = 1, COL_EGRESS = 2, COL_UNTAGGED = 4, COL_STATUS = 5 };
enum { ROW_CREATE_AND_GO = 4, ROW_DESTROY = 6 };
#define DEFAULT_VLAN 1 /* where an untagged port goes back to: every switch has VLAN 1 */
#define MAX_VLANS 64   /* VLANs one session may touch (a step touches one) */

struct vlan_op {
        int id;
        bool create, destroy;
        char *name;
        char **add_tagged, **add_untagged, **remove;
};

struct snmp_sess {
        const struct vc_switch_target *t;
        void *ss;
        char peer[300];
        struct vlan_op ops[MAX_VLANS];
        size_t n_ops;
};

static const char *err_name(long st) {
        static const char *const names[] = {"noError",     "tooBig",        "noSuchName",          "badValue",
                                            "readOnly",    "genErr",        "noAccess",            "wrongType",
                                            "wrongLength", "wrongEncoding", "wrongValue",          "noCreation",
                                            "inconsistentValue", "resourceUnavailable", "commitFailed",
                                            "undoFailed",  "authorizationError", "notWritable", "inconsistentName"};
        return st >= 0 && (size_t)st < ARRAY_SIZE(names) ? names[st] : "unknown error status";
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
/* net-snmp keeps USM users and engine ids in process-wide lists: sessions
 * are opened (which may discover the engine) one at a time. */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static void lib_init(void) {
        /* no snmp.conf, no persistent files, no MIBs: numeric OIDs only */
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
        netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
        snmp_disable_log();
        init_snmp("vcluster-switch");
}

static int opt_secs(const struct vc_switch_target *t, const char *key, unsigned def, unsigned *out, char **err) {
        const char *v = json_string_value(json_object_get(t->opts, key));
        unsigned long long s = def;
        if (v && parse_duration(v, &s) < 0) {
                *err = xasprintf("switch '%s': %s=%s is not a duration", t->name, key, v);
                return -EINVAL;
        }
        *out = (unsigned)s;
        return 0;
}

/* set_v3: SNMPv3 authPriv from the secret file; keys derived with generate_Ku */
static int set_v3(struct snmp_session *s, char *const *kv, const struct vc_switch_target *t, char **err) {
        const char *user = vc_secret_get(kv, "User"), *ap = vc_secret_get(kv, "AuthProto"),
                   *apass = vc_secret_get(kv, "AuthPass"), *pp = vc_secret_get(kv, "PrivProto"),
                   *ppass = vc_secret_get(kv, "PrivPass");
        const char *missing = !user ? "User" : !apass ? "AuthPass" : !ppass ? "PrivPass" : NULL;
        if (missing) {
                *err = xasprintf("switch '%s': SecretFile '%s' has no %s= (SNMPv3 needs User, AuthPass, PrivPass)",
                                 t->name, t->secret_file, missing);
                return -EINVAL;
        }
        if ((ap && strcasecmp(ap, "SHA") != 0) || (pp && strcasecmp(pp, "AES") != 0)) {
                *err = xasprintf("switch '%s': SecretFile '%s': only AuthProto=SHA and PrivProto=AES are supported",
                                 t->name, t->secret_file);
                return -EINVAL;
        }
        if (strlen(apass) < 8 || strlen(ppass) < 8) {
                *err = xasprintf("switch '%s': SecretFile '%s': SNMPv3 passphrases need at least 8 characters",
                                 t->name, t->secret_file);
                return -EINVAL;
        }
        s->version = SNMP_VERSION_3;
        s->securityName = xstrdup(user);
        s->securityNameLen = strlen(user);
        s->securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
        s->securityAuthProto = usmHMACSHA1AuthProtocol;
        s->securityAuthProtoLen = OID_LENGTH(usmHMACSHA1AuthProtocol);
        s->securityAuthKeyLen = USM_AUTH_KU_LEN;
        s->securityPrivProto = usmAESPrivProtocol;
        s->securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
        s->securityPrivKeyLen = USM_PRIV_KU_LEN;
        if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen, (const u_char *)apass, strlen(apass),
                        s->securityAuthKey, &s->securityAuthKeyLen) != SNMPERR_SUCCESS ||
            generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen, (const u_char *)ppass, strlen(ppass),
                        s->securityPrivKey, &s->securityPrivKeyLen) != SNMPERR_SUCCESS) {
                *err = xasprintf("switch '%s': cannot derive the SNMPv3 keys", t->name);
                return -EINVAL;
        }
        return 0;
}

static void clear_session(struct snmp_session *s) {
        free(s->securityName);
        if (s->community) {
                explicit_bzero(s->community, s->community_len);
                free(s->community);
        }
        explicit_bzero(s->securityAuthKey, sizeof(s->securityAuthKey));
        explicit_bzero(s->securityPrivKey, sizeof(s->securityPrivKey));
}

static void sw_snmp_close(void *sess);

static int sw_snmp_open(const struct vc_switch_target *t, void **out, char **err) {
        pthread_once(&lib_once, lib_init);
        const char *host = json_string_value(json_object_get(t->opts, "Host"));
        const char *port = json_string_value(json_object_get(t->opts, "Port"));
        const char *version = json_string_value(json_object_get(t->opts, "Version"));
        const char *retries = json_string_value(json_object_get(t->opts, "Retries"));
        if (!host) {
                *err = xasprintf("switch '%s': no Host= for the snmp driver", t->name);
                return -EINVAL;
        }
        if (!t->secret_file) {
                *err = xasprintf("switch '%s': no SecretFile= for the snmp driver", t->name);
                return -EINVAL;
        }
        unsigned timeout;
        int r = opt_secs(t, "Timeout", 2, &timeout, err);
        if (r < 0)
                return r;
        _cleanup_free_ struct snmp_sess *ss = xcalloc(1, sizeof(*ss));
        ss->t = t;
        snprintf(ss->peer, sizeof(ss->peer), "udp:%s:%s", host, port ? port : "161");

        char **kv = NULL;
        r = vc_secret_load(t->secret_file, &kv, err);
        if (r < 0)
                return r;
        struct snmp_session s;
        snmp_sess_init(&s);
        s.peername = ss->peer;
        s.timeout = (long)timeout * 1000000L;
        s.retries = retries ? atoi(retries) : 1;
        if (version && streq(version, "3")) {
                r = set_v3(&s, kv, t, err);
        } else {
                const char *community = vc_secret_get(kv, "Community");
                if (!community) {
                        *err = xasprintf("switch '%s': SecretFile '%s' has no Community= (SNMPv2c)", t->name,
                                         t->secret_file);
                        r = -EINVAL;
                } else {
                        s.version = SNMP_VERSION_2c;
                        s.community = (u_char *)xstrdup(community);
                        s.community_len = strlen(community);
                }
        }
        vc_secret_free(kv);
        if (r == 0) {
                pthread_mutex_lock(&open_lock);
                ss->ss = snmp_sess_open(&s);
                if (!ss->ss) {
                        int liberr, syserr;
                        char *msg = NULL;
                        snmp_error(&s, &liberr, &syserr, &msg);
                        *err = xasprintf("switch '%s' (snmp %s): cannot open a session: %s", t->name, ss->peer,
                                         msg ? msg : "unknown error");
                        free(msg);
                        r = -EHOSTUNREACH;
                }
                pthread_mutex_unlock(&open_lock);
        }
        clear_session(&s);
        if (r < 0)
                return r;
        *out = TAKE_PTR(ss);
        return 0;
}

static void op_clear(struct vlan_op *o) {
        free(o->name);
        strv_free(o->add_tagged);
        strv_free(o->add_untagged);
        strv_free(o->remove);
}

static void sw_snmp_close(void *sess) {
        struct snmp_sess *ss = sess;
        if (!ss)
                return;
        for (size_t i = 0; i < ss->n_ops; i++)
                op_clear(&ss->ops[i]);
        if (ss->ss)
                snmp_sess_close(ss->ss);
        free(ss);
}

static struct vlan_op *op_for(struct snmp_sess *ss, int id, char **err) {
        for (size_t i = 0; i < ss->n_ops; i++)
                if (ss->ops[i].id == id)
                        return &ss->ops[i];
        if (ss->n_ops == MAX_VLANS) {
                *err = xasprintf("switch '%s': more than %d VLANs in one session", ss->t->name, MAX_VLANS);
                return NULL;
        }
        struct vlan_op *o = &ss->ops[ss->n_ops++];
        *o = (struct vlan_op){.id = id};
        return o;
}

static int check_ports(struct snmp_sess *ss, char *const *ports, char **err) {
        unsigned p;
        for (; *ports; ports++)
                if (vc_port_number(*ports, &p) < 0) {
                        *err = xasprintf("switch '%s': port '%s' is not a port number 1..%d (snmp ports are numbers)",
                                         ss->t->name, *ports, VC_PORTLIST_MAX_PORT);
                        return -EINVAL;
                }
        return 0;
}

static void push_all(char ***v, char *const *ports) {
        if (!*v)
                *v = xcalloc(1, sizeof(char *));
        for (; *ports; ports++)
                strv_push(v, *ports);
}

static int snmp_vlan_create(void *sess, int id, const char *name, char **err) {
        struct vlan_op *o = op_for(sess, id, err);
        if (!o)
                return -E2BIG;
        o->create = true;
        o->destroy = false;
        free(o->name);
        o->name = xstrdup(name);
        return 0;
}

static int snmp_vlan_delete(void *sess, int id, char **err) {
        struct vlan_op *o = op_for(sess, id, err);
        if (!o)
                return -E2BIG;
        o->destroy = true;
        o->create = false;
        return 0;
}

static int snmp_ports_add(void *sess, int id, char *const *ports, enum vc_port_mode mode, char **err) {
        int r = check_ports(sess, ports, err);
        struct vlan_op *o = r < 0 ? NULL : op_for(sess, id, err);
        if (!o)
                return r < 0 ? r : -E2BIG;
        push_all(mode == VC_PORT_UNTAGGED ? &o->add_untagged : &o->add_tagged, ports);
        return 0;
}

static int snmp_ports_remove(void *sess, int id, char *const *ports, char **err) {
        int r = check_ports(sess, ports, err);
        struct vlan_op *o = r < 0 ? NULL : op_for(sess, id, err);
        if (!o)
                return r < 0 ? r : -E2BIG;
        push_all(&o->remove, ports);
        return 0;
}

static size_t column_oid(oid *buf, int col, unsigned index) {
        size_t n = OID_LENGTH(STATIC_ENTRY);
        memcpy(buf, STATIC_ENTRY, sizeof(STATIC_ENTRY));
        buf[n++] = (oid)col;
        buf[n++] = index;
        return n;
}

static size_t pvid_oid(oid *buf, unsigned port) {
        size_t n = OID_LENGTH(PVID);
        memcpy(buf, PVID, sizeof(PVID));
        buf[n++] = port;
        return n;
}

static void oid_text(const oid *name, size_t len, char *buf, size_t size) {
        size_t n = 0;
        buf[0] = 0;
        for (size_t i = 0; i < len && n < size; i++)
                n += (size_t)snprintf(buf + n, size - n, "%s%lu", i ? "." : "", (unsigned long)name[i]);
}

/* exchange: send pdu (consumed), *resp on success; errors name switch, OID, status. */
static int exchange(struct snmp_sess *ss, netsnmp_pdu *pdu, const char *what, netsnmp_pdu **resp, char **err) {
        *resp = NULL;
        int st = snmp_sess_synch_response(ss->ss, pdu, resp);
        if (st == STAT_TIMEOUT) {
                *err = xasprintf("switch '%s' (snmp %s): no answer to %s (switch unreachable, or the credentials "
                                 "are wrong)",
                                 ss->t->name, ss->peer, what);
                return -ETIMEDOUT;
        }
        if (st != STAT_SUCCESS || !*resp) {
                int liberr, syserr;
                char *msg = NULL;
                snmp_sess_error(ss->ss, &liberr, &syserr, &msg);
                *err = xasprintf("switch '%s' (snmp %s): %s failed: %s", ss->t->name, ss->peer, what,
                                 msg ? msg : "unknown error");
                free(msg);
                if (*resp)
                        snmp_free_pdu(*resp);
                *resp = NULL;
                return -EIO;
        }
        if ((*resp)->errstat != SNMP_ERR_NOERROR) {
                char o[256] = "?";
                netsnmp_variable_list *v = (*resp)->variables;
                for (long i = 1; v && i < (*resp)->errindex; i++)
                        v = v->next_variable;
                if (v && (*resp)->errindex > 0)
                        oid_text(v->name, v->name_length, o, sizeof(o));
                *err = xasprintf("switch '%s' (snmp %s): %s refused at %s: %s", ss->t->name, ss->peer, what, o,
                                 err_name((*resp)->errstat));
                snmp_free_pdu(*resp);
                *resp = NULL;
                return -EPROTO;
        }
        return 0;
}

/* What one row of dot1qVlanStaticTable holds. */
struct row {
        bool exists;
        char name[64];
        uint8_t egress[VC_PORTLIST_MAX_PORT / 8], untagged[VC_PORTLIST_MAX_PORT / 8];
        size_t len; /* octets the switch uses for its PortLists */
};

static bool present(const netsnmp_variable_list *v) {
        return v && v->type != SNMP_NOSUCHOBJECT && v->type != SNMP_NOSUCHINSTANCE && v->type != SNMP_ENDOFMIBVIEW;
}

static void copy_octets(const netsnmp_variable_list *v, uint8_t *dst, size_t *len) {
        size_t n = v->val_len < VC_PORTLIST_MAX_PORT / 8 ? v->val_len : VC_PORTLIST_MAX_PORT / 8;
        memcpy(dst, v->val.string, n);
        if (n > *len)
                *len = n;
}

/* read_rows: one GET for the name, ports and status of every VLAN in ids. */
static int read_rows(struct snmp_sess *ss, const int *ids, size_t n, struct row *rows, char **err) {
        netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
        static const int cols[] = {COL_STATUS, COL_NAME, COL_EGRESS, COL_UNTAGGED};
        for (size_t i = 0; i < n; i++)
                for (size_t c = 0; c < ARRAY_SIZE(cols); c++) {
                        oid name[MAX_OID_LEN];
                        snmp_add_null_var(pdu, name, column_oid(name, cols[c], (unsigned)ids[i]));
                }
        netsnmp_pdu *resp;
        int r = exchange(ss, pdu, "GET of the VLAN table", &resp, err);
        if (r < 0)
                return r;
        netsnmp_variable_list *v = resp->variables;
        for (size_t i = 0; i < n; i++) {
                rows[i] = (struct row){0};
                for (size_t c = 0; c < ARRAY_SIZE(cols) && v; c++, v = v->next_variable) {
                        if (!present(v))
                                continue;
                        if (cols[c] == COL_STATUS)
                                rows[i].exists = v->type == ASN_INTEGER;
                        else if (v->type == ASN_OCTET_STR && cols[c] == COL_NAME)
                                snprintf(rows[i].name, sizeof(rows[i].name), "%.*s", (int)v->val_len,
                                         (const char *)v->val.string);
                        else if (v->type == ASN_OCTET_STR)
                                copy_octets(v, cols[c] == COL_EGRESS ? rows[i].egress : rows[i].untagged,
                                            &rows[i].len);
                }
        }
        snmp_free_pdu(resp);
        return 0;
}

static void add_int(netsnmp_pdu *pdu, int col, unsigned index, long value) {
        oid name[MAX_OID_LEN];
        size_t n = column_oid(name, col, index);
        snmp_pdu_add_variable(pdu, name, n, ASN_INTEGER, &value, sizeof(value));
}

static void add_octets(netsnmp_pdu *pdu, int col, unsigned index, const void *p, size_t len) {
        oid name[MAX_OID_LEN];
        size_t n = column_oid(name, col, index);
        snmp_pdu_add_variable(pdu, name, n, ASN_OCTET_STR, p, len);
}

static void add_pvid(netsnmp_pdu *pdu, unsigned port, unsigned long vlan) {
        oid name[MAX_OID_LEN];
        size_t n = pvid_oid(name, port);
        snmp_pdu_add_variable(pdu, name, n, ASN_UNSIGNED, &vlan, sizeof(vlan));
}

static size_t max_port_octets(char *const *ports) {
        size_t len = 0;
        unsigned p;
        for (; ports && *ports; ports++)
                if (vc_port_number(*ports, &p) == 0 && vc_portlist_octets(p) > len)
                        len = vc_portlist_octets(p);
        return len;
}

/* plan_row: add to pdu what turns row into what op asks; returns varbinds added. */
static size_t plan_row(netsnmp_pdu *pdu, const struct vlan_op *o, struct row *row) {
        size_t added = 0;
        unsigned p;
        unsigned id = (unsigned)o->id;
        /* untagged ports leaving the VLAN go back to the default VLAN's PVID */
        for (char **q = o->remove; q && *q; q++)
                if (vc_port_number(*q, &p) == 0 && vc_portlist_has(row->untagged, row->len, p)) {
                        add_pvid(pdu, p, DEFAULT_VLAN);
                        added++;
                }
        if (o->destroy) {
                if (row->exists) {
                        add_int(pdu, COL_STATUS, id, ROW_DESTROY);
                        added++;
                }
                return added;
        }
        size_t len = row->len;
        size_t need = max_port_octets(o->add_tagged);
        if (max_port_octets(o->add_untagged) > need)
                need = max_port_octets(o->add_untagged);
        if (need > len)
                len = need;
        uint8_t egress[sizeof(row->egress)], untagged[sizeof(row->untagged)];
        memcpy(egress, row->egress, sizeof(egress));
        memcpy(untagged, row->untagged, sizeof(untagged));
        for (char **q = o->remove; q && *q; q++)
                if (vc_port_number(*q, &p) == 0) {
                        vc_portlist_set(egress, len, p, false);
                        vc_portlist_set(untagged, len, p, false);
                }
        for (char **q = o->add_tagged; q && *q; q++)
                if (vc_port_number(*q, &p) == 0) {
                        vc_portlist_set(egress, len, p, true);
                        vc_portlist_set(untagged, len, p, false);
                }
        for (char **q = o->add_untagged; q && *q; q++)
                if (vc_port_number(*q, &p) == 0) {
                        vc_portlist_set(egress, len, p, true);
                        vc_portlist_set(untagged, len, p, true);
                        add_pvid(pdu, p, id);
                        added++;
                }
        bool ports_change = memcmp(egress, row->egress, len) != 0 || memcmp(untagged, row->untagged, len) != 0;
        if (o->create && !row->exists) {
                /* createAndGo with every column in one PDU: the row is born complete */
                add_int(pdu, COL_STATUS, id, ROW_CREATE_AND_GO);
                add_octets(pdu, COL_NAME, id, o->name, strlen(o->name));
                added += 2;
        } else if (!row->exists) {
                /* ports of a VLAN that is not there: nothing to add them to or remove them from */
                return added;
        } else if (o->create && !streq(row->name, o->name)) {
                add_octets(pdu, COL_NAME, id, o->name, strlen(o->name));
                added++;
        }
        if (ports_change || (o->create && !row->exists && len)) {
                add_octets(pdu, COL_EGRESS, id, egress, len);
                add_octets(pdu, COL_UNTAGGED, id, untagged, len);
                added += 2;
        }
        return added;
}

static int snmp_commit(void *sess, char **err) {
        struct snmp_sess *ss = sess;
        if (ss->n_ops == 0)
                return 0;
        int ids[MAX_VLANS];
        struct row *rows = xcalloc(ss->n_ops, sizeof(*rows));
        for (size_t i = 0; i < ss->n_ops; i++)
                ids[i] = ss->ops[i].id;
        int r = read_rows(ss, ids, ss->n_ops, rows, err);
        if (r == -ETIMEDOUT)
                r = -ENOTCONN; /* only a GET went out: the switch is unchanged */
        if (r == 0) {
                netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_SET);
                size_t n = 0;
                for (size_t i = 0; i < ss->n_ops; i++)
                        n += plan_row(pdu, &ss->ops[i], &rows[i]);
                if (n == 0) {
                        snmp_free_pdu(pdu); /* the switch already holds it: a replayed step */
                } else {
                        netsnmp_pdu *resp;
                        r = exchange(ss, pdu, "SET", &resp, err);
                        if (r == 0)
                                snmp_free_pdu(resp);
                }
        }
        free(rows);
        for (size_t i = 0; i < ss->n_ops; i++)
                op_clear(&ss->ops[i]);
        ss->n_ops = 0;
        return r;
}

static int snmp_vlan_read(void *sess, int id, struct vc_vlan_state *out, char **err) {
        struct snmp_sess *ss = sess;
        struct row row;
        int r = read_rows(ss, &id, 1, &row, err);
        if (r < 0)
                return r;
        *out = (struct vc_vlan_state){.exists = row.exists};
        if (!row.exists)
                return 0;
        out->name = xstrdup(row.name);
        out->untagged = vc_portlist_ports(row.untagged, row.len);
        uint8_t tagged[sizeof(row.egress)];
        for (size_t i = 0; i < row.len; i++)
                tagged[i] = (uint8_t)(row.egress[i] & ~row.untagged[i]);
        out->tagged = vc_portlist_ports(tagged, row.len);
        return 0;
}

/* vlan_list: walk the RowStatus column with GETNEXT. */
static int snmp_vlan_list(void *sess, int **ids, size_t *n, char **err) {
        struct snmp_sess *ss = sess;
        oid base[MAX_OID_LEN], cur[MAX_OID_LEN];
        size_t blen = column_oid(base, COL_STATUS, 0) - 1, clen = blen;
        memcpy(cur, base, blen * sizeof(oid));
        *ids = NULL;
        *n = 0;
        for (;;) {
                netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
                snmp_add_null_var(pdu, cur, clen);
                netsnmp_pdu *resp;
                int r = exchange(ss, pdu, "walk of the VLAN table", &resp, err);
                if (r < 0) {
                        free(*ids);
                        *ids = NULL;
                        return r;
                }
                netsnmp_variable_list *v = resp->variables;
                bool inside = present(v) && v->name_length == blen + 1 &&
                              memcmp(v->name, base, blen * sizeof(oid)) == 0;
                /* an agent that answers GETNEXT with an OID not past the one asked would walk forever */
                if (inside && snmp_oid_compare(v->name, v->name_length, cur, clen) <= 0) {
                        char o[256];
                        oid_text(v->name, v->name_length, o, sizeof(o));
                        *err = xasprintf("switch '%s' (snmp %s): walk of the VLAN table went backwards at %s",
                                         ss->t->name, ss->peer, o);
                        snmp_free_pdu(resp);
                        free(*ids);
                        *ids = NULL;
                        return -EPROTO;
                }
                if (inside) {
                        *ids = xrealloc(*ids, (*n + 1) * sizeof(int));
                        (*ids)[(*n)++] = (int)v->name[blen];
                        memcpy(cur, v->name, v->name_length * sizeof(oid));
                        clen = v->name_length;
                }
                snmp_free_pdu(resp);
                if (!inside)
                        return 0;
        }
}

const struct vc_switch_driver vc_drv_snmp = {
        .name = "snmp",
        .can_read = true,
        .open = sw_snmp_open,
        .close = sw_snmp_close,
        .vlan_create = snmp_vlan_create,
        .vlan_delete = snmp_vlan_delete,
        .ports_add = snmp_ports_add,
        .ports_remove = snmp_ports_remove,
        .commit = snmp_commit,
        .vlan_read = snmp_vlan_read,
        .vlan_list = snmp_vlan_list,
};
