/// \file
/// The graph: one Node per op output that needs a gradient.
///
/// A Node knows the nodes of its inputs (`next`) and a backward function mapping the
/// gradient of its output to the gradients of its inputs. Backward functions are written
/// with ordinary differentiable tensor ops, so running them with grad mode on (create_graph)
/// records a graph of the backward pass itself: that is all second order needs.
/// Leaves that require grad get an AccumulateGrad node, which writes into `.grad()`.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "tensor/tensor.h"

namespace zg {

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;           ///< null for leaves
  std::shared_ptr<Node> grad_accumulator;  ///< leaves only, made on first use
};

struct Node : std::enable_shared_from_this<Node> {
  /// Maps the output's gradient to one gradient per input (undefined = zero).
  using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad, Node& self)>;

  std::string name;
  std::vector<std::shared_ptr<Node>> next;  ///< per input; null where no gradient is needed
  std::vector<Shape> input_shapes;
  BackwardFn backward;  ///< reset when the graph is freed
  bool released = false;
  uint64_t sequence = 0;  ///< creation order: later nodes run first
  std::weak_ptr<AutogradMeta> leaf;      ///< AccumulateGrad nodes: the leaf they write to
  std::weak_ptr<AutogradMeta> retained;  ///< set by retain_grad() on a non-leaf output
  /// Storage versions of the inputs (and output) at record time: an in-place write after
  /// recording would make the saved values stale, which backward reports instead of using.
  std::vector<std::pair<std::weak_ptr<Storage>, uint64_t>> versions;
  Tensor saved_output;  ///< detached alias, when the backward formula uses the output

  /// Frees a long chain of nodes iteratively: plain recursive shared_ptr release would
  /// overflow the stack on graphs a few hundred thousand ops deep.
  ~Node();

  /// The op's output, re-attached to this node when building a graph of the backward pass.
  Tensor output();
  bool accumulator = false;  ///< an AccumulateGrad node
  bool needs_grad(size_t input) const { return next[input] != nullptr; }
};

/// Records `out` as the result of op `name` on `inputs` when grad mode is on and any input
/// requires grad; otherwise returns `out` untouched and drops `backward`. `saved` lists the
/// other tensors `backward` reads (masks, indices, a reduction's result), so that an
/// in-place write to them is reported like one to an input.
Tensor record(Tensor out, const char* name, const std::vector<Tensor>& inputs,
              Node::BackwardFn backward, bool saves_output = false,
              const std::vector<Tensor>& saved = {});
bool any_requires_grad(const std::vector<Tensor>& tensors);
/// The node a gradient for t flows into (its grad_fn, or its leaf accumulator); null if none.
std::shared_ptr<Node> gradient_edge(const Tensor& t);
/// Throws unless in-place writes to t are safe for autograd.
void check_inplace(const Tensor& t, const char* op);

}  // namespace zg
