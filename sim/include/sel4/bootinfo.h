/* SPDX-License-Identifier: BSD-2-Clause */
/* Host model of libsel4: libsel4/include/sel4/bootinfo.h. */
#pragma once

#include <sel4/bootinfo_types.h>
