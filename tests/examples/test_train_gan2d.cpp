// train-gan2d end to end on a few steps: the files of the run directory, resuming continues
// the very same trajectory (2N steps = N + N, bit for bit), other toy sets, and bad options.
// Also the GAN pieces of models/gan2d.h: shapes, the two generator losses, the R1 step.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "examples/train_gan2d.h"
#include "io/png.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "models/gan2d.h"
#include "tests/check_error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {

namespace fs = std::filesystem;

examples::Gan2dConfig small_config(const std::string& dir) {
  examples::Gan2dConfig c;
  c.run_dir = dir;
  c.steps = 10;
  c.batch_size = 32;
  c.hidden = 16;
  c.log_every = 2;
  c.plot_every = 5;
  c.checkpoint_every = 4;
  c.eval_samples = 200;
  c.quiet = true;
  return c;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return {std::istreambuf_iterator<char>(f), {}};
}

TEST_CASE("train-gan2d: a short run writes config, metrics, checkpoint, plots and samples") {
  test::TempDir tmp;
  auto cfg = small_config(tmp.file("run"));
  auto r = examples::train_gan2d(cfg);
  CHECK(r.steps == 10);
  CHECK(r.total_modes == 8);
  CHECK(r.modes >= 0);
  CHECK(r.modes <= 8);
  CHECK(r.high_quality >= 0);
  CHECK(std::isfinite(r.mmd2));
  for (const char* f :
       {"config.json", "metrics.csv", "checkpoint.safetensors", "samples.safetensors",
        "scatter_0.png", "scatter_5.png", "scatter_10.png", "scatter_strip.png"})
    CHECK_MESSAGE(fs::exists(tmp.file("run/") + f), f);
  std::string csv = read_text(tmp.file("run/metrics.csv"));
  CHECK(csv.rfind("step,d_loss,g_loss,modes,high_quality,mmd2,steps_per_s\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 6);  // header + steps 2, 4, ..., 10
  io::Safetensors samples = io::load_safetensors(tmp.file("run/samples.safetensors"));
  CHECK(samples.tensors.at("samples").shape() == Shape{200, 2});
  io::Image strip = io::load_png(tmp.file("run/scatter_strip.png"));
  io::Image one = io::load_png(tmp.file("run/scatter_0.png"));
  CHECK(strip.height == one.height);
  CHECK(strip.width == 3 * one.width);  // steps 0, 5, 10
  auto config = io::RunDir(cfg.run_dir).read_config();
  CHECK(config["loss"] == "non-saturating");
  CHECK(config["data"] == "eight_gaussians");
  auto ck = io::load_checkpoint(tmp.file("run/checkpoint.safetensors"));
  CHECK(ck.step == 10);
  for (const char* g : {"G", "D", "optim_G", "optim_D"}) CHECK(!ck.group(g).empty());
}

TEST_CASE("train-gan2d: 2N steps in one run equal N steps on cpu:1, then --resume for N more") {
  test::TempDir tmp;
  // With the R1 penalty: the double-backward path is the one that could keep hidden state.
  for (double r1 : {0.1}) {
    CAPTURE(r1);
    auto straight = small_config(tmp.file(fmt::format("straight_{}", r1)));
    straight.r1 = r1;
    auto r_straight = examples::train_gan2d(straight);
    auto split = small_config(tmp.file(fmt::format("split_{}", r1)));
    split.device = "cpu:1";  // a second device: see test_train_classifier.cpp
    split.r1 = r1;
    split.stop_after = 5;  // mid-way between checkpoints and logs
    CHECK(examples::train_gan2d(split).steps == 5);
    split.stop_after = 0;
    split.resume = true;
    auto r_split = examples::train_gan2d(split);
    CHECK(r_split.steps == 10);

    auto a = io::load_checkpoint(straight.run_dir + "/checkpoint.safetensors");
    auto b = io::load_checkpoint(split.run_dir + "/checkpoint.safetensors");
    CHECK(a.step == b.step);
    CHECK(a.rng_offset == b.rng_offset);
    for (const char* group : {"G", "D", "optim_G", "optim_D"}) {
      REQUIRE(a.group(group).size() == b.group(group).size());
      for (const auto& [name, t] : a.group(group)) {
        INFO(group, "/", name);
        CHECK(test::max_abs_diff(t.to(kFloat64), b.group(group).at(name).to(kFloat64)) == 0.0);
      }
    }
    CHECK(r_straight.mmd2 == r_split.mmd2);
    CHECK(r_straight.high_quality == r_split.high_quality);
    // The resumed metrics.csv has the rows of the straight run's steps, each once.
    std::string csv = read_text(split.run_dir + "/metrics.csv");
    for (int s : {2, 4, 5, 6, 8, 10})
      CHECK(csv.find("\n" + std::to_string(s) + ",") != std::string::npos);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 7);
  }
}

TEST_CASE("train-gan2d: other toy sets and the saturating loss") {
  test::TempDir tmp;
  auto moons = small_config(tmp.file("moons"));
  moons.data = "two_moons";
  moons.loss = "saturating";
  auto r = examples::train_gan2d(moons);
  CHECK(r.steps == 10);
  CHECK(r.modes == -1);  // no modes: not a mixture
  CHECK(std::isfinite(r.mmd2));
  CHECK(read_text(tmp.file("moons/metrics.csv")).find(",nan,nan,") != std::string::npos);
  CHECK(io::RunDir(moons.run_dir).read_config()["loss"] == "saturating");
}

TEST_CASE("train-gan2d: bad options are clear errors") {
  test::TempDir tmp;
  auto c = small_config(tmp.file("bad"));
  auto with = [&](auto change) {
    auto b = c;
    change(b);
    return b;
  };
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.steps = 0; })), "train-gan2d",
                 "--steps");
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.batch_size = -1; })), "--batch-size");
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.lr = 0; })), "--lr");
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.beta1 = 1.0; })), "betas");
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.r1 = -1; })), "--r1");
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.eval_samples = 50; })),
                 "--eval-samples");
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.loss = "wasserstein"; })),
                 "wasserstein", "non-saturating");
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.data = "nine_gaussians"; })),
                 "nine_gaussians", "eight_gaussians", "two_moons");
  CHECK_ZG_ERROR(examples::train_gan2d(with([](auto& b) { b.hidden = 0; })), "Gan2dGenerator");
  CHECK(!fs::exists(tmp.file("bad/checkpoint.safetensors")));
}

TEST_CASE("gan2d: shapes, the losses on logits, and a step with the R1 penalty") {
  manual_seed(0);
  models::Gan2dOptions o{.latent_dim = 3, .hidden = 8, .layers = 2};
  models::Gan2dGenerator G(o);
  models::Gan2dDiscriminator D(o);
  CHECK(G(randn({5, 3})).shape() == Shape{5, 2});
  CHECK(D(randn({5, 2})).shape() == Shape{5, 1});
  CHECK(G->num_parameters() == (3 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2));
  CHECK_ZG_ERROR(G(randn({5, 4})), "Gan2dGenerator", "[5, 4]");
  CHECK_ZG_ERROR(D(randn({5, 3})), "Gan2dDiscriminator", "[5, 3]");

  // −log σ(l) and log(1 − σ(l)) = −softplus(l), at l = 0 and l = −3.
  Tensor l = tensor({0.0, -3.0}, kFloat64);
  double s3 = 1 / (1 + std::exp(3.0));  // σ(−3)
  CHECK(models::generator_loss(l).item<double>() ==
        doctest::Approx((std::log(2.0) - std::log(s3)) / 2));
  CHECK(models::generator_loss(l, models::GanLoss::Saturating).item<double>() ==
        doctest::Approx((std::log(0.5) + std::log(1 - s3)) / 2));
  // D's loss: −log σ(l_real) − log(1 − σ(l_fake)).
  CHECK(models::discriminator_loss(tensor({-3.0}, kFloat64), tensor({0.0}, kFloat64))
            .item<double>() == doctest::Approx(-std::log(s3) + std::log(2.0)));
  CHECK(models::parse_gan_loss("saturating") == models::GanLoss::Saturating);

  // A step with R1 changes both players and returns finite losses.
  auto ring = data::eight_gaussians();
  optim::Adam og(G->parameters(), {.lr = 1e-3}), od(D->parameters(), {.lr = 1e-3});
  Tensor g0 = G->parameters()[0].clone(), d0 = D->parameters()[0].clone();
  Generator gen(1);
  auto losses =
      models::gan2d_train_step(*G, *D, og, od, ring, 16, models::GanLoss::NonSaturating, gen, 1.0);
  CHECK(std::isfinite(losses.d_loss));
  CHECK(std::isfinite(losses.g_loss));
  CHECK(test::max_abs_diff(g0, G->parameters()[0]) > 0);
  CHECK(test::max_abs_diff(d0, D->parameters()[0]) > 0);
  CHECK(models::gan2d_sample(*G, 7, gen).shape() == Shape{7, 2});
}

}  // namespace
}  // namespace zg
