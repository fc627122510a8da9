# `cmake --build build --target header_check`: every public header compiled as a translation
# unit of its own (twice included, for the include guard), so none relies on what its
# includer happened to include first. Not part of `all`; tests/consumer/run.sh builds it.
set(ZEROGEN_HEADER_CHECK_DIR ${CMAKE_CURRENT_BINARY_DIR}/header_check)
set(ZEROGEN_HEADER_CHECK_SOURCES)
foreach(header ${ZEROGEN_PUBLIC_HEADERS})
  string(MAKE_C_IDENTIFIER ${header} name)
  set(source ${ZEROGEN_HEADER_CHECK_DIR}/${name}.cpp)
  file(CONFIGURE OUTPUT ${source} CONTENT "#include \"${header}\"\n#include \"${header}\"\n")
  list(APPEND ZEROGEN_HEADER_CHECK_SOURCES ${source})
endforeach()
add_library(header_check OBJECT EXCLUDE_FROM_ALL ${ZEROGEN_HEADER_CHECK_SOURCES})
target_link_libraries(header_check PRIVATE zerogen)
target_compile_options(header_check PRIVATE -Wall -Wextra -Wno-sign-compare)
