/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A root task that takes frames from CapBuddy pools. Written against libsel4, vka and
 * CapBuddy only: on the host it runs on the seL4 model (ctest runs it); on seL4, pass
 * allocman's vka instead of the host parent.
 */
#include <capbuddy/capbuddy.h>
#include <cbhost/parent.h>
#include <sel4runtime.h>
#include <stdio.h>

int main(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    /* The parent (allocman on seL4) keeps the low half of the empty slots, pools the rest. */
    seL4_Word half = (bi->empty.start + bi->empty.end) / 2;
    cb_parent_config_t pc = {.bootinfo = bi, .first_slot = bi->empty.start, .end_slot = half};
    cb_parent_t *parent;
    vka_t vka;
    if (cb_parent_init(&parent, &pc)) {
        return 1;
    }
    cb_parent_make_vka(parent, &vka);

    struct capbuddy_config cfg;
    capbuddy_config_default(&cfg, &vka, seL4_CapInitThreadCNode, half, bi->empty.end - half);
    capbuddy_t *cb;
    cspacepath_t run;
    if (capbuddy_init(&cb, &cfg) || capbuddy_alloc(cb, 16, VKA_NO_PADDR, false, &run)) {
        return 1;
    }
    printf("16 frames: caps %lu..%lu at paddr 0x%llx\n", (unsigned long)run.capPtr,
           (unsigned long)(run.capPtr + run.window - 1),
           (unsigned long long)capbuddy_paddr(cb, run.capPtr));
    int err = capbuddy_free(cb, run.capPtr, 16);
    printf("free: %s; again: %s\n", capbuddy_strerror(err),
           capbuddy_strerror(capbuddy_free(cb, run.capPtr, 16)));
    capbuddy_destroy(cb);
    return cb_parent_teardown(parent) != 0;
}
