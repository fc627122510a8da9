// train-gan end to end on a slice of Fashion-MNIST: the run directory's files, samples in
// [0, 1], resuming continues the very same trajectory (2N steps = N + N, bit for bit), and
// bad options are refused with a message naming them.
#include <doctest/doctest.h>

#include <filesystem>

#include "examples/train_gan.h"
#include "io/csv.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "tests/check_error.h"
#include "tests/examples/same_checkpoint.h"
#include "tests/temp_dir.h"
#include "zerogen.h"

namespace zg {
namespace {

namespace fs = std::filesystem;

examples::GanConfig small_config(const std::string& dir) {
  examples::GanConfig c;
  c.run_dir = dir;
  c.epochs = 2;
  c.batch_size = 16;
  c.train_limit = 64;  // 4 steps per epoch, 8 in all: the resume crosses an epoch boundary
  c.num_samples = 20;
  c.sample_every = 3;
  c.log_every = 2;
  c.classifier = dir + "/no-classifier.safetensors";  // scoring is tested in test_metrics
  c.quiet = true;
  return c;
}

TEST_CASE("train-gan: the files of a run, and samples in [0, 1]") {
  test::TempDir tmp;
  auto cfg = small_config(tmp.path().string() + "/run");
  auto r = examples::train_gan(cfg);
  CHECK(r.steps == 8);
  CHECK(std::isfinite(r.d_loss));
  CHECK(std::isfinite(r.g_loss));
  CHECK_FALSE(r.scored);
  for (const char* f :
       {"config.json", "metrics.csv", "losses.png", "checkpoint.safetensors", "samples_000003.png",
        "samples_000006.png", "samples_000008.png", "samples.png", "samples.safetensors"})
    CHECK_MESSAGE(fs::exists(cfg.run_dir + "/" + f), f);
  auto metrics = io::read_csv(cfg.run_dir + "/metrics.csv");
  CHECK(metrics.rows.size() == 4);  // steps 2, 4, 6, 8
  CHECK(metrics.column("step").back() == 8);
  Tensor samples = io::load_safetensors(cfg.run_dir + "/samples.safetensors").tensors.at("samples");
  CHECK(samples.shape() == Shape{20, 1, 28, 28});
  CHECK(samples.min().item<float>() >= 0.0f);
  CHECK(samples.max().item<float>() <= 1.0f);
  io::Image grid = io::load_png(cfg.run_dir + "/samples_000008.png");
  CHECK(grid.width == 8 * 30 + 2);  // 8 images of 28 px with 2 px padding, as make_grid
}

TEST_CASE("train-gan: 2N steps in one run equal N steps on cpu:1, then --resume for N more") {
  test::TempDir tmp;
  auto straight = small_config(tmp.path().string() + "/straight");
  CHECK(examples::train_gan(straight).steps == 8);
  // The split run trains on the second CPU device (kCPU1): any tensor a trainer leaves on the
  // default device meets one on cpu:1 and throws, and the values must not change.
  auto split = small_config(tmp.path().string() + "/split");
  split.device = "cpu:1";
  split.stop_after = 5;
  CHECK(examples::train_gan(split).steps == 5);
  CHECK_FALSE(fs::exists(split.run_dir + "/samples.safetensors"));  // only at the real end
  split.stop_after = 0;
  split.resume = true;
  CHECK(examples::train_gan(split).steps == 8);
  test::check_same_checkpoint(straight.run_dir + "/checkpoint.safetensors",
                              split.run_dir + "/checkpoint.safetensors");
  auto a = io::load_safetensors(straight.run_dir + "/samples.safetensors").tensors.at("samples");
  auto b = io::load_safetensors(split.run_dir + "/samples.safetensors").tensors.at("samples");
  CHECK(test::max_abs_diff(a, b) == 0.0);
  // The stopped run logged its last partial interval (step 5); the resumed one goes on.
  CHECK(io::read_csv(split.run_dir + "/metrics.csv").column("step") ==
        std::vector<double>{2, 4, 5, 6, 8});
}

TEST_CASE("train-gan: bad options are refused by name") {
  test::TempDir tmp;
  auto cfg = small_config(tmp.path().string() + "/bad");
  cfg.lr = 0;
  CHECK_ZG_ERROR(examples::train_gan(cfg), "train-gan: epochs, batch size and lr");
  cfg = small_config(tmp.path().string() + "/bad");
  cfg.batch_size = 1000;  // more than the 64 images
  CHECK_ZG_ERROR(examples::train_gan(cfg), "make no batch of 1000");
  cfg = small_config(tmp.path().string() + "/bad");
  cfg.data_dir = tmp.path().string() + "/missing";
  CHECK_THROWS_AS(examples::train_gan(cfg), zg::Error);
}

}  // namespace
}  // namespace zg
