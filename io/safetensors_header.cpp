// Validation of a safetensors file's header. Kept free of Tensor construction (it only
// needs fmt and nlohmann::json) so tests/fuzz/ can compile it on its own; everything a
// malformed or hostile file can get wrong is caught here, before any allocation sized by
// the file.
#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "io/safetensors.h"

namespace zg::io {

namespace {

using json = nlohmann::json;

struct KnownDType {
  std::string_view code;
  size_t size;
  bool supported;
  DType dtype;
};
// Every dtype the safetensors spec defines, so that a valid-but-unsupported file gets a
// clearer message than an unknown string.
constexpr std::array<KnownDType, 15> kDTypes{{
    {"F32", 4, true, kFloat32},
    {"F64", 8, true, kFloat64},
    {"I64", 8, true, kInt64},
    {"BOOL", 1, false, kFloat32},
    {"U8", 1, false, kFloat32},
    {"I8", 1, false, kFloat32},
    {"F8_E5M2", 1, false, kFloat32},
    {"F8_E4M3", 1, false, kFloat32},
    {"I16", 2, false, kFloat32},
    {"U16", 2, false, kFloat32},
    {"F16", 2, false, kFloat32},
    {"BF16", 2, false, kFloat32},
    {"I32", 4, false, kFloat32},
    {"U32", 4, false, kFloat32},
    {"U64", 8, false, kFloat32},
}};

std::string json_type(const json& j) { return j.type_name(); }

// A non-negative JSON integer that fits int64; `what` names it in the error.
int64_t get_index(const json& j, const std::string& file, const std::string& what) {
  ZG_CHECK(j.is_number_integer(), "safetensors {}: {} must be an integer, got {} {}", file, what,
           json_type(j), j.is_number_float() ? fmt::format("{}", j.get<double>()) : "");
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    ZG_CHECK(u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
             "safetensors {}: {} = {} is too large", file, what, u);
    return static_cast<int64_t>(u);
  }
  int64_t v = j.get<int64_t>();
  ZG_CHECK(v >= 0, "safetensors {}: {} = {} is negative", file, what, v);
  return v;
}

}  // namespace

SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size,
                                           const std::string& file) {
  ZG_CHECK(size >= 8,
           "safetensors {}: file is {} bytes, too short for the 8-byte header length at byte 0",
           file, size);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | data[i];  // little-endian, whatever the host
  ZG_CHECK(n > 0, "safetensors {}: header length (bytes 0..7) is 0", file);
  ZG_CHECK(n <= kSafetensorsMaxHeader,
           "safetensors {}: header length {} (bytes 0..7) exceeds the {}-byte limit; not a "
           "safetensors file?",
           file, n, kSafetensorsMaxHeader);
  ZG_CHECK(n <= size - 8,
           "safetensors {}: header length {} (bytes 0..7) runs past the end of the {}-byte file",
           file, n, size);
  const char* text = reinterpret_cast<const char*>(data + 8);
  ZG_CHECK(text[0] == '{',
           "safetensors {}: header at byte 8 must start with '{{', found byte 0x{:02x}", file,
           data[8]);

  // A valid header nests 3 deep ({ entry { "shape": [ ); refuse deep nesting before the
  // parser builds millions of nested objects from a hostile 100 MB header.
  {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (uint64_t i = 0; i < n; ++i) {
      char c = text[i];
      if (in_string) {
        if (escaped)
          escaped = false;
        else if (c == '\\')
          escaped = true;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ZG_CHECK(++depth <= 16,
                 "safetensors {}: header JSON nests more than 16 levels deep at byte {}", file,
                 8 + i);
      } else if (c == '}' || c == ']') {
        --depth;
      }
    }
  }
  // nlohmann keeps the last of duplicate keys silently; the spec forbids duplicates, so
  // track the keys of every open object through the parser callback.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto callback = [&](int, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (ev == json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (ev == json::parse_event_t::key && !open_objects.empty() && duplicate.empty()) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(k).second) duplicate = k;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text, text + n, callback, /*allow_exceptions=*/true,
                         /*ignore_comments=*/false);
  } catch (const json::parse_error& e) {
    // e.byte counts from 1 within the header.
    throw Error(fmt::format("safetensors {}: header JSON does not parse (near byte {}): {}", file,
                            8 + (e.byte > 0 ? e.byte - 1 : 0), e.what()));
  } catch (const json::exception& e) {
    throw Error(fmt::format("safetensors {}: header JSON does not parse: {}", file, e.what()));
  }
  ZG_CHECK(duplicate.empty(), "safetensors {}: duplicate key \"{}\" in the header", file,
           duplicate);
  ZG_CHECK(header.is_object(), "safetensors {}: header must be a JSON object, got {}", file,
           json_type(header));

  SafetensorsHeader out;
  out.data_start = 8 + n;
  const uint64_t buffer = size - out.data_start;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "__metadata__") {
      ZG_CHECK(v.is_object(),
               "safetensors {}: \"__metadata__\" must be an object of strings, got {}", file,
               json_type(v));
      for (auto m = v.begin(); m != v.end(); ++m) {
        ZG_CHECK(m.value().is_string(),
                 "safetensors {}: \"__metadata__\" value for \"{}\" must be a string, got {}", file,
                 m.key(), json_type(m.value()));
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    ZG_CHECK(v.is_object(), "safetensors {}: entry \"{}\" must be an object, got {}", file, key,
             json_type(v));
    // Unknown fields are ignored, as the reference implementation does.
    ZG_CHECK(v.contains("dtype") && v.contains("shape") && v.contains("data_offsets"),
             "safetensors {}: tensor \"{}\" needs \"dtype\", \"shape\" and \"data_offsets\"", file,
             key);
    SafetensorsEntry e;
    e.name = key;

    const json& jd = v["dtype"];
    ZG_CHECK(jd.is_string(), "safetensors {}: tensor \"{}\": dtype must be a string, got {}", file,
             key, json_type(jd));
    const std::string& code = jd.get_ref<const std::string&>();
    auto kd = std::find_if(kDTypes.begin(), kDTypes.end(),
                           [&](const KnownDType& d) { return d.code == code; });
    ZG_CHECK(kd != kDTypes.end(), "safetensors {}: tensor \"{}\": unknown dtype \"{}\"", file, key,
             code);
    ZG_CHECK(kd->supported,
             "safetensors {}: tensor \"{}\": unsupported dtype \"{}\" (zerogen reads F32, F64 and "
             "I64; convert it in Python first)",
             file, key, code);
    e.dtype = kd->dtype;

    const json& js = v["shape"];
    ZG_CHECK(js.is_array(), "safetensors {}: tensor \"{}\": shape must be an array, got {}", file,
             key, json_type(js));
    uint64_t numel = 1;
    bool overflow = false;
    for (size_t d = 0; d < js.size(); ++d) {
      int64_t s = get_index(js[d], file, fmt::format("tensor \"{}\": shape[{}]", key, d));
      e.shape.push_back(s);
      overflow = overflow || __builtin_mul_overflow(numel, static_cast<uint64_t>(s), &numel);
    }
    uint64_t nbytes = 0;
    overflow = overflow || __builtin_mul_overflow(numel, kd->size, &nbytes) ||
               numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    ZG_CHECK(!overflow, "safetensors {}: tensor \"{}\": shape {} has too many elements", file, key,
             shape_str(e.shape));

    const json& jo = v["data_offsets"];
    ZG_CHECK(jo.is_array() && jo.size() == 2,
             "safetensors {}: tensor \"{}\": data_offsets must be [begin, end], got {}", file, key,
             jo.is_array() ? fmt::format("an array of {}", jo.size()) : json_type(jo));
    e.begin = static_cast<uint64_t>(
        get_index(jo[0], file, fmt::format("tensor \"{}\": data_offsets[0]", key)));
    e.end = static_cast<uint64_t>(
        get_index(jo[1], file, fmt::format("tensor \"{}\": data_offsets[1]", key)));
    ZG_CHECK(e.begin <= e.end,
             "safetensors {}: tensor \"{}\": data_offsets [{}, {}] are not ascending", file, key,
             e.begin, e.end);
    ZG_CHECK(e.end - e.begin == nbytes,
             "safetensors {}: tensor \"{}\": data_offsets [{}, {}] span {} bytes, but {} {} needs "
             "{} × {} = {}",
             file, key, e.begin, e.end, e.end - e.begin, code, shape_str(e.shape), numel, kd->size,
             nbytes);
    ZG_CHECK(
        e.end <= buffer,
        "safetensors {}: tensor \"{}\": data_offsets [{}, {}] (file bytes {}..{}) run past the "
        "end of the {}-byte data buffer at byte {}",
        file, key, e.begin, e.end, out.data_start + e.begin, out.data_start + e.end, buffer,
        out.data_start);
    out.entries.push_back(std::move(e));
  }

  // The spec: ranges may not overlap and must cover the buffer with no holes (no polyglots).
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& e : out.entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t pos = 0;
  const SafetensorsEntry* prev = nullptr;
  for (const auto* e : by_offset) {
    ZG_CHECK(e->begin >= pos,
             "safetensors {}: tensors \"{}\" [{}, {}] and \"{}\" [{}, {}] overlap (file byte {})",
             file, prev ? prev->name : "", prev ? prev->begin : 0, pos, e->name, e->begin, e->end,
             out.data_start + e->begin);
    ZG_CHECK(e->begin == pos,
             "safetensors {}: data buffer bytes [{}, {}) (file bytes {}..{}) belong to no tensor; "
             "the format forbids holes",
             file, pos, e->begin, out.data_start + pos, out.data_start + e->begin);
    pos = e->end;
    prev = e;
  }
  ZG_CHECK(pos == buffer,
           "safetensors {}: {} trailing bytes after the last tensor (file bytes {}..{}); the "
           "format forbids them",
           file, buffer - pos, out.data_start + pos, size);
  return out;
}

}  // namespace zg::io
