/// \file
/// AtomicFile — write a file so that readers see either the old file or the complete new one.
///
/// Checkpoints and sample files must survive a crash or a full disk mid-write (DESIGN.md,
/// "Files a run leaves"): we write `<path>.tmp.<pid>`, fsync it, rename it over `<path>` (atomic
/// on POSIX) and fsync the directory so the rename itself is durable. If commit() is never
/// reached (an exception, a failed write), the destructor removes the temporary file and the
/// old `<path>` is untouched.
#pragma once
#include <cstddef>
#include <string>

namespace zg::io {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  ///< opens `<path>.tmp.<pid>`; throws zg::Error
  ~AtomicFile();                          ///< removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);  ///< all n bytes or zg::Error
  void commit();                           ///< fsync, close, rename, fsync the directory
  const std::string& tmp_path() const { return tmp_; }

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

/// Writes `text` as the whole content of `path`, atomically (config.json, small files).
void write_file_atomically(const std::string& path, const std::string& text);

/// Reads a whole file into memory; zg::Error naming `who` and the path when it cannot.
std::string read_file_bytes(const std::string& path, const char* who);

}  // namespace zg::io
