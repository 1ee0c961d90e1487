/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host model of libsel4: the umbrella header, as libsel4/include/sel4/sel4.h. Code written
 * against libsel4 includes this and compiles unchanged against the model (sim/) and the real
 * libsel4.
 */
#pragma once

#include <sel4/config.h>
#include <sel4/macros.h>
#include <sel4/simple_types.h>
#include <sel4/errors.h>
#include <sel4/constants.h>
#include <sel4/objecttype.h>
#include <sel4/shared_types.h>
#include <sel4/types.h>
#include <interfaces/sel4_client.h>
#include <sel4/bootinfo.h>
