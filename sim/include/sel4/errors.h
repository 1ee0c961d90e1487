/* SPDX-License-Identifier: BSD-2-Clause */
/* Host model of libsel4: error codes, in the order of libsel4/include/sel4/errors.h. */
#pragma once

typedef enum {
    seL4_NoError = 0,
    seL4_InvalidArgument,
    seL4_InvalidCapability,
    seL4_IllegalOperation,
    seL4_RangeError,
    seL4_AlignmentError,
    seL4_FailedLookup,
    seL4_TruncatedMessage,
    seL4_DeleteFirst,
    seL4_RevokeFirst,
    seL4_NotEnoughMemory,

    /* This should always be the last item in the list. */
    seL4_NumErrors
} seL4_Error;
