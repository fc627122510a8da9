// `zerogen score`: see score.cpp. Also the scoring step the image trainers end with.
#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "models/metrics.h"

namespace zg::examples {

void add_score_command(CLI::App& app, int& exit_code);

// Scores `samples` ([N, 1, 28, 28] in [0, 1]) against `reference` with the classifier
// checkpoint at `classifier_path` and prints the score (unless quiet). When there is no
// such file it prints how to make one and returns nullopt: a trainer's run still succeeds.
std::optional<models::SampleScore> score_if_classifier(const std::string& classifier_path,
                                                       const Tensor& samples,
                                                       const Tensor& reference, bool quiet);

}  // namespace zg::examples
