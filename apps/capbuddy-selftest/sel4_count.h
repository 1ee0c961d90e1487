/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Counts every kernel invocation made by the code it is compiled into, by invocation label,
 * without touching libsel4: force-include it (-include sel4_count.h) before <sel4/sel4.h> is
 * seen. libsel4's generated invocation stubs (interfaces/sel4_client.h) all enter the kernel
 * through seL4_CallWithMRs; this header takes libsel4's definition under another name and
 * puts a counting seL4_CallWithMRs in its place before the stubs are read. The counts land
 * in capbuddy_calls_by_label[], which the program defines.
 */
#pragma once

#ifndef __ASSEMBLER__
#include <sel4/config.h>
#include <sel4/types.h>
#include <sel4/macros.h>

#define seL4_CallWithMRs capbuddy_uncounted_seL4_CallWithMRs
#include <sel4/syscalls.h>
#include <sel4/arch/syscalls.h>
#include <sel4/sel4_arch/syscalls.h>
#undef seL4_CallWithMRs

#define CAPBUDDY_COUNT_LABELS 256
extern unsigned long capbuddy_calls_by_label[CAPBUDDY_COUNT_LABELS];

/* As many message-register arguments as libsel4 gives seL4_CallWithMRs on this
 * architecture: ia32 passes two in registers (one under MCS), the others four. */
#if defined(CONFIG_ARCH_IA32) && defined(CONFIG_KERNEL_MCS)
#define CAPBUDDY_MR_PARAMS seL4_Word *mr0
#define CAPBUDDY_MR_ARGS mr0
#elif defined(CONFIG_ARCH_IA32)
#define CAPBUDDY_MR_PARAMS seL4_Word *mr0, seL4_Word *mr1
#define CAPBUDDY_MR_ARGS mr0, mr1
#else
#define CAPBUDDY_MR_PARAMS seL4_Word *mr0, seL4_Word *mr1, seL4_Word *mr2, seL4_Word *mr3
#define CAPBUDDY_MR_ARGS mr0, mr1, mr2, mr3
#endif

#if defined(CAPBUDDY_COUNT_TSC)
/* Opt-in (apps/sel4-costs defines CAPBUDDY_COUNT_TSC; the self-test does not): also bracket
 * each counted call with rdtsc and add the delta to capbuddy_calls_tsc, which the program
 * defines. Under QEMU -icount shift=0,sleep=off that is the call's instructions, stub entry
 * and kernel, plus one empty bracket per call (the program subtracts it). x86 only. */
#if !defined(CONFIG_ARCH_X86)
#error "sel4_count.h: CAPBUDDY_COUNT_TSC needs rdtsc (x86_64, ia32)"
#endif
extern unsigned long long capbuddy_calls_tsc;

static inline __attribute__((always_inline)) unsigned long long capbuddy_count_rdtsc(void)
{
    unsigned int lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((unsigned long long)hi << 32) | lo;
}
#endif

static inline seL4_MessageInfo_t seL4_CallWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo,
                                                  CAPBUDDY_MR_PARAMS)
{
    capbuddy_calls_by_label[seL4_MessageInfo_get_label(msgInfo) % CAPBUDDY_COUNT_LABELS]++;
#if defined(CAPBUDDY_COUNT_TSC)
    unsigned long long t0 = capbuddy_count_rdtsc();
    seL4_MessageInfo_t r = capbuddy_uncounted_seL4_CallWithMRs(dest, msgInfo, CAPBUDDY_MR_ARGS);
    capbuddy_calls_tsc += capbuddy_count_rdtsc() - t0;
    return r;
#else
    return capbuddy_uncounted_seL4_CallWithMRs(dest, msgInfo, CAPBUDDY_MR_ARGS);
#endif
}

#include <sel4/sel4.h>
#endif
