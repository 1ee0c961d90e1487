# SPDX-License-Identifier: BSD-2-Clause
# Held versus used (issue 19): run util at a small scale and replay the sample trace, then
# check every row's held_frames_max, used_frames_max, overhead_max, overhead_mean,
# overhead_goal_ok and overhead_goal_excess_frames against the row's own samples
# ([sample, used, held], frames): the maxima and the goal recomputed exactly (integers), the
# overhead (held / used - 1 over samples with used > 0, printed with 6 decimals): its max
# within 1e-6 of a sample's and bounding every sample's, its mean within 2e-6 of the samples',
# overhead_max >= overhead_mean >= 0, held >= used at every sample, and the baseline holding
# exactly what it uses.
# BENCH: capbuddy-bench; TRACE: bench/traces/sample.trace; EMULATOR: as in deterministic.cmake.

# "0.123456" -> 123456 (millionths), for integer arithmetic.
function(micro out value)
    if(NOT value MATCHES "^([0-9]+)\\.([0-9][0-9][0-9][0-9][0-9][0-9])$")
        message(FATAL_ERROR "not a %.6f number: ${value}")
    endif()
    set(digits "${CMAKE_MATCH_1}${CMAKE_MATCH_2}")
    string(REGEX MATCH "^0*([0-9]+)$" m "${digits}") # leading zeros off
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

function(check_rows what expect_rows)
    execute_process(COMMAND ${EMULATOR} ${BENCH} ${ARGN} --repeats 1 --json --no-progress
        OUTPUT_VARIABLE out ERROR_QUIET RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${what}: capbuddy-bench failed: ${rc}")
    endif()
    string(REGEX REPLACE "\n$" "" out "${out}")
    string(REPLACE "\n" ";" lines "${out}")
    list(LENGTH lines nrows)
    if(NOT nrows EQUAL expect_rows)
        message(FATAL_ERROR "${what}: ${nrows} rows, expected ${expect_rows}")
    endif()
    set(baseline_seen FALSE)
    foreach(line IN LISTS lines)
        string(JSON alloc GET "${line}" allocator)
        string(JSON policy GET "${line}" policy)
        set(row "${what} ${alloc}/${policy}")
        foreach(key held_frames_max used_frames_max overhead_max overhead_mean overhead_goal_ok
                overhead_goal_excess_frames samples)
            string(JSON v ERROR_VARIABLE err GET "${line}" ${key})
            if(err)
                message(FATAL_ERROR "${row}: no ${key} in ${line}")
            endif()
            set(${key} "${v}")
        endforeach()
        # Numbers as printed (string(JSON) would reformat the floats).
        string(REGEX MATCH "\"overhead_max\":([0-9.]+)" m "${line}")
        micro(omax "${CMAKE_MATCH_1}")
        string(REGEX MATCH "\"overhead_mean\":([0-9.]+)" m "${line}")
        micro(omean "${CMAKE_MATCH_1}")

        string(JSON n LENGTH "${line}" samples)
        if(n EQUAL 0)
            message(FATAL_ERROR "${row}: no samples")
        endif()
        set(hmax 0)
        set(umax 0)
        set(nratio 0)
        set(goal ON)
        set(excess 0)
        set(attained FALSE) # some sample's overhead is overhead_max (within 1e-6)
        set(sum 0)          # of the samples' overheads, in millionths rounded down
        math(EXPR last "${n} - 1")
        foreach(k RANGE ${last})
            string(JSON used GET "${line}" samples ${k} 1)
            string(JSON held GET "${line}" samples ${k} 2)
            if(held LESS used)
                message(FATAL_ERROR "${row}: sample ${k} holds ${held} frames for ${used} used")
            endif()
            if(held GREATER hmax)
                set(hmax ${held})
            endif()
            if(used GREATER umax)
                set(umax ${used})
            endif()
            # held <= 1.10 used + 1024, exactly as the runner checks it.
            math(EXPR bound "${used} * 11 / 10 + 1024")
            if(held GREATER bound)
                set(goal OFF)
                math(EXPR e "${held} - ${bound}")
                if(e GREATER excess)
                    set(excess ${e})
                endif()
            endif()
            if(used GREATER 0)
                math(EXPR nratio "${nratio} + 1")
                # overhead o = held/used - 1, in millionths: 1e6 held against (1e6 + o) used.
                math(EXPR lhs "${held} * 1000000")
                math(EXPR hi "(1000000 + ${omax} + 1) * ${used}")
                math(EXPR lo "(1000000 + ${omax} - 1) * ${used}")
                math(EXPR sum "${sum} + ${lhs} / ${used} - 1000000")
                if(lhs GREATER hi)
                    message(FATAL_ERROR "${row}: sample ${k} (${used} used, ${held} held) is "
                        "above overhead_max ${overhead_max}")
                endif()
                if(NOT lhs LESS lo)
                    set(attained TRUE)
                endif()
            endif()
        endforeach()
        if(NOT held_frames_max EQUAL hmax OR NOT used_frames_max EQUAL umax)
            message(FATAL_ERROR "${row}: held/used max ${held_frames_max}/${used_frames_max}, "
                "the samples say ${hmax}/${umax}")
        endif()
        if(held_frames_max LESS used_frames_max)
            message(FATAL_ERROR "${row}: held_frames_max < used_frames_max")
        endif()
        if(NOT ((overhead_goal_ok AND goal) OR (NOT overhead_goal_ok AND NOT goal)))
            message(FATAL_ERROR "${row}: overhead_goal_ok ${overhead_goal_ok}, the samples say ${goal}")
        endif()
        if(NOT overhead_goal_excess_frames EQUAL excess)
            message(FATAL_ERROR "${row}: overhead_goal_excess_frames ${overhead_goal_excess_frames}, "
                "the samples say ${excess}")
        endif()
        if(omean GREATER omax OR omean LESS 0)
            message(FATAL_ERROR "${row}: not overhead_max ${overhead_max} >= overhead_mean "
                "${overhead_mean} >= 0")
        endif()
        if(nratio GREATER 0 AND NOT attained)
            message(FATAL_ERROR "${row}: overhead_max ${overhead_max} is no sample's")
        endif()
        # The mean of the overheads: each rounded down by < 1e-6, printed to +-0.5e-6.
        if(nratio GREATER 0)
            math(EXPR d "${sum} / ${nratio} - ${omean}")
            if(d GREATER 2 OR d LESS -2)
                message(FATAL_ERROR "${row}: overhead_mean ${overhead_mean}, the samples say "
                    "${sum} / ${nratio} millionths")
            endif()
        endif()
        if(nratio EQUAL 0 AND NOT (omax EQUAL 0 AND omean EQUAL 0))
            message(FATAL_ERROR "${row}: no sample with used > 0, yet an overhead")
        endif()
        if(alloc STREQUAL "baseline")
            set(baseline_seen TRUE)
            # allocman-like: it holds from the parent exactly the frames handed out.
            if(NOT omax EQUAL 0 OR NOT overhead_goal_ok OR NOT held_frames_max EQUAL used_frames_max)
                message(FATAL_ERROR "${row}: the baseline holds more than it uses: ${line}")
            endif()
        endif()
        message(STATUS "${row}: used max ${used_frames_max}, held max ${held_frames_max}, "
            "overhead max ${overhead_max} mean ${overhead_mean}, goal ${overhead_goal_ok}")
    endforeach()
    if(NOT baseline_seen)
        message(FATAL_ERROR "${what}: no baseline row")
    endif()
endfunction()

check_rows(util 7 util --scale 0.01)
check_rows(replay 7 replay ${TRACE})
