# The code in docs/*.md is compiled and run by the tests, so the documents cannot rot.
#
# In a page, a fenced ```cpp block right after one of these comments is a snippet:
#
#   <!-- snippet: NAME -->            the block is the body of a doctest
#                                     TEST_CASE("docs/PAGE.md: NAME"); its CHECKs are the test
#   <!-- snippet: NAME top-level -->  the block is namespace-scope code (a class, a function)
#                                     for the later snippets of the same page
#   <!-- not compiled: REASON -->     the block is shown only (an edit to a library file)
#
# Each page becomes one generated source, build/docs/PAGE.md.cpp, compiled into
# zerogen_tests: `zerogen_tests -tc="docs/*"` runs every snippet. `#include` lines of a
# snippet move to the top of that file, `using namespace zg;` is in effect, and `#line`
# directives point compiler errors at the page's own lines. A ```cpp block without a marker
# fails the test tests/docs/test_doc_references.cpp, which also checks that the files and
# names the pages mention exist.
#
# Snippets named function_* document autograd/function.h, which is not merged yet. They are
# written to build/docs/PAGE.md.pending.cpp and NOT compiled unless
# -DZEROGEN_DOCS_FUNCTION_SNIPPETS=ON; flip the default below once autograd/function.h lands.
option(ZEROGEN_DOCS_FUNCTION_SNIPPETS "Compile the docs' function_* snippets (needs autograd/function.h)" OFF)

# The 1-based line of character `offset` in `text`.
function(_zg_line_of text offset out_var)
  string(SUBSTRING "${text}" 0 ${offset} before)
  string(REGEX MATCHALL "\n" newlines "${before}")
  list(LENGTH newlines n)
  math(EXPR n "${n} + 1")
  set(${out_var} ${n} PARENT_SCOPE)
endfunction()

# Writes `content` to `path` only when it differs, so an unchanged page recompiles nothing.
function(_zg_write_if_changed path content)
  file(WRITE "${path}.tmp" "${content}")
  configure_file("${path}.tmp" "${path}" COPYONLY)
  file(REMOVE "${path}.tmp")
endfunction()

# Extracts the snippets of one page into `out_cpp`, and the pending ones into `out_pending`.
function(_zg_extract_page page out_cpp out_pending)
  file(READ "${page}" text)
  get_filename_component(page_name "${page}" NAME)
  set(fence "\n```cpp\n")
  string(LENGTH "${fence}" fence_len)
  set(includes "")
  set(body "")
  set(pending_includes "")
  set(pending_body "")
  set(names "")
  set(search_from 0)
  while(TRUE)
    string(SUBSTRING "${text}" ${search_from} -1 rest)
    string(FIND "${rest}" "${fence}" at)
    if(at EQUAL -1)
      break()
    endif()
    math(EXPR open "${search_from} + ${at}")            # the '\n' before ```cpp
    math(EXPR code_start "${open} + ${fence_len}")
    string(SUBSTRING "${text}" ${code_start} -1 after)
    string(FIND "${after}" "\n```" close)
    if(close EQUAL -1)
      _zg_line_of("${text}" ${code_start} line)
      message(FATAL_ERROR "${page}:${line}: unterminated ```cpp block")
    endif()
    string(SUBSTRING "${after}" 0 ${close} code)
    math(EXPR search_from "${code_start} + ${close} + 4")

    # The marker: the last non-blank text before the fence.
    set(tail_start 0)
    if(open GREATER 300)
      math(EXPR tail_start "${open} - 300")
    endif()
    math(EXPR tail_len "${open} - ${tail_start}")
    string(SUBSTRING "${text}" ${tail_start} ${tail_len} tail)
    string(REGEX MATCH "<!-- snippet: ([A-Za-z0-9_]+)( top-level)? -->[ \t\r\n]*$" marker "${tail}")
    if(NOT marker)
      continue()  # unmarked or "not compiled": tests/docs/test_doc_references.cpp judges
    endif()
    set(name "${CMAKE_MATCH_1}")
    set(top_level "${CMAKE_MATCH_2}")
    if(name IN_LIST names)
      _zg_line_of("${text}" ${code_start} line)
      message(FATAL_ERROR "${page}:${line}: a second snippet named '${name}'")
    endif()
    list(APPEND names "${name}")

    _zg_line_of("${text}" ${code_start} line)
    string(REGEX MATCHALL "#include [<\"][^>\"\n]+[>\"]" snippet_includes "${code}")
    string(REGEX REPLACE "#include [<\"][^>\"\n]+[>\"]" "" code "${code}")
    set(chunk "")
    if(top_level)
      string(APPEND chunk "#line ${line} \"${page}\"\n${code}\n\n")
    else()
      string(APPEND chunk "TEST_CASE(\"docs/${page_name}: ${name}\") {\n"
                          "#line ${line} \"${page}\"\n${code}\n}\n\n")
    endif()
    set(pending FALSE)
    if(name MATCHES "^function_" AND NOT ZEROGEN_DOCS_FUNCTION_SNIPPETS)
      set(pending TRUE)
    endif()
    if(pending)
      list(APPEND pending_includes ${snippet_includes})
      string(APPEND pending_body "${chunk}")
    else()
      list(APPEND includes ${snippet_includes})
      string(APPEND body "${chunk}")
    endif()
  endwhile()

  foreach(kind IN ITEMS main pending)
    if(kind STREQUAL "main")
      set(incs ${includes})
      set(code "${body}")
      set(path "${out_cpp}")
    else()
      set(incs ${pending_includes})
      set(code "${pending_body}")
      set(path "${out_pending}")
      if(code STREQUAL "")
        file(REMOVE "${path}")
        continue()
      endif()
    endif()
    list(REMOVE_DUPLICATES incs)
    set(out "// Generated by docs/snippets.cmake from ${page}; edit the page, not this file.\n")
    string(APPEND out "#include <doctest/doctest.h>\n\n#include <fstream>\n#include <sstream>\n#include <string>\n\n#include \"zerogen.h\"\n")
    foreach(inc IN LISTS incs)
      string(APPEND out "${inc}\n")
    endforeach()
    string(APPEND out "\nnamespace {\nusing namespace zg;\n\n${code}")
    if(kind STREQUAL "main")
      # A marker this extraction did not see (a typo in it, text between it and the fence)
      # would silently drop a snippet: count the markers again, in C++.
      list(LENGTH names count)
      string(APPEND out "TEST_CASE(\"docs/${page_name}: every snippet marker was extracted\") {\n"
                        "  std::ifstream in(\"${page}\");\n"
                        "  REQUIRE(in.good());\n"
                        "  std::stringstream page;\n"
                        "  page << in.rdbuf();\n"
                        "  const std::string text = page.str(), marker = \"<!-- snippet: \";\n"
                        "  int markers = 0;\n"
                        "  for (size_t at = text.find(marker); at != std::string::npos;\n"
                        "       at = text.find(marker, at + 1))\n"
                        "    ++markers;\n"
                        "  CHECK(markers == ${count});\n}\n\n")
    endif()
    string(APPEND out "}  // namespace\n")
    _zg_write_if_changed("${path}" "${out}")
  endforeach()
endfunction()

# Adds the snippets of every docs/*.md page to `target`.
function(zerogen_add_doc_snippets target)
  file(GLOB pages CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/docs/*.md")
  file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/docs")
  foreach(page IN LISTS pages)
    # An edited page re-runs this extraction at the next build.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${page}")
    get_filename_component(page_name "${page}" NAME)
    set(out_cpp "${CMAKE_BINARY_DIR}/docs/${page_name}.cpp")
    _zg_extract_page("${page}" "${out_cpp}" "${CMAKE_BINARY_DIR}/docs/${page_name}.pending.cpp")
    target_sources(${target} PRIVATE "${out_cpp}")
  endforeach()
endfunction()

zerogen_add_doc_snippets(zerogen_tests)
