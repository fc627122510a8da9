// zerogen score — how good are generated images? The classifier of `train-classifier` maps
// each image to a 128-d feature vector; fitting a Gaussian to the samples' features and one
// to the test set's, the Fréchet distance between the two (models/metrics.h) measures how
// far the sample distribution is from the data's, and the histogram of predicted classes
// shows whether every class is produced (a collapsed GAN covers few).
//
//   zerogen score samples.safetensors     the tensor "samples", [N, 1, 28, 28] in [0, 1]
//   zerogen score --real 2000             a baseline: 2000 real training images
#include "examples/score.h"

#include <fmt/format.h>

#include <filesystem>

#include "data/idx.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "models/metrics.h"

namespace zg::examples {

struct ScoreConfig {
  std::string samples_path;
  std::string classifier = "runs/classifier/checkpoint.safetensors";
  std::string data_dir;
  int64_t real = 0;
};

static int score(const ScoreConfig& cfg) {
  std::string data_dir = cfg.data_dir.empty() ? data::kFashionMnistDir : cfg.data_dir;
  ZG_CHECK(!cfg.samples_path.empty() || cfg.real > 0,
           "score: give a samples.safetensors file or --real N");
  models::Classifier clf;
  clf->load_state_dict(io::load_checkpoint(cfg.classifier).group("model"));
  Tensor reference = data::load_mnist(data_dir, false).images;
  Tensor samples;
  if (cfg.real > 0) {
    Tensor train = data::load_mnist(data_dir, true).images;
    ZG_CHECK(cfg.real <= train.size(0), "score: --real {} exceeds the {} training images", cfg.real,
             train.size(0));
    samples = train.narrow(0, 0, cfg.real);
  } else {
    io::Safetensors file = io::load_safetensors(cfg.samples_path);
    auto it = file.tensors.find("samples");
    ZG_CHECK(it != file.tensors.end(), "score: '{}' has no tensor named 'samples'",
             cfg.samples_path);
    samples = it->second;
    double lo = samples.min().to(kFloat64).item<double>();
    double hi = samples.max().to(kFloat64).item<double>();
    ZG_CHECK(lo >= -1e-3 && hi <= 1 + 1e-3,
             "score: '{}': samples must lie in [0, 1], found values in [{}, {}]", cfg.samples_path,
             lo, hi);
  }
  auto result = models::score_samples(*clf, samples, reference);
  fmt::print("{}", models::format_score(result, data::fashion_mnist_classes()));
  return 0;
}

std::optional<models::SampleScore> score_if_classifier(const std::string& classifier_path,
                                                       const Tensor& samples,
                                                       const Tensor& reference, bool quiet) {
  if (!std::filesystem::exists(classifier_path)) {
    if (!quiet)
      fmt::print("(no classifier checkpoint at {}: samples not scored; run train-classifier)\n",
                 classifier_path);
    return std::nullopt;
  }
  models::Classifier clf;
  clf->load_state_dict(io::load_checkpoint(classifier_path).group("model"));
  models::SampleScore score = models::score_samples(*clf, samples, reference);
  if (!quiet)
    fmt::print("samples scored by {}:\n{}", classifier_path,
               models::format_score(score, data::fashion_mnist_classes()));
  return score;
}

void add_score_command(CLI::App& app, int& exit_code) {
  auto cfg = std::make_shared<ScoreConfig>();
  auto* sub = app.add_subcommand("score", "Score generated images with the trained classifier");
  sub->add_option("samples", cfg->samples_path, "safetensors file with a 'samples' tensor");
  sub->add_option("--classifier", cfg->classifier, "Checkpoint of train-classifier")
      ->capture_default_str();
  sub->add_option("--data-dir", cfg->data_dir, "IDX directory of the reference (test) set");
  sub->add_option("--real", cfg->real, "Score N real training images instead (a baseline)");
  sub->callback([cfg, &exit_code] { exit_code = score(*cfg); });
}

}  // namespace zg::examples
