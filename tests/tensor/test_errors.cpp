// Bad input raises zg::Error (never a crash) with a message that names the op and what was
// wrong with the arguments: their shapes (shape_str format, "[2, 3]"), dims or dtypes.
#include <initializer_list>
#include <string>

#include "tests/check_error.h"
#include "tests/test_util.h"

namespace zg::test {

TEST_CASE("errors: shape mismatch in elementwise ops and matmul") {
  Tensor a = zeros({2, 3}), b = zeros({4}), c = zeros({4, 5}), d = zeros({2, 2, 3});
  CHECK_ZG_ERROR(a + b, "add", "[2, 3]", "[4]");
  CHECK_ZG_ERROR(a - b, "sub", "[2, 3]", "[4]");
  CHECK_ZG_ERROR(a * d.transpose(1, 2), "mul", "[2, 3]", "[2, 3, 2]");
  CHECK_ZG_ERROR(b / a, "div", "[4]", "[2, 3]");
  CHECK_ZG_ERROR(maximum(a, b), "maximum", "[2, 3]", "[4]");
  CHECK_ZG_ERROR(a.lt(b), "lt", "[2, 3]", "[4]");
  CHECK_ZG_ERROR(where(zeros({3, 1}), a, a), "where", "[3, 1]", "[2, 3]");
  CHECK_ZG_ERROR(a.matmul(c), "matmul", "[2, 3]", "[4, 5]");
  CHECK_ZG_ERROR(matmul(b, a), "matmul", "[4]", "[2, 3]");
  CHECK_ZG_ERROR(matmul(a, b), "matmul", "[2, 3]", "[4]");
  CHECK_ZG_ERROR(matmul(zeros({2, 3, 4}), zeros({3, 4, 5})), "matmul", "[2]", "[3]");
  CHECK_ZG_ERROR(matmul(zeros({}), a), "matmul", "[]", "[2, 3]");
  CHECK_ZG_ERROR(a.expand({4, 3}), "expand", "[2, 3]", "[4, 3]");
  CHECK_ZG_ERROR(a.expand({3}), "expand", "[2, 3]", "[3]");
  CHECK_ZG_ERROR(b.expand({-1, 4}), "expand", "[-1, 4]", "[4]");  // -1 for a new dim
}

TEST_CASE("errors: dtype mismatch") {
  Tensor f = zeros({2, 3}), d = zeros({2, 3}, kFloat64), i = zeros({2, 3}, kInt64);
  CHECK_ZG_ERROR(f + d, "add", "float32", "float64", "[2, 3]");
  CHECK_ZG_ERROR(d * i, "mul", "float64", "int64");
  CHECK_ZG_ERROR(f.matmul(d.t()), "matmul", "float32", "float64");
  CHECK_ZG_ERROR(cat({f, d}), "cat", "float32", "float64");
  CHECK_ZG_ERROR(where(i, f, d), "where", "float32", "float64");
  CHECK_ZG_ERROR(f.add_(d), "add_", "float32", "float64");
  CHECK_ZG_ERROR(d.scatter_add(0, zeros({1, 3}, kInt64), zeros({1, 3})), "scatter_add", "float64",
                 "float32");
}

TEST_CASE("errors: dim out of range") {
  Tensor a = zeros({2, 3});
  CHECK_ZG_ERROR(a.sum({2}), "sum", "dim 2", "2-d");
  CHECK_ZG_ERROR(a.sum({-3}), "sum", "dim -3", "2-d");
  CHECK_ZG_ERROR(a.sum({0, 0}), "sum", "twice", "[0, 0]");
  CHECK_ZG_ERROR(a.mean({5}), "mean", "dim 5");
  CHECK_ZG_ERROR(a.var({2}), "var", "dim 2");
  CHECK_ZG_ERROR(a.amax({2}), "amax", "dim 2");
  CHECK_ZG_ERROR(a.max(2), "max", "dim 2");
  CHECK_ZG_ERROR(a.argmax(-3), "argmax", "dim -3");
  CHECK_ZG_ERROR(a.logsumexp({2}), "logsumexp", "dim 2");
  CHECK_ZG_ERROR(a.transpose(0, 2), "transpose", "dim 2", "2-d");
  CHECK_ZG_ERROR(a.softmax(2), "softmax", "dim 2", "2-d");
  CHECK_ZG_ERROR(log_softmax(a, -3), "log_softmax", "dim -3");
  CHECK_ZG_ERROR(a.unsqueeze(3), "unsqueeze", "dim 3");
  CHECK_ZG_ERROR(a.unsqueeze(-4), "unsqueeze", "dim -4");
  CHECK_ZG_ERROR(a.squeeze(2), "squeeze", "dim 2");
  CHECK_ZG_ERROR(a.size(2), "size", "dim 2");
  CHECK_ZG_ERROR(a.flatten(0, 2), "flatten", "dim 2");
  CHECK_ZG_ERROR(a.permute({0, 2}), "permute", "dim 2");
  CHECK_ZG_ERROR(a.permute({0, 0}), "permute", "twice");
  CHECK_ZG_ERROR(a.permute({0}), "permute", "[2, 3]");
  CHECK_ZG_ERROR(cat({a, a}, 2), "cat", "dim 2");
  CHECK_ZG_ERROR(stack({a, a}, 3), "stack", "dim 3");
  CHECK_ZG_ERROR(a.chunk(2, 2), "chunk", "dim 2");
  CHECK_ZG_ERROR(a.unbind(-3), "unbind", "dim -3");
  CHECK_ZG_ERROR(zeros({2, 3, 4}).t(), "t", "[2, 3, 4]");
  CHECK_ZG_ERROR(zeros({3}).mT(), "mT", "[3]");
}

TEST_CASE("errors: index out of range") {
  Tensor a = zeros({2, 3});
  CHECK_ZG_ERROR(a.select(0, 2), "select", "index 2", "size 2", "[2, 3]");
  CHECK_ZG_ERROR(a.select(1, -4), "select", "index -4", "[2, 3]");
  CHECK_ZG_ERROR(a.narrow(1, 2, 2), "narrow", "[2, 4)", "size 3", "[2, 3]");
  CHECK_ZG_ERROR(a.narrow(0, 0, -1), "narrow", "[2, 3]");
  Tensor bad = from_vector(std::vector<int64_t>{0, 2});
  CHECK_ZG_ERROR(a.index_select(0, bad), "index_select", "[0, 2]", "size 2");
  CHECK_ZG_ERROR(a.index_select(1, from_vector(std::vector<int64_t>{-1})), "index_select", "-1");
  CHECK_ZG_ERROR(a.index_select(0, zeros({2})), "index_select", "int64", "float32");
  CHECK_ZG_ERROR(a.index_select(0, zeros({1, 1}, kInt64)), "index_select", "[1, 1]");
  Tensor idx = from_vector(std::vector<int64_t>{0, 3, 1, 0}, {2, 2});
  CHECK_ZG_ERROR(a.gather(1, idx), "gather", "[0, 3]", "size 3");
  CHECK_ZG_ERROR(a.gather(1, zeros({2}, kInt64)), "gather", "[2]", "[2, 3]");
  CHECK_ZG_ERROR(a.gather(1, zeros({3, 1}, kInt64)), "gather", "[3, 1]", "[2, 3]");
  CHECK_ZG_ERROR(a.scatter_add(1, idx, ones({2, 2})), "scatter_add", "[0, 3]", "size 3");
  CHECK_ZG_ERROR(a.scatter_add(1, zeros({2, 2}, kInt64), ones({2, 1})), "scatter_add", "[2, 1]",
                 "[2, 2]");
  Tensor labels = from_vector(std::vector<int64_t>{0, 4, 2});
  CHECK_ZG_ERROR(one_hot(labels, 3), "one_hot", "[0, 4]", "size 3");
  CHECK_ZG_ERROR(one_hot(labels, 0), "one_hot", "num_classes");
  CHECK_ZG_ERROR(one_hot(zeros({3}), 3), "one_hot", "int64", "float32");
}

TEST_CASE("errors: views and reshapes") {
  Tensor a = zeros({2, 3});
  CHECK_ZG_ERROR(a.t().view({6}), "view", "[3, 2]", "[6]", "reshape");
  CHECK_ZG_ERROR(a.view({4}), "view", "[4]", "[2, 3]");
  CHECK_ZG_ERROR(a.reshape({4}), "reshape", "[4]", "[2, 3]");
  CHECK_ZG_ERROR(a.reshape({-1, 4}), "reshape", "[-1, 4]", "[2, 3]");
  CHECK_ZG_ERROR(a.reshape({-1, -1}), "reshape", "[-1, -1]");
  CHECK_ZG_ERROR(a.reshape({-2, -3}), "reshape", "[-2, -3]");
  CHECK_ZG_ERROR(a.split(0), "split", "0");
  CHECK_ZG_ERROR(a.chunk(0), "chunk", "0");
  CHECK_ZG_ERROR(a.slice(1, 0, 3, 0), "slice", "step");
  CHECK_ZG_ERROR(zeros({}).select(0, 0), "select", "0-d");
  CHECK_ZG_ERROR(zeros({}).narrow(0, 0, 1), "narrow", "0-d");
  CHECK_ZG_ERROR(zeros({}).split(1), "split", "0-d");
  CHECK_ZG_ERROR(zeros({}).chunk(2), "chunk", "0-d");
  CHECK_ZG_ERROR(zeros({}).unbind(), "unbind", "0-d");
  CHECK_ZG_ERROR(zeros({}).size(0), "size", "0-d");
  CHECK_ZG_ERROR(zeros({}).stride(-1), "stride", "0-d");
  CHECK_ZG_ERROR(zeros({}).gather(0, ones({}, kInt64)), "gather", "[1, 1]", "size 1");
}

TEST_CASE("errors: cat and stack of mismatched shapes") {
  Tensor a = zeros({2, 3}), b = zeros({3, 2}), c = zeros({2, 3, 1});
  CHECK_ZG_ERROR(cat({a, b}, 0), "cat", "[3, 2]", "[2, 3]");
  CHECK_ZG_ERROR(cat({a, c}, 1), "cat", "[2, 3, 1]", "[2, 3]");
  CHECK_ZG_ERROR(cat({}, 0), "cat", "empty");
  CHECK_ZG_ERROR(cat({zeros({}), zeros({})}, 0), "cat", "zero-dim");
  CHECK_ZG_ERROR(stack({a, b}), "stack", "[3, 2]", "[2, 3]");
  CHECK_ZG_ERROR(stack({}), "stack", "empty");
}

TEST_CASE("errors: item, data_ptr, to_vector, factories") {
  Tensor a = zeros({2, 3});
  CHECK_ZG_ERROR(a.item<double>(), "item", "[2, 3]");
  CHECK_ZG_ERROR(zeros({0}).item<float>(), "item", "[0]");
  CHECK_ZG_ERROR(a.data_ptr<double>(), "data_ptr", "float32", "float64");
  CHECK_ZG_ERROR(zeros({2}, kInt64).data_ptr<float>(), "data_ptr", "int64", "float32");
  CHECK_ZG_ERROR(from_vector(std::vector<double>{1, 2, 3, 4, 5}, {2, 3}), "from_vector", "5",
                 "[2, 3]");
  CHECK_ZG_ERROR(zeros({2, -1}), "[2, -1]", "negative");
  CHECK_ZG_ERROR(arange(0, 1, 0), "arange", "step");
  CHECK_ZG_ERROR(arange(0, INFINITY), "arange", "finite");
  CHECK_ZG_ERROR(arange(0, 1e30, 1e-30), "arange", "too many");
  CHECK_ZG_ERROR(linspace(0, 1, -1), "linspace", "-1");
  CHECK_ZG_ERROR(randint(3, 3, {2}), "randint", "[3, 3)");
  CHECK_ZG_ERROR(rand({2}, kInt64), "rand", "int64");
  CHECK_ZG_ERROR(randn({2}, kInt64), "randn", "int64");
  if (!cuda_is_available()) CHECK_ZG_ERROR(zeros({2}, kCUDA), "cuda");
  CHECK_ZG_ERROR(set_num_threads(0), "set_num_threads", "0");
}

TEST_CASE("errors: float-only ops on int64") {
  Tensor i = zeros({3}, kInt64);
  CHECK_ZG_ERROR(i.exp(), "exp", "int64", "[3]");
  CHECK_ZG_ERROR(i.log(), "log", "int64");
  CHECK_ZG_ERROR(i.sigmoid(), "sigmoid", "int64");
  CHECK_ZG_ERROR(i.gelu(), "gelu", "int64");
  CHECK_ZG_ERROR(i.pow(2.0), "pow", "int64");
  CHECK_ZG_ERROR(i / i, "div", "int64");
  CHECK_ZG_ERROR(i.mean(), "mean", "int64");
  CHECK_ZG_ERROR(i.var(), "var", "int64");
  CHECK_ZG_ERROR(i.logsumexp({0}), "logsumexp", "int64");
  CHECK_ZG_ERROR(i.softmax(0), "softmax", "int64");
  CHECK_ZG_ERROR(i.reshape({1, 3}).matmul(i.reshape({3, 1})), "matmul", "int64");
  CHECK_ZG_ERROR(i.div_(i), "div_", "int64");
  CHECK_ZG_ERROR(i.uniform_(), "uniform_", "int64");
  CHECK_ZG_ERROR(i.requires_grad_(), "requires_grad_", "int64", "[3]");
  CHECK_ZG_ERROR(zeros({2, 2}, TensorOptions(kInt64).requires_grad(true)), "requires_grad_",
                 "int64");
  // Ops defined on integers still work.
  CHECK(i.abs().dtype() == kInt64);
  CHECK(i.relu().dtype() == kInt64);
}

TEST_CASE("errors: in-place ops") {
  Tensor a = zeros({3});
  CHECK_ZG_ERROR(a.add_(zeros({2, 3})), "add_", "[2, 3]", "[3]");
  CHECK_ZG_ERROR(a.mul_(zeros({2})), "mul_", "[2]", "[3]");
  CHECK_ZG_ERROR(a.copy_(zeros({4})), "copy_", "[4]", "[3]");
  CHECK_ZG_ERROR(a.addcmul_(zeros({3}), zeros({2})), "addcmul_", "[2]", "[3]");
  Tensor e = zeros({1, 3}).expand({2, 3});
  CHECK_ZG_ERROR(e.fill_(1.0), "fill_", "expanded", "[2, 3]");
  CHECK_ZG_ERROR(e.add_(1.0), "add_", "expanded", "[2, 3]");
  Tensor leaf = zeros({3}).requires_grad_();
  CHECK_ZG_ERROR(leaf.add_(1.0), "add_", "requires grad", "[3]");
  CHECK_ZG_ERROR(leaf.zero_(), "fill_", "requires grad");
  {
    NoGradGuard guard;
    leaf.add_(1.0);  // allowed without grad mode
  }
  CHECK(leaf.sum().item<double>() == 3.0);
  CHECK(a.sum().item<double>() == 0.0);  // failed updates wrote nothing
}

TEST_CASE("errors: an undefined tensor") {
  Tensor u, a = zeros({2});
  CHECK_FALSE(u.defined());
  CHECK_ZG_ERROR(u.shape(), "undefined");
  CHECK_ZG_ERROR(u.dim(), "undefined");
  CHECK_ZG_ERROR(u.numel(), "undefined");
  CHECK_ZG_ERROR(u.dtype(), "undefined");
  CHECK_ZG_ERROR(u.exp(), "undefined");
  CHECK_ZG_ERROR(u + a, "undefined");
  CHECK_ZG_ERROR(a + u, "undefined");
  CHECK_ZG_ERROR(u * 2.0, "undefined");
  CHECK_ZG_ERROR(matmul(a, u), "undefined");
  CHECK_ZG_ERROR(cat({a, u}), "undefined");
  CHECK_ZG_ERROR(u.sum(), "undefined");
  CHECK_ZG_ERROR(u.item<double>(), "undefined");
  CHECK_ZG_ERROR(u.to_vector<float>(), "undefined");
  CHECK_ZG_ERROR(u.reshape({2}), "undefined");
  CHECK_ZG_ERROR(u.clone(), "undefined");
  CHECK_ZG_ERROR(u.requires_grad_(), "undefined");
  CHECK_ZG_ERROR(a.copy_(u), "undefined");
  CHECK_ZG_ERROR(u.fill_(0.0), "undefined");
  CHECK_ZG_ERROR(where(u, a, a), "undefined");
  CHECK_ZG_ERROR(a.index_select(0, u), "undefined");
}

TEST_CASE("errors: reductions over empty dims") {
  Tensor e = zeros({0, 3});
  CHECK_ZG_ERROR(e.max(0), "max", "empty", "[0, 3]");
  CHECK_ZG_ERROR(e.amax({0}), "amax", "empty", "[0, 3]");
  CHECK_ZG_ERROR(e.max(), "amax", "[0, 3]");
  CHECK_ZG_ERROR(e.argmin(0), "argmin", "[0, 3]");
  CHECK(e.sum({0}).shape() == Shape{3});   // sums of nothing are zero
  CHECK(e.amax({1}).shape() == Shape{0});  // reducing the non-empty dim is fine
}

}  // namespace zg::test
