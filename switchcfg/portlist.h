/* portlist.h — Q-BRIDGE-MIB PortList bitmaps (RFC 4363 / RFC 2674).
 *
 * A PortList is an OCTET STRING in which port 1 is the most significant bit
 * of the first octet, port 8 the least, port 9 the top bit of the second
 * octet, and so on. Pure functions, shared by the snmp driver and its tests.
 */
#ifndef VC_PORTLIST_H
#define VC_PORTLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_PORTLIST_MAX_PORT 4096 /* 512 octets: more ports than any switch has */

/* vc_port_number: "7" → 7; -EINVAL unless 1..VC_PORTLIST_MAX_PORT. */
int vc_port_number(const char *name, unsigned *port);
/* vc_portlist_has: whether port is set in the len-octet bitmap. */
bool vc_portlist_has(const uint8_t *bits, size_t len, unsigned port);
/* vc_portlist_set: set (on) or clear port; the bitmap must be long enough. */
void vc_portlist_set(uint8_t *bits, size_t len, unsigned port, bool on);
/* vc_portlist_octets: octets needed to hold port. */
size_t vc_portlist_octets(unsigned port);
/* vc_portlist_ports: the set ports as decimal strings, ascending (NULL-terminated, malloc'd). */
char **vc_portlist_ports(const uint8_t *bits, size_t len);

#endif
