#include "examples/training_state.h"

#include <fmt/format.h>

#include "tensor/generator.h"

namespace zg::examples {

int64_t TrainingState::resume(const io::RunDir& run, bool quiet) const {
  if (!run.has_checkpoint()) return 0;
  io::Checkpoint ck = io::load_checkpoint(run.checkpoint_path());
  for (const Part& p : parts_) p.load_state_dict(ck.group(p.group));
  default_generator().set_state(ck.rng_seed, ck.rng_offset);
  if (!quiet) fmt::print("resuming {} at step {}\n", run.checkpoint_path(), ck.step);
  return ck.step;
}

void TrainingState::save(const io::RunDir& run, int64_t step, const io::Json& config) const {
  io::Checkpoint ck;
  for (const Part& p : parts_) ck.groups[p.group] = p.state_dict();
  ck.step = step;
  ck.rng_seed = default_generator().seed();
  ck.rng_offset = default_generator().offset();
  ck.metadata = {{"command", config.value("command", std::string())}, {"config", config.dump()}};
  io::save_checkpoint(run.checkpoint_path(), ck);
}

}  // namespace zg::examples
