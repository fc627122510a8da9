// Resume tests of every trainer end the same way: the checkpoint of a run stopped after N
// steps and resumed for N more must equal, bit for bit, the checkpoint of a straight 2N run.
#pragma once
#include <doctest/doctest.h>

#include <string>

#include "io/run_dir.h"
#include "tests/test_util.h"

namespace zg::test {

inline void check_same_checkpoint(const std::string& path_a, const std::string& path_b) {
  io::Checkpoint a = io::load_checkpoint(path_a), b = io::load_checkpoint(path_b);
  CHECK(a.step == b.step);
  CHECK(a.rng_seed == b.rng_seed);
  CHECK(a.rng_offset == b.rng_offset);
  REQUIRE(a.groups.size() == b.groups.size());
  for (const auto& [group, tensors] : a.groups) {
    REQUIRE(b.groups.count(group) == 1);
    const TensorDict& other = b.group(group);
    REQUIRE(tensors.size() == other.size());
    for (const auto& [name, t] : tensors) {
      INFO(group, "/", name);
      REQUIRE(other.count(name) == 1);
      CHECK(test::max_abs_diff(t.to(kFloat64), other.at(name).to(kFloat64)) == 0.0);
    }
  }
}

}  // namespace zg::test
