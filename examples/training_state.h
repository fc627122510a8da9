// The resumable state of a training run (DESIGN.md, "Files a run leaves"): named parts —
// modules, optimisers, an EMA: anything with state_dict() / load_state_dict() — plus the
// default generator's position, which fixes every later random draw. Every trainer saves and
// resumes through this one class, so "--resume continues bit-for-bit" means the same thing
// everywhere: each part restored, then the random stream exactly where it was.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/run_dir.h"

namespace zg::examples {

// The seed of an evaluation stream (samples for a plot, fresh data for a metric): evaluation
// never draws from the training stream, so a run that evaluates more often, or resumes,
// trains on the very same batches.
inline uint64_t eval_seed(uint64_t seed, uint64_t salt) {
  return seed * 0x9E3779B97F4A7C15ULL + salt;
}

class TrainingState {
 public:
  // `part` must outlive this object; `group` names it in the checkpoint ("model", "optim").
  template <class Part>
  TrainingState& add(const std::string& group, Part& part) {
    parts_.push_back({group, [&part] { return part.state_dict(); },
                      [&part](const TensorDict& dict) { part.load_state_dict(dict); }});
    return *this;
  }
  // Loads every part and the generator state from run's checkpoint and returns its step;
  // 0 (and nothing loaded) when there is no checkpoint. Prints a line unless quiet.
  int64_t resume(const io::RunDir& run, bool quiet) const;
  // Writes the checkpoint atomically; config["command"] and the config go to the metadata.
  void save(const io::RunDir& run, int64_t step, const io::Json& config) const;

 private:
  struct Part {
    std::string group;
    std::function<TensorDict()> state_dict;
    std::function<void(const TensorDict&)> load_state_dict;
  };
  std::vector<Part> parts_;
};

}  // namespace zg::examples
