#include "portlist.h"

#include <errno.h>
#include <stdio.h>

#include "util.h"

int vc_port_number(const char *name, unsigned *port) {
        unsigned long long v;
        if (parse_uint(name, 1, VC_PORTLIST_MAX_PORT, &v) < 0)
                return -EINVAL;
        *port = (unsigned)v;
        return 0;
}

size_t vc_portlist_octets(unsigned port) { return (port + 7) / 8; }

bool vc_portlist_has(const uint8_t *bits, size_t len, unsigned port) {
        size_t i = (port - 1) / 8;
        return port >= 1 && i < len && (bits[i] & (0x80 >> ((port - 1) % 8)));
}

void vc_portlist_set(uint8_t *bits, size_t len, unsigned port, bool on) {
        size_t i = (port - 1) / 8;
        if (port < 1 || i >= len)
                return;
        uint8_t mask = (uint8_t)(0x80 >> ((port - 1) % 8));
        bits[i] = on ? (uint8_t)(bits[i] | mask) : (uint8_t)(bits[i] & ~mask);
}

char **vc_portlist_ports(const uint8_t *bits, size_t len) {
        char **v = xcalloc(1, sizeof(char *));
        for (unsigned p = 1; p <= len * 8; p++) {
                if (!vc_portlist_has(bits, len, p))
                        continue;
                char num[16];
                snprintf(num, sizeof(num), "%u", p);
                strv_push(&v, num);
        }
        return v;
}
