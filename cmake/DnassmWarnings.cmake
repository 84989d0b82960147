# Warnings as an INTERFACE target so third-party code is unaffected.
add_library(dnassm_warnings INTERFACE)
add_library(dnassm::warnings ALIAS dnassm_warnings)
target_compile_options(dnassm_warnings INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wold-style-cast
        -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${DNASSM_WARNINGS_AS_ERRORS}>>:-Werror>)
if(DNASSM_SANITIZE)
    add_compile_options(-fsanitize=${DNASSM_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_link_options(-fsanitize=${DNASSM_SANITIZE})
endif()
