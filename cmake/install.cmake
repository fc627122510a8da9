# `cmake --install build --prefix P` gives an outside project
#   find_package(zerogen CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE zerogen::zerogen)
# with the headers in P/include/zerogen/ (same folders as the source tree), libzerogen in
# P/lib*/ and the package files in P/lib*/cmake/zerogen/. tests/consumer/run.sh checks it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ZEROGEN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/zerogen)
install(TARGETS zerogen EXPORT zerogenTargets
  FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zerogen)
install(EXPORT zerogenTargets NAMESPACE zerogen:: DESTINATION ${ZEROGEN_CMAKE_DIR})
if(TARGET zerogen_cli)
  install(TARGETS zerogen_cli)
endif()

# A static libzerogen carries its private dependencies (BLAS, LAPACK, zlib) to the final link.
get_target_property(ZEROGEN_LIBRARY_TYPE zerogen TYPE)
if(ZEROGEN_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  set(ZEROGEN_STATIC ON)
else()
  set(ZEROGEN_STATIC OFF)
endif()
configure_package_config_file(cmake/zerogenConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/zerogenConfig.cmake INSTALL_DESTINATION ${ZEROGEN_CMAKE_DIR})
# 0.x: a minor version may change the API, so only the same minor version satisfies a request.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/zerogenConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/zerogenConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/zerogenConfigVersion.cmake DESTINATION ${ZEROGEN_CMAKE_DIR})
