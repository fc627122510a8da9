// zerogen — the command-line front door: one subcommand per worked example.
//
//   zerogen                         the main job: train-classifier on its defaults
//   zerogen train-classifier [...]  the CNN that scores generated images (Fashion-MNIST)
//   zerogen score samples.safetensors
//   zerogen derivations [--only D6,D13] [--seed N]
//   zerogen gan-1d [--steps N]      D1-D3 in one dimension: D vs D*, C(G), saturation (PNGs)
//   zerogen train-gan2d [...]       an MLP GAN on 8 Gaussians on a ring: mode collapse (D4)
//   zerogen train-gan [...]         the DCGAN on Fashion-MNIST (D1–D4)
//   zerogen train-vae [...]         a VAE: ELBO, IWAE log p(x), samples (D8-D11)
//   zerogen train-ddpm [...]        a DDPM on Fashion-MNIST, or --data <2-D toy> (D12-D16, D21)
//   zerogen train-ncsn [...]        an NCSN: denoising score matching, annealed Langevin (D17-D20)
//   zerogen sample --run-dir DIR    re-sample a DDPM/NCSN run with any sampler and step count
//
// `zerogen <command> --help` lists every option. Exit status: 0 on success, 1 when a check
// fails, 2 on bad input (the message says which file, op or shape).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "examples/derivations_command.h"
#include "examples/gan_1d.h"
#include "examples/sample_command.h"
#include "examples/score.h"
#include "examples/train_classifier.h"
#include "examples/train_diffusion.h"
#include "examples/train_gan.h"
#include "examples/train_gan2d.h"
#include "examples/train_vae.h"
#include "tensor/cpu/runtime.h"
#include "zerogen.h"

int main(int argc, char** argv) {
  zg::cpu::tune_cpu_environment(argv);  // may re-execute with better OpenBLAS/OpenMP settings
  CLI::App app{"zerogen: generative models from zero, in C++"};
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  int exit_code = 0;
  zg::examples::add_train_classifier_command(app, exit_code);
  zg::examples::add_score_command(app, exit_code);
  zg::examples::add_derivations_command(app, exit_code);
  zg::examples::add_gan_1d_command(app, exit_code);
  zg::examples::add_train_gan2d_command(app, exit_code);
  zg::examples::add_train_gan_command(app, exit_code);
  zg::examples::add_train_vae_command(app, exit_code);
  zg::examples::add_train_diffusion_commands(app, exit_code);
  zg::examples::add_sample_command(app, exit_code);
  app.require_subcommand(0, 1);
  app.parse_complete_callback([&] {
    if (threads > 0) zg::set_num_threads(threads);
  });
  try {
    app.parse(argc, argv);
    // No subcommand: the main job on its defaults.
    if (app.get_subcommands().empty()) app.parse(std::vector<std::string>{"train-classifier"});
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const zg::Error& e) {
    fmt::print(stderr, "zerogen: {}\n", e.what());
    return 2;
  }
  return exit_code;
}
