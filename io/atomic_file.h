// Writing files so that a crash never leaves a half-written one: write a temporary file in
// the same directory, fsync it, rename it over the target (atomic on POSIX), fsync the
// directory so the rename itself is durable.
#pragma once
#include <cstddef>
#include <string>

namespace zg::io {

void write_file_atomically(const std::string& path, const void* data, size_t size);
inline void write_file_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, text.data(), text.size());
}

}  // namespace zg::io
