// `zerogen score`: see score.cpp.
#pragma once
#include <CLI/CLI.hpp>

namespace zg::examples {
void add_score_command(CLI::App& app, int& exit_code);
}
