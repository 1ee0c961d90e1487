/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The self-test as a root task on seL4: upstream allocman, bootstrapped from bootinfo,
 * is the parent vka; it gets the lower half of the root CNode's empty slots and CapBuddy
 * the upper half. Built as capbuddy-selftest-counts (CAPBUDDY_SELFTEST_COUNTS) it prints
 * kernel-call counts instead; they are real counts when sel4_count.h was force-included
 * (option CapBuddySelftestCountCalls), else it says there are no counters.
 */
#include <stdio.h>
#include <string.h>
#include <sel4/sel4.h>
#include <sel4runtime.h>
/* allocman's headers have unused parameters in inline functions; -Wextra is ours alone. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <allocman/allocman.h>
#include <allocman/bootstrap.h>
#include <allocman/vka.h>
#include <simple-default/simple-default.h>
#pragma GCC diagnostic pop
#include "selftest.h"

/* allocman's own metadata (its bookkeeping for untypeds and slots) */
#define ALLOCMAN_POOL_BYTES (2u << 20)
static char allocman_pool[ALLOCMAN_POOL_BYTES];

static int mem_write(seL4_Word vaddr, const void *buf, size_t len)
{
    memcpy((void *)vaddr, buf, len);
    return 0;
}

static int mem_read(seL4_Word vaddr, void *buf, size_t len)
{
    memcpy(buf, (const void *)vaddr, len);
    return 0;
}

#ifdef CAPBUDDY_COUNT_LABELS
unsigned long capbuddy_calls_by_label[CAPBUDDY_COUNT_LABELS];

static void counts(unsigned long out[ST_KINDS])
{
    memset(out, 0, sizeof(unsigned long) * ST_KINDS);
    for (unsigned l = 0; l < CAPBUDDY_COUNT_LABELS; l++) {
        enum selftest_kind k;
        switch (l) {
        case UntypedRetype: k = ST_RETYPE; break;
        case CNodeRevoke: k = ST_REVOKE; break;
        case CNodeDelete: k = ST_DELETE; break;
        case CNodeCopy: k = ST_COPY; break;
        case CNodeMint: k = ST_MINT; break;
        case CNodeMove: k = ST_MOVE; break;
        case CNodeMutate: k = ST_MUTATE; break;
        case X86PageMap: k = ST_PAGE_MAP; break;
        case X86PageUnmap: k = ST_PAGE_UNMAP; break;
        case X86PageGetAddress: k = ST_PAGE_GET_ADDRESS; break;
        case X86PageTableMap:
        case X86PageDirectoryMap:
#ifdef CONFIG_ARCH_X86_64
        case X86PDPTMap:
#endif
            k = ST_PAGING_MAP;
            break;
        default: k = ST_OTHER; break;
        }
        out[k] += capbuddy_calls_by_label[l];
    }
}
#endif

int main(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    simple_t simple;
    simple_default_init_bootinfo(&simple, bi);

    seL4_Word cnode_slots = (seL4_Word)1 << bi->initThreadCNodeSizeBits;
    seL4_Word half = cnode_slots / 2;
    if (bi->empty.start >= half) {
        printf("root CNode too small: empty slots start at %lu\n", (unsigned long)bi->empty.start);
        return 1;
    }
    allocman_t *am = bootstrap_use_current_1level(seL4_CapInitThreadCNode, cnode_slots,
                                                  bi->empty.start, half, sizeof(allocman_pool),
                                                  allocman_pool);
    if (!am || allocman_add_simple_untypeds(am, &simple) != 0) {
        printf("allocman bootstrap failed\n");
        return 1;
    }
    vka_t vka;
    allocman_make_vka(&vka, am);

    struct selftest_env env = {
        .parent = &vka,
        .parent_name = "allocman",
        .bi = bi,
        .slot_first = half,
        .slot_count = cnode_slots - half,
        .map_vaddr = 0x40000000ul,
        .mem_write = mem_write,
        .mem_read = mem_read,
    };
    printf("capbuddy self-test on seL4 (%s), root CNode %lu bits, allocman slots %lu..%lu\n",
#ifdef CONFIG_ARCH_X86_64
           "x86_64",
#elif defined(CONFIG_ARCH_IA32)
           "ia32",
#else
           "?",
#endif
           (unsigned long)bi->initThreadCNodeSizeBits, (unsigned long)bi->empty.start,
           (unsigned long)half);
#ifdef CAPBUDDY_COUNT_LABELS
    env.counts = counts;
#endif
#ifdef CAPBUDDY_SELFTEST_COUNTS
    /* The untyped list, for booting the host model with the same layout (allocman's calls
     * depend on it): main_host.c --untypeds reads these lines. */
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        printf("UT 0x%llx %u %u\n", (unsigned long long)bi->untypedList[i].paddr,
               (unsigned)bi->untypedList[i].sizeBits, (unsigned)bi->untypedList[i].isDevice);
    }
    return selftest_counts(&env);
#else
    return selftest_run(&env);
#endif
}
