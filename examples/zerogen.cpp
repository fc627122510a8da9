// zerogen — the command-line front door. With no subcommand it runs the main job, the
// derivation checks of ../shared/DERIVATIONS.md that the core can already do, as a table.
//
//   zerogen                      same as `zerogen derivations`
//   zerogen derivations [--only D6,D13] [--seed N] [--threads N]
//
// Exit status: 0 when every row passes, 1 when any fails, 2 on bad arguments.
#include <CLI/CLI.hpp>
#include <chrono>

#include "models/derivations.h"
#include "zerogen.h"

int run_derivations(const std::vector<std::string>& only, uint64_t seed) {
  auto start = std::chrono::steady_clock::now();
  fmt::print("zerogen derivations: numerical checks of DERIVATIONS.md (seed {}, {} threads)\n\n",
             seed, zg::get_num_threads());
  auto rows = zg::models::run_derivations(only, seed);
  fmt::print("{}", zg::models::format_derivation_table(rows));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("({:.1f} s)\n", seconds);
  for (const auto& r : rows)
    if (!r.pass()) return 1;
  return 0;
}

int main(int argc, char** argv) {
  CLI::App app{"zerogen: generative models from zero, in C++"};
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (default: all cores)")->check(CLI::NonNegativeNumber);

  std::vector<std::string> only;
  uint64_t seed = 0;
  auto* derivations = app.add_subcommand("derivations", "Check the claims D1–D22 numerically");
  derivations->add_option("--only", only, "Comma-separated ids, e.g. D6,D13")->delimiter(',');
  derivations->add_option("--seed", seed, "Random seed");

  CLI11_PARSE(app, argc, argv);
  try {
    if (threads > 0) zg::set_num_threads(threads);
    // No subcommand: the main job on its defaults.
    return run_derivations(only, seed);
  } catch (const zg::Error& e) {
    fmt::print(stderr, "zerogen: {}\n", e.what());
    return 2;
  }
}
