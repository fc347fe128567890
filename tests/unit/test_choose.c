/* tests for vlanalloc/choose.c: which VLAN ids a job gets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "choose.h"

static struct vc_vlanset free_of(const struct vc_range *r, size_t n, const int *busy, size_t nb) {
        struct vc_site s = {.name = "s", .ranges = (struct vc_range *)r, .n_ranges = n};
        struct vc_vlanset set;
        vc_vlanset_from_site(&set, &s);
        for (size_t i = 0; i < nb; i++)
                vc_vlanset_del(&set, busy[i]);
        return set;
}

static void test_set_basics(void **state) {
        struct vc_vlanset s = {{0}};
        assert_int_equal(vc_vlanset_first(&s), -1);
        vc_vlanset_add(&s, 4094);
        vc_vlanset_add(&s, 1);
        vc_vlanset_add(&s, 0);    /* outside 1..4094: ignored */
        vc_vlanset_add(&s, 4095); /* ignored */
        assert_int_equal(vc_vlanset_count(&s), 2);
        assert_int_equal(vc_vlanset_first(&s), 1);
        assert_true(vc_vlanset_has(&s, 4094));
        assert_false(vc_vlanset_has(&s, 4095));
        vc_vlanset_del(&s, 1);
        assert_int_equal(vc_vlanset_first(&s), 4094);
        struct vc_vlanset busy = {{0}};
        vc_vlanset_add(&s, 7);
        vc_vlanset_add(&busy, 7);
        vc_vlanset_add(&busy, 9); /* not in s: no effect */
        vc_vlanset_minus(&s, &busy);
        assert_int_equal(vc_vlanset_count(&s), 1);
        assert_false(vc_vlanset_has(&s, 7));
}

/* Three sites, fragmented ranges: the only ids in all three are 140-149
 * and 300-301; holds at each site push the choice up. */
static void test_shared_intersection_three_sites(void **state) {
        const struct vc_range a[] = {{100, 149}, {300, 310}};
        const struct vc_range b[] = {{140, 200}, {250, 301}};
        const struct vc_range c[] = {{1, 10}, {145, 145}, {148, 160}, {290, 400}};
        struct vc_vlanset f[3] = {free_of(a, 2, NULL, 0), free_of(b, 2, NULL, 0), free_of(c, 4, NULL, 0)};
        int id;
        assert_int_equal(vc_pick_shared(f, 3, &id), 0);
        assert_int_equal(id, 145);
        vc_vlanset_del(&f[1], 145); /* held at site b only */
        assert_int_equal(vc_pick_shared(f, 3, &id), 0);
        assert_int_equal(id, 148);
        const int busy_a[] = {148, 149};
        f[0] = free_of(a, 2, busy_a, 2);
        assert_int_equal(vc_pick_shared(f, 3, &id), 0);
        assert_int_equal(id, 300);
        vc_vlanset_del(&f[2], 300);
        vc_vlanset_del(&f[2], 301);
        /* every site still has free ids, but none in common */
        assert_int_equal(vc_pick_shared(f, 3, &id), -ENOSPC);
        for (int i = 0; i < 3; i++)
                assert_true(vc_vlanset_count(&f[i]) > 0);
}

static void test_stitched_each_site_its_own(void **state) {
        const struct vc_range a[] = {{100, 101}};
        const struct vc_range b[] = {{500, 502}};
        const int busy_a[] = {100};
        struct vc_vlanset f[2] = {free_of(a, 1, busy_a, 1), free_of(b, 1, NULL, 0)};
        int ids[2];
        assert_int_equal(vc_pick_stitched(f, 2, ids), 0);
        assert_int_equal(ids[0], 101);
        assert_int_equal(ids[1], 500);
        vc_vlanset_del(&f[0], 101);
        assert_int_equal(vc_pick_stitched(f, 2, ids), -ENOSPC);
        assert_int_equal(ids[0], -1); /* says which site ran out */
        assert_int_equal(ids[1], 500);
}

static void test_drained_ids_skipped(void **state) {
        const struct vc_range a[] = {{10, 13}};
        const int drained[] = {10, 11, 13};
        struct vc_vlanset f = free_of(a, 1, drained, 3);
        int id;
        assert_int_equal(vc_pick_shared(&f, 1, &id), 0);
        assert_int_equal(id, 12);
        vc_vlanset_del(&f, 12);
        assert_int_equal(vc_pick_shared(&f, 1, &id), -ENOSPC);
}

static void test_vni(void **state) {
        uint32_t v;
        assert_int_equal(vc_pick_vni(5000, 5010, NULL, 0, &v), 0);
        assert_int_equal(v, 5000);
        const uint32_t busy[] = {17, 5000, 5001, 5003};
        assert_int_equal(vc_pick_vni(5000, 5010, busy, 4, &v), 0);
        assert_int_equal(v, 5002);
        const uint32_t full[] = {1, 2, 3};
        assert_int_equal(vc_pick_vni(1, 3, full, 3, &v), -ENOSPC);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_basics),
                cmocka_unit_test(test_shared_intersection_three_sites),
                cmocka_unit_test(test_stitched_each_site_its_own),
                cmocka_unit_test(test_drained_ids_skipped),
                cmocka_unit_test(test_vni),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
