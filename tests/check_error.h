// CHECK_ZG_ERROR(expr, "part", ...): expr must throw zg::Error whose message contains every
// part — the one definition every suite uses.
#pragma once
#include <doctest/doctest.h>

#include <exception>
#include <initializer_list>
#include <string>

#include "tensor/error.h"

namespace zg::test {

// The message of the zg::Error that f throws; "" (and a failed check) when it throws
// nothing or something else.
template <class F>
std::string zg_error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL_CHECK("threw a non-zg exception: " << e.what());
    return "";
  }
  FAIL_CHECK("did not throw");
  return "";
}

inline void check_error_mentions(const std::string& msg, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts)
    CHECK_MESSAGE(msg.find(part) != std::string::npos,
                  "message \"" << msg << "\" does not mention \"" << part << "\"");
}

}  // namespace zg::test

#ifndef CHECK_ZG_ERROR
#define CHECK_ZG_ERROR(expr, ...)                                                         \
  do {                                                                                    \
    ::zg::test::check_error_mentions(::zg::test::zg_error_message([&] { (void)(expr); }), \
                                     {__VA_ARGS__});                                      \
  } while (0)
#endif
