# SPDX-License-Identifier: BSD-2-Clause
# --plot with the built-in SVG writer: the charts exist and are SVG.
# EMULATOR: CMAKE_CROSSCOMPILING_EMULATOR (e.g. qemu-aarch64), empty natively.
file(REMOVE_RECURSE ${OUT})
set(ENV{CAPBUDDY_BENCH_NO_GNUPLOT} 1)
foreach(w mcmc-a util scale)
    execute_process(COMMAND ${EMULATOR} ${BENCH} ${w} --scale 0.005 --repeats 1 --json --no-progress
        --plot ${OUT} OUTPUT_QUIET RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${w} --plot failed: ${rc}")
    endif()
endforeach()
foreach(f mcmc-a-kernel-calls mcmc-a-user-time util scale)
    if(NOT EXISTS ${OUT}/${f}.svg)
        message(FATAL_ERROR "missing ${OUT}/${f}.svg")
    endif()
    file(READ ${OUT}/${f}.svg svg LIMIT 200)
    if(NOT svg MATCHES "<svg")
        message(FATAL_ERROR "${f}.svg is not SVG")
    endif()
endforeach()
