# SPDX-License-Identifier: BSD-2-Clause
#
# CapBuddy inside a seL4 project (seL4's CMake build system, as seL4_libs' libraries are
# built): the same library sources, compiled against upstream libsel4 and seL4_libs instead of
# the host model. The top-level CMakeLists.txt includes this file when the seL4 build system's
# helpers are present (config_option / add_config_library, and the target sel4).
#
# Options, declared the way seL4 projects declare configuration (they land in
# <capbuddy/gen_config.h> through the capbuddy_Config target):
#   LibCapBuddyPoolOperations  the original fork's three vka entry points (vka_pool.c)
#
# Built and run against upstream seL4 by hand, not in CI (CI cannot fetch): docs/real-sel4.md.

set(configure_string "")
config_option(
    LibCapBuddyPoolOperations LIB_CAPBUDDY_POOL_OPERATIONS
    "Provide the original CapBuddy fork's three vka entry points: utspace_try_alloc_from_pool, \
    utspace_try_free_from_pool and cspace_is_from_pool, over a capbuddy_t."
    DEFAULT ON
)
add_config_library(capbuddy "${configure_string}")

set(capbuddy_sources
    ${CMAKE_CURRENT_LIST_DIR}/../src/tree/tree.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/poolset/poolset.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/poolset/quarantine.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/poolset/reclaim.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/poolset/refill.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/backend/slots.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/backend/sel4.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/init.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/alloc.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/alloc_at.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/free.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/flush.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/maintain.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/stats.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/check.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/scrub.c
    ${CMAKE_CURRENT_LIST_DIR}/../src/api/vka_wrap.c)
if(LibCapBuddyPoolOperations)
    list(APPEND capbuddy_sources ${CMAKE_CURRENT_LIST_DIR}/../src/api/vka_pool.c)
endif()

add_library(capbuddy STATIC EXCLUDE_FROM_ALL ${capbuddy_sources})
target_include_directories(capbuddy
    PUBLIC ${CMAKE_CURRENT_LIST_DIR}/../include
    PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../src/tree ${CMAKE_CURRENT_LIST_DIR}/../src/poolset
            ${CMAKE_CURRENT_LIST_DIR}/../src/include
            ${CMAKE_CURRENT_LIST_DIR}/../src/backend)
target_link_libraries(capbuddy PUBLIC sel4 sel4vka utils capbuddy_Config)
# Checked warning-free against upstream libsel4 and seL4_libs (docs/real-sel4.md).
target_compile_options(capbuddy PRIVATE -Wall -Wextra)
if(LibCapBuddyPoolOperations)
    target_compile_definitions(capbuddy PUBLIC CAPBUDDY_VKA_POOL_OPERATIONS=1)
endif()
