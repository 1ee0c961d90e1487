/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The rows of docs/errors.md not covered elsewhere: NULL allocators everywhere, and a
 * message for every error code.
 */
#include "world.h"

#include <string.h>

static void null_allocator_everywhere(void)
{
    cspacepath_t r;
    struct capbuddy_stats st;
    CBT_CHECK_EQ(capbuddy_init(NULL, NULL), CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(capbuddy_alloc(NULL, 12, VKA_NO_PADDR, false, &r), CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(capbuddy_free(NULL, 1, 12), CAPBUDDY_ERR_INVALID);
    CBT_CHECK(!capbuddy_is_from_pool(NULL, 1, 12));
    CBT_CHECK_EQ(capbuddy_paddr(NULL, 1), VKA_NO_PADDR);
    CBT_CHECK_EQ(capbuddy_flush(NULL), CAPBUDDY_ERR_INVALID);
    CBT_CHECK_EQ(capbuddy_check(NULL), CAPBUDDY_ERR_INVALID);
    capbuddy_stats(NULL, &st);
    CBT_CHECK_EQ(st.largest_free_order, -1);
    CBT_CHECK_EQ(st.pools_ram + st.pools_device, 0);
    capbuddy_destroy(NULL); /* a no-op, as free(NULL) */
}

static void every_error_has_a_message(void)
{
    for (int e = CAPBUDDY_OK; e >= CAPBUDDY_ERR_BUSY; e--) {
        const char *m = capbuddy_strerror(e);
        CBT_CHECK(m != NULL && m[0] != '\0' && strcmp(m, "unknown error") != 0);
    }
    CBT_CHECK(strcmp(capbuddy_strerror(CAPBUDDY_ERR_BUSY - 1), "unknown error") == 0);
    CBT_CHECK(strcmp(capbuddy_strerror(1), "unknown error") == 0);
}

/* flush on a live allocator with nothing quarantined: OK and no kernel call. */
static void flush_with_nothing_to_do(struct world *w)
{
    uint64_t calls = sel4host_count_total();
    CBT_CHECK_EQ(capbuddy_flush(w->cb), CAPBUDDY_OK);
    CBT_CHECK_EQ(sel4host_count_total(), calls);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_contract");
    CBT_RUN(null_allocator_everywhere);
    CBT_RUN(every_error_has_a_message);
    struct world w;
    if (world_boot(&w, NULL)) {
        CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
        flush_with_nothing_to_do(&w);
        world_down(&w);
    }
    return cbtest_finish();
}
