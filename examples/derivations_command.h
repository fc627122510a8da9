// `zerogen derivations`: the numerical checks of ../shared/DERIVATIONS.md as a table.
#pragma once
#include <CLI/CLI.hpp>

namespace zg::examples {
void add_derivations_command(CLI::App& app, int& exit_code);
}
