// POSIX calls (open/write/fsync/rename) rather than iostreams: iostreams cannot fsync, and
// without fsync a crash after rename can leave an empty file under the final name.
#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tensor/error.h"

namespace zg::io {

static std::string errno_str() { return std::strerror(errno); }

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  tmp_ = fmt::format("{}.tmp.{}", path_, static_cast<long>(::getpid()));
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ZG_CHECK(fd_ >= 0, "write {}: cannot create temporary file {}: {}", path_, tmp_, errno_str());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  ZG_CHECK(fd_ >= 0 && !committed_, "write {}: file already committed", path_);
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    ZG_CHECK(w > 0, "write {}: writing {} failed: {}", path_, tmp_,
             w < 0 ? errno_str() : "0 bytes");
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void AtomicFile::commit() {
  ZG_CHECK(fd_ >= 0 && !committed_, "write {}: file already committed", path_);
  ZG_CHECK(::fsync(fd_) == 0, "write {}: fsync of {} failed: {}", path_, tmp_, errno_str());
  int rc = ::close(fd_);
  fd_ = -1;
  ZG_CHECK(rc == 0, "write {}: close of {} failed: {}", path_, tmp_, errno_str());
  ZG_CHECK(::rename(tmp_.c_str(), path_.c_str()) == 0, "write {}: rename from {} failed: {}", path_,
           tmp_, errno_str());
  committed_ = true;
  // The rename is durable only once the directory entry is on disk.
  size_t slash = path_.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ZG_CHECK(dfd >= 0, "write {}: cannot open directory {} to fsync it: {}", path_, dir, errno_str());
  rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  ZG_CHECK(rc == 0, "write {}: fsync of directory {} failed: {}", path_, dir, std::strerror(err));
}

std::string read_file_bytes(const std::string& path, const char* who) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ZG_CHECK(fd >= 0, "{}: cannot open {}: {}", who, path, errno_str());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(fmt::format("{}: {} is not a regular file", who, path));
  }
  std::string bytes;
  bytes.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      std::string err = errno_str();
      ::close(fd);
      throw Error(fmt::format("{}: error reading {}: {}", who, path, err));
    }
    if (r == 0) break;
    bytes.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  return bytes;
}

}  // namespace zg::io
