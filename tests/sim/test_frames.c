/* SPDX-License-Identifier: BSD-2-Clause */
/* Host-only tests: frame contents through caps, copies and mappings; what Revoke and untyped
 * reset do to them. */
#include <string.h>
#include "host_tests.h"

static int new_frame_reads_zero(void)
{
    unsigned char buf[64];
    HCHECK(h_retype(h_ut(20), H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    memset(buf, 0xaa, sizeof(buf));
    HCHECK(sel4host_frame_read(h_slot(0), 4000, buf, sizeof(buf) - 32) == seL4_NoError);
    for (unsigned i = 0; i < 32; i++) {
        HCHECK(buf[i] == 0);
    }
    return 0;
}

static int write_through_copy_reads_through_original(void)
{
    char out[16] = {0};
    HCHECK(h_retype(h_ut(20), H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(h_copy(h_slot(1), h_slot(0)) == seL4_NoError);
    HCHECK(sel4host_frame_write(h_slot(1), 100, "hello", 6) == seL4_NoError);
    HCHECK(sel4host_frame_read(h_slot(0), 100, out, 6) == seL4_NoError);
    HCHECK(strcmp(out, "hello") == 0);
    return 0;
}

static int frame_access_out_of_range_is_refused(void)
{
    char b[8];
    HCHECK(h_retype(h_ut(20), H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(sel4host_frame_read(h_slot(0), 4090, b, 8) == seL4_RangeError);
    HCHECK(sel4host_frame_read(h_slot(1), 0, b, 8) == seL4_FailedLookup);
    HCHECK(sel4host_frame_read(h_ut(20), 0, b, 8) == seL4_FailedLookup);
    return 0;
}

static int write_through_mapping_reads_through_cap(void)
{
    seL4_CPtr ut = h_ut(22);
    char out[8] = {0};
    HCHECK(h_map_tables(ut, h_slot(20), H_VA) > 0);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 2) == seL4_NoError);
    HCHECK(H_MAP(h_slot(0), H_VA, seL4_AllRights) == seL4_NoError);
    HCHECK(H_MAP(h_slot(1), H_VA + 4096, seL4_AllRights) == seL4_NoError);
    /* a write across the page boundary lands in both frames */
    HCHECK(sel4host_vspace_write(seL4_CapInitThreadVSpace, H_VA + 4093, "abcdef", 6) ==
           seL4_NoError);
    HCHECK(sel4host_frame_read(h_slot(0), 4093, out, 3) == seL4_NoError);
    HCHECK(memcmp(out, "abc", 3) == 0);
    HCHECK(sel4host_frame_read(h_slot(1), 0, out, 3) == seL4_NoError);
    HCHECK(memcmp(out, "def", 3) == 0);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, H_VA + 8192, out, 1) ==
           seL4_FailedLookup);
    return 0;
}

static int read_only_mapping_refuses_writes(void)
{
    seL4_CPtr ut = h_ut(22);
    char c = 'x';
    HCHECK(h_map_tables(ut, h_slot(20), H_VA) > 0);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(H_MAP(h_slot(0), H_VA, seL4_CanRead) == seL4_NoError);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, H_VA, &c, 1) == seL4_NoError);
    HCHECK(sel4host_vspace_write(seL4_CapInitThreadVSpace, H_VA, &c, 1) ==
           seL4_IllegalOperation);
    return 0;
}

static int revoke_cuts_copies_and_their_mappings_off_the_frame(void)
{
    seL4_CPtr ut = h_ut(22);
    char out[8];
    HCHECK(h_map_tables(ut, h_slot(20), H_VA) > 0);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(h_copy(h_slot(1), h_slot(0)) == seL4_NoError);
    HCHECK(h_copy(h_slot(2), h_slot(1)) == seL4_NoError);
    HCHECK(H_MAP(h_slot(1), H_VA, seL4_AllRights) == seL4_NoError);
    HCHECK(H_MAP(h_slot(2), H_VA + 4096, seL4_AllRights) == seL4_NoError);
    HCHECK(sel4host_vspace_write(seL4_CapInitThreadVSpace, H_VA, "secret", 7) == seL4_NoError);
    HCHECK(h_revoke(h_slot(0)) == seL4_NoError);
    /* the copies are gone, and with them every way in through the vspace */
    HCHECK(sel4host_frame_read(h_slot(1), 0, out, 7) == seL4_FailedLookup);
    HCHECK(sel4host_frame_read(h_slot(2), 0, out, 7) == seL4_FailedLookup);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, H_VA, out, 7) == seL4_FailedLookup);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, H_VA + 4096, out, 7) ==
           seL4_FailedLookup);
    /* the retype-made cap still reaches the frame and its data */
    HCHECK(sel4host_frame_read(h_slot(0), 0, out, 7) == seL4_NoError);
    HCHECK(strcmp(out, "secret") == 0);
    return 0;
}

static int frame_reused_after_untyped_reset_is_zero(void)
{
    seL4_CPtr ut = h_ut(20);
    char out[7];
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(sel4host_frame_write(h_slot(0), 0, "secret", 7) == seL4_NoError);
    seL4_Word pa = H_GETADDR(h_slot(0)).paddr;
    HCHECK(h_revoke(ut) == seL4_NoError);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(1), 1) == seL4_NoError);
    HCHECK(H_GETADDR(h_slot(1)).paddr == pa);
    HCHECK(sel4host_frame_read(h_slot(1), 0, out, 7) == seL4_NoError);
    for (unsigned i = 0; i < 7; i++) {
        HCHECK(out[i] == 0);
    }
    return 0;
}

static int deleted_frame_data_stays_below_watermark_until_reset(void)
{
    /* with another child alive the untyped is not reset: the next object comes from above
     * the watermark (zero), and the old frame's bytes are simply not reachable */
    seL4_CPtr ut = h_ut(20);
    char out[7];
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 2) == seL4_NoError);
    HCHECK(sel4host_frame_write(h_slot(0), 0, "secret", 7) == seL4_NoError);
    HCHECK(h_delete(h_slot(0)) == seL4_NoError);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(2), 1) == seL4_NoError);
    HCHECK(sel4host_frame_read(h_slot(2), 0, out, 7) == seL4_NoError);
    HCHECK(out[0] == 0);
    /* delete the last child: the next retype resets and starts at the base, cleared */
    HCHECK(h_delete(h_slot(1)) == seL4_NoError);
    HCHECK(h_delete(h_slot(2)) == seL4_NoError);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(3), 1) == seL4_NoError);
    HCHECK(sel4host_frame_read(h_slot(3), 0, out, 7) == seL4_NoError);
    HCHECK(out[0] == 0 && out[5] == 0);
    struct sel4host_account a;
    sel4host_account(&a);
    HCHECK(a.backing_pages == 0);
    return 0;
}

static int large_page_contents_span_its_whole_size(void)
{
    seL4_CPtr ut = h_ut(seL4_LargePageBits + 1);
    char out[4];
    HCHECK(ut != 0);
    HCHECK(h_retype(ut, H_LARGE, 0, h_slot(0), 1) == seL4_NoError);
    seL4_Word last = ((seL4_Word)1 << seL4_LargePageBits) - 4;
    HCHECK(sel4host_frame_write(h_slot(0), last, "end", 4) == seL4_NoError);
    HCHECK(sel4host_frame_read(h_slot(0), last, out, 4) == seL4_NoError);
    HCHECK(strcmp(out, "end") == 0);
    return 0;
}

static int large_page_mapping_reaches_its_whole_size(void)
{
    seL4_CPtr ut = h_ut(seL4_LargePageBits + 2);
    seL4_Word size = (seL4_Word)1 << seL4_LargePageBits;
    seL4_Word va = H_VA + size; /* next to the small-page table made below */
    char out[4] = {0};
    HCHECK(ut != 0);
    HCHECK(h_map_tables(ut, h_slot(20), H_VA) > 0);
    HCHECK(h_retype(ut, H_LARGE, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(H_MAP(h_slot(0), va, seL4_AllRights) == seL4_NoError);
    HCHECK(sel4host_vspace_write(seL4_CapInitThreadVSpace, va + size - 4, "top", 4) ==
           seL4_NoError);
    HCHECK(sel4host_frame_read(h_slot(0), size - 4, out, 4) == seL4_NoError);
    HCHECK(strcmp(out, "top") == 0);
    HCHECK(H_UNMAP(h_slot(0)) == seL4_NoError);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, va + size - 4, out, 1) ==
           seL4_FailedLookup);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, va, out, 1) == seL4_FailedLookup);
    return 0;
}

static int unmap_removes_only_that_caps_mapping(void)
{
    seL4_CPtr ut = h_ut(22);
    char c;
    HCHECK(h_map_tables(ut, h_slot(20), H_VA) > 0);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 1) == seL4_NoError);
    HCHECK(h_copy(h_slot(1), h_slot(0)) == seL4_NoError);
    HCHECK(H_MAP(h_slot(0), H_VA, seL4_AllRights) == seL4_NoError);
    HCHECK(H_MAP(h_slot(1), H_VA + 4096, seL4_AllRights) == seL4_NoError);
    HCHECK(H_UNMAP(h_slot(1)) == seL4_NoError);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, H_VA, &c, 1) == seL4_NoError);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, H_VA + 4096, &c, 1) ==
           seL4_FailedLookup);
    return 0;
}

static int overwritten_mapping_is_not_removed_by_the_old_cap(void)
{
    seL4_CPtr ut = h_ut(22);
    char c = 0;
    HCHECK(h_map_tables(ut, h_slot(20), H_VA) > 0);
    HCHECK(h_retype(ut, H_FRAME, 0, h_slot(0), 2) == seL4_NoError);
    HCHECK(sel4host_frame_write(h_slot(1), 0, "n", 1) == seL4_NoError);
    HCHECK(H_MAP(h_slot(0), H_VA, seL4_AllRights) == seL4_NoError);
    HCHECK(H_MAP(h_slot(1), H_VA, seL4_AllRights) == seL4_NoError);
    HCHECK(h_delete(h_slot(0)) == seL4_NoError);
    HCHECK(sel4host_vspace_read(seL4_CapInitThreadVSpace, H_VA, &c, 1) == seL4_NoError);
    HCHECK(c == 'n');
    return 0;
}

const struct host_test frame_tests[] = {
    HT(overwritten_mapping_is_not_removed_by_the_old_cap),
    HT(new_frame_reads_zero),
    HT(write_through_copy_reads_through_original),
    HT(frame_access_out_of_range_is_refused),
    HT(write_through_mapping_reads_through_cap),
    HT(read_only_mapping_refuses_writes),
    HT(revoke_cuts_copies_and_their_mappings_off_the_frame),
    HT(frame_reused_after_untyped_reset_is_zero),
    HT(deleted_frame_data_stays_below_watermark_until_reset),
    HT(large_page_contents_span_its_whole_size),
    HT(large_page_mapping_reaches_its_whole_size),
    HT(unmap_removes_only_that_caps_mapping),
    {NULL, NULL},
};
