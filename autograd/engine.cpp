#include "autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/node.h"

namespace zg::autograd {

namespace {

struct Run {
  std::vector<std::shared_ptr<Node>> roots;
  std::vector<Tensor> seeds;
  std::vector<Node*> captures;  // grad()'s inputs; empty for backward()
  bool accumulate_leaves = false;
  bool retain_graph = false;
  bool create_graph = false;
};

std::vector<Tensor> make_seeds(const std::vector<Tensor>& outputs,
                               const std::vector<Tensor>& grad_outputs, const char* op) {
  ZG_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
           "{}: {} outputs but {} seed gradients", op, outputs.size(), grad_outputs.size());
  std::vector<Tensor> seeds;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    ZG_CHECK(out.defined() && out.requires_grad(),
             "{}: output {} does not require grad and has no grad_fn", op, i);
    Tensor seed = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!seed.defined()) {
      ZG_CHECK(out.numel() == 1,
               "{}: a seed gradient can be implied only for one-element outputs; output {} has "
               "shape {} (pass a gradient of that shape)",
               op, i, shape_str(out.shape()));
      seed = ones_like(out);
    }
    ZG_CHECK(seed.shape() == out.shape() && seed.dtype() == out.dtype(),
             "{}: seed gradient {} {} does not match output {} {} {}", op, dtype_name(seed.dtype()),
             shape_str(seed.shape()), i, dtype_name(out.dtype()), shape_str(out.shape()));
    seeds.push_back(seed);
  }
  return seeds;
}

Tensor accumulate(const Tensor& a, const Tensor& b) { return a.defined() ? a + b : b; }

void check_versions(const Node& node) {
  for (const auto& [weak, version] : node.versions) {
    auto storage = weak.lock();
    ZG_CHECK(!storage || storage->version == version,
             "backward: a tensor needed by {} was modified by an in-place op after it was used "
             "(version {} now, {} when recorded)",
             node.name, storage ? storage->version : 0, version);
  }
}

// Writes a gradient into a leaf's .grad(). Without create_graph, g is kept as it is only when
// nothing else holds it and it is a dense buffer of its own (later backwards add into .grad()
// in place); otherwise — shared, expanded, or a view into a larger buffer — it is copied.
void write_leaf_grad(AutogradMeta& m, const Tensor& g, bool create_graph) {
  bool owned = g.impl_ptr().use_count() == 1 && g.impl().storage.use_count() == 1 &&
               g.is_contiguous() && g.storage_offset() == 0 &&
               g.impl().storage->nbytes == g.numel() * element_size(g.dtype());
  Tensor value = create_graph || owned ? g : g.clone();
  if (!m.grad.defined()) {
    m.grad = value;
  } else if (create_graph) {
    m.grad = m.grad + value;
  } else {
    m.grad.add_(value);
  }
}

std::unordered_map<Node*, Tensor> execute(Run& run) {
  // 1. Discover the graph.
  std::vector<Node*> order;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (auto& r : run.roots)
    if (seen.insert(r.get()).second) stack.push_back(r.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    for (auto& child : n->next)
      if (child && seen.insert(child.get()).second) stack.push_back(child.get());
  }
  // 2. For grad(): only nodes from which a requested input is reachable need to run.
  std::unordered_set<Node*> needed;
  if (run.captures.empty()) {
    needed = seen;
  } else {
    std::unordered_set<Node*> targets(run.captures.begin(), run.captures.end());
    std::sort(order.begin(), order.end(),
              [](Node* a, Node* b) { return a->sequence < b->sequence; });  // inputs first
    for (Node* n : order) {
      bool need = targets.count(n) > 0;
      for (auto& child : n->next) need = need || (child && needed.count(child.get()));
      if (need) needed.insert(n);
    }
  }
  std::unordered_map<Node*, int> dependencies;
  for (Node* n : needed)
    for (auto& child : n->next)
      if (child && needed.count(child.get())) ++dependencies[child.get()];

  // 3. Run nodes once all their consumers have run, latest-created first.
  std::unordered_map<Node*, Tensor> pending, captured;
  auto later = [](Node* a, Node* b) { return a->sequence < b->sequence; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(later)> ready(later);
  for (size_t i = 0; i < run.roots.size(); ++i) {
    Node* r = run.roots[i].get();
    pending[r] = accumulate(pending[r], run.seeds[i]);
  }
  for (auto& r : run.roots)
    if (needed.count(r.get()) && dependencies[r.get()] == 0) {
      dependencies[r.get()] = -1;  // queued
      ready.push(r.get());
    }
  std::unordered_set<Node*> targets(run.captures.begin(), run.captures.end());
  GradModeGuard mode(run.create_graph);
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    Tensor g = std::move(pending[n]);
    pending.erase(n);
    if (targets.count(n)) captured[n] = g;
    if (auto m = n->retained.lock(); m && run.accumulate_leaves && g.defined())
      write_leaf_grad(*m, g, run.create_graph);
    if (n->accumulator) {
      if (auto m = n->leaf.lock(); m && run.accumulate_leaves && g.defined())
        write_leaf_grad(*m, g, run.create_graph);
      continue;
    }
    std::vector<Tensor> grads;
    if (g.defined()) {
      ZG_CHECK(!n->released,
               "backward: trying to backward through the graph a second time (at {}); its saved "
               "tensors were freed — pass retain_graph=true to the first backward",
               n->name);
      check_versions(*n);
      grads = n->backward(g, *n);
      ZG_CHECK(grads.size() == n->next.size(), "{}: backward returned {} gradients for {} inputs",
               n->name, grads.size(), n->next.size());
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      Node* child = n->next[i].get();
      if (!child || !needed.count(child)) continue;
      if (i < grads.size() && grads[i].defined()) {
        ZG_CHECK(grads[i].shape() == n->input_shapes[i],
                 "{}: backward produced a gradient of shape {} for input {} of shape {}", n->name,
                 shape_str(grads[i].shape()), i, shape_str(n->input_shapes[i]));
        pending[child] = accumulate(pending[child], grads[i]);
      }
      if (--dependencies[child] == 0) ready.push(child);
    }
    if (!run.retain_graph) {
      n->backward = nullptr;
      n->saved_output = Tensor();
      n->released = true;
    }
  }
  return captured;
}

}  // namespace

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         GradOptions options) {
  Run run;
  run.seeds = make_seeds(outputs, options.grad_outputs, "autograd::grad");
  for (const Tensor& o : outputs) run.roots.push_back(gradient_edge(o));
  for (size_t i = 0; i < inputs.size(); ++i) {
    ZG_CHECK(inputs[i].defined() && inputs[i].requires_grad(),
             "autograd::grad: input {} does not require grad", i);
    run.captures.push_back(gradient_edge(inputs[i]).get());
  }
  run.create_graph = options.create_graph;
  run.retain_graph = options.retain_graph.value_or(options.create_graph);
  auto captured = execute(run);
  std::vector<Tensor> result;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto it = captured.find(run.captures[i]);
    Tensor g = it == captured.end() ? Tensor() : it->second;
    ZG_CHECK(g.defined() || options.allow_unused,
             "autograd::grad: input {} {} was not used to compute the outputs (pass "
             "allow_unused=true to get an undefined gradient instead)",
             i, shape_str(inputs[i].shape()));
    result.push_back(g);
  }
  return result;
}

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              std::optional<bool> retain_graph, bool create_graph) {
  Run run;
  run.seeds = make_seeds(outputs, grad_outputs, "backward");
  for (const Tensor& o : outputs) run.roots.push_back(gradient_edge(o));
  run.accumulate_leaves = true;
  run.create_graph = create_graph;
  run.retain_graph = retain_graph.value_or(create_graph);
  execute(run);
}

}  // namespace zg::autograd

namespace zg {

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph,
                      bool create_graph) const {
  autograd::backward({*this}, gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                     retain_graph, create_graph);
}

}  // namespace zg
