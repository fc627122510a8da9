/// \file
/// zg::Error — the one exception type the library throws for bad input.
/// Messages name the op and the shapes involved, so a user can find the line at fault.
#pragma once
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>

namespace zg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// ZG_CHECK(cond, "op: fmt string", args...) throws zg::Error with the formatted message.
#define ZG_CHECK(cond, ...)                                   \
  do {                                                        \
    if (!(cond)) throw ::zg::Error(fmt::format(__VA_ARGS__)); \
  } while (0)

}  // namespace zg
