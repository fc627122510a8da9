// DataLoader: batch counts, every sample exactly once per epoch with inputs and targets kept
// together, shuffles that depend only on (seed, epoch) — so a resumed run sees the same
// batches — and are uniform (a frequency test at 4 standard errors), plus bad arguments.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "data/dataloader.h"
#include "tests/check_error.h"
#include "tests/test_util.h"

namespace zg::test {
namespace {

using data::DataLoader;

// inputs row i = [i, i + 0.5] (float), targets = 10 i (int64): pairing is checkable.
std::pair<Tensor, Tensor> numbered(int64_t n) {
  Tensor x = arange(n, kFloat32).unsqueeze(1);
  return {cat({x, x + 0.5}, 1), arange(n, kInt64) * 10.0};
}

// All sample ids of one epoch, in order, checking each batch's shape and pairing.
std::vector<int64_t> epoch_ids(const DataLoader& dl, int64_t e) {
  std::vector<int64_t> ids;
  int64_t count = 0;
  for (auto b : dl.epoch(e)) {
    CHECK(b.inputs.is_contiguous());
    CHECK(b.inputs.size(0) == b.targets.size(0));
    CHECK(b.inputs.size(0) <= dl.batch_size());
    auto x = b.inputs.to_vector<float>();
    auto t = b.targets.to_vector<int64_t>();
    for (int64_t r = 0; r < b.inputs.size(0); ++r) {
      CHECK(x[2 * r + 1] == x[2 * r] + 0.5f);
      CHECK(t[r] == 10 * static_cast<int64_t>(x[2 * r]));
      ids.push_back(static_cast<int64_t>(x[2 * r]));
    }
    ++count;
  }
  CHECK(count == dl.size());
  return ids;
}

TEST_CASE("DataLoader: batch counts, order without shuffle, last partial batch") {
  auto [x, y] = numbered(10);
  CHECK(DataLoader(x, y, 3, false).size() == 4);
  CHECK(DataLoader(x, y, 3, false, true).size() == 3);
  CHECK(DataLoader(x, y, 5, false, true).size() == 2);
  CHECK(DataLoader(x, y, 10, true).size() == 1);
  CHECK(DataLoader(x, y, 11, true).size() == 1);
  CHECK(DataLoader(x, y, 11, true, true).size() == 0);
  CHECK(DataLoader(zeros({0, 2}), Tensor(), 4).size() == 0);

  DataLoader dl(x, y, 3, false);
  std::vector<int64_t> ids = epoch_ids(dl, 0);
  std::vector<int64_t> want(10);
  std::iota(want.begin(), want.end(), 0);
  CHECK(ids == want);
  CHECK(dl.batch(0, 3).inputs.shape() == Shape{1, 2});  // 10 = 3 + 3 + 3 + 1
  CHECK(epoch_ids(dl, 5) == want);                      // no shuffle: every epoch the same
  CHECK(epoch_ids(DataLoader(x, y, 3, false, true), 0) ==
        std::vector<int64_t>(want.begin(), want.begin() + 9));
}

TEST_CASE("DataLoader: shuffled epochs are permutations that depend only on (seed, epoch)") {
  auto [x, y] = numbered(103);
  DataLoader dl(x, y, 8, true, false, 42);
  std::set<std::vector<int64_t>> seen;
  for (int64_t e = 0; e < 5; ++e) {
    std::vector<int64_t> ids = epoch_ids(dl, e);
    CHECK(ids == dl.order(e));
    std::vector<int64_t> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 103; ++i) CHECK(sorted[i] == i);
    seen.insert(ids);
  }
  CHECK(seen.size() == 5);  // epochs differ

  // A fresh loader with the same seed — a resumed run — gives the same batches, in any order
  // of access, including starting mid-epoch.
  DataLoader again(x, y, 8, true, false, 42);
  for (int64_t e : {3, 0, 4}) {
    for (int64_t i : {12, 0, 5}) {
      CAPTURE(e);
      CAPTURE(i);
      CHECK(max_abs_diff(again.batch(e, i).inputs, dl.batch(e, i).inputs) == 0);
      CHECK(max_abs_diff(again.batch(e, i).targets, dl.batch(e, i).targets) == 0);
    }
  }
  std::vector<int64_t> resumed;
  for (auto b : again.epoch(2, 7)) {
    auto v = b.targets.to_vector<int64_t>();
    for (int64_t t : v) resumed.push_back(t / 10);
  }
  std::vector<int64_t> full = dl.order(2);
  CHECK(resumed == std::vector<int64_t>(full.begin() + 7 * 8, full.end()));

  CHECK(DataLoader(x, y, 8, true, false, 43).order(0) != dl.order(0));  // seed matters
  // drop_last with shuffle drops n % batch_size samples, none twice.
  DataLoader dropping(x, y, 8, true, true, 42);
  std::vector<int64_t> ids = epoch_ids(dropping, 1);
  CHECK(ids.size() == 96);
  CHECK(std::set<int64_t>(ids.begin(), ids.end()).size() == 96);
  std::vector<int64_t> order1 = dl.order(1);
  CHECK(ids == std::vector<int64_t>(order1.begin(), order1.begin() + 96));
}

TEST_CASE("DataLoader: shuffles are uniform (position frequencies within 4 standard errors)") {
  // Over E epochs, sample k lands at position p with probability 1/n: a count of E/n with
  // standard deviation sqrt(E (1/n)(1 - 1/n)). Every (k, p) cell must lie within 4 of them.
  const int64_t n = 5, epochs = 5000;
  DataLoader dl(arange(n, kFloat32), Tensor(), 1, true, false, 7);
  std::vector<int64_t> count(n * n, 0);
  for (int64_t e = 0; e < epochs; ++e) {
    auto p = dl.order(e);
    for (int64_t pos = 0; pos < n; ++pos) ++count[p[pos] * n + pos];
  }
  const double mean = double(epochs) / n, sd = std::sqrt(epochs * (1.0 / n) * (1 - 1.0 / n));
  double worst = 0;
  for (int64_t c : count) worst = std::max(worst, std::abs(c - mean) / sd);
  MESSAGE("largest deviation: " << worst << " standard errors over " << n * n << " cells");
  CHECK(worst < 4.0);
}

TEST_CASE("DataLoader: image-shaped inputs, no targets, normalize, bad arguments") {
  Tensor imgs = rand({7, 1, 3, 3});
  DataLoader dl(imgs, Tensor(), 4, true, false, 1);
  auto b = dl.batch(0, 1);
  CHECK(b.inputs.shape() == Shape{3, 1, 3, 3});
  CHECK_FALSE(b.targets.defined());
  auto p = dl.order(0);
  CHECK(max_abs_diff(b.inputs.select(0, 2), imgs.select(0, p[6])) == 0);

  Tensor x = tensor({0.0, 0.5, 1.0});
  CHECK(allclose(data::normalize(x, 0.5, 0.25), tensor({-2.0, 0.0, 2.0})));

  CHECK_ZG_ERROR(DataLoader(imgs, Tensor(), 0), "DataLoader", "batch_size", "0");
  CHECK_ZG_ERROR(DataLoader(imgs, zeros({6}), 2), "DataLoader", "[7, 1, 3, 3]", "[6]");
  CHECK_ZG_ERROR(DataLoader(scalar_tensor(1.0), Tensor(), 2), "DataLoader", "first", "[]");
  CHECK_ZG_ERROR(DataLoader(Tensor(), Tensor(), 2), "DataLoader", "undefined");
  CHECK_ZG_ERROR(dl.batch(0, 2), "DataLoader", "batch index 2", "2 batches");
  CHECK_ZG_ERROR(dl.batch(0, -1), "DataLoader", "batch index -1");
  CHECK_ZG_ERROR(dl.batch(-1, 0), "DataLoader", "epoch", "-1");
  CHECK_ZG_ERROR(dl.epoch(0, 3), "DataLoader", "start batch 3");
  CHECK_ZG_ERROR(data::normalize(x, 0.5, 0.0), "normalize", "std");
}

}  // namespace
}  // namespace zg::test
