# SPDX-License-Identifier: BSD-2-Clause
# Capability work off the call path (issue 14): mcmc-a under TRUST with capbuddy_maintain every
# 64 calls makes pools inside some allocs while demand ramps up (the per-call maximum is a
# pool's retypes); with --prepare peak (capbuddy_prepare of the workload's peak before the
# first call) no alloc or free makes a kernel call, and the prepare's work is reported and
# counted in the totals.
# BENCH: capbuddy-bench; EMULATOR: as in deterministic.cmake.

function(row out)
    execute_process(COMMAND ${EMULATOR} ${BENCH} mcmc-a --scale 0.01 --allocator capbuddy
        --policy trust --maintain 64 ${ARGN} --repeats 1 --json --no-progress
        OUTPUT_VARIABLE line ERROR_QUIET RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "capbuddy-bench ${ARGN} failed: ${rc}")
    endif()
    string(STRIP "${line}" line)
    string(JSON ok GET "${line}" ok)
    if(NOT ok)
        message(FATAL_ERROR "capbuddy-bench ${ARGN}: the run failed: ${line}")
    endif()
    set(${out} "${line}" PARENT_SCOPE)
endfunction()

row(plain)
string(JSON max GET "${plain}" kernel_instructions_max_per_op)
if(NOT max GREATER 0)
    message(FATAL_ERROR "without --prepare no call made kernel work (max ${max}): the check "
                        "below would prove nothing")
endif()
string(JSON err ERROR_VARIABLE missing GET "${plain}" prepare_frames)
if(NOT missing)
    message(FATAL_ERROR "prepare_frames reported without --prepare")
endif()

row(prepared --prepare peak)
string(JSON pmax GET "${prepared}" kernel_instructions_max_per_op)
string(JSON pframes GET "${prepared}" prepare_frames)
string(JSON pinstr GET "${prepared}" prepare_instructions)
string(JSON total GET "${prepared}" kernel_instructions)
string(JSON pools GET "${prepared}" pools_created)
if(NOT pmax EQUAL 0)
    message(FATAL_ERROR "--prepare peak: a call still made ${pmax} kernel instructions")
endif()
if(NOT pframes GREATER 0 OR NOT pinstr GREATER 0 OR pinstr GREATER total)
    message(FATAL_ERROR "--prepare peak: prepare_frames ${pframes}, prepare_instructions "
                        "${pinstr}, total ${total}: the prepare's work must be reported and "
                        "counted in the totals")
endif()
message(STATUS "mcmc-a TRUST --maintain 64: most per call ${max} instructions; with --prepare "
               "peak (${pframes} frames, ${pinstr} instructions, ${pools} pools made): ${pmax}")
