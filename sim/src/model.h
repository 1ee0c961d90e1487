/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal state of the host seL4 model. The structure mirrors the kernel where that keeps the
 * semantics exact and cheap: a capability slot (cte_t) holds a cap and an MDB node, and the
 * capability derivation tree is the kernel's doubly linked MDB list in depth-first order with a
 * "revocable" bit, parenthood being decided by isMDBParentOf (src/object/cnode.c). Physical
 * memory is a sparse map of 4 KiB pages, so frames need no per-object heap state.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sel4/sel4.h>
#include <sel4host/host.h>

enum cap_type {
    CAP_NULL = 0,
    CAP_UNTYPED,
    CAP_FRAME,
    CAP_CNODE,
    CAP_TCB,
    CAP_ENDPOINT,
    CAP_NOTIFICATION,
    CAP_PAGING, /* any paging structure; its kobj says which */
    CAP_ASID_CONTROL,
    CAP_ASID_POOL,
    CAP_IRQ_CONTROL,
    CAP_DOMAIN,
    CAP_IO_PORT_CONTROL,
};

/* cte flags */
#define CTE_REVOCABLE 0x01u    /* mdbRevocable */
#define CTE_FIRST_BADGED 0x02u /* mdbFirstBadged */
#define CTE_DEVICE 0x04u       /* untyped/frame: device memory */
#define CTE_MAPPED 0x08u       /* frame/paging structure cap: mapped (asid in aux, vaddr in word) */
#define CTE_TCB_SLOT 0x10u     /* a slot of the initial TCB, not of a CNode */
#define CTE_BOOT_FULL 0x20u    /* boot untyped never reset: its first retype clears it all */

/* rights bits, the layout of seL4_CapRights_t */
#define RIGHT_WRITE 0x1u
#define RIGHT_READ 0x2u
#define RIGHT_GRANT 0x4u
#define RIGHT_GRANT_REPLY 0x8u
#define RIGHTS_ALL 0xfu

struct kobj;
typedef struct cte cte_t;

/* 40 bytes on a 64-bit host, 32 on a 32-bit one. */
struct cte {
    cte_t *prev, *next; /* MDB list */
    union {
        uint64_t paddr;   /* untyped, frame, TCB, endpoint, notification */
        struct kobj *obj; /* CNode, paging structure */
    } u;
    uint64_t word; /* untyped: free index (bytes); frame/paging: mapped vaddr; CNode: guard;
                    * endpoint/notification: badge */
    uint32_t aux;  /* frame/paging: mapped ASID; CNode: guard size */
    uint8_t type;
    uint8_t size_bits; /* untyped, frame, TCB, endpoint, notification */
    uint8_t flags;
    uint8_t rights;
};

enum kobj_kind { KOBJ_CNODE = 1, KOBJ_PAGING = 2 };

#define CHUNK_BITS 10u
#define CHUNK_SLOTS (1u << CHUNK_BITS)

struct kobj {
    uint64_t paddr;
    uint32_t refs; /* caps naming this object */
    uint8_t kind;
    uint8_t size_bits; /* object size in bytes, log2 */
    uint8_t otype;     /* seL4 object type it was retyped as */
    uint8_t dead;      /* destroyed, waiting to be reaped */
    uint32_t scratch;  /* used by the integrity walker */
    struct kobj *reg_prev, *reg_next; /* registry of all kobjs */
    union {
        struct {
            cte_t **chunks;
            uint64_t nslots;
            uint32_t nchunks;
            uint8_t radix;
        } cn;
        struct {
            uint64_t *e;             /* entries; see vspace.c */
            struct kobj *parent;     /* table that has an entry pointing at us */
            uint32_t parent_index;
            uint32_t asid;           /* vspace root: its ASID, 0 = none */
            uint8_t level;           /* 0 = root; set at map time */
            uint8_t nbits;           /* index bits of this table */
        } pg;
    };
};

/* Slots per chunk of a CNode: every chunk is full size except in a CNode smaller than one. */
static inline uint64_t sim_chunk_slots(const struct kobj *o)
{
    return o->cn.nslots < CHUNK_SLOTS ? o->cn.nslots : CHUNK_SLOTS;
}

struct sim_counters {
    uint64_t calls[SEL4HOST_INV_COUNT];
    uint64_t errors[SEL4HOST_INV_COUNT];
    uint64_t instructions; /* modelled, of every call since the last reset */
    uint64_t boot_clear;   /* of them, the first clearing of boot untypeds (also counted above) */
    uint64_t cap_faults;
};

struct sim_fault {
    uint64_t nth;        /* 0 = off; else countdown, fails when it reaches 1 */
    uint32_t prob_ppb;   /* probability in parts per 2^32 - 1 */
    seL4_Error nth_err, prob_err;
};

struct world {
    bool booted;
    struct sel4host_config cfg;
    seL4_BootInfo bi;
    cte_t tcb_cspace; /* initial thread's CSpace root (TCB CTable slot) */
    cte_t tcb_vspace; /* initial thread's VSpace root (TCB VTable slot) */
    struct kobj *root_cnode;
    struct kobj *registry; /* all live kobjs */
    struct kobj *zombies;  /* destroyed CNodes to reap at the end of the invocation */
    uint64_t caps_live;    /* non-null caps in CNode slots */
    uint64_t reserved_end; /* end of the boot-reserved bottom of RAM */
    uint64_t cnodes_live;
    struct kobj **asid_table;
    uint32_t asid_cap;
    uint32_t asids_used;
    void ***phys_root; /* 3-level radix over 4 KiB page numbers */
    uint64_t backing_pages;
    struct sim_counters ctr;
    struct sim_fault faults[SEL4HOST_INV_COUNT];
    uint64_t rng;
    uint64_t faults_injected;
};

extern struct world sim_w;

/* Modelled cost of an untyped reset: resetUntypedCap clears everything below the free index,
 * and boot untypeds start full, so their first retype clears all of them. Measured (see
 * counters.c for the set-up, tests/costs/real/ for the figures): x86_64 retype_frames n=1
 * after a reset of 4 MiB / 1 MiB / 64 KiB / 4 KiB -> 2,481,878 / 620,848 / 39,565 / 3,288,
 * i.e. 605.7 / 605.4 / 603.7 / 590 per KiB once the retype itself is taken off; a boot
 * untyped's first retype, 16 MiB -> 9,924,934 (605.8). ia32 clears 4 bytes per store, not 8:
 * 4 MiB / 1 MiB -> 4,575,823 / 1,144,412, 1,117 per KiB. */
#if defined(CONFIG_ARCH_IA32)
#define SIM_RESET_INSTR_PER_KIB 1117u
#else
#define SIM_RESET_INSTR_PER_KIB 606u
#endif

/* counters.c: instructions to clear this many bytes in a reset; charge them (boot_full: the
 * first clearing of a boot untyped, also counted apart). */
uint64_t sim_reset_clear_instructions(uint64_t bytes);
void sim_charge_reset(uint64_t bytes, bool boot_full);

/* boot.c */
void sim_ensure_booted(void);
void *sim_xcalloc(size_t n, size_t size);

/* counters.c / faults.c: every invocation is bracketed by these */
bool sim_enter(enum sel4host_inv kind, seL4_Error *err);
seL4_Error sim_leave(enum sel4host_inv kind, seL4_Error err, uint64_t items);
bool sim_fault_fire(enum sel4host_inv kind, seL4_Error *err);

/* cnode.c: CNode objects and their slots */
struct kobj *sim_cnode_create(uint64_t paddr, unsigned radix);
cte_t *sim_cnode_slot(struct kobj *cn, uint64_t index);
cte_t *sim_cnode_slot_peek(const struct kobj *cn, uint64_t index); /* NULL if never touched */
void sim_cnode_zombify(struct kobj *cn);
void sim_reap(void);
void sim_kobj_register(struct kobj *o);
void sim_kobj_unregister(struct kobj *o);

/* cspace.c: cptr resolution (src/kernel/cspace.c) */
cte_t *sim_lookup_slot(seL4_CPtr cptr);
seL4_Error sim_lookup_slot_for_cnode_op(const cte_t *root, seL4_Word index, seL4_Word depth,
                                        cte_t **out);
cte_t *sim_lookup_service(seL4_CPtr cptr, seL4_Error *err);
cte_t *sim_lookup_extra(seL4_CPtr cptr, seL4_Error *err);

/* cdt.c: the MDB and deletion (src/object/cnode.c, src/object/objecttype.c) */
unsigned sim_cap_size_bits(const cte_t *c);
uint64_t sim_cap_base(const cte_t *c);
bool sim_cap_is_physical(const cte_t *c);
bool sim_same_region_as(const cte_t *a, const cte_t *b);
bool sim_same_object_as(const cte_t *a, const cte_t *b);
bool sim_is_mdb_parent_of(const cte_t *a, const cte_t *b);
bool sim_has_children(const cte_t *slot);
void sim_cap_set(cte_t *slot, const cte_t *cap);
void sim_insert_new_cap(cte_t *parent, cte_t *slot, const cte_t *cap);
void sim_cte_insert(const cte_t *cap, cte_t *src, cte_t *dest);
void sim_cte_move(const cte_t *cap, cte_t *src, cte_t *dest);
uint64_t sim_cte_delete(cte_t *slot);
uint64_t sim_cte_revoke(cte_t *slot);

/* frame.c: physical memory */
uint8_t *sim_phys_page(uint64_t paddr, bool create);
void sim_phys_clear(uint64_t paddr, uint64_t len);
void sim_phys_copy(uint64_t paddr, void *buf, size_t len, bool write);
void sim_phys_free_all(void);
unsigned sim_frame_bits_for_type(seL4_Word type); /* 0 if not a frame type */

/* vspace.c: paging structures, mappings, ASIDs */
bool sim_paging_type(seL4_Word type, unsigned *size_bits);
struct kobj *sim_paging_create(uint64_t paddr, seL4_Word type);
void sim_paging_destroy(struct kobj *o);
void sim_frame_unmap_cap(const cte_t *cap);
bool sim_vspace_is_root(const struct kobj *o);
uint32_t sim_asid_assign(struct kobj *root);
void sim_vspace_free_all(void);
seL4_Error sim_boot_map_frame(struct kobj *root, uint64_t vaddr, cte_t *frame_slot);
seL4_Error sim_boot_map_table(struct kobj *root, uint64_t vaddr, cte_t *table_slot);

/* untyped.c */
unsigned sim_object_size_bits(seL4_Word type, seL4_Word user_size);

/* account.c */
void sim_check_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
