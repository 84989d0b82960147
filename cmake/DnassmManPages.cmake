# Man pages (section 1), made by help2man from each program's --help and the text in docs/man/
# (description, examples, environment, see also): dnassm(1), dnassm-<command>(1) for each
# subcommand, as git and bcftools have, and dnassm-gui(1). Built with the programs, so they
# never drift from the options; installed gzipped (Debian policy) into share/man/man1.
find_program(HELP2MAN_EXECUTABLE help2man)
find_program(GZIP_EXECUTABLE gzip)
if(NOT HELP2MAN_EXECUTABLE OR NOT GZIP_EXECUTABLE)
    message(WARNING "help2man or gzip not found: no man pages (./setup.sh installs help2man)")
    return()
endif()

set(DNASSM_MAN_COMMANDS embed predict score merge call pretrain finetune convert info)
set(man_dir ${PROJECT_BINARY_DIR}/man)
set(man_pages)

# help2man names a page after the program it runs: a two-line script per subcommand gives it
# "dnassm-embed" to run.
function(dnassm_man_page page program include)
    set(out ${man_dir}/${page}.1)
    add_custom_command(
        OUTPUT ${out}.gz
        COMMAND ${HELP2MAN_EXECUTABLE} --no-info --no-discard-stderr
                --version-string=${PROJECT_VERSION} --include=${include} --output=${out} ${program}
        # dnassm --help opens, as samtools', with "Program:" and "Version:" lines; the page has
        # its NAME and footer for them.
        COMMAND sed -i -e "/^Program: dnassm/,/^Version: /d" ${out}
        COMMAND ${GZIP_EXECUTABLE} -9nf ${out}
        DEPENDS ${ARGN} ${include} ${program}
        COMMENT "Man page ${page}(1)"
        VERBATIM)
    set(man_pages ${man_pages} ${out}.gz PARENT_SCOPE)
endfunction()

set(dnassm_h2m ${PROJECT_SOURCE_DIR}/docs/man/dnassm.h2m)
if(NOT DNASSM_HAVE_GUI)  # no explorer built: dnassm(1) does not send readers to its page
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${dnassm_h2m})
    file(READ ${dnassm_h2m} text)
    string(REPLACE ".BR dnassm\\-gui (1),\n" "" text "${text}")
    file(WRITE ${man_dir}/dnassm.h2m "${text}")
    set(dnassm_h2m ${man_dir}/dnassm.h2m)
endif()
dnassm_man_page(dnassm $<TARGET_FILE:dnassm> ${dnassm_h2m} dnassm)
foreach(cmd ${DNASSM_MAN_COMMANDS})
    set(script ${man_dir}/bin/dnassm-${cmd})
    file(GENERATE OUTPUT ${script}
         CONTENT "#!/bin/sh\nexec \"$<TARGET_FILE:dnassm>\" ${cmd} \"$@\"\n"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                          WORLD_READ WORLD_EXECUTE)
    dnassm_man_page(dnassm-${cmd} ${script} ${PROJECT_SOURCE_DIR}/docs/man/dnassm-${cmd}.h2m dnassm)
endforeach()
if(DNASSM_HAVE_GUI)
    dnassm_man_page(dnassm-gui $<TARGET_FILE:dnassm-gui>
                    ${PROJECT_SOURCE_DIR}/docs/man/dnassm-gui.h2m dnassm-gui)
endif()

add_custom_target(man ALL DEPENDS ${man_pages})
set(cli_pages ${man_pages})
list(FILTER cli_pages EXCLUDE REGEX "dnassm-gui")
install(FILES ${cli_pages} DESTINATION share/man/man1 COMPONENT cli)
if(DNASSM_HAVE_GUI)
    install(FILES ${man_dir}/dnassm-gui.1.gz DESTINATION share/man/man1 COMPONENT gui)
endif()
