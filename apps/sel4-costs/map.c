/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sel4-costs: mapping a frame with the paging structures it needs (costs.h), for main.c's
 * single invocations on seL4 and for the sequences' scrub window (seq_play.c, on seL4 and on
 * the host model). Its own file so that the counting build (sel4_count.h, force-included
 * into the sequences) leaves it alone: pt_map and pd_map are measured here without the
 * counter's bracket, and the scrub window is made outside the measured op loops anyway.
 */
#include <sel4/sel4.h>

#include "costs.h"

int costs_map_frame(seL4_CPtr frame, seL4_Word vaddr, seL4_CPtr (*get_obj)(seL4_Word type),
                    void (*measured)(const char *kind, uint64_t instr))
{
    static const seL4_Word levels[] = {
        seL4_X86_PageTableObject,
#ifdef CONFIG_ARCH_X86_64
        seL4_X86_PageDirectoryObject, seL4_X86_PDPTObject,
#endif
    };
    seL4_Error e = seL4_X86_Page_Map(frame, seL4_CapInitThreadVSpace, vaddr, seL4_AllRights,
                                     seL4_X86_Default_VMAttributes);
    /* a structure made for a level whose own parent was missing waits here */
    seL4_CPtr pending[sizeof(levels) / sizeof(levels[0])] = {0};
    for (unsigned lvl = 0; e == seL4_FailedLookup && lvl < sizeof(levels) / sizeof(levels[0]);) {
        seL4_CPtr o = pending[lvl] ? pending[lvl] : get_obj(levels[lvl]);
        pending[lvl] = 0;
        if (!o) {
            return seL4_NotEnoughMemory;
        }
        seL4_Error m;
        uint64_t t0 = costs_tsc();
        if (levels[lvl] == seL4_X86_PageTableObject) {
            m = seL4_X86_PageTable_Map(o, seL4_CapInitThreadVSpace, vaddr,
                                       seL4_X86_Default_VMAttributes);
        }
#ifdef CONFIG_ARCH_X86_64
        else if (levels[lvl] == seL4_X86_PageDirectoryObject) {
            m = seL4_X86_PageDirectory_Map(o, seL4_CapInitThreadVSpace, vaddr,
                                           seL4_X86_Default_VMAttributes);
        } else {
            m = seL4_X86_PDPT_Map(o, seL4_CapInitThreadVSpace, vaddr,
                                  seL4_X86_Default_VMAttributes);
        }
#else
        else {
            m = seL4_InvalidArgument;
        }
#endif
        uint64_t v = costs_tsc() - t0 - costs_bracket;
        if (m == seL4_FailedLookup) {
            /* its parent level is missing too: keep it, make the next level up first */
            pending[lvl] = o;
            lvl++;
            continue;
        }
        if (m != seL4_NoError) {
            return m;
        }
        if (measured) {
            measured(levels[lvl] == seL4_X86_PageTableObject ? "pt_map"
                     : lvl == 1 ? "pd_map" : "pdpt_map", v);
        }
        /* the level below may now map: start again from the bottom (with the kept one) */
        lvl = 0;
        e = seL4_X86_Page_Map(frame, seL4_CapInitThreadVSpace, vaddr, seL4_AllRights,
                              seL4_X86_Default_VMAttributes);
    }
    return e;
}
