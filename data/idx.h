/// \file
/// IDX files (the MNIST / Fashion-MNIST format) and the MNIST-style image datasets.
///
/// IDX: two zero bytes, a type code, the number of dims, then each dim as a big-endian
/// uint32, then the data in row-major order (http://yann.lecun.com/exdb/mnist/). Files are
/// usually gzip'd; we detect gzip by its magic bytes (1f 8b) rather than by the name, so
/// either form works under either name. Parsing works on bytes in memory (parse_idx) so the
/// tests and the fuzzer can feed it anything; it needs no Tensor. load_mnist() then makes
/// the tensors the examples train on.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace zg::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  ///< row-major, product(dims) bytes
};

/// Only type code 0x08 (unsigned byte) is supported — all MNIST-family files use it; other
/// codes raise a zg::Error naming the code. ndims must be 1..4, every dim > 0, and the data
/// exactly product(dims) bytes (truncated or trailing bytes are errors).
IdxArray read_idx(const std::string& path);
IdxArray parse_idx(const uint8_t* bytes, size_t size, const std::string& name);

/// The most data bytes an IDX file may declare (bounds memory for a hostile header).
inline constexpr uint64_t kIdxMaxBytes = uint64_t{1} << 32;

struct ImageDataset {
  Tensor images;  ///< float32 [N, 1, H, W], values in [0, 1]
  Tensor labels;  ///< int64 [N], values 0..9
};

/// Loads {train,t10k}-images-idx3-ubyte[.gz] and {train,t10k}-labels-idx1-ubyte[.gz] from dir
/// and checks that the counts agree. A missing file raises an error that lists the names
/// looked for and points at Debian's dataset-fashion-mnist package.
ImageDataset load_mnist(const std::string& dir, bool train);

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
/// The ten Fashion-MNIST class names, by label: "T-shirt/top", "Trouser", ...
std::vector<std::string> fashion_mnist_classes();

}  // namespace zg::data
