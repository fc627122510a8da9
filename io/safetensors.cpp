// Writing safetensors, and turning a validated header (safetensors_header.cpp) into tensors.
//
// The writer mirrors Python's: the JSON header is padded with spaces to a multiple of 8, and
// tensors are laid out by decreasing element size, then name, so every tensor starts at a
// multiple of its element size (readers that map the file can use it in place).
#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"

namespace zg::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; a big-endian host would need byte swaps");

namespace {

const char* dtype_code(DType t) {
  switch (t) {
    case kFloat32:
      return "F32";
    case kFloat64:
      return "F64";
    case kInt64:
      return "I64";
  }
  return "?";
}

const uint8_t* bytes_of(const Tensor& t) {
  return static_cast<const uint8_t*>(t.impl().storage->data) +
         t.storage_offset() * static_cast<int64_t>(element_size(t.dtype()));
}

}  // namespace

void save_safetensors(const std::string& path, const TensorDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, Tensor>> order;
  for (const auto& [name, t] : tensors) {
    ZG_CHECK(t.defined(), "save_safetensors {}: tensor \"{}\" is undefined", path, name);
    ZG_CHECK(name != "__metadata__", "save_safetensors {}: \"__metadata__\" is reserved", path);
    Tensor c = t.detach();
    if (c.device() != kCPU) c = c.to(kCPU);
    order.emplace_back(name, c.contiguous());
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return element_size(a.second.dtype()) > element_size(b.second.dtype());
  });

  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : order) {
    uint64_t nbytes = static_cast<uint64_t>(t.numel()) * element_size(t.dtype());
    header[name] = {{"dtype", dtype_code(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {  // invalid UTF-8 in a name or metadata
    throw Error(fmt::format("save_safetensors {}: cannot encode the header: {}", path, e.what()));
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  ZG_CHECK(text.size() <= kSafetensorsMaxHeader,
           "save_safetensors {}: header of {} bytes exceeds the {}-byte limit", path, text.size(),
           kSafetensorsMaxHeader);

  AtomicFile f(path);
  uint8_t len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  f.write(len, 8);
  f.write(text.data(), text.size());
  for (const auto& [name, t] : order)
    if (t.numel() > 0)
      f.write(bytes_of(t), static_cast<size_t>(t.numel()) * element_size(t.dtype()));
  f.commit();
}

Safetensors parse_safetensors(const uint8_t* data, size_t size, const std::string& name) {
  SafetensorsHeader h = parse_safetensors_header(data, size, name);
  Safetensors out;
  out.metadata = std::move(h.metadata);
  for (const auto& e : h.entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (e.end > e.begin)
      std::memcpy(const_cast<uint8_t*>(bytes_of(t)), data + h.data_start + e.begin,
                  e.end - e.begin);
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

Safetensors load_safetensors(const std::string& path) {
  std::string bytes = read_file_bytes(path, "load_safetensors");
  return parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

}  // namespace zg::io
