/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host model of libsel4: the bitfield types shared with the kernel. Layouts follow
 * libsel4/mode_include/{32,64}/sel4/shared_types.bf; the accessor names are the ones the
 * bitfield generator emits for those blocks.
 */
#pragma once

#include <sel4/config.h>
#include <sel4/simple_types.h>
#include <sel4/constants.h>

#if CONFIG_WORD_SIZE == 64
typedef seL4_Uint64 seL4_bf_word_t_;
#else
typedef seL4_Uint32 seL4_bf_word_t_;
#endif

/* block seL4_MessageInfo { label 52/20, capsUnwrapped 3, extraCaps 2, length 7 } */
typedef struct seL4_MessageInfo {
    seL4_bf_word_t_ words[1];
} seL4_MessageInfo_t;

static inline seL4_MessageInfo_t seL4_MessageInfo_new(seL4_Word label, seL4_Word capsUnwrapped,
                                                      seL4_Word extraCaps, seL4_Word length)
{
    seL4_MessageInfo_t m;
    m.words[0] = (seL4_bf_word_t_)((label << 12) | ((capsUnwrapped & 7u) << 9) |
                                   ((extraCaps & 3u) << 7) | (length & 0x7fu));
    return m;
}

static inline seL4_Word seL4_MessageInfo_get_label(seL4_MessageInfo_t m)
{
    return m.words[0] >> 12;
}

static inline seL4_Word seL4_MessageInfo_get_length(seL4_MessageInfo_t m)
{
    return m.words[0] & 0x7fu;
}

/* block seL4_CapRights { capAllowGrantReply, capAllowGrant, capAllowRead, capAllowWrite } */
typedef struct seL4_CapRights {
    seL4_bf_word_t_ words[1];
} seL4_CapRights_t;

static inline seL4_CapRights_t seL4_CapRights_new(seL4_Word capAllowGrantReply,
                                                  seL4_Word capAllowGrant, seL4_Word capAllowRead,
                                                  seL4_Word capAllowWrite)
{
    seL4_CapRights_t r;
    r.words[0] = (seL4_bf_word_t_)(((capAllowGrantReply & 1u) << 3) |
                                   ((capAllowGrant & 1u) << 2) | ((capAllowRead & 1u) << 1) |
                                   (capAllowWrite & 1u));
    return r;
}

static inline seL4_Word seL4_CapRights_get_capAllowGrantReply(seL4_CapRights_t r)
{
    return (r.words[0] >> 3) & 1u;
}

static inline seL4_Word seL4_CapRights_get_capAllowGrant(seL4_CapRights_t r)
{
    return (r.words[0] >> 2) & 1u;
}

static inline seL4_Word seL4_CapRights_get_capAllowRead(seL4_CapRights_t r)
{
    return (r.words[0] >> 1) & 1u;
}

static inline seL4_Word seL4_CapRights_get_capAllowWrite(seL4_CapRights_t r)
{
    return r.words[0] & 1u;
}

/* block seL4_CNode_CapData: 64-bit { guard 58, guardSize 6 }; 32-bit { padding 6, guard 18,
 * guardSize 5, padding 3 } */
typedef struct seL4_CNode_CapData {
    seL4_bf_word_t_ words[1];
} seL4_CNode_CapData_t;

#if CONFIG_WORD_SIZE == 64
static inline seL4_CNode_CapData_t seL4_CNode_CapData_new(seL4_Uint64 guard, seL4_Uint64 guardSize)
{
    seL4_CNode_CapData_t d;
    d.words[0] = ((guard & 0x3ffffffffffffffull) << 6) | (guardSize & 0x3fu);
    return d;
}

static inline seL4_Uint64 seL4_CNode_CapData_get_guard(seL4_CNode_CapData_t d)
{
    return d.words[0] >> 6;
}

static inline seL4_Uint64 seL4_CNode_CapData_get_guardSize(seL4_CNode_CapData_t d)
{
    return d.words[0] & 0x3fu;
}
#else
static inline seL4_CNode_CapData_t seL4_CNode_CapData_new(seL4_Uint32 guard, seL4_Uint32 guardSize)
{
    seL4_CNode_CapData_t d;
    d.words[0] = ((guard & 0x3ffffu) << 8) | ((guardSize & 0x1fu) << 3);
    return d;
}

static inline seL4_Uint32 seL4_CNode_CapData_get_guard(seL4_CNode_CapData_t d)
{
    return (d.words[0] >> 8) & 0x3ffffu;
}

static inline seL4_Uint32 seL4_CNode_CapData_get_guardSize(seL4_CNode_CapData_t d)
{
    return (d.words[0] >> 3) & 0x1fu;
}
#endif

/* libsel4/include/sel4/shared_types.h */
#define seL4_ReadWrite seL4_CapRights_new(0, 0, 1, 1)
#define seL4_AllRights seL4_CapRights_new(1, 1, 1, 1)
#define seL4_CanRead seL4_CapRights_new(0, 0, 1, 0)
#define seL4_CanWrite seL4_CapRights_new(0, 0, 0, 1)
#define seL4_CanGrant seL4_CapRights_new(0, 1, 0, 0)
#define seL4_CanGrantReply seL4_CapRights_new(1, 0, 0, 0)
#define seL4_NoWrite seL4_CapRights_new(1, 1, 1, 0)
#define seL4_NoRead seL4_CapRights_new(1, 1, 0, 1)
#define seL4_NoRights seL4_CapRights_new(0, 0, 0, 0)

typedef struct seL4_IPCBuffer_ {
    seL4_MessageInfo_t tag;
    seL4_Word msg[seL4_MsgMaxLength];
    seL4_Word userData;
    seL4_Word caps_or_badges[seL4_MsgMaxExtraCaps];
    seL4_CPtr receiveCNode;
    seL4_CPtr receiveIndex;
    seL4_Word receiveDepth;
} seL4_IPCBuffer;
