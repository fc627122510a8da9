#include "io/run_dir.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "tensor/error.h"

namespace zg::io {

namespace fs = std::filesystem;

RunDir::RunDir(std::string path) : path_(std::move(path)) {
  ZG_CHECK(!path_.empty(), "RunDir: empty path");
  std::error_code ec;
  fs::create_directories(path_, ec);
  ZG_CHECK(!ec && fs::is_directory(path_), "RunDir: cannot create the directory '{}': {}", path_,
           ec.message());
}

bool RunDir::has_checkpoint() const { return fs::exists(checkpoint_path()); }

void RunDir::write_config(const Json& config) const {
  write_file_atomically(file("config.json"), config.dump(2) + "\n");
}

Json RunDir::read_config() const {
  std::string name = file("config.json");
  std::ifstream in(name);
  ZG_CHECK(in.good(), "RunDir: cannot open '{}'", name);
  try {
    return Json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    ZG_CHECK(false, "RunDir: '{}' is not valid JSON: {}", name, e.what());
  }
  return {};
}

const TensorDict& Checkpoint::group(const std::string& name) const {
  auto it = groups.find(name);
  ZG_CHECK(it != groups.end(), "checkpoint: no group '{}' (the file may be from another command)",
           name);
  return it->second;
}

static const char* kFormat = "zerogen-checkpoint-1";

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  TensorDict all;
  for (const auto& [group, dict] : ckpt.groups) {
    ZG_CHECK(group.find('/') == std::string::npos, "save_checkpoint: group name '{}' contains '/'",
             group);
    for (const auto& [name, t] : dict) all[group + "/" + name] = t;
  }
  auto meta = ckpt.metadata;
  meta["format"] = kFormat;
  meta["step"] = std::to_string(ckpt.step);
  meta["rng_seed"] = std::to_string(ckpt.rng_seed);
  meta["rng_offset"] = std::to_string(ckpt.rng_offset);
  save_safetensors(path, all, meta);
}

template <class T>
static T parse_number(const std::map<std::string, std::string>& meta, const char* key,
                      const std::string& path) {
  auto it = meta.find(key);
  ZG_CHECK(it != meta.end(), "load_checkpoint: '{}' has no '{}' in its metadata", path, key);
  T value{};
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  ZG_CHECK(ec == std::errc() && end == s.data() + s.size(),
           "load_checkpoint: '{}': metadata '{}' = '{}' is not a number", path, key, s);
  return value;
}

Checkpoint load_checkpoint(const std::string& path) {
  Safetensors file = load_safetensors(path);
  auto fmt_it = file.metadata.find("format");
  ZG_CHECK(fmt_it != file.metadata.end() && fmt_it->second == kFormat,
           "load_checkpoint: '{}' is a safetensors file but not a zerogen checkpoint (metadata "
           "format = '{}', expected '{}')",
           path, fmt_it == file.metadata.end() ? "" : fmt_it->second, kFormat);
  Checkpoint ckpt;
  ckpt.step = parse_number<int64_t>(file.metadata, "step", path);
  ckpt.rng_seed = parse_number<uint64_t>(file.metadata, "rng_seed", path);
  ckpt.rng_offset = parse_number<uint64_t>(file.metadata, "rng_offset", path);
  for (const auto& [name, t] : file.tensors) {
    auto slash = name.find('/');
    ZG_CHECK(slash != std::string::npos && slash > 0,
             "load_checkpoint: '{}': tensor '{}' has no '<group>/' prefix", path, name);
    ckpt.groups[name.substr(0, slash)][name.substr(slash + 1)] = t;
  }
  for (auto& [k, v] : file.metadata)
    if (k != "format" && k != "step" && k != "rng_seed" && k != "rng_offset") ckpt.metadata[k] = v;
  return ckpt;
}

}  // namespace zg::io
