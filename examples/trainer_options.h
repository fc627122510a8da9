// The command-line options every trainer shares, registered in one place so that they read
// the same in every `zerogen <trainer> --help` and a new trainer gets them by one call.
// Each function takes any config struct with the named members (the trainers' configs are
// plain structs with their own defaults, which the help text shows).
#pragma once
#include <CLI/CLI.hpp>

#include "data/idx.h"

namespace zg::examples {

// --run-dir, --device, --seed, --resume, --stop-after, --log-every.
template <class Config>
void add_run_options(CLI::App* sub, Config& cfg) {
  sub->add_option("--run-dir", cfg.run_dir, "Where config.json, metrics.csv, PNGs, checkpoint go")
      ->capture_default_str();
  sub->add_option("--device", cfg.device,
                  "cpu; cuda (a build with the CUDA backend, on a GPU); cpu:1, a second CPU "
                  "device that tests use to check that every tensor follows the model")
      ->capture_default_str();
  sub->add_option("--seed", cfg.seed)->capture_default_str();
  sub->add_flag("--resume", cfg.resume, "Continue from the run directory's checkpoint");
  sub->add_option("--stop-after", cfg.stop_after, "Stop after this many steps (then --resume)");
  sub->add_option("--log-every", cfg.log_every, "Steps between metrics.csv rows")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

// add_run_options, then --data-dir, --epochs, --batch-size, --lr, --train-limit: the image
// trainers, which read an IDX directory and count epochs.
template <class Config>
void add_image_trainer_options(CLI::App* sub, Config& cfg) {
  sub->add_option("--data-dir", cfg.data_dir, "Directory with the four IDX files (MNIST format)")
      ->default_str(data::kFashionMnistDir);
  add_run_options(sub, cfg);
  sub->add_option("--epochs", cfg.epochs)->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--batch-size", cfg.batch_size)
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--lr", cfg.lr)->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--train-limit", cfg.train_limit, "Use only the first N training images");
}

}  // namespace zg::examples
