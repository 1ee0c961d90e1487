/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capbuddy_flush: every pending pool refreshed, every quarantined run revoked, now.
 */
#include "internal.h"

int capbuddy_flush(capbuddy_t *cb)
{
    if (!cb) {
        return CAPBUDDY_ERR_INVALID;
    }
    cb_api_drain_hot(cb);
    if (cb_poolset_refresh_all(&cb->set)) {
        return CAPBUDDY_ERR_KERNEL;
    }
    bool failed = false;
    cb_poolset_flush_all(&cb->set, &failed);
    return failed ? CAPBUDDY_ERR_KERNEL : CAPBUDDY_OK;
}
