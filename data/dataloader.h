/// \file
/// DataLoader: mini-batches of (inputs, targets) tensors whose first dim indexes samples.
///
/// Shaped for resumable training: the shuffle of epoch e is a pure function of (seed, e) —
/// Philox keyed by the seed and the epoch — so batch(e, i) can be computed in any order, and
/// a run restarted from a checkpoint at (epoch, index) sees exactly the batches it would
/// have seen. There is no worker pool: the data sets here fit in memory and a batch is one
/// index_select (a contiguous copy).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "tensor/tensor.h"

namespace zg::data {

class DataLoader {
 public:
  struct Batch {
    Tensor inputs, targets;  ///< targets undefined when the loader has none
  };

  /// targets may be undefined (unsupervised data); otherwise its first dim must match.
  DataLoader(Tensor inputs, Tensor targets, int64_t batch_size, bool shuffle = true,
             bool drop_last = false, uint64_t seed = 0);

  int64_t size() const;  ///< batches per epoch
  int64_t num_samples() const { return n_; }
  int64_t batch_size() const { return batch_size_; }
  /// Batch `index` (0 <= index < size()) of epoch `epoch` (>= 0); random access.
  Batch batch(int64_t epoch, int64_t index) const;
  /// The sample order of an epoch: a permutation of 0..n-1 (the identity without shuffle).
  std::vector<int64_t> order(int64_t epoch) const;

  class Iterator {
   public:
    Iterator(const DataLoader* dl, int64_t epoch, int64_t index)
        : dl_(dl), epoch_(epoch), index_(index) {}
    Batch operator*() const { return dl_->batch(epoch_, index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return index_ != o.index_; }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }
    int64_t index() const { return index_; }

   private:
    const DataLoader* dl_;
    int64_t epoch_, index_;
  };
  struct Epoch {
    const DataLoader* dl;
    int64_t epoch;
    int64_t start = 0;  ///< first batch index (a resumed run starts mid-epoch)
    Iterator begin() const { return {dl, epoch, start}; }
    Iterator end() const { return {dl, epoch, dl->size()}; }
  };
  /// for (auto b : loader.epoch(e)) ...; loader.epoch(e, i) starts at batch i.
  Epoch epoch(int64_t e, int64_t start = 0) const;

 private:
  std::shared_ptr<const std::vector<int64_t>> cached_order(int64_t epoch) const;

  Tensor inputs_, targets_;
  int64_t n_, batch_size_;
  bool shuffle_, drop_last_;
  uint64_t seed_;
  /// The last epoch's permutation, so iterating an epoch costs O(n) once, not per batch.
  /// Behind a shared_ptr so the loader stays copyable and movable; copies share it, which is
  /// harmless since the order is a pure function of (seed, epoch).
  struct Cache {
    std::mutex mu;
    int64_t epoch = -1;
    std::shared_ptr<const std::vector<int64_t>> order;
  };
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

/// (images - mean) / std, elementwise; std must be > 0.
Tensor normalize(const Tensor& images, double mean, double std);

}  // namespace zg::data
