#include "choose.h"

#include <errno.h>

static int in_bounds(int id) { return id >= VC_VLAN_MIN && id <= VC_VLAN_MAX; }

void vc_vlanset_add(struct vc_vlanset *s, int id) {
        if (in_bounds(id))
                s->w[id / 64] |= 1ULL << (id % 64);
}

void vc_vlanset_del(struct vc_vlanset *s, int id) {
        if (in_bounds(id))
                s->w[id / 64] &= ~(1ULL << (id % 64));
}

int vc_vlanset_has(const struct vc_vlanset *s, int id) {
        return in_bounds(id) && (s->w[id / 64] >> (id % 64)) & 1;
}

void vc_vlanset_from_site(struct vc_vlanset *s, const struct vc_site *site) {
        *s = (struct vc_vlanset){{0}};
        for (size_t i = 0; i < site->n_ranges; i++)
                for (int id = site->ranges[i].lo; id <= site->ranges[i].hi; id++)
                        vc_vlanset_add(s, id);
}

static void vlanset_and(struct vc_vlanset *a, const struct vc_vlanset *b) {
        for (size_t i = 0; i < 64; i++)
                a->w[i] &= b->w[i];
}

void vc_vlanset_minus(struct vc_vlanset *a, const struct vc_vlanset *b) {
        for (size_t i = 0; i < 64; i++)
                a->w[i] &= ~b->w[i];
}

unsigned vc_vlanset_count(const struct vc_vlanset *s) {
        unsigned n = 0;
        for (size_t i = 0; i < 64; i++)
                n += (unsigned)__builtin_popcountll(s->w[i]);
        return n;
}

int vc_vlanset_first(const struct vc_vlanset *s) {
        for (size_t i = 0; i < 64; i++)
                if (s->w[i])
                        return (int)(i * 64) + __builtin_ctzll(s->w[i]);
        return -1;
}

int vc_pick_shared(const struct vc_vlanset *free, size_t n, int *vlan) {
        if (n == 0)
                return -EINVAL;
        struct vc_vlanset common = free[0];
        for (size_t i = 1; i < n; i++)
                vlanset_and(&common, &free[i]);
        int id = vc_vlanset_first(&common);
        if (id < 0)
                return -ENOSPC;
        *vlan = id;
        return 0;
}

int vc_pick_stitched(const struct vc_vlanset *free, size_t n, int *vlans) {
        int r = 0;
        for (size_t i = 0; i < n; i++) {
                vlans[i] = vc_vlanset_first(&free[i]);
                if (vlans[i] < 0)
                        r = -ENOSPC;
        }
        return r;
}

int vc_pick_vni(uint32_t lo, uint32_t hi, const uint32_t *busy, size_t n, uint32_t *out) {
        uint32_t v = lo;
        for (size_t i = 0; i < n && v <= hi; i++) {
                if (busy[i] < v)
                        continue;
                if (busy[i] > v)
                        break;
                v++;
        }
        if (v > hi || v < lo)
                return -ENOSPC;
        *out = v;
        return 0;
}
