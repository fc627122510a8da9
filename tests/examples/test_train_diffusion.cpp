// train-ddpm / train-ncsn end to end on a few steps — 2-D toy data and a slice of
// Fashion-MNIST — and `zerogen sample` on their runs: the files of a run, resuming continues
// the very same trajectory (2N steps = N + N, bit for bit), config.json round trips, and bad
// options are refused with a message naming them.
#include <doctest/doctest.h>

#include <filesystem>

#include "examples/diffusion_setup.h"
#include "examples/sample_command.h"
#include "examples/train_diffusion.h"
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

examples::DiffusionConfig toy_config(const std::string& method, const std::string& dir) {
  examples::DiffusionConfig c;
  c.method = method;
  c.data = "eight_gaussians";
  c.run_dir = dir;
  c.timesteps = 40;
  c.num_sigmas = 5;
  c.langevin_steps = 5;
  c.steps = 12;
  c.batch_size = 32;
  c.hidden = 16;
  c.layers = 2;
  c.num_samples = 200;
  c.log_every = 4;
  c.checkpoint_every = 5;
  c.quiet = true;
  return c;
}

examples::DiffusionConfig image_config(const std::string& method, const std::string& dir) {
  examples::DiffusionConfig c;
  c.method = method;
  c.run_dir = dir;
  c.timesteps = 20;
  c.num_sigmas = 4;
  c.langevin_steps = 2;
  c.steps = 6;
  c.batch_size = 8;
  c.train_limit = 32;  // 4 steps per epoch: the resume crosses an epoch boundary
  c.base_channels = 8;
  c.num_samples = 6;
  c.bpd_images = 4;
  c.bpd_timesteps = 3;
  c.log_every = 2;
  c.checkpoint_every = 3;
  c.classifier = dir + "/no-classifier.safetensors";  // scoring is tested in test_metrics
  c.quiet = true;
  return c;
}

TEST_CASE("train-ddpm and train-ncsn on 2-D data: the files of a run, and its samples") {
  for (std::string method : {"ddpm", "ncsn"}) {
    CAPTURE(method);
    test::TempDir tmp;
    auto cfg = toy_config(method, tmp.file("run"));
    auto r = examples::train_diffusion2d(cfg);
    CHECK(r.steps == 12);
    CHECK(std::isfinite(r.final_loss));
    CHECK(r.total_modes == 8);
    CHECK(r.modes >= 0);
    CHECK(std::isfinite(r.mmd2));
    for (const char* f : {"config.json", "metrics.csv", "checkpoint.safetensors",
                          "samples.safetensors", "samples.png", "reverse_process.png"})
      CHECK_MESSAGE(fs::exists(cfg.run_dir + "/" + f), f);
    auto metrics = io::read_csv(cfg.run_dir + "/metrics.csv");
    CHECK(metrics.rows.size() == 3);  // steps 4, 8, 12
    Tensor samples =
        io::load_safetensors(cfg.run_dir + "/samples.safetensors").tensors.at("samples");
    CHECK(samples.shape() == Shape{200, 2});
    CHECK(std::isfinite(samples.abs().max().item<double>()));
    // The reverse process: 8 panels of 300 px side by side — for DDPM's 40 steps, 8 of them;
    // annealed Langevin reports once per level and once for the final denoising: 6 states.
    CHECK(io::load_png(cfg.run_dir + "/reverse_process.png").width ==
          (method == "ddpm" ? 8 : 6) * 300);

    // config.json holds every setting after defaults; NCSN's σ_1 is the data's diameter
    // (8 Gaussians on a circle of radius 2: about 4).
    io::RunDir run(cfg.run_dir);
    examples::DiffusionConfig saved = examples::config_from_json(run.read_config());
    CHECK(saved.method == method);
    CHECK(saved.timesteps == 40);
    CHECK(saved.hidden == 16);
    if (method == "ncsn") {
      CHECK(saved.sigma_max > 3.9);
      CHECK(saved.sigma_max < 4.2);
      CHECK(saved.sampler == "langevin");
    } else {
      CHECK(saved.sampler == "ddpm");
    }
  }
}

TEST_CASE(
    "train-ddpm on 2-D data: 2N steps in one run equal N steps on cpu:1, then --resume for N "
    "more") {
  test::TempDir tmp;
  auto straight = toy_config("ddpm", tmp.file("straight"));
  examples::train_diffusion2d(straight);
  // The split run trains on the second CPU device (kCPU1): any tensor a trainer leaves on the
  // default device meets one on cpu:1 and throws, and the values must not change.
  auto split = toy_config("ddpm", tmp.file("split"));
  split.device = "cpu:1";
  split.stop_after = 6;
  CHECK(examples::train_diffusion2d(split).steps == 6);
  split.stop_after = 0;
  split.resume = true;
  CHECK(examples::train_diffusion2d(split).steps == 12);
  test::check_same_checkpoint(straight.run_dir + "/checkpoint.safetensors",
                              split.run_dir + "/checkpoint.safetensors");
  // The stopped run logged its last step too: rows at 4, 6, then 8 and 12 after resuming.
  CHECK(io::read_csv(split.run_dir + "/metrics.csv").column("step") ==
        std::vector<double>{4, 6, 8, 12});
}

TEST_CASE("sample: any sampler on a finished 2-D run, from its config and EMA weights") {
  test::TempDir tmp;
  auto cfg = toy_config("ddpm", tmp.file("run"));
  examples::train_diffusion2d(cfg);
  examples::SampleRunOptions o;
  o.run_dir = cfg.run_dir;
  o.quiet = true;
  o.sampling.num_samples = 50;
  for (std::string sampler : {"ddpm", "ddim", "sde", "ode", "langevin"}) {
    CAPTURE(sampler);
    o.sampling.sampler = sampler;
    o.sampling.sample_steps = sampler == "ddpm" ? 0 : 10;
    o.out = tmp.file("s_" + sampler);
    Tensor x = examples::sample_run(o);
    CHECK(x.shape() == Shape{50, 2});
    CHECK(std::isfinite(x.abs().max().item<double>()));
    CHECK(fs::exists(o.out + ".safetensors"));
    CHECK(fs::exists(o.out + ".png"));
  }
  // Deterministic for a seed, on any device; the raw weights differ from their average.
  o.sampling.sampler = "ddim";
  Tensor a = examples::sample_run(o);
  o.device = "cpu:1";
  Tensor b = examples::sample_run(o);
  CHECK(b.device() == kCPU);
  CHECK(test::max_abs_diff(a, b) == 0.0);
  o.raw_weights = true;
  CHECK(test::max_abs_diff(a, examples::sample_run(o)) > 0.0);
  o.run_dir = tmp.file("nowhere");
  CHECK_ZG_ERROR(examples::sample_run(o), "no checkpoint.safetensors");
}

// Long (7 s in Release; test suite "long" is left out under the sanitizers).
TEST_CASE("train-ddpm and train-ncsn on images: files, bits/dim, samples in [0, 1], resume" *
          doctest::test_suite("long")) {
  for (std::string method : {"ddpm", "ncsn"}) {
    CAPTURE(method);
    test::TempDir tmp;
    auto cfg = image_config(method, tmp.file("run"));
    auto r = examples::train_diffusion_images(cfg);
    CHECK(r.steps == 6);
    CHECK(std::isfinite(r.final_loss));
    if (method == "ddpm") {
      CHECK(r.test_bpd > 0);
      CHECK(r.test_bpd < 20);
    } else {
      CHECK(std::isnan(r.test_bpd));
    }
    for (const char* f :
         {"config.json", "metrics.csv", "loss.png", "checkpoint.safetensors", "samples_000003.png",
          "samples.png", "denoising.png", "samples.safetensors", "results.json"})
      CHECK_MESSAGE(fs::exists(cfg.run_dir + "/" + f), f);
    Tensor samples =
        io::load_safetensors(cfg.run_dir + "/samples.safetensors").tensors.at("samples");
    CHECK(samples.shape() == Shape{6, 1, 28, 28});
    CHECK(samples.min().item<float>() >= 0.0f);
    CHECK(samples.max().item<float>() <= 1.0f);

    examples::SampleRunOptions o;
    o.run_dir = cfg.run_dir;
    o.quiet = true;
    o.sampling.sampler = "ddim";
    o.sampling.sample_steps = 3;
    o.sampling.num_samples = 2;
    CHECK(examples::sample_run(o).shape() == Shape{2, 1, 28, 28});
  }
  test::TempDir tmp;
  auto straight = image_config("ddpm", tmp.file("straight"));
  straight.bpd_images = 0;
  examples::train_diffusion_images(straight);
  // The split run trains on the second CPU device (kCPU1): any tensor a trainer leaves on the
  // default device meets one on cpu:1 and throws, and the values must not change.
  auto split = straight;
  split.run_dir = tmp.file("split");
  split.device = "cpu:1";
  split.stop_after = 3;
  CHECK(examples::train_diffusion_images(split).steps == 3);
  split.stop_after = 0;
  split.resume = true;
  CHECK(examples::train_diffusion_images(split).steps == 6);
  test::check_same_checkpoint(straight.run_dir + "/checkpoint.safetensors",
                              split.run_dir + "/checkpoint.safetensors");
}

TEST_CASE("train-ddpm / train-ncsn: bad options are refused with a message naming them") {
  test::TempDir tmp;
  auto cfg = toy_config("ddpm", tmp.file("run"));
  cfg.data = "cifar";
  CHECK_ZG_ERROR(examples::train_diffusion2d(cfg), "--data must be fashion-mnist");
  cfg = toy_config("ddpm", tmp.file("run"));
  cfg.sampler = "euler";
  CHECK_ZG_ERROR(examples::train_diffusion2d(cfg), "euler");
  cfg = toy_config("ddpm", tmp.file("run"));
  cfg.schedule = "quadratic";
  CHECK_ZG_ERROR(examples::train_diffusion2d(cfg), "quadratic");
  cfg = toy_config("ncsn", tmp.file("run"));
  cfg.sigma_max = 0.001;  // below sigma_min
  CHECK_THROWS_AS(examples::train_diffusion2d(cfg), Error);
}

}  // namespace
}  // namespace zg
