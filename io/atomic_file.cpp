#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tensor/error.h"

namespace zg::io {

namespace {
// Closes the descriptor and removes the temporary file unless committed.
struct TempFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!committed) ::unlink(path.c_str());
  }
};
}  // namespace

void write_file_atomically(const std::string& path, const void* data, size_t size) {
  TempFile tmp{path + ".tmp." + std::to_string(::getpid())};
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ZG_CHECK(tmp.fd >= 0, "write '{}': cannot create '{}': {}", path, tmp.path, std::strerror(errno));
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(tmp.fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    ZG_CHECK(n > 0, "write '{}': writing {} bytes at offset {} failed: {}", path, left,
             size - left, std::strerror(errno));
    p += n;
    left -= static_cast<size_t>(n);
  }
  ZG_CHECK(::fsync(tmp.fd) == 0, "write '{}': fsync failed: {}", path, std::strerror(errno));
  ::close(tmp.fd);
  tmp.fd = -1;
  ZG_CHECK(::rename(tmp.path.c_str(), path.c_str()) == 0, "write '{}': rename from '{}' failed: {}",
           path, tmp.path, std::strerror(errno));
  tmp.committed = true;
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // best effort: some filesystems refuse fsync on directories
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace zg::io
