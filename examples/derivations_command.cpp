#include "examples/derivations_command.h"

#include <fmt/format.h>

#include <chrono>

#include "models/derivations.h"
#include "zerogen.h"

namespace zg::examples {

// Exit status 1 when any row fails.
static int run_derivations(const std::vector<std::string>& only, uint64_t seed) {
  auto start = std::chrono::steady_clock::now();
  fmt::print("zerogen derivations: numerical checks of DERIVATIONS.md (seed {}, {} threads)\n\n",
             seed, get_num_threads());
  auto rows = models::run_derivations(only, seed);
  fmt::print("{}", models::format_derivation_table(rows));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("({:.1f} s)\n", seconds);
  for (const auto& r : rows)
    if (!r.pass()) return 1;
  return 0;
}

void add_derivations_command(CLI::App& app, int& exit_code) {
  struct Args {
    std::vector<std::string> only;
    uint64_t seed = 0;
  };
  auto args = std::make_shared<Args>();
  auto* sub = app.add_subcommand("derivations", "Check the claims D1–D22 numerically");
  sub->add_option("--only", args->only, "Comma-separated ids, e.g. D6,D13")->delimiter(',');
  sub->add_option("--seed", args->seed, "Random seed");
  sub->callback([args, &exit_code] { exit_code = run_derivations(args->only, args->seed); });
}

}  // namespace zg::examples
