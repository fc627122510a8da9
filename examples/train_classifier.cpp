// zerogen train-classifier — a small CNN on Fashion-MNIST (or MNIST via --data-dir), the
// first real run of the library, and the judge of every generative model that follows.
//
// The story, top to bottom:
//   1. Data. The IDX files of Debian's dataset-fashion-mnist: 60,000 training and 10,000
//      test images of 28×28 grey pixels in [0, 1], ten classes of clothing. A DataLoader
//      shuffles with a permutation that depends only on (seed, epoch), so a resumed run
//      sees exactly the batches it would have seen.
//   2. Model (models/classifier.h). Two blocks of conv-BatchNorm-ReLU ×2 + max-pool, then a
//      Linear to a 128-d feature vector, dropout, and a Linear to 10 logits z.
//   3. Loss. Cross-entropy −log softmax(z)_y = −z_y + log Σ_k exp z_k: the negative
//      log-likelihood of the label under the categorical distribution the logits define.
//   4. Optimiser. AdamW with a linear warm-up and a cosine decay of the learning rate —
//      warm-up because Adam's second-moment estimate is noisy in the first steps.
//   5. Bookkeeping (DESIGN.md "Files a run leaves"): config.json, metrics.csv every
//      --log-every steps, checkpoint.safetensors at each epoch's end (model, optimiser,
//      step, RNG state), so `--resume` continues bit-for-bit as if never stopped.
//   6. The test accuracy, and the checkpoint that `zerogen score` uses: the classifier's
//      128-d features are the space in which generated samples' Fréchet distance is measured.
#include "examples/train_classifier.h"

#include <fmt/format.h>

#include "data/dataloader.h"
#include "data/idx.h"
#include "examples/trainer_options.h"
#include "examples/training_state.h"
#include "io/csv.h"
#include "io/progress.h"
#include "io/run_dir.h"
#include "models/classifier.h"
#include "optim/optim.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

namespace zg::examples {

static double test_accuracy(models::ClassifierImpl& model, const data::ImageDataset& test,
                            Device device) {
  NoGradGuard no_grad;
  model.eval();
  int64_t correct = 0, n = test.images.size(0);
  for (int64_t i = 0; i < n; i += 1000) {
    int64_t b = std::min<int64_t>(1000, n - i);
    Tensor pred = model.forward(test.images.narrow(0, i, b).to(device)).argmax(1);
    correct += pred.eq(test.labels.narrow(0, i, b).to(device)).sum().item<int64_t>();
  }
  model.train();
  return static_cast<double>(correct) / static_cast<double>(n);
}

static data::ImageDataset limit(data::ImageDataset d, int64_t n) {
  if (n <= 0 || n >= d.images.size(0)) return d;
  return {d.images.narrow(0, 0, n), d.labels.narrow(0, 0, n)};
}

ClassifierResult train_classifier(const ClassifierConfig& cfg) {
  std::string data_dir = cfg.data_dir.empty() ? data::kFashionMnistDir : cfg.data_dir;
  const Device device = parse_device(cfg.device);
  ZG_CHECK(cfg.epochs > 0 && cfg.batch_size > 0 && cfg.lr > 0,
           "train-classifier: epochs, batch size and lr must be positive");

  // 1. Data.
  data::ImageDataset train = limit(data::load_mnist(data_dir, true), cfg.train_limit);
  data::ImageDataset test = limit(data::load_mnist(data_dir, false), cfg.test_limit);
  data::DataLoader loader(train.images, train.labels, cfg.batch_size, /*shuffle=*/true,
                          /*drop_last=*/true, cfg.seed);
  const int64_t steps_per_epoch = loader.size();
  const int64_t total_steps = cfg.epochs * steps_per_epoch;

  // 2. Model and 4. optimiser; the seed fixes the initial weights and the dropout masks.
  manual_seed(cfg.seed);
  models::Classifier model;
  model->to(device);  // before the optimiser: its state is made on the parameters' device
  optim::AdamW opt(model->parameters(), {.lr = cfg.lr, .weight_decay = cfg.weight_decay});
  // (Short runs, e.g. the tests', warm up for at most a fifth of their steps.)
  const int64_t warmup = std::min(cfg.warmup_steps, total_steps / 5);
  optim::WarmupLR schedule(
      std::make_shared<optim::CosineLR>(cfg.lr, total_steps - warmup, cfg.lr * 0.01), warmup);

  // 5. The run directory; --resume picks up the checkpoint if there is one.
  io::RunDir run(cfg.run_dir);
  TrainingState state;
  state.add("model", *model).add("optim", opt);
  int64_t step = cfg.resume ? state.resume(run, cfg.quiet) : 0;
  io::Json config = {{"command", "train-classifier"},
                     {"version", "0.1.0"},
                     {"data_dir", data_dir},
                     {"epochs", cfg.epochs},
                     {"batch_size", cfg.batch_size},
                     {"lr", cfg.lr},
                     {"weight_decay", cfg.weight_decay},
                     {"warmup_steps", cfg.warmup_steps},
                     {"seed", cfg.seed},
                     {"train_limit", cfg.train_limit},
                     {"device", cfg.device},
                     {"threads", get_num_threads()},
                     {"blas_core", cpu::blas_core_name()},
                     {"parameters", model->num_parameters()}};
  run.write_config(config);
  // Rows logged after the checkpoint (a run killed mid-epoch) would be logged again.
  if (step > 0) io::truncate_csv_after(run.file("metrics.csv"), static_cast<double>(step));
  io::CsvWriter metrics(run.file("metrics.csv"),
                        {"step", "epoch", "loss", "train_accuracy", "lr", "samples_per_s"},
                        /*append=*/step > 0);
  auto save = [&](int64_t at) { state.save(run, at, config); };
  if (!cfg.quiet)
    fmt::print("{}\n{} training images, {} steps of {}, {} threads, OpenBLAS {} kernels\n",
               model->repr(), train.images.size(0), total_steps, cfg.batch_size, get_num_threads(),
               cpu::blas_core_name());

  // 3. The training loop.
  int64_t last_step = cfg.stop_after > 0 ? std::min(total_steps, cfg.stop_after) : total_steps;
  io::Progress progress("train-classifier", total_steps);
  double loss_sum = 0, correct = 0, seen = 0;
  while (step < last_step) {
    auto batch = loader.batch(step / steps_per_epoch, step % steps_per_epoch);
    const Tensor inputs = batch.inputs.to(device), targets = batch.targets.to(device);
    opt.set_lr(schedule.lr_at(step));
    Tensor logits = model(inputs);
    Tensor loss = nn::functional::cross_entropy(logits, targets);
    opt.zero_grad();
    loss.backward();
    opt.step();
    ++step;

    loss_sum += loss.item<double>();
    correct += static_cast<double>(logits.argmax(1).eq(targets).sum().item<int64_t>());
    seen += static_cast<double>(targets.size(0));
    if (!cfg.quiet) progress.update(step, targets.size(0), {{"loss", loss.item<double>()}});
    if (step % cfg.log_every == 0 || step == last_step) {
      double steps_logged = seen / static_cast<double>(cfg.batch_size);
      metrics.row({double(step), double(step) / double(steps_per_epoch), loss_sum / steps_logged,
                   correct / seen, opt.lr(), progress.items_per_second()});
      loss_sum = correct = seen = 0;
    }
    if (step % steps_per_epoch == 0 || step == last_step) save(step);
  }
  if (!cfg.quiet) progress.finish();

  // 6. The result.
  ClassifierResult result{step, test_accuracy(*model, test, device), progress.elapsed_seconds()};
  if (!cfg.quiet)
    fmt::print("test accuracy {:.2f}% on {} images after {} steps ({}); checkpoint {}\n",
               100 * result.test_accuracy, test.images.size(0), step,
               io::format_duration(result.seconds), run.checkpoint_path());
  return result;
}

void add_train_classifier_command(CLI::App& app, int& exit_code) {
  auto cfg = std::make_shared<ClassifierConfig>();
  auto* sub = app.add_subcommand("train-classifier",
                                 "Train the CNN that scores generated images (Fashion-MNIST)");
  add_image_trainer_options(sub, *cfg);
  sub->add_option("--weight-decay", cfg->weight_decay)->capture_default_str();
  sub->add_option("--test-limit", cfg->test_limit, "Evaluate on the first N test images");
  sub->callback([cfg, &exit_code] {
    ClassifierResult r = train_classifier(*cfg);
    exit_code = r.steps > 0 ? 0 : 1;
  });
}

}  // namespace zg::examples
