// Run directories and checkpoints (io/run_dir.h) and the progress line's durations.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "io/atomic_file.h"
#include "io/progress.h"
#include "io/run_dir.h"
#include "io/safetensors.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"
#include "zerogen.h"

namespace zg {
namespace {

namespace fs = std::filesystem;

TEST_CASE("checkpoint: groups, step, RNG state and metadata round trip") {
  test::TempDir tmp;  // per process: concurrent runs of the suite must not share files
  std::string dir = tmp.path().string();
  io::RunDir run(dir + "/nested/run");
  CHECK_FALSE(run.has_checkpoint());
  io::Checkpoint ck;
  ck.groups["model"]["fc.weight"] = randn({3, 4});
  ck.groups["model"]["bn.num_batches_tracked"] = full({}, 7, kInt64);
  ck.groups["optim"]["0.exp_avg"] = randn({3, 4}, kFloat64);
  ck.step = 1234;
  ck.rng_seed = 0xFFFFFFFFFFFFFFFFull;  // full uint64 range survives the text metadata
  ck.rng_offset = 99;
  ck.metadata["command"] = "test";
  io::save_checkpoint(run.checkpoint_path(), ck);
  CHECK(run.has_checkpoint());
  io::Checkpoint back = io::load_checkpoint(run.checkpoint_path());
  CHECK(back.step == 1234);
  CHECK(back.rng_seed == ck.rng_seed);
  CHECK(back.rng_offset == 99);
  CHECK(back.metadata.at("command") == "test");
  CHECK(back.group("model").size() == 2);
  CHECK(test::max_abs_diff(back.group("model").at("fc.weight"), ck.groups["model"]["fc.weight"]) ==
        0);
  CHECK(back.group("model").at("bn.num_batches_tracked").item<int64_t>() == 7);
  CHECK(back.group("optim").at("0.exp_avg").dtype() == kFloat64);
  CHECK_THROWS_WITH_AS(back.group("ema"), doctest::Contains("no group 'ema'"), Error);

  // No temporary files left behind.
  int files = 0;
  for (auto& e : fs::directory_iterator(run.path())) files += e.is_regular_file();
  CHECK(files == 1);

  // A safetensors file that is not a checkpoint is refused by name.
  std::string other = run.file("plain.safetensors");
  io::save_safetensors(other, {{"x", zeros({2})}});
  CHECK_THROWS_WITH_AS(io::load_checkpoint(other), doctest::Contains("not a zerogen checkpoint"),
                       Error);
}

TEST_CASE("config.json is written atomically and read back") {
  test::TempDir tmp;
  std::string dir = tmp.path().string();
  io::RunDir run(dir);
  run.write_config({{"seed", 3}, {"lr", 0.5}, {"name", "x"}});
  auto c = run.read_config();
  CHECK(c["seed"] == 3);
  CHECK(c["lr"] == 0.5);
  io::write_file_atomically(run.file("config.json"), std::string("{not json"));
  CHECK_THROWS_WITH_AS(run.read_config(), doctest::Contains("not valid JSON"), Error);
}

TEST_CASE("format_duration") {
  CHECK(io::format_duration(12.34) == "12.3s");
  CHECK(io::format_duration(185) == "3m05s");
  CHECK(io::format_duration(3725) == "1h02m");
  CHECK(io::format_duration(-1) == "?");
}

}  // namespace
}  // namespace zg
