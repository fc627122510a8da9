/// \file
/// zg::Tensor — a value-semantics handle over shared, strided storage, like torch::Tensor.
///
/// Copying a Tensor copies the handle, not the data. A tensor is (storage, shape, strides,
/// offset, dtype); views (transpose, narrow, expand, ...) make new handles over the same
/// storage. The differentiable ops declared here are implemented in autograd/ops/, each
/// beside its backward formula; the tensor layer itself knows nothing about graphs and only
/// carries an opaque pointer to the autograd metadata.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace zg {

struct AutogradMeta;  // autograd/node.h
struct Node;          // autograd/node.h
class Generator;      // tensor/generator.h

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       ///< in elements
  int64_t offset = 0;  ///< in elements
  DType dtype = kFloat32;
  std::shared_ptr<AutogradMeta> autograd;  ///< null until requires_grad or an op records it
};

/// dtype + device + requires_grad for factories: `zeros({2, 3}, kFloat64)` or
/// `zeros({2}, TensorOptions().dtype(kFloat64).requires_grad(true))`.
struct TensorOptions {
  TensorOptions() = default;
  TensorOptions(DType t) : dtype_(t) {}    // NOLINT: implicit on purpose
  TensorOptions(Device d) : device_(d) {}  // NOLINT: implicit on purpose
  TensorOptions dtype(DType t) const {
    auto o = *this;
    o.dtype_ = t;
    return o;
  }
  TensorOptions device(Device d) const {
    auto o = *this;
    o.device_ = d;
    return o;
  }
  TensorOptions requires_grad(bool r = true) const {
    auto o = *this;
    o.requires_grad_ = r;
    return o;
  }
  DType dtype_ = kFloat32;
  Device device_ = kCPU;
  bool requires_grad_ = false;
};

class Tensor {
 public:
  Tensor() = default;  ///< undefined: check with defined()
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- geometry -------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  const Shape& sizes() const { return impl().shape; }
  const Shape& shape() const { return impl().shape; }
  int64_t size(int64_t d) const;
  const Shape& strides() const { return impl().strides; }
  int64_t stride(int64_t d) const;
  int64_t storage_offset() const { return impl().offset; }
  int64_t numel() const { return numel_of(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device; }
  /// This tensor's dtype and device, for a factory making one like it: zeros(s, x.options()).
  TensorOptions options() const { return TensorOptions(dtype()).device(device()); }
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }
  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  /// Pointer to element [0, 0, ...] (storage + offset), checked against T.
  template <class T>
  T* data_ptr() const;
  /// The single value of a one-element tensor, converted to T.
  template <class T>
  T item() const;
  /// All values in row-major order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // ---- autograd (autograd/) -------------------------------------------------------------
  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);
  const Tensor& grad() const;  ///< undefined until a backward reaches this leaf
  void set_grad(const Tensor& g) const;
  std::shared_ptr<Node> grad_fn() const;
  bool is_leaf() const;
  void retain_grad() const;  ///< keep .grad() of a non-leaf after backward
  /// Seed gradient required unless this is a single-element tensor. retain_graph defaults
  /// to create_graph, as in PyTorch.
  void backward(const Tensor& gradient = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false) const;
  Tensor detach() const;  ///< same storage, no history

  // ---- conversion -----------------------------------------------------------------------
  Tensor to(DType t) const;
  Tensor to(Device d) const;
  Tensor clone() const;
  Tensor contiguous() const;

  // ---- views (no copy) ------------------------------------------------------------------
  Tensor view(const Shape& shape) const;     ///< must be viewable; -1 infers one dim
  Tensor reshape(const Shape& shape) const;  ///< view when possible, else a copy
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const;   ///< 2-D transpose (0-D and 1-D unchanged)
  Tensor mT() const;  ///< transpose of the last two dims
  Tensor permute(const Shape& dims) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(const Shape& shape) const;  ///< -1 keeps a dim
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> unbind(int64_t dim = 0) const;

  // ---- elementwise (differentiable where it makes sense) --------------------------------
  Tensor neg() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor square() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor erf() const;
  Tensor relu() const;
  Tensor leaky_relu(double negative_slope = 0.01) const;
  Tensor silu() const;
  Tensor gelu() const;  ///< exact (erf) form, as torch's default
  Tensor softplus() const;
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;
  Tensor clamp_min(double min) const { return clamp(min, std::nullopt); }
  Tensor clamp_max(double max) const { return clamp(std::nullopt, max); }
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(double exponent) const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;
  /// Comparisons return 0/1 in the operands' dtype (zerogen has no bool dtype).
  Tensor eq(const Tensor& o) const;
  Tensor ne(const Tensor& o) const;
  Tensor lt(const Tensor& o) const;
  Tensor le(const Tensor& o) const;
  Tensor gt(const Tensor& o) const;
  Tensor ge(const Tensor& o) const;
  Tensor eq(double v) const;
  Tensor ne(double v) const;
  Tensor lt(double v) const;
  Tensor le(double v) const;
  Tensor gt(double v) const;
  Tensor ge(double v) const;
  Tensor masked_fill(const Tensor& mask, double value) const;  ///< where mask != 0

  // ---- reductions: over every dim, or over `dims` (keepdim keeps them as size 1) -------
  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  Tensor var(bool unbiased = true) const;
  Tensor var(const Shape& dims, bool unbiased = true, bool keepdim = false) const;
  Tensor std(bool unbiased = true) const;
  Tensor std(const Shape& dims, bool unbiased = true, bool keepdim = false) const;
  /// Without these, a braced single dim such as x.var({1}) would convert to the bool
  /// overload above and reduce over every dim.
  Tensor var(std::initializer_list<int64_t> dims, bool unbiased = true,
             bool keepdim = false) const {
    return var(Shape(dims), unbiased, keepdim);
  }
  Tensor std(std::initializer_list<int64_t> dims, bool unbiased = true,
             bool keepdim = false) const {
    return std(Shape(dims), unbiased, keepdim);
  }
  Tensor max() const;  ///< over everything
  Tensor min() const;
  std::pair<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;  ///< values, indices
  std::pair<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(const Shape& dims, bool keepdim = false) const;
  Tensor amin(const Shape& dims, bool keepdim = false) const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  Tensor logsumexp(const Shape& dims, bool keepdim = false) const;
  Tensor sum_to_size(const Shape& shape) const;  ///< undo a broadcast by summing

  // ---- linear algebra, softmax, indexing ------------------------------------------------
  Tensor matmul(const Tensor& other) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;

  // ---- in-place (not differentiable; for optimizers and initialisers) ------------------
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double v);
  Tensor& sub_(const Tensor& other, double alpha = 1.0) { return add_(other, -alpha); }
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double v);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double v) { return mul_(1.0 / v); }
  Tensor& addcmul_(const Tensor& t1, const Tensor& t2, double value = 1.0);  ///< += v·t1·t2
  Tensor& addcdiv_(const Tensor& t1, const Tensor& t2, double value = 1.0);  ///< += v·t1/t2
  Tensor& copy_(const Tensor& src);  ///< broadcasts src, converts dtype
  Tensor& fill_(double v);
  Tensor& zero_() { return fill_(0.0); }
  Tensor& uniform_(double from = 0.0, double to = 1.0, Generator* gen = nullptr);
  Tensor& normal_(double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
  Tensor& operator+=(const Tensor& o) { return add_(o); }
  Tensor& operator+=(double v) { return add_(v); }
  Tensor& operator-=(const Tensor& o) { return add_(o, -1.0); }
  Tensor& operator-=(double v) { return add_(-v); }
  Tensor& operator*=(const Tensor& o) { return mul_(o); }
  Tensor& operator*=(double v) { return mul_(v); }
  Tensor& operator/=(const Tensor& o) { return div_(o); }
  Tensor& operator/=(double v) { return div_(v); }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

/// Named tensors, sorted by name: state dicts, optimizer state, checkpoint files.
using TensorDict = std::map<std::string, Tensor>;

// ---- arithmetic (broadcasting; a double operand takes the tensor's dtype) -----------------
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

Tensor add(const Tensor& a, const Tensor& b, double alpha = 1.0);  ///< a + alpha·b
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, double b);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);  ///< cond != 0 ? a : b
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor one_hot(const Tensor& index, int64_t num_classes);  ///< int64 in, int64 out

// ---- normalisation statistics (autograd/ops/norm.cpp) -------------------------------------
/// Over `dims` (empty = all), kept as size-1 dims: mean of a, mean of b and their biased
/// covariance E[(a − ā)(b − b̄)], in one fused pass per slice. moments(x, x, dims) gives the
/// mean and the biased variance of x. Differentiable in a and b (to any order).
struct Moments {
  Tensor mean_a, mean_b, cov;
};
Moments moments(const Tensor& a, const Tensor& b, const Shape& dims);
/// a·s + c and a·s + b·t + c, broadcasting, in one pass (the norm layers' apply step).
Tensor affine(const Tensor& a, const Tensor& s, const Tensor& c);
Tensor affine(const Tensor& a, const Tensor& s, const Tensor& b, const Tensor& t, const Tensor& c);

// ---- factories (tensor/factory.cpp) ------------------------------------------------------
Tensor empty(const Shape& shape, TensorOptions opts = {});
Tensor zeros(const Shape& shape, TensorOptions opts = {});
Tensor ones(const Shape& shape, TensorOptions opts = {});
Tensor full(const Shape& shape, double value, TensorOptions opts = {});
Tensor scalar_tensor(double value, TensorOptions opts = {});
Tensor arange(double end, TensorOptions opts = {});
Tensor arange(double start, double end, double step = 1.0, TensorOptions opts = {});
Tensor linspace(double start, double end, int64_t steps, TensorOptions opts = {});
Tensor eye(int64_t n, TensorOptions opts = {});
Tensor rand(const Shape& shape, TensorOptions opts = {});
Tensor rand(const Shape& shape, Generator& gen, TensorOptions opts = {});
Tensor randn(const Shape& shape, TensorOptions opts = {});
Tensor randn(const Shape& shape, Generator& gen, TensorOptions opts = {});
Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions opts = kInt64);
Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen,
               TensorOptions opts = kInt64);
Tensor tensor(std::initializer_list<double> values, TensorOptions opts = {});
template <class T>
Tensor from_vector(const std::vector<T>& values, Shape shape = {});  ///< shape {} = 1-D
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
Tensor rand_like(const Tensor& t);
Tensor randn_like(const Tensor& t);

/// Whether tensors can live on kCUDA: this build has the CUDA backend (ZEROGEN_CUDA) and the
/// machine a usable GPU. Like torch::cuda::is_available().
bool cuda_is_available();
/// One line for logs: "cuda: <GPU, arch, memory>", or "cuda: unavailable, <why>".
std::string cuda_status();
/// Waits until the GPU has finished the work queued so far (for timing; reading a result
/// back with .to(kCPU) or item() waits by itself). A no-op without CUDA.
void cuda_synchronize();

/// Threads used by the CPU kernels and OpenBLAS (default: all cores).
void set_num_threads(int n);
int get_num_threads();

}  // namespace zg
