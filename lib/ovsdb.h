/* ovsdb.h — a minimal OVSDB client (RFC 7047): JSON-RPC over a Unix or TCP
 * stream, `transact` on the Open_vSwitch database, and the datum encodings
 * the ovs driver needs.
 *
 * The stream carries JSON values back to back with no framing, so replies
 * are parsed incrementally. Every request waits at most the timeout given at
 * open for its answer; the server's `echo` probes are answered meanwhile.
 * After any I/O failure the connection is dropped and the next request
 * connects again, because a half-read stream cannot be trusted.
 * Errors read "ovsdb REMOTE: what went wrong".
 */
#ifndef VC_OVSDB_H
#define VC_OVSDB_H

#include <jansson.h>

/* The external_ids key that names the jobs using an OVS port: the switch
 * driver's uplink and node ports (a comma list), a node's guest ports and a
 * gateway's segment port (one job each). Every reader and writer uses this. */
#define VC_OVS_JOB_KEY "vcluster-job"

struct vc_ovsdb;

/* vc_ovsdb_open: connect to "unix:PATH" or "tcp:HOST:PORT" (a TCP connect
 * waits at most timeout_ms too: -ETIMEDOUT); every later request waits at most
 * timeout_ms (> 0) for its answer. 0, or -errno with *err. */
int vc_ovsdb_open(const char *remote, int timeout_ms, struct vc_ovsdb **out, char **err);
/* vc_ovsdb_from_fd: a client on an already connected stream fd (taken over),
 * labelled remote in messages; for tests. Never NULL. */
struct vc_ovsdb *vc_ovsdb_from_fd(int fd, const char *remote, int timeout_ms);
/* vc_ovsdb_close: close the connection and free the client (NULL is fine). */
void vc_ovsdb_close(struct vc_ovsdb *db);
/* vc_ovsdb_closep: cleanup function for a struct vc_ovsdb * variable. */
void vc_ovsdb_closep(struct vc_ovsdb **db);

/* vc_ovsdb_transact: run ops (a JSON array of operations, borrowed) as one
 * transaction on Open_vSwitch; *result gets the per-operation results (new
 * reference). -EAGAIN when a "wait" operation did not hold (the rows changed:
 * read again and retry); -EPROTO when the server refused an operation or the
 * commit, with its "error" and "details" in *err; -ETIMEDOUT, -ECONNRESET or
 * another -errno for the connection, with *err. */
int vc_ovsdb_transact(struct vc_ovsdb *db, json_t *ops, json_t **result, char **err);

/* vc_ovsdb_set_elems: the atoms of a set datum (a bare atom or
 * ["set",[…]]) as a new JSON array; NULL when datum is not a set. */
json_t *vc_ovsdb_set_elems(json_t *datum);
/* vc_ovsdb_map_object: a map datum ["map",[[k,v],…]] of strings as a new
 * JSON object; NULL when datum is not such a map. */
json_t *vc_ovsdb_map_object(json_t *datum);
/* vc_ovsdb_map_datum: a JSON object of strings as a map datum, keys sorted
 * (new reference). */
json_t *vc_ovsdb_map_datum(json_t *obj);
/* vc_ovsdb_uuid_str: the text of a ["uuid","…"] datum, or NULL. */
const char *vc_ovsdb_uuid_str(json_t *datum);
/* vc_ovsdb_where_uuid: the condition list [["_uuid","==",["uuid",u]]] (new reference). */
json_t *vc_ovsdb_where_uuid(const char *uuid);
/* vc_ovsdb_where_name: the condition list [["name","==",name]] (new reference). */
json_t *vc_ovsdb_where_name(const char *name);
/* vc_ovsdb_transact_at: one transaction of ops on a connection of its own to
 * remote (closed after); as vc_ovsdb_open then vc_ovsdb_transact. */
int vc_ovsdb_transact_at(const char *remote, int timeout_ms, json_t *ops, json_t **result, char **err);

#endif
