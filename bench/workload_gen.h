/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The workloads' operation lists (WORKLOADS.md) and the generators that make them, with no
 * host-only dependency: the host bench (bench/, capbuddy-bench) and the real-kernel cost app
 * (apps/sel4-costs) compile this same file, so both play the very same requests. The list
 * container itself (ops_init, ops_push, ops_alloc, ops_free, ops_free_rest) is defined by
 * each program (bench/run.c on the host).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the operation list -------------------------------------------------------------- */

enum bench_op_kind { OP_ALLOC, OP_FREE, OP_MARK };

/* Block flags */
#define BLK_AT 0x1u    /* at a physical address */
#define BLK_LARGE 0x2u /* one large page (2 MiB), not a run of 4 KiB frames */

struct bench_op {
    uint8_t kind;
    uint8_t order;   /* ALLOC: CapBuddy's run is 2^order frames (large: log2 of 4 KiB units) */
    uint8_t flags;
    uint32_t id;     /* block number (ALLOC: a new one; FREE: which); MARK: sample number */
    uint32_t frames; /* ALLOC: frames the program asked for (<= 2^order) */
    uint32_t line;   /* replay: trace line, for messages */
    uint64_t paddr;  /* ALLOC with BLK_AT */
};

struct bench_oplist {
    struct bench_op *v;
    size_t n, cap;
    uint32_t nblocks;
};

void ops_init(struct bench_oplist *l);
void ops_fini(struct bench_oplist *l);
/* Append; returns the new op. Aborts when out of host memory (a benchmark cannot go on). */
struct bench_op *ops_push(struct bench_oplist *l, enum bench_op_kind kind);
uint32_t ops_alloc(struct bench_oplist *l, unsigned order, uint32_t frames, unsigned flags,
                   uint64_t paddr);
void ops_free(struct bench_oplist *l, uint32_t id);
/* Free, in id order, every block still live at the end (so every run ends empty). */
void ops_free_rest(struct bench_oplist *l);

/* Peak of live memory over the list in 4 KiB frames, as 2^order runs (CapBuddy) and as
 * requested frames (per-frame allocators); the largest paddr + size asked for. */
void ops_peak(const struct bench_oplist *l, uint64_t *peak_runs, uint64_t *peak_frames,
              uint64_t *paddr_end);

/* Deterministic generator (splitmix64): same seed, same sequence on every host. */
static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (n > 0), without modulo bias worth mentioning for n << 2^64. */
static inline uint64_t bench_below(uint64_t *s, uint64_t n)
{
    return bench_rand(s) % n;
}

/* ---- generators (workload_gen.c) --------------------------------------------------------- */

/* mcmc: the op list of mcmc law 'a', 'b' or 'c' (util reuses it); marks every mark_every
 * iterations when > 0. */
void mcmc_generate(struct bench_oplist *l, char law, long iterations, long max_lifetime,
                   uint64_t seed, long mark_every);

/* single, phase pairs: `pairs` one-frame alloc-then-free pairs. */
void single_pairs_generate(struct bench_oplist *l, long pairs);

/* single, phase bulk: `bulk` frames allocated one by one, then freed in an order shuffled
 * from seed. 0, or -1 when out of memory. */
int single_bulk_generate(struct bench_oplist *l, long bulk, uint64_t seed);

/* vmram, phase 0 (4k), 1 (runs) or 2 (large): `frames` 4 KiB frames of guest RAM as single
 * frames, as runs of 2^k frames (k uniform in 0..10 from seed, the last run cut to fit), or
 * as large pages of 2^large_order frames; then everything freed. */
void vmram_generate(struct bench_oplist *l, int phase, uint64_t frames, unsigned large_order,
                    uint64_t seed);
