/// \file
/// The files a training run leaves (DESIGN.md, "Files a run leaves"): config.json with every
/// option and the seed, metrics.csv, checkpoint.safetensors with everything needed to resume
/// bit-for-bit (model, optimizer, EMA, step, RNG state), sample grids and samples.safetensors.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tensor/generator.h"
#include "tensor/tensor.h"

namespace zg::io {

using Json = nlohmann::ordered_json;

class RunDir {
 public:
  explicit RunDir(std::string path);  ///< creates the directory (and parents) if missing
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string checkpoint_path() const { return file("checkpoint.safetensors"); }
  bool has_checkpoint() const;
  void write_config(const Json& config) const;  ///< atomically, pretty-printed
  Json read_config() const;

 private:
  std::string path_;
};

/// A checkpoint: named groups of tensors ("model", "optim", "ema", ...), the step reached,
/// the generator's state, and free-form metadata (the command, the config). Stored as one
/// safetensors file whose tensor names are "<group>/<name>", so Python reads it as is.
struct Checkpoint {
  std::map<std::string, TensorDict> groups;
  int64_t step = 0;
  uint64_t rng_seed = 0, rng_offset = 0;
  std::map<std::string, std::string> metadata;

  const TensorDict& group(const std::string& name) const;  ///< error if absent
};
/// Atomic (temporary file, fsync, rename): a crash never leaves half a checkpoint.
void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
Checkpoint load_checkpoint(const std::string& path);

}  // namespace zg::io
