/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host model of libsel4: configuration. As in libsel4, the kernel configuration comes from
 * <autoconf.h>; the host build generates one per modelled architecture (sim/CMakeLists.txt).
 */
#pragma once

#include <autoconf.h>
