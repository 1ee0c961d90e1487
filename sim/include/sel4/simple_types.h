/* SPDX-License-Identifier: BSD-2-Clause */
/* Host model of libsel4: fixed-width types (libsel4/include/sel4/simple_types.h). */
#pragma once

#include <sel4/config.h>
#include <stdint.h>

typedef int8_t seL4_Int8;
typedef uint8_t seL4_Uint8;
typedef int16_t seL4_Int16;
typedef uint16_t seL4_Uint16;
typedef int32_t seL4_Int32;
typedef uint32_t seL4_Uint32;
typedef int64_t seL4_Int64;
typedef uint64_t seL4_Uint64;
typedef seL4_Int8 seL4_Bool;

#if CONFIG_WORD_SIZE == 32
typedef seL4_Uint32 seL4_Word;
#elif CONFIG_WORD_SIZE == 64
typedef seL4_Uint64 seL4_Word;
#else
#error "CONFIG_WORD_SIZE must be 32 or 64"
#endif

typedef seL4_Word seL4_CPtr;

#define seL4_True 1
#define seL4_False 0
#define seL4_Null ((void *)0)

/* printf length modifiers for seL4_Word / 64-bit values, as libsel4 defines them */
#define _seL4_macro_str_(x) #x
#define _seL4_macro_str_paste_(a, b) _seL4_macro_str_(a##b)
#define _seL4_macro_str_concat(a, b) _seL4_macro_str_paste_(a, b)
#if CONFIG_WORD_SIZE == 64
#define _seL4_word_fmt l
#define _seL4_int64_fmt l
#else
#define _seL4_word_fmt
#define _seL4_int64_fmt ll
#endif
#define SEL4_PRId_word _seL4_macro_str_concat(_seL4_word_fmt, d)
#define SEL4_PRIi_word _seL4_macro_str_concat(_seL4_word_fmt, i)
#define SEL4_PRIu_word _seL4_macro_str_concat(_seL4_word_fmt, u)
#define SEL4_PRIx_word _seL4_macro_str_concat(_seL4_word_fmt, x)
#define SEL4_PRI_word SEL4_PRIu_word
#define SEL4_PRId64 _seL4_macro_str_concat(_seL4_int64_fmt, d)
#define SEL4_PRIi64 _seL4_macro_str_concat(_seL4_int64_fmt, i)
#define SEL4_PRIu64 _seL4_macro_str_concat(_seL4_int64_fmt, u)
#define SEL4_PRIx64 _seL4_macro_str_concat(_seL4_int64_fmt, x)

_Static_assert(sizeof(seL4_Word) == sizeof(void *),
               "the modelled word size must match the host pointer size (use -m32 for 32-bit arches)");
