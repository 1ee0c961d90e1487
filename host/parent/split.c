/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Power-of-two split untyped allocator; see split.h for the model and its invariants.
 *
 * Kernel calls, the same as allocman's split allocator makes:
 * - object from a FREE piece of the right size: 1 Untyped_Retype;
 * - each split on the way down: 2 Untyped_Retype (one per half);
 * - free: none for the piece itself; each buddy merge on the way up: 2 CNode_Delete.
 * Bookkeeping is O(1) per split/merge/list operation; choosing the size class is one
 * count-trailing-zeros; alloc_at is a binary search plus a walk down <= 64 levels.
 *
 * Fast path (steady state: a FREE piece of the size is listed): ctz, list unlink,
 * one Retype; free: list push and one buddy-state test. Measured on the host model
 * (x86_64, -O2): about 95 ns per vka_alloc_frame + vka_free_object pair in total, of which
 * roughly a third is this allocator and the slot bitmap, the rest the model's invocations.
 */
#include "split.h"

#include <stdlib.h>
#include <string.h>

/*
 * Cookie layout: node number above GEN_BITS bits of generation. 8 bits on 32-bit words
 * leave 2^24 node numbers (far more than 4 GiB of pieces need); 16 on 64-bit.
 */
#define GEN_BITS (sizeof(seL4_Word) == 4 ? 8u : 16u)
#define GEN_MASK ((1u << GEN_BITS) - 1)
#define MAX_NODES (((seL4_Word) -1 >> GEN_BITS) - 1)

static inline uint64_t piece_bytes(unsigned size_bits)
{
    return (uint64_t) 1 << size_bits;
}

/* ---- free lists ------------------------------------------------------------------ */

static void list_push(struct cb_split *s, struct cb_split_node *n)
{
    struct cb_split_node **head = &s->free_list[n->kind][n->size_bits];
    n->prev = NULL;
    n->next = *head;
    if (*head) {
        (*head)->prev = n;
    }
    *head = n;
    s->nonempty[n->kind] |= (uint64_t) 1 << n->size_bits;
}

static void list_remove(struct cb_split *s, struct cb_split_node *n)
{
    struct cb_split_node **head = &s->free_list[n->kind][n->size_bits];
    if (n->prev) {
        n->prev->next = n->next;
    } else {
        *head = n->next;
    }
    if (n->next) {
        n->next->prev = n->prev;
    }
    n->next = n->prev = NULL;
    if (!*head) {
        s->nonempty[n->kind] &= ~((uint64_t) 1 << n->size_bits);
    }
}

/* ---- node structs and slots -------------------------------------------------------- */

static struct cb_split_node *spare_take(struct cb_split *s)
{
    struct cb_split_node *n = s->spare;
    uint32_t index = n->index;
    uint16_t gen = n->gen;
    s->spare = n->next;
    s->spare_count--;
    memset(n, 0, sizeof(*n));
    n->index = index;
    n->gen = gen;
    return n;
}

static void spare_put(struct cb_split *s, struct cb_split_node *n)
{
    n->gen++; /* every cookie of the old life is now stale */
    n->state = 0;
    n->next = s->spare;
    s->spare = n;
    s->spare_count++;
}

/*
 * Add one chunk of node structs to the table. The chunk is taken before the table grows,
 * so that a failing hook leaves everything as it was.
 */
static bool grow_table(struct cb_split *s)
{
    if (s->nodes_allocated + CB_SPLIT_CHUNK + s->num_roots > MAX_NODES) {
        return false;
    }
    struct cb_split_node *chunk = s->mem.alloc(s->mem.cookie, CB_SPLIT_CHUNK * sizeof(*chunk));
    if (!chunk) {
        return false;
    }
    if (s->num_chunks == s->chunks_cap) {
        size_t cap = s->chunks_cap ? 2 * s->chunks_cap : 8;
        struct cb_split_node **t = s->mem.alloc(s->mem.cookie, cap * sizeof(*t));
        if (!t) {
            s->mem.free(s->mem.cookie, chunk, CB_SPLIT_CHUNK * sizeof(*chunk));
            return false;
        }
        if (s->num_chunks) {
            memcpy(t, s->chunks, s->num_chunks * sizeof(*t));
            s->mem.free(s->mem.cookie, s->chunks, s->chunks_cap * sizeof(*t));
        }
        s->chunks = t;
        s->chunks_cap = cap;
    }
    memset(chunk, 0, CB_SPLIT_CHUNK * sizeof(*chunk));
    /* push in reverse so that low numbers are used first (deterministic, cache-friendly) */
    for (size_t i = CB_SPLIT_CHUNK; i-- > 0;) {
        chunk[i].index = (uint32_t)(1 + s->num_roots + s->num_chunks * CB_SPLIT_CHUNK + i);
        chunk[i].gen = 0;
        chunk[i].next = s->spare;
        s->spare = &chunk[i];
        s->spare_count++;
    }
    s->chunks[s->num_chunks++] = chunk;
    s->nodes_allocated += CB_SPLIT_CHUNK;
    return true;
}

/*
 * Make sure `splits` splits can run without running out of node structs or slots, so
 * that an allocation either fails before its first kernel call or has what it needs.
 */
static int reserve(struct cb_split *s, unsigned splits)
{
    size_t need = 2 * (size_t) splits;
    if (s->slots->free < need) {
        return seL4_NotEnoughMemory;
    }
    /* need <= 2 * 63 < CB_SPLIT_CHUNK, so one chunk is always enough */
    if (s->spare_count < need && !grow_table(s)) {
        return seL4_NotEnoughMemory;
    }
    return seL4_NoError;
}

/* A new piece: node from the spare list (reserved), slot from the cslots (reserved). */
static struct cb_split_node *piece_new(struct cb_split *s, struct cb_split_node *parent,
                                       unsigned half)
{
    struct cb_split_node *n = spare_take(s);
    size_t slot = 0;
    bool ok = cb_cslots_alloc(s->slots, &slot);
    (void) ok; /* reserve() checked that enough slots are free */
    n->cap = (seL4_CPtr) slot;
    n->parent = parent;
    n->size_bits = (uint8_t)(parent->size_bits - 1);
    n->paddr = parent->paddr + half * piece_bytes(n->size_bits);
    n->kind = parent->kind;
    n->state = CB_SPLIT_FREE;
    s->pieces++;
    return n;
}

/* Forget a piece whose cap is gone (or was never made): slot and node struct back. */
static void piece_release(struct cb_split *s, struct cb_split_node *n)
{
    cb_cslots_free(s->slots, n->cap);
    s->pieces--;
    spare_put(s, n);
}

static int retype_half(struct cb_split *s, struct cb_split_node *n, struct cb_split_node *half)
{
    return seL4_Untyped_Retype(n->cap, seL4_UntypedObject, half->size_bits, s->cnode, 0, 0,
                               half->cap, 1);
}

static int delete_piece_cap(struct cb_split *s, struct cb_split_node *n)
{
    return seL4_CNode_Delete(s->cnode, n->cap, (seL4_Uint8) s->cnode_depth);
}

/* ---- split and merge ------------------------------------------------------------- */

/*
 * Split a FREE node into two FREE halves (two retypes, as allocman does). On error the
 * node is as before, except when the second retype and then the delete of the first
 * half both failed: then the node is SPLIT with only its lower half (FREE, listed).
 */
static int split(struct cb_split *s, struct cb_split_node *n)
{
    struct cb_split_node *lo = piece_new(s, n, 0);
    struct cb_split_node *hi = piece_new(s, n, 1);
    int err = retype_half(s, n, lo);
    if (err != seL4_NoError) {
        piece_release(s, hi);
        piece_release(s, lo);
        return err;
    }
    err = retype_half(s, n, hi);
    if (err != seL4_NoError) {
        piece_release(s, hi);
        if (delete_piece_cap(s, lo) == seL4_NoError) {
            piece_release(s, lo);
            return err;
        }
        /* lo's cap lives on as n's only child: keep it as a FREE piece */
        list_remove(s, n);
        n->state = CB_SPLIT_SPLIT;
        n->child[0] = lo;
        n->child[1] = NULL;
        list_push(s, lo);
        return err;
    }
    list_remove(s, n);
    n->state = CB_SPLIT_SPLIT;
    n->child[0] = lo;
    n->child[1] = hi;
    /* push hi first so that lo is taken first: allocation goes up in address order */
    list_push(s, hi);
    list_push(s, lo);
    s->splits++;
    return seL4_NoError;
}

/*
 * n is FREE and listed. While its buddy is FREE too (or missing), delete both halves'
 * caps and make the parent FREE. A failed delete stops the merge where it is; what it
 * leaves is a valid state (see split.h), never a leak: the pieces stay FREE and listed,
 * and merge_stuck makes the next request that cannot be served retry (retry_merges).
 */
static void try_merge(struct cb_split *s, struct cb_split_node *n)
{
    while (n->parent) {
        struct cb_split_node *p = n->parent;
        unsigned me = p->child[1] == n;
        struct cb_split_node *buddy = p->child[!me];
        if (buddy && buddy->state != CB_SPLIT_FREE) {
            return;
        }
        if (buddy) {
            if (delete_piece_cap(s, buddy) != seL4_NoError) {
                s->merge_stuck = true;
                return;
            }
            list_remove(s, buddy);
            p->child[!me] = NULL;
            piece_release(s, buddy);
        }
        if (delete_piece_cap(s, n) != seL4_NoError) {
            s->merge_stuck = true;
            return;
        }
        list_remove(s, n);
        p->child[me] = NULL;
        piece_release(s, n);
        p->state = CB_SPLIT_FREE;
        list_push(s, p);
        s->merges++;
        n = p;
    }
}

/* A FREE piece below n whose buddy is FREE or missing: a merge that a failed delete
 * stopped (every other FREE piece's buddy is in use or split). */
static struct cb_split_node *find_stuck(struct cb_split_node *n)
{
    if (n->state == CB_SPLIT_FREE) {
        struct cb_split_node *p = n->parent;
        if (!p) {
            return NULL;
        }
        struct cb_split_node *buddy = p->child[p->child[0] == n];
        return !buddy || buddy->state == CB_SPLIT_FREE ? n : NULL;
    }
    if (n->state != CB_SPLIT_SPLIT) {
        return NULL;
    }
    for (unsigned h = 0; h < 2; h++) {
        struct cb_split_node *found = n->child[h] ? find_stuck(n->child[h]) : NULL;
        if (found) {
            return found;
        }
    }
    return NULL;
}

/*
 * Finish the merges that failed deletes stopped, so that their blocks are whole again. Only
 * when a request could not be served (a walk of every split tree); true if some merge
 * went further. merge_stuck stays set while a delete still fails.
 */
static bool retry_merges(struct cb_split *s)
{
    if (!s->merge_stuck) {
        return false;
    }
    bool progress = false;
    for (size_t i = 0; i < s->num_roots; i++) {
        struct cb_split_node *n;
        while ((n = find_stuck(&s->roots[i])) != NULL) {
            size_t pieces = s->pieces;
            try_merge(s, n);
            if (s->pieces == pieces) {
                return progress; /* the delete failed again: retried next time */
            }
            progress = true;
        }
    }
    s->merge_stuck = false;
    return progress;
}

/*
 * Split n (FREE, listed) down to size_bits along the halves holding paddr (the lowest
 * halves when paddr is n's base), then retype the object into the piece reached. On any
 * error, the splits made are merged back.
 */
static int carve(struct cb_split *s, struct cb_split_node *n, unsigned size_bits, uint64_t paddr,
                 seL4_Word type, seL4_Word obj_bits, seL4_CNode root, seL4_Word dest_index,
                 seL4_Word dest_depth, seL4_Word dest_offset, struct cb_split_node **out)
{
    int err = reserve(s, n->size_bits - size_bits);
    if (err != seL4_NoError) {
        return err;
    }
    while (n->size_bits > size_bits) {
        err = split(s, n);
        if (err != seL4_NoError) {
            try_merge(s, n->state == CB_SPLIT_FREE ? n : n->child[0]);
            return err;
        }
        unsigned half = (unsigned)((paddr - n->paddr) >> (n->size_bits - 1));
        n = n->child[half];
    }
    err = seL4_Untyped_Retype(n->cap, type, obj_bits, root, dest_index, dest_depth, dest_offset, 1);
    if (err != seL4_NoError) {
        try_merge(s, n);
        return err;
    }
    list_remove(s, n);
    n->state = CB_SPLIT_USED;
    s->bytes_used[n->kind] += piece_bytes(n->size_bits);
    s->objects++;
    *out = n;
    return seL4_NoError;
}

/* ---- public ------------------------------------------------------------------------ */

static int root_cmp(const void *a, const void *b)
{
    const struct cb_split_node *x = a, *y = b;
    return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

void cb_split_init(struct cb_split *s, struct cb_cslots *slots, seL4_CPtr cnode,
                   seL4_Word cnode_depth, struct cb_split_mem mem,
                   const struct cb_split_root *roots, size_t num, void *roots_mem)
{
    memset(s, 0, sizeof(*s));
    s->slots = slots;
    s->cnode = cnode;
    s->cnode_depth = cnode_depth;
    s->mem = mem;
    s->roots = roots_mem;
    s->num_roots = num;
    for (size_t i = 0; i < num; i++) {
        struct cb_split_node *n = &s->roots[i];
        memset(n, 0, sizeof(*n));
        n->cap = roots[i].cap;
        n->paddr = roots[i].paddr;
        n->size_bits = roots[i].size_bits;
        n->kind = roots[i].device ? CB_SPLIT_DEVICE : CB_SPLIT_RAM;
        n->state = CB_SPLIT_FREE;
        n->index = (uint32_t)(i + 1); /* renumbered after the sort below */
    }
    if (num > 1) {
        qsort(s->roots, num, sizeof(s->roots[0]), root_cmp);
    }
    for (size_t i = 0; i < num; i++) {
        s->roots[i].index = (uint32_t)(i + 1);
    }
    /* list after sorting: the nodes moved. Push low to high, so that the highest address
     * of a size goes first, as allocman does with the kernel's list (it pushes each
     * untyped onto its size's free list in bootinfo order, which is address order there,
     * and pops the last pushed). Which of two equal untypeds goes first decides how much
     * the kernel clears on its first retype (docs/real-sel4.md section 4). */
    for (size_t i = 0; i < num; i++) {
        list_push(s, &s->roots[i]);
        s->bytes_total[s->roots[i].kind] += piece_bytes(s->roots[i].size_bits);
    }
}

int cb_split_alloc(struct cb_split *s, seL4_Word type, seL4_Word obj_bits, unsigned size_bits,
                   const enum cb_split_kind *kind_order, unsigned num_kinds, seL4_CNode root,
                   seL4_Word dest_index, seL4_Word dest_depth, seL4_Word dest_offset,
                   struct cb_split_node **out_node)
{
    if (size_bits >= CB_SPLIT_SIZES) {
        return seL4_RangeError;
    }
    do {
        for (unsigned k = 0; k < num_kinds; k++) {
            uint64_t fits = s->nonempty[kind_order[k]] & ~(((uint64_t) 1 << size_bits) - 1);
            if (fits) {
                /* smallest free piece that is large enough: as allocman's refill recursion */
                struct cb_split_node *n = s->free_list[kind_order[k]][__builtin_ctzll(fits)];
                return carve(s, n, size_bits, n->paddr, type, obj_bits, root, dest_index,
                             dest_depth, dest_offset, out_node);
            }
        }
    } while (retry_merges(s));
    return seL4_NotEnoughMemory;
}

/* The boot untyped holding paddr, or NULL. */
static struct cb_split_node *find_root(const struct cb_split *s, uint64_t paddr)
{
    size_t lo = 0, hi = s->num_roots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->roots[mid].paddr <= paddr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return NULL;
    }
    struct cb_split_node *r = &s->roots[lo - 1];
    return paddr - r->paddr < piece_bytes(r->size_bits) ? r : NULL;
}

int cb_split_alloc_at(struct cb_split *s, seL4_Word type, seL4_Word obj_bits, unsigned size_bits,
                      uint64_t paddr, bool allow_device, seL4_CNode root, seL4_Word dest_index,
                      seL4_Word dest_depth, seL4_Word dest_offset,
                      struct cb_split_node **out_node)
{
    if (size_bits >= CB_SPLIT_SIZES) {
        return seL4_RangeError;
    }
    if (paddr & (piece_bytes(size_bits) - 1)) {
        return seL4_AlignmentError;
    }
    struct cb_split_node *n = find_root(s, paddr);
    if (!n || (n->kind == CB_SPLIT_DEVICE && !allow_device)) {
        return seL4_RangeError;
    }
    if (n->size_bits < size_bits || paddr + piece_bytes(size_bits) - n->paddr >
                                         piece_bytes(n->size_bits)) {
        return seL4_RangeError;
    }
    /* walk down the split tree to the FREE piece that holds [paddr, paddr + size); where a
     * failed delete stopped a merge on the way, finish the merges and walk again */
    struct cb_split_node *root_node = n;
    int err;
    do {
        n = root_node;
        err = seL4_NoError;
        while (n->state == CB_SPLIT_SPLIT && n->size_bits > size_bits) {
            n = n->child[(paddr - n->paddr) >> (n->size_bits - 1)];
            if (!n) {
                /* a half whose cap a failed delete left behind: not available now */
                err = seL4_NotEnoughMemory;
                break;
            }
        }
        if (!err && n->state != CB_SPLIT_FREE) {
            err = seL4_DeleteFirst;
        }
    } while (err && retry_merges(s));
    if (err) {
        return err;
    }
    return carve(s, n, size_bits, paddr, type, obj_bits, root, dest_index, dest_depth,
                 dest_offset, out_node);
}

seL4_Word cb_split_cookie(const struct cb_split_node *n)
{
    return (seL4_Word) n->index << GEN_BITS | (n->gen & GEN_MASK);
}

struct cb_split_node *cb_split_node_of(const struct cb_split *s, seL4_Word cookie,
                                       unsigned size_bits)
{
    seL4_Word number = cookie >> GEN_BITS;
    struct cb_split_node *n;

    if (number == 0) {
        return NULL;
    }
    if (number <= s->num_roots) {
        n = &s->roots[number - 1];
    } else {
        seL4_Word k = number - 1 - s->num_roots;
        if (k >= s->nodes_allocated) {
            return NULL;
        }
        n = &s->chunks[k / CB_SPLIT_CHUNK][k % CB_SPLIT_CHUNK];
    }
    if ((n->gen & GEN_MASK) != (cookie & GEN_MASK) || n->state != CB_SPLIT_USED ||
        n->size_bits != size_bits) {
        return NULL;
    }
    return n;
}

void cb_split_free(struct cb_split *s, struct cb_split_node *n)
{
    n->gen++; /* the freed cookie is stale even if this piece is handed out again at once */
    n->state = CB_SPLIT_FREE;
    s->bytes_used[n->kind] -= piece_bytes(n->size_bits);
    s->objects--;
    list_push(s, n);
    try_merge(s, n);
}

int cb_split_largest_free(const struct cb_split *s, enum cb_split_kind kind)
{
    uint64_t m = s->nonempty[kind];
    return m ? 63 - __builtin_clzll(m) : -1;
}

/* Forget every node below n (their caps are gone): unlist, slots and structs back. */
static void forget_below(struct cb_split *s, struct cb_split_node *n)
{
    for (unsigned h = 0; h < 2; h++) {
        struct cb_split_node *c = n->child[h];
        if (!c) {
            continue;
        }
        forget_below(s, c);
        if (c->state == CB_SPLIT_FREE) {
            list_remove(s, c);
        } else if (c->state == CB_SPLIT_USED) {
            s->bytes_used[c->kind] -= piece_bytes(c->size_bits);
            s->objects--;
        }
        n->child[h] = NULL;
        piece_release(s, c);
    }
}

int cb_split_revoke_all(struct cb_split *s)
{
    for (size_t i = 0; i < s->num_roots; i++) {
        struct cb_split_node *r = &s->roots[i];
        if (r->state == CB_SPLIT_FREE) {
            continue;
        }
        int err = seL4_CNode_Revoke(s->cnode, r->cap, (seL4_Uint8) s->cnode_depth);
        if (err != seL4_NoError) {
            return err;
        }
        forget_below(s, r);
        if (r->state == CB_SPLIT_USED) {
            s->bytes_used[r->kind] -= piece_bytes(r->size_bits);
            s->objects--;
        }
        r->gen++;
        r->state = CB_SPLIT_FREE;
        list_push(s, r);
    }
    return seL4_NoError;
}

void cb_split_destroy(struct cb_split *s)
{
    for (size_t i = 0; i < s->num_chunks; i++) {
        s->mem.free(s->mem.cookie, s->chunks[i], CB_SPLIT_CHUNK * sizeof(*s->chunks[i]));
    }
    if (s->chunks) {
        s->mem.free(s->mem.cookie, s->chunks, s->chunks_cap * sizeof(*s->chunks));
    }
    s->chunks = NULL;
    s->num_chunks = s->chunks_cap = 0;
    s->nodes_allocated = 0;
    s->spare = NULL;
    s->spare_count = 0;
}

/* ---- integrity ---------------------------------------------------------------------- */

struct check_counts {
    size_t free_per[CB_SPLIT_KINDS][CB_SPLIT_SIZES];
    size_t pieces, objects;
    uint64_t used[CB_SPLIT_KINDS];
};

static bool check_node(const struct cb_split *s, const struct cb_split_node *n,
                       struct check_counts *c)
{
    if (n->state == 0 || n->size_bits >= CB_SPLIT_SIZES) {
        return false;
    }
    if (n->parent) {
        c->pieces++;
        if (n->kind != n->parent->kind || n->size_bits + 1 != n->parent->size_bits ||
            !cb_cslots_is_taken(s->slots, n->cap)) {
            return false;
        }
    }
    switch (n->state) {
    case CB_SPLIT_FREE:
        c->free_per[n->kind][n->size_bits]++;
        return !n->child[0] && !n->child[1];
    case CB_SPLIT_USED:
        c->objects++;
        c->used[n->kind] += piece_bytes(n->size_bits);
        return !n->child[0] && !n->child[1];
    case CB_SPLIT_SPLIT:
        if (!n->child[0] && !n->child[1]) {
            return false;
        }
        for (unsigned h = 0; h < 2; h++) {
            const struct cb_split_node *ch = n->child[h];
            if (!ch) {
                continue;
            }
            if (ch->parent != n || ch->paddr != n->paddr + h * piece_bytes(n->size_bits - 1) ||
                !check_node(s, ch, c)) {
                return false;
            }
        }
        return true;
    default:
        return false;
    }
}

bool cb_split_check(const struct cb_split *s)
{
    struct check_counts counts;
    struct check_counts *c = &counts;
    bool ok = true;

    memset(c, 0, sizeof(*c));

    for (size_t i = 0; ok && i < s->num_roots; i++) {
        ok = !s->roots[i].parent && check_node(s, &s->roots[i], c) &&
             (i == 0 || s->roots[i - 1].paddr < s->roots[i].paddr);
    }
    for (unsigned k = 0; ok && k < CB_SPLIT_KINDS; k++) {
        ok = c->used[k] == s->bytes_used[k];
        for (unsigned z = 0; ok && z < CB_SPLIT_SIZES; z++) {
            size_t len = 0;
            const struct cb_split_node *prev = NULL;
            for (const struct cb_split_node *n = s->free_list[k][z]; n && ok; n = n->next) {
                ok = n->state == CB_SPLIT_FREE && n->kind == k && n->size_bits == z &&
                     n->prev == prev;
                prev = n;
                len++;
            }
            ok = ok && len == c->free_per[k][z] && !!len == !!(s->nonempty[k] >> z & 1);
        }
    }
    ok = ok && c->pieces == s->pieces && c->objects == s->objects;
    size_t spares = 0;
    for (const struct cb_split_node *n = s->spare; n; n = n->next) {
        spares++;
    }
    ok = ok && spares == s->spare_count && s->pieces + s->spare_count == s->nodes_allocated;
    return ok;
}
