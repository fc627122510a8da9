#include "tensor/tensor.h"

#include <cblas.h>
#include <omp.h>

#include <cstring>

#include "tensor/raw.h"

namespace zg {

TensorImpl& Tensor::impl() const {
  ZG_CHECK(impl_ != nullptr, "Tensor: use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int64_t d) const {
  ZG_CHECK(dim() > 0, "size: dim {} of a 0-d tensor (shape [])", d);
  return impl().shape[wrap_dim(d, dim(), "size")];
}
int64_t Tensor::stride(int64_t d) const {
  ZG_CHECK(dim() > 0, "stride: dim {} of a 0-d tensor (shape [])", d);
  return impl().strides[wrap_dim(d, dim(), "stride")];
}

bool Tensor::is_contiguous() const {
  const TensorImpl& t = impl();
  if (numel() == 0) return true;  // no elements, no layout to violate (as PyTorch)
  int64_t expected = 1;
  for (size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] == 1) continue;
    if (t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

template <class T>
T* Tensor::data_ptr() const {
  ZG_CHECK(dtype() == dtype_of<T>(), "data_ptr: tensor is {}, asked for {}", dtype_name(dtype()),
           dtype_name(dtype_of<T>()));
  ZG_CHECK(device() == kCPU, "data_ptr: tensor is on {}; host code reads it after .to(kCPU)",
           device_name(device()));
  return static_cast<T*>(impl().storage->data) + impl().offset;
}
template float* Tensor::data_ptr<float>() const;
template double* Tensor::data_ptr<double>() const;
template int64_t* Tensor::data_ptr<int64_t>() const;

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = raw::make(shape(), dtype_of<T>(), kCPU);  // a fresh copy, from any device
  raw::copy_into(c, *this, "to_vector");
  const T* p = c.data_ptr<T>();
  return std::vector<T>(p, p + c.numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;

template <class T>
T Tensor::item() const {
  ZG_CHECK(numel() == 1, "item: expected a tensor with one element, got shape {}",
           shape_str(shape()));
  return to_vector<T>()[0];
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;

void set_num_threads(int n) {
  ZG_CHECK(n >= 1, "set_num_threads: expected n >= 1, got {}", n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}
int get_num_threads() { return omp_get_max_threads(); }

}  // namespace zg
