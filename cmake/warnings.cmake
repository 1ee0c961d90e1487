# SPDX-License-Identifier: BSD-2-Clause
#
# One place for compiler flags shared by every target of the host build.
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
                    -Wpointer-arith -Wformat=2)
if(CAPBUDDY_WERROR)
    add_compile_options(-Werror)
endif()
if(CAPBUDDY_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                        -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
