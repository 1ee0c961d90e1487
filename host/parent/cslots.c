/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Hierarchical bitmap slot allocator; see cslots.h. Invariant, per level l > 0:
 * bit i of level[l] is set iff word i of level[l-1] is non-zero. Padding bits past
 * count (in the last leaf word and in summary words) are always clear.
 */
#include "cslots.h"

#include <string.h>

static inline unsigned ctz64(uint64_t w)
{
    return (unsigned) __builtin_ctzll(w);
}

static size_t words_for(size_t bits)
{
    return (bits + 63) / 64;
}

size_t cb_cslots_bytes(size_t count)
{
    size_t bytes = 0;
    size_t bits = count ? count : 1;
    for (unsigned l = 0; l < CB_CSLOTS_MAX_LEVELS; l++) {
        size_t w = words_for(bits);
        bytes += w * sizeof(uint64_t);
        if (w == 1) {
            break;
        }
        bits = w;
    }
    return bytes;
}

/* Set the first n bits of an array of words, clearing the rest of its last word. */
static void set_bits(uint64_t *words, size_t nwords, size_t n)
{
    memset(words, 0, nwords * sizeof(uint64_t));
    for (size_t i = 0; i < n / 64; i++) {
        words[i] = ~(uint64_t) 0;
    }
    if (n % 64) {
        words[n / 64] = ((uint64_t) 1 << (n % 64)) - 1;
    }
}

void cb_cslots_init(struct cb_cslots *c, size_t first, size_t count, void *mem)
{
    uint64_t *p = mem;
    size_t bits = count ? count : 1;

    memset(c, 0, sizeof(*c));
    c->first = first;
    c->count = count;
    c->free = count;
    for (unsigned l = 0; l < CB_CSLOTS_MAX_LEVELS; l++) {
        size_t w = words_for(bits);
        c->level[l] = p;
        c->words[l] = w;
        /* a zero-slot range still gets one (empty) word so that alloc finds nothing */
        set_bits(p, w, l == 0 ? count : bits);
        p += w;
        c->levels = l + 1;
        if (w == 1) {
            break;
        }
        bits = w;
    }
    if (count == 0) {
        for (unsigned l = 0; l < c->levels; l++) {
            c->level[l][0] = 0;
        }
    }
}

/* Clear bit i of level 0 and the summary bits whose words became zero. */
static void take(struct cb_cslots *c, size_t i)
{
    for (unsigned l = 0; l < c->levels; l++) {
        uint64_t *w = &c->level[l][i / 64];
        *w &= ~((uint64_t) 1 << (i % 64));
        if (*w) {
            break;
        }
        i /= 64;
    }
    c->free--;
}

bool cb_cslots_alloc(struct cb_cslots *c, size_t *slot)
{
    size_t i = 0;

    if (!c->free) {
        return false;
    }
    /* top level has one word; walk down taking the lowest set bit at each level */
    for (unsigned l = c->levels; l-- > 0;) {
        i = i * 64 + ctz64(c->level[l][i]);
    }
    take(c, i);
    *slot = c->first + i;
    return true;
}

bool cb_cslots_alloc_range(struct cb_cslots *c, size_t n, size_t *first)
{
    size_t run = 0;

    if (n == 0 || n > c->free) {
        return false;
    }
    for (size_t wi = 0; wi < c->words[0]; wi++) {
        uint64_t w = c->level[0][wi];
        if (w == 0) {
            run = 0;
            continue;
        }
        for (unsigned b = 0; b < 64; b++) {
            if (w >> b & 1) {
                if (++run == n) {
                    size_t start = wi * 64 + b + 1 - n;
                    for (size_t i = start; i < start + n; i++) {
                        take(c, i);
                    }
                    *first = c->first + start;
                    return true;
                }
            } else {
                run = 0;
            }
        }
    }
    return false;
}

bool cb_cslots_is_taken(const struct cb_cslots *c, size_t slot)
{
    if (slot < c->first || slot - c->first >= c->count) {
        return false;
    }
    size_t i = slot - c->first;
    return !(c->level[0][i / 64] >> (i % 64) & 1);
}

void cb_cslots_free(struct cb_cslots *c, size_t slot)
{
    size_t i = slot - c->first;
    for (unsigned l = 0; l < c->levels; l++) {
        uint64_t *w = &c->level[l][i / 64];
        bool was_empty = *w == 0;
        *w |= (uint64_t) 1 << (i % 64);
        if (!was_empty) {
            break;
        }
        i /= 64;
    }
    c->free++;
}

bool cb_cslots_check(const struct cb_cslots *c)
{
    size_t free = 0;
    for (size_t i = 0; i < c->count; i++) {
        free += c->level[0][i / 64] >> (i % 64) & 1;
    }
    if (free != c->free) {
        return false;
    }
    /* padding past count must stay clear so that alloc never returns it */
    if (c->count % 64 && c->level[0][c->count / 64] >> (c->count % 64)) {
        return false;
    }
    for (unsigned l = 1; l < c->levels; l++) {
        for (size_t i = 0; i < c->words[l] * 64; i++) {
            bool sum = c->level[l][i / 64] >> (i % 64) & 1;
            bool below = i < c->words[l - 1] && c->level[l - 1][i] != 0;
            if (sum != below) {
                return false;
            }
        }
    }
    return true;
}
