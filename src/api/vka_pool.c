/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The original fork's three entry points, as thin shims over the native API.
 */
#define CAPBUDDY_VKA_POOL_OPERATIONS 1
#include <capbuddy/vka_pool.h>

int utspace_try_alloc_from_pool(void *data, seL4_Word size_bits, uintptr_t paddr, bool can_use_dev,
                                cspacepath_t *res)
{
    uint64_t at = paddr == VKA_NO_PADDR ? VKA_NO_PADDR : (uint64_t)paddr;
    return capbuddy_alloc((capbuddy_t *)data, size_bits, at, can_use_dev, res);
}

void utspace_try_free_from_pool(void *data, seL4_CPtr cptr, size_t num_bits)
{
    if (num_bits <= CAPBUDDY_MAX_ORDER) {
        (void)capbuddy_free((capbuddy_t *)data, cptr, (seL4_Word)num_bits + seL4_PageBits);
    }
}

int cspace_is_from_pool(void *data, seL4_CPtr cptr, size_t num_bits)
{
    return num_bits <= CAPBUDDY_MAX_ORDER &&
           capbuddy_is_from_pool((const capbuddy_t *)data, cptr,
                                 (seL4_Word)num_bits + seL4_PageBits);
}
