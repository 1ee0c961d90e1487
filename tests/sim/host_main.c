/* SPDX-License-Identifier: BSD-2-Clause */
/* Runner of the host-only model tests: every test gets a freshly booted default world and
 * must leave sel4host_check() happy. */
#include <stdlib.h>
#include "host_tests.h"

seL4_CPtr h_ut(unsigned min_bits)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    seL4_CPtr best = 0;
    unsigned best_bits = 0;

    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (!d->isDevice && d->sizeBits >= min_bits && (best == 0 || d->sizeBits < best_bits)) {
            best = bi->untyped.start + i;
            best_bits = d->sizeBits;
        }
    }
    return best;
}

seL4_CPtr h_slot(unsigned i)
{
    return sel4runtime_bootinfo()->empty.start + i;
}

seL4_Error h_retype(seL4_CPtr ut, seL4_Word type, seL4_Word bits, seL4_CPtr slot, seL4_Word n)
{
    return seL4_Untyped_Retype(ut, type, bits, seL4_CapInitThreadCNode, 0, 0, slot, n);
}

seL4_Error h_copy(seL4_CPtr dest, seL4_CPtr src)
{
    return seL4_CNode_Copy(seL4_CapInitThreadCNode, dest, seL4_WordBits, seL4_CapInitThreadCNode,
                           src, seL4_WordBits, seL4_AllRights);
}

seL4_Error h_revoke(seL4_CPtr slot)
{
    return seL4_CNode_Revoke(seL4_CapInitThreadCNode, slot, seL4_WordBits);
}

seL4_Error h_delete(seL4_CPtr slot)
{
    return seL4_CNode_Delete(seL4_CapInitThreadCNode, slot, seL4_WordBits);
}

int h_map_tables(seL4_CPtr ut, seL4_CPtr first, seL4_Word va)
{
#if defined(CONFIG_ARCH_X86_64)
    if (h_retype(ut, seL4_X86_PDPTObject, 0, first, 1) ||
        seL4_X86_PDPT_Map(first, seL4_CapInitThreadVSpace, va, seL4_X86_Default_VMAttributes) ||
        h_retype(ut, seL4_X86_PageDirectoryObject, 0, first + 1, 1) ||
        seL4_X86_PageDirectory_Map(first + 1, seL4_CapInitThreadVSpace, va,
                                   seL4_X86_Default_VMAttributes) ||
        h_retype(ut, seL4_X86_PageTableObject, 0, first + 2, 1) ||
        seL4_X86_PageTable_Map(first + 2, seL4_CapInitThreadVSpace, va,
                               seL4_X86_Default_VMAttributes)) {
        return -1;
    }
    return 3;
#elif defined(CONFIG_ARCH_IA32)
    if (h_retype(ut, seL4_X86_PageTableObject, 0, first, 1) ||
        seL4_X86_PageTable_Map(first, seL4_CapInitThreadVSpace, va, seL4_X86_Default_VMAttributes)) {
        return -1;
    }
    return 1;
#elif defined(CONFIG_ARCH_AARCH32)
    if (h_retype(ut, seL4_ARM_PageTableObject, 0, first, 1) ||
        seL4_ARM_PageTable_Map(first, seL4_CapInitThreadVSpace, va, seL4_ARM_Default_VMAttributes)) {
        return -1;
    }
    return 1;
#else
    for (int i = 0; i < 3; i++) {
        if (h_retype(ut, seL4_ARM_PageTableObject, 0, first + i, 1) ||
            seL4_ARM_PageTable_Map(first + i, seL4_CapInitThreadVSpace, va,
                                   seL4_ARM_Default_VMAttributes)) {
            return -1;
        }
    }
    return 3;
#endif
}

static void run(const struct host_test *t, unsigned *passed, unsigned *failed)
{
    for (; t->name != NULL; t++) {
        if (sel4host_boot(NULL) != seL4_NoError) {
            printf("FAIL boot\n");
            (*failed)++;
            return;
        }
        int r = t->fn();
        if (r == 0 && sel4host_check() != 0) {
            printf("    integrity: %s\n", sel4host_check_message());
            r = 1;
        }
        printf("%s %s\n", r == 0 ? "ok  " : "FAIL", t->name);
        if (r == 0) {
            (*passed)++;
        } else {
            (*failed)++;
        }
    }
}

int main(void)
{
    unsigned passed = 0, failed = 0;

    printf("host model tests, arch %s\n", sel4host_arch_name());
    run(host_tests, &passed, &failed);
    run(frame_tests, &passed, &failed);
    run(config_tests, &passed, &failed);
    sel4host_shutdown();
    printf("%u passed, %u failed\n", passed, failed);
    return failed > 0;
}
