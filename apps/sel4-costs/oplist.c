/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The operation-list container for bench/workload_gen.c in the root task (the host bench
 * has its own in bench/run.c): the same operations, in a static array so that the
 * generators need no large heap.
 */
#include "../../bench/workload_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPS_MAX 65536
static struct bench_op ops_store[OPS_MAX];
static bool ops_taken;

void ops_init(struct bench_oplist *l)
{
    memset(l, 0, sizeof(*l));
    if (ops_taken) {
        printf("sel4-costs: one op list at a time\n");
        abort();
    }
    ops_taken = true;
    l->v = ops_store;
    l->cap = OPS_MAX;
}

void ops_fini(struct bench_oplist *l)
{
    memset(l, 0, sizeof(*l));
    ops_taken = false;
}

struct bench_op *ops_push(struct bench_oplist *l, enum bench_op_kind kind)
{
    if (l->n == l->cap) {
        printf("sel4-costs: more than %d ops\n", OPS_MAX);
        abort();
    }
    struct bench_op *op = &l->v[l->n++];
    memset(op, 0, sizeof(*op));
    op->kind = (uint8_t)kind;
    return op;
}

uint32_t ops_alloc(struct bench_oplist *l, unsigned order, uint32_t frames, unsigned flags,
                   uint64_t paddr)
{
    struct bench_op *op = ops_push(l, OP_ALLOC);
    op->order = (uint8_t)order;
    op->frames = frames;
    op->flags = (uint8_t)flags;
    op->paddr = paddr;
    op->id = l->nblocks++;
    return op->id;
}

void ops_free(struct bench_oplist *l, uint32_t id)
{
    ops_push(l, OP_FREE)->id = id;
}

void ops_free_rest(struct bench_oplist *l)
{
    static uint8_t live[OPS_MAX];
    memset(live, 0, sizeof(live));
    size_t n = l->n;
    for (size_t i = 0; i < n; i++) {
        if (l->v[i].kind == OP_ALLOC) {
            live[l->v[i].id] = 1;
        } else if (l->v[i].kind == OP_FREE) {
            live[l->v[i].id] = 0;
        }
    }
    for (uint32_t id = 0; id < l->nblocks; id++) {
        if (live[id]) {
            ops_free(l, id);
        }
    }
}
