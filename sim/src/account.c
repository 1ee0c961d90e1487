/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Accounting for leak checks and the integrity walker (sel4host_check). Both walk every CNode;
 * they are meant for tests, not for the fast path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

static char check_msg[256];

__attribute__((format(printf, 1, 2))) void sim_check_fail(const char *fmt, ...)
{
    va_list ap;

    if (check_msg[0] != '\0') {
        return; /* keep the first violation */
    }
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above; analyzer bug
    vsnprintf(check_msg, sizeof(check_msg), fmt, ap);
    va_end(ap);
}

const char *sel4host_check_message(void)
{
    return check_msg;
}

typedef void (*cap_fn)(cte_t *c, void *arg);

/* Every non-null cap in every live CNode. */
static void for_each_cnode_cap(cap_fn fn, void *arg)
{
    for (struct kobj *o = sim_w.registry; o != NULL; o = o->reg_next) {
        if (o->kind != KOBJ_CNODE) {
            continue;
        }
        uint64_t n = sim_chunk_slots(o);
        for (uint32_t ci = 0; ci < o->cn.nchunks; ci++) {
            cte_t *chunk = o->cn.chunks[ci];
            if (chunk == NULL) {
                continue;
            }
            for (uint64_t i = 0; i < n; i++) {
                if (chunk[i].type != CAP_NULL) {
                    fn(&chunk[i], arg);
                }
            }
        }
    }
}

static void account_cap(cte_t *c, void *arg)
{
    struct sel4host_account *a = arg;

    a->caps_live++;
    if (c->prev != NULL && sim_same_object_as(c->prev, c)) {
        return; /* not the first cap of its object in the MDB */
    }
    a->objects_live++;
    if (c->type == CAP_FRAME) {
        a->frames_live++;
    }
    if (sim_cap_is_physical(c) && c->type != CAP_UNTYPED) {
        uint64_t base = sim_cap_base(c);
        if (base >= sim_w.reserved_end || base < sim_w.cfg.ram_paddr) {
            a->untyped_bytes_used += 1ull << sim_cap_size_bits(c);
        }
    }
}

void sel4host_account(struct sel4host_account *out)
{
    memset(out, 0, sizeof(*out));
    sim_ensure_booted();
    for_each_cnode_cap(account_cap, out);
    out->slots_used = out->caps_live;
    out->cnodes_live = sim_w.cnodes_live;
    for (struct kobj *o = sim_w.registry; o != NULL; o = o->reg_next) {
        if (o->kind == KOBJ_CNODE) {
            out->slots_total += o->cn.nslots;
        }
    }
    out->backing_pages = sim_w.backing_pages;
}

seL4_Error sel4host_cnode_slots(seL4_CPtr cnode, uint64_t *used, uint64_t *total)
{
    sim_ensure_booted();
    cte_t *c = sim_lookup_slot(cnode);
    if (c == NULL || c->type != CAP_CNODE) {
        return seL4_FailedLookup;
    }
    struct kobj *o = c->u.obj;
    uint64_t n = sim_chunk_slots(o), u = 0;
    for (uint32_t ci = 0; ci < o->cn.nchunks; ci++) {
        cte_t *chunk = o->cn.chunks[ci];
        for (uint64_t i = 0; chunk != NULL && i < n; i++) {
            u += chunk[i].type != CAP_NULL;
        }
    }
    *used = u;
    *total = o->cn.nslots;
    return seL4_NoError;
}

/* ---- integrity ---------------------------------------------------------------------- */

struct walk {
    uint64_t caps;
    uint64_t heads;
    uint64_t listed;
    cte_t **stack;
    size_t stack_len, stack_cap;
    cte_t **kids;
    size_t kids_len, kids_cap;
};

static void push(cte_t ***arr, size_t *len, size_t *cap, cte_t *c)
{
    if (*len == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *arr = realloc(*arr, *cap * sizeof(cte_t *));
        if (*arr == NULL) {
            abort();
        }
    }
    (*arr)[(*len)++] = c;
}

static void check_links(cte_t *c, void *arg)
{
    struct walk *w = arg;

    w->caps++;
    if (c->prev != NULL && (c->prev->next != c || c->prev->type == CAP_NULL)) {
        sim_check_fail("MDB: broken prev link at cap type %u", c->type);
    }
    if (c->next != NULL && (c->next->prev != c || c->next->type == CAP_NULL)) {
        sim_check_fail("MDB: broken next link at cap type %u", c->type);
    }
    if (c->prev == NULL) {
        w->heads++;
        uint64_t limit = sim_w.caps_live + 3;
        for (cte_t *x = c; x != NULL; x = x->next) {
            if (++w->listed > limit * 2) {
                sim_check_fail("MDB: list does not end (cycle)");
                return;
            }
        }
    }
    if (c->type == CAP_CNODE || c->type == CAP_PAGING) {
        c->u.obj->scratch++;
    }
}

static int cmp_base(const void *a, const void *b)
{
    uint64_t x = sim_cap_base(*(cte_t *const *)a), y = sim_cap_base(*(cte_t *const *)b);

    return x < y ? -1 : x > y;
}

static void check_untyped(cte_t *u, void *arg)
{
    struct walk *w = arg;

    if (u->type != CAP_UNTYPED) {
        return;
    }
    uint64_t base = u->u.paddr, size = 1ull << u->size_bits;
    if (u->word > size) {
        sim_check_fail("untyped %#llx: free index %#llx beyond size %#llx",
                       (unsigned long long)base, (unsigned long long)u->word,
                       (unsigned long long)size);
        return;
    }
    w->stack_len = 0;
    w->kids_len = 0;
    for (cte_t *n = u->next; n != NULL && sim_is_mdb_parent_of(u, n); n = n->next) {
        uint64_t nb = sim_cap_base(n), ns = 1ull << sim_cap_size_bits(n);
        if (nb < base || nb + ns > base + size) {
            sim_check_fail("untyped %#llx: descendant at %#llx outside it",
                           (unsigned long long)base, (unsigned long long)nb);
            return;
        }
        while (w->stack_len > 0 && !sim_is_mdb_parent_of(w->stack[w->stack_len - 1], n)) {
            w->stack_len--;
        }
        if (w->stack_len == 0) {
            bool copy = n->type == CAP_UNTYPED && nb == base && n->size_bits == u->size_bits;
            if (!copy) {
                if (nb + ns > base + u->word) {
                    sim_check_fail("untyped %#llx: child at %#llx above watermark %#llx",
                                   (unsigned long long)base, (unsigned long long)nb,
                                   (unsigned long long)u->word);
                    return;
                }
                push(&w->kids, &w->kids_len, &w->kids_cap, n);
            }
        }
        push(&w->stack, &w->stack_len, &w->stack_cap, n);
    }
    if (w->kids_len > 1) {
        qsort(w->kids, w->kids_len, sizeof(cte_t *), cmp_base);
    }
    for (size_t i = 1; i < w->kids_len; i++) {
        cte_t *a = w->kids[i - 1], *b = w->kids[i];
        uint64_t a_end = sim_cap_base(a) + (1ull << sim_cap_size_bits(a));
        bool same = sim_cap_base(a) == sim_cap_base(b) &&
                    sim_cap_size_bits(a) == sim_cap_size_bits(b) && a->type == b->type;
        if (!same && sim_cap_base(b) < a_end) {
            sim_check_fail("untyped %#llx: objects at %#llx and %#llx overlap",
                           (unsigned long long)base, (unsigned long long)sim_cap_base(a),
                           (unsigned long long)sim_cap_base(b));
            return;
        }
    }
}

int sel4host_check(void)
{
    struct walk w = {0};

    check_msg[0] = '\0';
    sim_ensure_booted();
    uint64_t cnodes = 0;
    for (struct kobj *o = sim_w.registry; o != NULL; o = o->reg_next) {
        o->scratch = 0;
        cnodes += o->kind == KOBJ_CNODE;
        if (o->dead) {
            sim_check_fail("a dead object is still registered");
        }
    }
    if (sim_w.zombies != NULL) {
        sim_check_fail("zombie CNodes left after an invocation");
    }
    if (cnodes != sim_w.cnodes_live) {
        sim_check_fail("CNode count %llu, registry holds %llu",
                       (unsigned long long)sim_w.cnodes_live, (unsigned long long)cnodes);
    }
    for_each_cnode_cap(check_links, &w);
    check_links(&sim_w.tcb_cspace, &w);
    check_links(&sim_w.tcb_vspace, &w);
    if (w.caps - 2 != sim_w.caps_live) {
        sim_check_fail("slot accounting: %llu caps found, %llu recorded",
                       (unsigned long long)(w.caps - 2), (unsigned long long)sim_w.caps_live);
    }
    if (w.listed != w.caps) {
        sim_check_fail("MDB lists hold %llu caps, slots hold %llu", (unsigned long long)w.listed,
                       (unsigned long long)w.caps);
    }
    for (struct kobj *o = sim_w.registry; o != NULL; o = o->reg_next) {
        if (o->scratch != o->refs) {
            sim_check_fail("object at %#llx: %u caps name it, refcount %u",
                           (unsigned long long)o->paddr, o->scratch, o->refs);
        }
        if (o->kind == KOBJ_PAGING && o->pg.parent != NULL) {
            struct kobj *p = o->pg.parent;
            if (p->pg.e[o->pg.parent_index] != ((uint64_t)(uintptr_t)o | 1u)) {
                sim_check_fail("paging structure at %#llx: parent entry does not point back",
                               (unsigned long long)o->paddr);
            }
        }
    }
    if (check_msg[0] == '\0') {
        for_each_cnode_cap(check_untyped, &w);
    }
    free(w.stack);
    free(w.kids);
    return check_msg[0] == '\0' ? 0 : -1;
}

/* ---- digest ----------------------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t mix_cte(uint64_t h, const cte_t *c)
{
    h = mix(h, (uint64_t)(uintptr_t)c);
    h = mix(h, (uint64_t)(uintptr_t)c->prev);
    h = mix(h, (uint64_t)(uintptr_t)c->next);
    h = mix(h, c->type == CAP_CNODE || c->type == CAP_PAGING ? (uint64_t)(uintptr_t)c->u.obj
                                                              : c->u.paddr);
    h = mix(h, c->word);
    /* CTE_BOOT_FULL is the model's cost bookkeeping (which clearing is the one-time boot
     * one), not kernel state: a retype that uses up a boot untyped leaves its free index
     * where boot put it, as on the kernel. */
    h = mix(h, ((uint64_t)c->aux << 32) | ((uint64_t)c->type << 24) |
                   ((uint64_t)c->size_bits << 16) | ((uint64_t)(c->flags & ~CTE_BOOT_FULL) << 8) |
                   c->rights);
    return h;
}

uint64_t sel4host_digest(void)
{
    uint64_t h = 0x243f6a8885a308d3ull;

    sim_ensure_booted();
    for (struct kobj *o = sim_w.registry; o != NULL; o = o->reg_next) {
        h = mix(h, (uint64_t)(uintptr_t)o);
        h = mix(h, o->refs);
        if (o->kind == KOBJ_CNODE) {
            uint64_t n = sim_chunk_slots(o);
            for (uint32_t ci = 0; ci < o->cn.nchunks; ci++) {
                const cte_t *chunk = o->cn.chunks[ci];
                for (uint64_t i = 0; chunk != NULL && i < n; i++) {
                    if (chunk[i].type != CAP_NULL) {
                        h = mix_cte(h, &chunk[i]);
                    }
                }
            }
        } else {
            size_t n = (size_t)1 << o->pg.nbits;
            h = mix(h, (uint64_t)(uintptr_t)o->pg.parent);
            h = mix(h, ((uint64_t)o->pg.parent_index << 32) | o->pg.asid);
            for (size_t i = 0; i < n; i++) {
                if (o->pg.e[i] != 0) {
                    h = mix(h, (i << 1) ^ o->pg.e[i]);
                }
            }
        }
    }
    h = mix_cte(h, &sim_w.tcb_cspace);
    h = mix_cte(h, &sim_w.tcb_vspace);
    h = mix(h, sim_w.caps_live);
    h = mix(h, sim_w.cnodes_live);
    h = mix(h, sim_w.asids_used);
    return h;
}
