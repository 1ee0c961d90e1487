/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host model of sel4runtime (seL4/sel4runtime include/sel4runtime.h): only the boot
 * information accessor. On the host the first call boots the model with its default
 * configuration (see <sel4host/host.h>).
 */
#pragma once

#include <sel4/sel4.h>

seL4_BootInfo *sel4runtime_bootinfo(void);
