// train-classifier end to end on a slice of Fashion-MNIST: the run directory's files, and
// resuming from a checkpoint continues the very same trajectory (2N steps = N + N, bit for bit).
#include <doctest/doctest.h>

#include <filesystem>

#include "examples/train_classifier.h"
#include "io/run_dir.h"
#include "tests/examples/same_checkpoint.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {

namespace fs = std::filesystem;

examples::ClassifierConfig small_config(const std::string& dir) {
  examples::ClassifierConfig c;
  c.run_dir = dir;
  c.epochs = 2;
  c.batch_size = 32;
  c.train_limit = 160;  // 5 steps per epoch, 10 in all: the resume crosses an epoch boundary
  c.test_limit = 100;
  c.warmup_steps = 3;
  c.log_every = 2;
  c.quiet = true;
  return c;
}

TEST_CASE(
    "train-classifier: 2N steps in one run equal N steps on cpu:1, then --resume for N more") {
  test::TempDir tmp;  // per process: concurrent runs of the suite must not share files
  std::string root = tmp.path().string();
  auto straight = small_config(root + "/straight");
  auto r1 = examples::train_classifier(straight);
  CHECK(r1.steps == 10);

  // The split run trains on the second CPU device (kCPU1): any tensor a trainer leaves on the
  // default device meets one on cpu:1 and throws, and the values must not change.
  auto split = small_config(root + "/split");
  split.device = "cpu:1";
  split.stop_after = 7;
  CHECK(examples::train_classifier(split).steps == 7);
  split.stop_after = 0;
  split.resume = true;
  auto r2 = examples::train_classifier(split);
  CHECK(r2.steps == 10);
  test::check_same_checkpoint(straight.run_dir + "/checkpoint.safetensors",
                              split.run_dir + "/checkpoint.safetensors");
  CHECK(r1.test_accuracy == r2.test_accuracy);
  CHECK(fs::exists(straight.run_dir + "/config.json"));
  CHECK(fs::exists(straight.run_dir + "/metrics.csv"));
}

}  // namespace
}  // namespace zg
