# `cmake --build build --target docs`: the API reference (Doxygen) of the public headers in
# build/docs/html/, with README.md as its main page. Any Doxygen warning fails the target.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  list(TRANSFORM ZEROGEN_PUBLIC_HEADERS PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/
       OUTPUT_VARIABLE ZEROGEN_DOXYGEN_FILES)
  list(SORT ZEROGEN_DOXYGEN_FILES)
  list(JOIN ZEROGEN_DOXYGEN_FILES " \\\n    " ZEROGEN_DOXYGEN_INPUT)
  set(ZEROGEN_DOXYGEN_OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/docs)
  configure_file(docs/Doxyfile.in ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND Doxygen::doxygen ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    COMMENT "Doxygen: ${ZEROGEN_DOXYGEN_OUTPUT}/html/index.html"
    VERBATIM)
endif()
