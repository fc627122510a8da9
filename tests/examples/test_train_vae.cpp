// train-vae end to end on a slice of Fashion-MNIST: the files a run leaves, the final
// evaluation's invariants, a bit-for-bit resume (2N steps = N + N), the conv model, and
// bad options.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "examples/train_vae.h"
#include "io/png.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "tests/check_error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {

namespace fs = std::filesystem;

examples::VAEConfig small_config(const std::string& dir) {
  examples::VAEConfig c;
  c.run_dir = dir;
  c.latent_dim = 2;  // also exercises manifold.png
  c.epochs = 2;
  c.batch_size = 32;
  c.train_limit = 256;  // 8 steps per epoch, 16 in all
  c.test_limit = 64;
  c.iwae_k = 100;
  c.iwae_images = 16;
  c.num_samples = 20;
  c.log_every = 3;
  c.classifier = dir + "/no-classifier.safetensors";
  c.quiet = true;
  return c;
}

// One straight run checked for its files and invariants, then the same run split in two.
TEST_CASE("train-vae: the files of a run; 2N steps = N steps on cpu:1, then --resume for N more") {
  test::TempDir tmp;
  auto straight = small_config(tmp.file("straight"));
  auto r1 = examples::train_vae(straight);
  CHECK(r1.steps == 16);
  CHECK(r1.finished);
  for (const char* f :
       {"config.json", "metrics.csv", "test_metrics.csv", "kl_per_dim.csv",
        "checkpoint.safetensors", "samples_8.png", "samples_16.png", "reconstructions.png",
        "samples.png", "manifold.png", "samples.safetensors", "results.json"}) {
    INFO(f);
    CHECK(fs::exists(straight.run_dir + "/" + f));
  }
  auto samples =
      io::load_safetensors(straight.run_dir + "/samples.safetensors").tensors.at("samples");
  CHECK(samples.shape() == Shape{20, 1, 28, 28});
  CHECK(samples.min().item<double>() >= 0.0);
  CHECK(samples.max().item<double>() <= 1.0);
  // Reconstructions: 32 test images and their reconstructions, 8 per row → 8 rows of 30 px + 2.
  auto png = io::load_png(straight.run_dir + "/reconstructions.png");
  CHECK(png.width == 8 * 30 + 2);
  CHECK(png.height == 8 * 30 + 2);
  CHECK(io::load_png(straight.run_dir + "/manifold.png").width == 20 * 30 + 2);

  CHECK(std::isfinite(r1.iwae_nll));
  CHECK(r1.iwae_nll <= r1.elbo_nll);  // Jensen on the same samples
  CHECK(r1.iwae_se > 0);
  REQUIRE(r1.kl_per_dim.size() == 2);
  CHECK(r1.kl_per_dim[0] + r1.kl_per_dim[1] == doctest::Approx(r1.test_kl).epsilon(1e-9));
  CHECK(r1.test_neg_elbo == doctest::Approx(r1.test_reconstruction + r1.test_kl).epsilon(1e-6));
  // Fashion-MNIST's per-pixel-mean model costs a few hundred nats per image.
  CHECK(r1.baseline_nll > 100);
  CHECK(r1.baseline_nll < 1000);
  auto config = io::RunDir(straight.run_dir).read_config();
  CHECK(config["model"] == "mlp");
  CHECK(config["latent_dim"] == 2);

  auto split = small_config(tmp.file("split"));
  split.device = "cpu:1";  // a second device: see test_train_classifier.cpp
  split.stop_after = 11;   // mid-epoch: the resume crosses an epoch boundary and its evaluation
  auto partial = examples::train_vae(split);
  CHECK(partial.steps == 11);
  CHECK_FALSE(partial.finished);
  CHECK_FALSE(fs::exists(split.run_dir + "/samples.safetensors"));
  split.stop_after = 0;
  split.resume = true;
  auto r2 = examples::train_vae(split);
  CHECK(r2.steps == 16);

  auto a = io::load_checkpoint(straight.run_dir + "/checkpoint.safetensors");
  auto b = io::load_checkpoint(split.run_dir + "/checkpoint.safetensors");
  CHECK(a.step == 16);
  CHECK(b.step == 16);
  CHECK(a.rng_offset == b.rng_offset);
  for (const char* group : {"model", "optim"}) {
    REQUIRE(a.group(group).size() == b.group(group).size());
    for (const auto& [name, t] : a.group(group)) {
      INFO(group, "/", name);
      CHECK(test::max_abs_diff(t.to(kFloat64), b.group(group).at(name).to(kFloat64)) == 0.0);
    }
  }
  CHECK(r1.test_neg_elbo == r2.test_neg_elbo);
  CHECK(r1.iwae_nll == r2.iwae_nll);
  // The per-epoch test rows are the same in both runs (one row per epoch, none twice).
  auto read = [](const std::string& path) {
    std::ifstream f(path);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  CHECK(read(straight.run_dir + "/test_metrics.csv") == read(split.run_dir + "/test_metrics.csv"));
  CHECK(read(straight.run_dir + "/kl_per_dim.csv") == read(split.run_dir + "/kl_per_dim.csv"));
}

TEST_CASE("train-vae: the conv model runs end to end") {
  test::TempDir tmp;
  auto cfg = small_config(tmp.file("conv"));
  cfg.model = "conv";
  cfg.latent_dim = 4;
  cfg.epochs = 1;
  cfg.train_limit = 64;
  cfg.test_limit = 32;
  cfg.iwae_k = 10;
  cfg.iwae_images = 4;
  auto r = examples::train_vae(cfg);
  CHECK(r.steps == 2);
  CHECK(r.kl_per_dim.size() == 4);
  CHECK(r.iwae_nll <= r.elbo_nll);
  CHECK(fs::exists(cfg.run_dir + "/samples.safetensors"));
  CHECK_FALSE(fs::exists(cfg.run_dir + "/manifold.png"));  // only for a 2-D latent
}

TEST_CASE("train-vae: bad options are refused with a clear message") {
  test::TempDir tmp;
  auto cfg = small_config(tmp.file("bad"));
  auto with = [&](auto change) {
    auto c = cfg;
    change(c);
    return [c] { examples::train_vae(c); };
  };
  CHECK_ZG_ERROR(with([](auto& c) { c.model = "gan"; })(), "--model", "gan");
  CHECK_ZG_ERROR(with([](auto& c) { c.epochs = 0; })(), "epochs (0)");
  CHECK_ZG_ERROR(with([](auto& c) { c.latent_dim = -1; })(), "latent dim (-1)");
  CHECK_ZG_ERROR(with([](auto& c) { c.iwae_k = 0; })(), "--iwae-k (0)");
  CHECK_ZG_ERROR(with([](auto& c) { c.batch_size = 1000; })(), "fewer than one batch");
  CHECK_ZG_ERROR(with([](auto& c) { c.data_dir = "/nonexistent/mnist"; })(), "/nonexistent/mnist");
}

}  // namespace
}  // namespace zg
