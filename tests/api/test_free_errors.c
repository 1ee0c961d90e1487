/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every way a free can be wrong is refused with its own error code and changes nothing:
 * CapBuddy's statistics and invariants, the model's capability state (digest) and
 * accounting, the metadata bytes, and no kernel call is made. The original had no check on
 * free: a double free or a wrong size handed one frame to two owners, a cptr outside every
 * pool dereferenced NULL. Run under each policy, since REVOKE and SCRUB keep freed runs in
 * a quarantine that a double free must also be recognised in.
 */
#include <string.h>

#include "world.h"

static const char *const policy_name[] = {"trust", "revoke", "scrub"};

static void refused(struct world *w, seL4_CPtr cptr, seL4_Word bits, int expect, const char *what)
{
    struct world_snap s;
    world_snap(w, &s);
    int err = capbuddy_free(w->cb, cptr, bits);
    if (err != expect) {
        fprintf(stderr, "  %s: free(%lu, %lu) = %d (%s), expected %d (%s)\n", what,
                (unsigned long)cptr, (unsigned long)bits, err, capbuddy_strerror(err), expect,
                capbuddy_strerror(expect));
    }
    CBT_CHECK_EQ(err, expect);
    world_snap_same(w, &s, what);
}

static void free_errors_under(enum capbuddy_policy pol)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.policy = pol;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);

    /* A pool with: a (16 bits, 16 frames) run A, a 1-frame run B, a freed 1-frame run C,
     * and a 4-frame run D. Index layout is CapBuddy's business; derive everything from the
     * answers. */
    cspacepath_t a, b, c, d, keep;
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 16, VKA_NO_PADDR, false, &a), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &b), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &c), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 14, VKA_NO_PADDR, false, &d), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &keep), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, c.capPtr, 12), CAPBUDDY_OK);
    seL4_CPtr pool = a.capPtr & ~(seL4_CPtr)1023;

    /* NOT_POOL: slots of no pool, inside and outside the window */
    refused(&w, seL4_CapInitThreadCNode, 12, CAPBUDDY_ERR_NOT_POOL, "well-known cap");
    refused(&w, 0, 12, CAPBUDDY_ERR_NOT_POOL, "null cptr");
    refused(&w, (seL4_CPtr)-1, 12, CAPBUDDY_ERR_NOT_POOL, "cptr -1");
    refused(&w, w.bi->empty.start, 12, CAPBUDDY_ERR_NOT_POOL, "parent slot");
    refused(&w, pool + 1024, 12, CAPBUDDY_ERR_NOT_POOL, "window slot after the pool");
    if (pool > w.cfg.slot_first) {
        refused(&w, pool - 1, 12, CAPBUDDY_ERR_NOT_POOL, "window slot before the pool");
    }

    /* NOT_ALLOCATED: the freed run C (double free, free or quarantined), a never-handed-out
     * frame, a never-handed-out run of a larger size */
    refused(&w, c.capPtr, 12, CAPBUDDY_ERR_NOT_ALLOCATED, "double free");
    refused(&w, pool + 1023, 12, CAPBUDDY_ERR_NOT_ALLOCATED, "free frame");
    refused(&w, pool + 512, 21, CAPBUDDY_ERR_NOT_ALLOCATED, "free half pool");

    /* WRONG_SIZE: an allocation of another size starts at cptr */
    refused(&w, a.capPtr, 17, CAPBUDDY_ERR_WRONG_SIZE, "A bigger");
    refused(&w, a.capPtr, 15, CAPBUDDY_ERR_WRONG_SIZE, "A smaller");
    refused(&w, a.capPtr, 12, CAPBUDDY_ERR_WRONG_SIZE, "A as one frame");
    refused(&w, d.capPtr, 13, CAPBUDDY_ERR_WRONG_SIZE, "D smaller");
    if ((b.capPtr & 1) == 0) {
        refused(&w, b.capPtr, 13, CAPBUDDY_ERR_WRONG_SIZE, "B as two frames");
    }
    /* misalignment is reported first: B is not where a 4 MiB run could start */
    refused(&w, b.capPtr, 22, CAPBUDDY_ERR_MISALIGNED, "B as the whole pool");

    /* MISALIGNED: cptr is not aligned to the run's size in its pool */
    refused(&w, a.capPtr + 1, 13, CAPBUDDY_ERR_MISALIGNED, "misaligned 2-frame run");
    refused(&w, pool + 1023, 16, CAPBUDDY_ERR_MISALIGNED, "misaligned 16-frame run");
    refused(&w, d.capPtr + 2, 14, CAPBUDDY_ERR_MISALIGNED, "D shifted");

    /* INSIDE: cptr lies inside a larger allocation */
    refused(&w, a.capPtr + 1, 12, CAPBUDDY_ERR_INSIDE, "frame inside A");
    refused(&w, a.capPtr + 8, 15, CAPBUDDY_ERR_INSIDE, "second half of A");
    refused(&w, d.capPtr + 3, 12, CAPBUDDY_ERR_INSIDE, "last frame of D");

    /* INVALID: sizes out of range, no allocator */
    refused(&w, b.capPtr, 11, CAPBUDDY_ERR_INVALID, "11 bits");
    refused(&w, b.capPtr, 23, CAPBUDDY_ERR_INVALID, "23 bits");
    refused(&w, b.capPtr, 0, CAPBUDDY_ERR_INVALID, "0 bits");
    refused(&w, b.capPtr, (seL4_Word)-1, CAPBUDDY_ERR_INVALID, "-1 bits");
    CBT_CHECK_EQ(capbuddy_free(NULL, b.capPtr, 12), CAPBUDDY_ERR_INVALID);

    /* the right frees still work, and then are refused the second time */
    CBT_CHECK_EQ(capbuddy_free(w.cb, a.capPtr, 16), CAPBUDDY_OK);
    refused(&w, a.capPtr, 16, CAPBUDDY_ERR_NOT_ALLOCATED, "double free of A");
    refused(&w, a.capPtr + 4, 14, CAPBUDDY_ERR_NOT_ALLOCATED, "part of freed A");
    CBT_CHECK_EQ(capbuddy_free(w.cb, d.capPtr, 14), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, b.capPtr, 12), CAPBUDDY_OK);
    refused(&w, b.capPtr, 12, CAPBUDDY_ERR_NOT_ALLOCATED, "double free of B");

    /* after a flush (quarantine revoked, runs merged back) a double free is still refused */
    CBT_CHECK_EQ(capbuddy_flush(w.cb), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_check(w.cb), 0);
    refused(&w, c.capPtr, 12, CAPBUDDY_ERR_NOT_ALLOCATED, "double free after flush");
    refused(&w, a.capPtr, 16, CAPBUDDY_ERR_NOT_ALLOCATED, "double free of A after flush");

    /* the last run freed: the pool empties; with no spare it goes back, and a stale free
     * of one of its cptrs is now NOT_POOL */
    CBT_CHECK_EQ(capbuddy_free(w.cb, keep.capPtr, 12), CAPBUDDY_OK);
    capbuddy_destroy(w.cb);
    w.cb = NULL;
    w.cfg.spare_pools = 0;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_alloc(w.cb, 12, VKA_NO_PADDR, false, &keep), CAPBUDDY_OK);
    CBT_CHECK_EQ(capbuddy_free(w.cb, keep.capPtr, 12), CAPBUDDY_OK);
    struct capbuddy_stats st;
    capbuddy_stats(w.cb, &st);
    CBT_CHECK_EQ(st.pools_ram, 0);
    CBT_CHECK_EQ(st.pools_returned, 1);
    refused(&w, keep.capPtr, 12, CAPBUDDY_ERR_NOT_POOL, "free into a returned pool");
    printf("    policy %s: every refused free left everything as it was\n", policy_name[pol]);
    world_down(&w);
}

static void free_errors_trust(void)
{
    free_errors_under(CAPBUDDY_POLICY_TRUST);
}

static void free_errors_revoke(void)
{
    free_errors_under(CAPBUDDY_POLICY_REVOKE);
}

static void free_errors_scrub(void)
{
    free_errors_under(CAPBUDDY_POLICY_SCRUB);
}

/* Frees of every misfitting (cptr, size) around a set of live runs of all sizes: whatever
 * the answer, it is an error unless (cptr, size) is exactly a live run, and a refusal
 * changes nothing. Compared with a simple reference of the live runs. */
static void free_exhaustive_against_reference(void)
{
    struct world w;
    if (!world_boot(&w, NULL)) {
        return;
    }
    w.cfg.policy = CAPBUDDY_POLICY_REVOKE;
    CBT_CHECK_EQ(world_start(&w), CAPBUDDY_OK);
    cspacepath_t r[6];
    const seL4_Word sizes[6] = {12, 13, 15, 12, 18, 14};
    for (int i = 0; i < 6; i++) {
        CBT_CHECK_EQ(capbuddy_alloc(w.cb, sizes[i], VKA_NO_PADDR, false, &r[i]), CAPBUDDY_OK);
    }
    seL4_CPtr pool = r[0].capPtr & ~(seL4_CPtr)1023;
    struct world_snap s;
    world_snap(&w, &s);
    unsigned long refusals = 0;
    for (seL4_CPtr c = pool; c < pool + 1024; c++) {
        for (seL4_Word b = 12; b <= 22; b++) {
            bool live = false;
            for (int i = 0; i < 6; i++) {
                live |= r[i].capPtr == c && sizes[i] == b;
            }
            if (live) {
                continue;
            }
            int err = capbuddy_free(w.cb, c, b);
            CBT_CHECK(err < 0);
            refusals++;
        }
    }
    /* one snapshot comparison for all of them: no refusal changed anything */
    world_snap_same(&w, &s, "11264 refused frees");
    CBT_CHECK_EQ(refusals, 1024 * 11 - 6);
    for (int i = 0; i < 6; i++) {
        CBT_CHECK_EQ(capbuddy_free(w.cb, r[i].capPtr, sizes[i]), CAPBUDDY_OK);
    }
    world_down(&w);
}

int main(int argc, char **argv)
{
    world_parse_args(argc, argv, "api_free_errors");
    CBT_RUN(free_errors_trust);
    CBT_RUN(free_errors_revoke);
    CBT_RUN(free_errors_scrub);
    CBT_RUN(free_exhaustive_against_reference);
    return cbtest_finish();
}
