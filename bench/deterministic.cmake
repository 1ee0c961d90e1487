# SPDX-License-Identifier: BSD-2-Clause
# Run a small mcmc and a small util (its samples and held-versus-used figures) twice each in
# separate processes: the JSON rows without timings must match.
# EMULATOR: CMAKE_CROSSCOMPILING_EMULATOR (e.g. qemu-aarch64), empty natively.
foreach(w mcmc-c util)
    foreach(i 1 2)
        execute_process(COMMAND ${EMULATOR} ${BENCH} ${w} --scale 0.01 --repeats 1 --json
            --no-progress OUTPUT_VARIABLE out${i} RESULT_VARIABLE rc)
        if(NOT rc EQUAL 0)
            message(FATAL_ERROR "${w} run ${i} failed: ${rc}")
        endif()
        string(REGEX REPLACE "\"user_ns[a-z_]*\":[0-9.]+" "" out${i} "${out${i}}")
    endforeach()
    if(NOT out1 STREQUAL out2)
        message(FATAL_ERROR "${w} not deterministic:\n${out1}\n---\n${out2}")
    endif()
endforeach()
