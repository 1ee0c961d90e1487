/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The ready scrub hook (include/capbuddy/scrub.h): map, clear, unmap.
 */
#include <capbuddy/scrub.h>

#include <string.h>

/* The arch's frame map, unmap and default attributes (names from libsel4's generated client
 * and its arch types). */
#if defined(CONFIG_ARCH_X86)
#define CB_SCRUB_PAGE_MAP   seL4_X86_Page_Map
#define CB_SCRUB_PAGE_UNMAP seL4_X86_Page_Unmap
#define CB_SCRUB_ATTRS      seL4_X86_Default_VMAttributes
#elif defined(CONFIG_ARCH_ARM)
#define CB_SCRUB_PAGE_MAP   seL4_ARM_Page_Map
#define CB_SCRUB_PAGE_UNMAP seL4_ARM_Page_Unmap
#define CB_SCRUB_ATTRS      seL4_ARM_Default_VMAttributes
#elif defined(CONFIG_ARCH_RISCV)
#define CB_SCRUB_PAGE_MAP   seL4_RISCV_Page_Map
#define CB_SCRUB_PAGE_UNMAP seL4_RISCV_Page_Unmap
#define CB_SCRUB_ATTRS      seL4_RISCV_Default_VMAttributes
#else
#error "CapBuddy: unsupported architecture"
#endif

#define CB_SCRUB_BYTES ((size_t)1 << seL4_PageBits)

void capbuddy_scrub_window_init(struct capbuddy_scrub_window *win, seL4_CPtr vspace,
                                seL4_Word vaddr)
{
    memset(win, 0, sizeof(*win));
    win->vspace = vspace;
    win->vaddr = vaddr;
}

static int clear_mapped(struct capbuddy_scrub_window *win)
{
    if (win->clear) {
        return win->clear(win->clear_cookie, win->vaddr, CB_SCRUB_BYTES);
    }
    /* the mapping is this program's own memory */
    memset((void *)win->vaddr, 0, CB_SCRUB_BYTES);
    return 0;
}

int capbuddy_scrub_frame(void *cookie, seL4_CPtr frame)
{
    struct capbuddy_scrub_window *win = cookie;
    if (!win || (win->vaddr & (CB_SCRUB_BYTES - 1))) {
        return -1;
    }
    seL4_Error e =
        CB_SCRUB_PAGE_MAP(frame, win->vspace, win->vaddr, seL4_ReadWrite, CB_SCRUB_ATTRS);
    if (e != seL4_NoError) {
        win->failed++;
        return -1;
    }
    int cleared = clear_mapped(win);
#if defined(CONFIG_ARCH_ARM)
    /* The kernel cleans the cache after it zeroes a retyped frame; so does this hook, so that
     * a next owner mapping the frame uncached (for DMA) reads the zeroes too. */
    if (cleared == 0 && seL4_ARM_Page_Clean_Data(frame, 0, CB_SCRUB_BYTES) != seL4_NoError) {
        cleared = -1;
    }
#endif
    e = CB_SCRUB_PAGE_UNMAP(frame);
    if (cleared != 0 || e != seL4_NoError) {
        win->failed++;
        return -1;
    }
    win->scrubbed++;
    return 0;
}
