/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The world every API test runs in: a freshly booted host seL4 model, an allocman-like
 * parent over its boot untypeds and the lower part of the root CNode, and a CapBuddy over
 * the upper part. world_down() proves that nothing leaked: CapBuddy's invariants held, every
 * metadata byte came back to the hook, and the model's accounting (live caps, live objects,
 * untyped bytes used) is back to its boot values, with sel4host_check() clean.
 *
 * The configuration matrix comes from the command line (ctest registers each test binary
 * once per configuration):
 *   --fanout N       CONFIG_RETYPE_FAN_OUT_LIMIT of the model (and CapBuddy's config)
 *   --cnode-bits N   root CNode size bits
 *   --ram-paddr A    physical base of RAM (e.g. 0x100000000: all RAM above 4 GiB)
 *   --seed S         seed of the randomized tests
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <capbuddy/capbuddy.h>
#include <cbhost/parent.h>
#include <capbuddy/vka_pool.h>
#include <sel4/sel4.h>
#include <sel4host/host.h>
#include <sel4runtime.h>
#include <vka/object.h>

#include "cbtest.h"

/* The arch's frame invocations, through libsel4 as a seL4 program would call them. */
#if defined(CONFIG_ARCH_X86)
#define W_GETADDR(f) seL4_X86_Page_GetAddress(f)
#define W_MAP(f, va) seL4_X86_Page_Map((f), seL4_CapInitThreadVSpace, (va), seL4_AllRights, \
                                       seL4_X86_Default_VMAttributes)
#define W_LARGE_PAGE seL4_X86_LargePageObject
#elif defined(CONFIG_ARCH_ARM)
#define W_GETADDR(f) seL4_ARM_Page_GetAddress(f)
#define W_MAP(f, va) seL4_ARM_Page_Map((f), seL4_CapInitThreadVSpace, (va), seL4_AllRights, \
                                       seL4_ARM_Default_VMAttributes)
#define W_LARGE_PAGE seL4_ARM_LargePageObject
#else
#error "tests/api: unsupported architecture"
#endif

/* A virtual address with nothing mapped at boot (the image lives at 0x400000). */
#if seL4_WordBits == 64
#define W_VA ((seL4_Word)0x40000000000ull)
#else
#define W_VA ((seL4_Word)0x80000000ul)
#endif

#define W_FRAME ((uint64_t)1 << seL4_PageBits)
#define W_MIB ((uint64_t)1 << 20)

/* The matrix configuration of this run. */
struct world_args {
    unsigned fanout;
    unsigned cnode_bits;
    uint64_t ram_paddr;
    uint64_t seed;
};
extern struct world_args world_args;

/* Parse the command line (see above) and print the configuration. Exits on bad input. */
void world_parse_args(int argc, char **argv, const char *test_name);

/* Per-test tweaks of the world; zero-initialised = the matrix configuration. */
struct world_opts {
    uint64_t ram_bytes;        /* 0: 256 MiB */
    uint64_t ram_paddr;        /* 0: the matrix's --ram-paddr */
    unsigned min_cnode_bits;   /* the root CNode has at least this many bits */
    unsigned force_cnode_bits; /* or exactly this many (stock-kernel tests) */
    bool dev_untypeds_are_ram; /* parent's ALLOCMAN_UT_DEV_MEM */
    bool no_bootinfo;          /* leave cfg.bootinfo NULL */
    seL4_Word window_first;    /* 0: the upper half of the root CNode */
    seL4_Word window_count;
    seL4_Word max_window;      /* cap the default window at this many slots (0: no cap) */
};

struct world {
    seL4_BootInfo *bi;
    struct sel4host_config hc;
    struct sel4host_account boot; /* accounting right after boot */
    cb_parent_t *parent;
    vka_t vka;                    /* the parent as a vka_t */
    struct capbuddy_config cfg;   /* filled by world_boot; tests adjust it before world_start */
    capbuddy_t *cb;
    uint64_t ram_lo, ram_hi;      /* RAM given to the parent as untypeds */
    uint64_t dev_lo, dev_hi;      /* the first device untyped, if any */
    bool up;
};

/*
 * The counting metadata hook every world uses (CapBuddy's and the parent's): tracks
 * outstanding bytes and can be told to fail its nth call from now (0: never).
 */
struct world_meta {
    size_t outstanding;
    unsigned long calls;
    unsigned long fail_at; /* absolute call number that fails, 0 = none */
};
extern struct world_meta world_cb_meta, world_parent_meta;
void world_meta_fail_nth(struct world_meta *m, unsigned long n);

/* Boot the model and the parent, fill w->cfg with defaults over the window. false on error
 * (already reported as a failed check). */
bool world_boot(struct world *w, const struct world_opts *o);
/* capbuddy_init(&w->cb, &w->cfg); returns its result. */
int world_start(struct world *w);
/* Destroy CapBuddy (if started), tear the parent down, check that nothing leaked. */
void world_down(struct world *w);

/* The leak checks of world_down without tearing anything down: CapBuddy's invariants. */
void world_check(const struct world *w);

/* Frame helpers through libsel4 (a counted kernel call each). */
uint64_t world_frame_paddr(seL4_CPtr frame);
bool world_is_device(const struct world *w, uint64_t paddr);
bool world_is_ram(const struct world *w, uint64_t paddr);

/*
 * Paging structures (from the parent) so that W_VA can take 4 KiB mappings. Returns the
 * number of objects made (kept in objs), or -1.
 */
int world_map_tables(struct world *w, vka_object_t objs[3]);
void world_unmap_tables(struct world *w, vka_object_t objs[3], int n);

/* A snapshot of everything a refused call must leave alone. */
struct world_snap {
    struct capbuddy_stats st;
    struct sel4host_account acc;
    uint64_t digest;
    size_t meta;
    uint64_t calls;
};
void world_snap(const struct world *w, struct world_snap *s);
/* true when equal (kernel-call counters aside: a refused call may make none, that is
 * checked too). Reports the differing field. */
bool world_snap_same(const struct world *w, const struct world_snap *a, const char *what);

/* Field by field: memcmp would also compare the padding (after largest_free_order). */
bool world_stats_equal(const struct capbuddy_stats *a, const struct capbuddy_stats *b);
/* As world_snap_same, with tolerances (or-ed):
 * W_SNAP_INDEX_GROWTH  metadata kept as reserved index capacity by a refused alloc that
 *                      tried to make a pool (a known deviation, see world.c);
 * W_SNAP_CALLS         kernel calls made and rolled back (CapBuddy's counters and the
 *                      model's may move; the capability state may not). */
#define W_SNAP_INDEX_GROWTH 1u
#define W_SNAP_CALLS 2u
bool world_snap_same_ex(const struct world *w, const struct world_snap *a, const char *what,
                        unsigned tolerate);

/* ceil(1024 / fanout): Untyped_Retype calls to fill one 4 MiB pool. */
unsigned long world_retypes_per_pool(const struct world *w);
