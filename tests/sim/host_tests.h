/* SPDX-License-Identifier: BSD-2-Clause */
/* Host-only tests of the seL4 model: a tiny runner shared by the test files. */
#pragma once

#include <stdio.h>
#include <sel4/sel4.h>
#include <sel4runtime.h>
#include <sel4host/host.h>

#define HCHECK(cond)                                                                   \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

struct host_test {
    const char *name;
    int (*fn)(void);
};

#define HT(f) {#f, f}

extern const struct host_test host_tests[];
extern const struct host_test frame_tests[];
extern const struct host_test config_tests[];

#if defined(CONFIG_ARCH_X86)
#define H_FRAME seL4_X86_4K
#define H_LARGE seL4_X86_LargePageObject
#define H_PT seL4_X86_PageTableObject
#define H_GETADDR(f) seL4_X86_Page_GetAddress(f)
#define H_MAP(f, va, r) seL4_X86_Page_Map((f), seL4_CapInitThreadVSpace, (va), (r), seL4_X86_Default_VMAttributes)
#define H_UNMAP(f) seL4_X86_Page_Unmap(f)
#else
#define H_FRAME seL4_ARM_SmallPageObject
#define H_LARGE seL4_ARM_LargePageObject
#define H_PT seL4_ARM_PageTableObject
#define H_GETADDR(f) seL4_ARM_Page_GetAddress(f)
#define H_MAP(f, va, r) seL4_ARM_Page_Map((f), seL4_CapInitThreadVSpace, (va), (r), seL4_ARM_Default_VMAttributes)
#define H_UNMAP(f) seL4_ARM_Page_Unmap(f)
#endif

#if CONFIG_WORD_SIZE == 64
#define H_VA 0x40000000000ul
#else
#define H_VA 0x80000000ul
#endif

/* helpers (host_main.c) */
seL4_CPtr h_ut(unsigned min_bits);           /* smallest RAM untyped with >= min_bits */
seL4_CPtr h_slot(unsigned i);                /* i-th free slot of the root CNode */
seL4_Error h_retype(seL4_CPtr ut, seL4_Word type, seL4_Word bits, seL4_CPtr slot, seL4_Word n);
seL4_Error h_copy(seL4_CPtr dest, seL4_CPtr src);
seL4_Error h_revoke(seL4_CPtr slot);
seL4_Error h_delete(seL4_CPtr slot);
int h_map_tables(seL4_CPtr ut, seL4_CPtr first, seL4_Word va); /* tables made, or -1 */
