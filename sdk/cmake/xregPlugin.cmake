# xreg_add_plugin(<name> SOURCES <files>... [OUTPUT_DIRECTORY <dir>] [INSTALL])
#
# Builds an xreg plugin library: a MODULE linked to the shared LibTorch, with hidden
# visibility so that only the descriptor symbol `xreg_plugin_library` is exported.
# INSTALL installs it into the directory the installed host searches.
function(xreg_add_plugin name)
  cmake_parse_arguments(ARG "INSTALL" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "xreg_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  if(TARGET xreg_sdk)
    target_link_libraries(${name} PRIVATE xreg_sdk)
  else()
    target_link_libraries(${name} PRIVATE xreg::sdk)
  endif()
  target_link_libraries(${name} PRIVATE torch)
  if(TARGET xreg_pch)
    target_precompile_headers(${name} REUSE_FROM xreg_pch)
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  if(ARG_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION ${XREG_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
