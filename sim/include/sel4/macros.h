/* SPDX-License-Identifier: BSD-2-Clause */
/* Host model of libsel4: the helper macros of libsel4/include/sel4/macros.h that we use. */
#pragma once

#define LIBSEL4_BIT(n) (1ul << (n))

/* Enums that must be word-sized, as libsel4 forces them (libsel4/include/sel4/macros.h). */
/* NOLINTNEXTLINE(bugprone-macro-parentheses): expands to an enumerator, cannot be wrapped */
#define SEL4_FORCE_LONG_ENUM(type) _enum_pad_##type = (1ULL << ((sizeof(long) * 8) - 1)) - 1

#define SEL4_COMPILE_ASSERT(name, expr) _Static_assert(expr, #name);

#define LIBSEL4_INLINE_FUNC static inline
