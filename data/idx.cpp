// IDX parsing and gunzip, with no Tensor in sight (the fuzzer compiles this file alone).
//
// gzip is undone in memory with zlib's inflate rather than gzopen/gzread: gzread silently
// passes non-gzip data through and stops quietly on some corruptions, while inflate reports
// every defect, and working on a buffer lets parse_idx take gzip'd bytes too.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "data/idx.h"
#include "tensor/error.h"

namespace zg::data {

namespace {

// Decompresses every gzip member in [bytes, bytes + size) (gunzip accepts concatenated
// members); output beyond `limit` bytes is an error, so a small hostile input cannot make
// us allocate without bound.
std::vector<uint8_t> gunzip(const uint8_t* bytes, size_t size, const std::string& name,
                            uint64_t limit) {
  // Start from the size the trailer claims (ISIZE, mod 2^32), trusting it only as far as
  // deflate's maximum ratio (~1032:1) allows; inflate straight into the result.
  uint64_t guess = size >= 4 ? uint64_t{bytes[size - 4]} | uint64_t{bytes[size - 3]} << 8 |
                                   uint64_t{bytes[size - 2]} << 16 | uint64_t{bytes[size - 1]} << 24
                             : 0;
  guess = std::min({guess, uint64_t{1032} * size + 1024, limit});
  std::vector<uint8_t> out(std::max<uint64_t>(guess, 4096));
  size_t total = 0;  // bytes of out filled
  z_stream zs{};
  ZG_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "idx file {}: zlib init failed", name);
  size_t pos = 0;  // compressed bytes consumed
  std::string err;
  while (err.empty()) {
    if (total == out.size()) {
      if (out.size() >= limit) {
        err = fmt::format("decompresses to more than {} bytes", limit);
        break;
      }
      out.resize(std::min<uint64_t>(limit, 2 * out.size()));
    }
    size_t avail = std::min<size_t>(size - pos, 1u << 30);
    size_t room = std::min<size_t>(out.size() - total, 1u << 30);
    zs.next_in = const_cast<Bytef*>(bytes + pos);
    zs.avail_in = static_cast<uInt>(avail);
    zs.next_out = out.data() + total;
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    pos += avail - zs.avail_in;
    size_t produced = room - zs.avail_out;
    total += produced;
    if (rc == Z_STREAM_END) {
      if (pos == size) break;
      if (size - pos >= 2 && bytes[pos] == 0x1f && bytes[pos + 1] == 0x8b) {
        inflateReset(&zs);  // another member follows
        continue;
      }
      err = fmt::format("{} bytes after the end of the gzip stream at compressed byte {}",
                        size - pos, pos);
    } else if (rc == Z_BUF_ERROR || (rc == Z_OK && produced == 0 && pos == size)) {
      err = fmt::format("gzip stream is truncated after {} compressed bytes", size);
    } else if (rc != Z_OK) {
      err = fmt::format("gzip data is corrupt near compressed byte {}: {}", pos,
                        zs.msg ? zs.msg : zError(rc));
    }
  }
  inflateEnd(&zs);
  ZG_CHECK(err.empty(), "idx file {}: {}", name, err);
  out.resize(total);
  return out;
}

const char* type_name(uint8_t code) {
  switch (code) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
  }
  return nullptr;
}

// Validates an uncompressed IDX image; fills out.dims and returns the header size.
size_t check_raw(const uint8_t* b, size_t size, const std::string& name, IdxArray& out) {
  ZG_CHECK(size >= 4, "idx file {}: {} bytes, too short for the 4-byte IDX magic", name, size);
  ZG_CHECK(b[0] == 0 && b[1] == 0,
           "idx file {}: bad magic at byte 0 (0x{:02x} 0x{:02x}; an IDX file starts with two zero "
           "bytes): not an IDX file?",
           name, b[0], b[1]);
  const char* tn = type_name(b[2]);
  ZG_CHECK(tn != nullptr, "idx file {}: unknown IDX type code 0x{:02x} at byte 2", name, b[2]);
  ZG_CHECK(b[2] == 0x08,
           "idx file {}: IDX type code 0x{:02x} ({}) at byte 2 is not supported; zerogen reads "
           "0x08 (unsigned byte)",
           name, b[2], tn);
  const int ndims = b[3];
  ZG_CHECK(ndims >= 1 && ndims <= 4, "idx file {}: {} dims at byte 3; expected 1 to 4", name,
           ndims);
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  ZG_CHECK(size >= header, "idx file {}: the header of {} dims needs {} bytes, the file has {}",
           name, ndims, header, size);
  uint64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint8_t* p = b + 4 + 4 * d;
    uint64_t dim = uint64_t{p[0]} << 24 | uint64_t{p[1]} << 16 | uint64_t{p[2]} << 8 | p[3];
    ZG_CHECK(dim > 0, "idx file {}: dim {} (bytes {}..{}) is 0", name, d, 4 + 4 * d, 7 + 4 * d);
    out.dims.push_back(static_cast<int64_t>(dim));
    total *= dim;  // no overflow: total <= kIdxMaxBytes (2^32) before, dim < 2^32
    ZG_CHECK(total <= kIdxMaxBytes, "idx file {}: dims [{}...] declare more than {} bytes", name,
             fmt::join(out.dims, ", "), kIdxMaxBytes);
  }
  const uint64_t found = size - header;
  ZG_CHECK(found == total,
           "idx file {}: expected {} bytes of data after the header (dims [{}]), found {} ({})",
           name, total, fmt::join(out.dims, ", "), found,
           found < total ? "truncated" : "trailing bytes");
  return header;
}

}  // namespace

IdxArray parse_idx(const uint8_t* bytes, size_t size, const std::string& name) {
  if (size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
    IdxArray out;
    out.data = gunzip(bytes, size, name, 4 + 16 + kIdxMaxBytes + 1);
    size_t header = check_raw(out.data.data(), out.data.size(), name + " (after gunzip)", out);
    out.data.erase(out.data.begin(), out.data.begin() + static_cast<ptrdiff_t>(header));
    return out;
  }
  IdxArray out;
  size_t header = check_raw(bytes, size, name, out);
  out.data.assign(bytes + header, bytes + size);
  return out;
}

IdxArray read_idx(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  ZG_CHECK(f != nullptr, "read_idx: cannot open {}: {}", path, std::strerror(errno));
  std::vector<uint8_t> bytes;
  std::array<uint8_t, 1 << 16> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0)
    bytes.insert(bytes.end(), buf.data(), buf.data() + n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  ZG_CHECK(!failed, "read_idx: error reading {}", path);
  return parse_idx(bytes.data(), bytes.size(), path);
}

}  // namespace zg::data
