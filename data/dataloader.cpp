// Fisher–Yates with Philox draws: counter = position, key = a Philox hash of (seed, epoch),
// so epochs get unrelated streams and nothing depends on how many batches came before.
#include "data/dataloader.h"

#include <cmath>
#include <numeric>

#include "tensor/generator.h"

namespace zg::data {

DataLoader::DataLoader(Tensor inputs, Tensor targets, int64_t batch_size, bool shuffle,
                       bool drop_last, uint64_t seed)
    : inputs_(std::move(inputs)),
      targets_(std::move(targets)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      drop_last_(drop_last),
      seed_(seed) {
  ZG_CHECK(inputs_.defined(), "DataLoader: inputs are undefined");
  ZG_CHECK(inputs_.dim() >= 1, "DataLoader: inputs need a first (sample) dim, got shape {}",
           shape_str(inputs_.shape()));
  ZG_CHECK(batch_size_ > 0, "DataLoader: batch_size must be positive, got {}", batch_size_);
  n_ = inputs_.size(0);
  if (targets_.defined())
    ZG_CHECK(targets_.dim() >= 1 && targets_.size(0) == n_,
             "DataLoader: inputs {} and targets {} must have the same first (sample) dim",
             shape_str(inputs_.shape()), shape_str(targets_.shape()));
}

int64_t DataLoader::size() const {
  return drop_last_ ? n_ / batch_size_ : (n_ + batch_size_ - 1) / batch_size_;
}

std::vector<int64_t> DataLoader::order(int64_t epoch) const {
  ZG_CHECK(epoch >= 0, "DataLoader: epoch must be >= 0, got {}", epoch);
  std::vector<int64_t> p(n_);
  std::iota(p.begin(), p.end(), 0);
  if (!shuffle_) return p;
  auto k = philox4x32(static_cast<uint64_t>(epoch), seed_ ^ 0x9E3779B97F4A7C15ull);
  uint64_t key = uint64_t{k[0]} << 32 | k[1];
  for (int64_t i = n_ - 1; i > 0; --i) {
    auto r = philox4x32(static_cast<uint64_t>(i), key);
    uint64_t bits = uint64_t{r[0]} << 32 | r[1];
    // j uniform in [0, i] by multiply-high (bias < (i+1)/2^64, far below any test).
    auto j = static_cast<int64_t>((static_cast<unsigned __int128>(bits) * (i + 1)) >> 64);
    std::swap(p[i], p[j]);
  }
  return p;
}

std::shared_ptr<const std::vector<int64_t>> DataLoader::cached_order(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(cache_->mu);
  if (!cache_->order || cache_->epoch != epoch) {
    cache_->order = std::make_shared<const std::vector<int64_t>>(order(epoch));
    cache_->epoch = epoch;
  }
  return cache_->order;
}

DataLoader::Batch DataLoader::batch(int64_t epoch, int64_t index) const {
  ZG_CHECK(index >= 0 && index < size(),
           "DataLoader: batch index {} out of range (an epoch has {} batches of {} from {} "
           "samples{})",
           index, size(), batch_size_, n_, drop_last_ ? ", drop_last" : "");
  auto p = cached_order(epoch);
  int64_t begin = index * batch_size_, end = std::min(n_, begin + batch_size_);
  Tensor idx = from_vector(std::vector<int64_t>(p->begin() + begin, p->begin() + end));
  Batch b;
  b.inputs = inputs_.index_select(0, idx);
  if (targets_.defined()) b.targets = targets_.index_select(0, idx);
  return b;
}

DataLoader::Epoch DataLoader::epoch(int64_t e, int64_t start) const {
  ZG_CHECK(e >= 0, "DataLoader: epoch must be >= 0, got {}", e);
  ZG_CHECK(start >= 0 && start <= size(), "DataLoader: start batch {} out of range 0..{}", start,
           size());
  return {this, e, start};
}

Tensor normalize(const Tensor& images, double mean, double std) {
  ZG_CHECK(std > 0 && std::isfinite(std) && std::isfinite(mean),
           "normalize: std must be positive and finite and mean finite, got mean {} std {}", mean,
           std);
  return (images - mean) / std;
}

}  // namespace zg::data
