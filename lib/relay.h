/* relay.h — copy bytes both ways between two ends until both are done, as
 * a TCP proxy does: one end a pair of descriptors (stdin/stdout of `vcluster
 * proxy`) or one socket, the other a socket. When one side reaches EOF the
 * other's write half is shut (a socket) or closed (a pipe), so ssh's own
 * end-of-session reaches the far side; the relay ends when both directions
 * have ended, or on the first error.
 */
#ifndef VC_RELAY_H
#define VC_RELAY_H

/* vc_relay: relay a_in → b and b → a_out (a_in may equal a_out, a socket);
 * 0 when both directions ended at EOF, else -errno. */
int vc_relay(int a_in, int a_out, int b);

#endif
