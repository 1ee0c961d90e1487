# SPDX-License-Identifier: BSD-2-Clause
#
# Cross build for aarch64 Linux, run under qemu-user (tools/ci-aarch64.sh uses it):
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux.cmake
#
# Why clang and not gcc-aarch64-linux-gnu: on Debian 12 gcc-aarch64-linux-gnu conflicts with
# gcc-multilib, which the -m32 CI build needs. clang is a cross compiler already; with
# --target it uses Debian's cross sysroot (libc6-dev-arm64-cross: /usr/aarch64-linux-gnu),
# the cross libgcc (libgcc-12-dev-arm64-cross) and the cross ld (binutils-aarch64-linux-gnu),
# none of which conflicts with gcc-multilib.
#
# Overridable on the command line: CAPBUDDY_AARCH64_SYSROOT, CMAKE_C_COMPILER,
# CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CAPBUDDY_AARCH64_TRIPLE aarch64-linux-gnu)
set(CAPBUDDY_AARCH64_SYSROOT /usr/aarch64-linux-gnu CACHE PATH
    "aarch64 libc (headers, crt files, ld.so); also qemu-aarch64's -L prefix")

if(NOT CMAKE_C_COMPILER)
    find_program(CAPBUDDY_CLANG NAMES clang clang-14 REQUIRED)
    set(CMAKE_C_COMPILER ${CAPBUDDY_CLANG})
endif()
set(CMAKE_C_COMPILER_TARGET ${CAPBUDDY_AARCH64_TRIPLE})
# The assembler and archiver must handle aarch64 objects: the cross binutils' ar/ranlib do;
# llvm-ar would as well, but binutils-aarch64-linux-gnu is needed for ld anyway.
find_program(CMAKE_AR ${CAPBUDDY_AARCH64_TRIPLE}-ar REQUIRED)
find_program(CMAKE_RANLIB ${CAPBUDDY_AARCH64_TRIPLE}-ranlib REQUIRED)

# Libraries and headers come from the cross sysroot only; programs (cmake, qemu) from the host.
set(CMAKE_FIND_ROOT_PATH ${CAPBUDDY_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest (add_test with a target as COMMAND) runs every test binary through this. -L makes
# qemu load the dynamic loader and libc from the cross sysroot instead of the host's /lib.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
    find_program(CAPBUDDY_QEMU_AARCH64 qemu-aarch64)
    if(CAPBUDDY_QEMU_AARCH64)
        set(CMAKE_CROSSCOMPILING_EMULATOR ${CAPBUDDY_QEMU_AARCH64} -L ${CAPBUDDY_AARCH64_SYSROOT})
    endif()
endif()
