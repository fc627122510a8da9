// zerogen gan-1d — the GAN's theory (D1–D3 of DERIVATIONS.md) in one dimension, where every
// density is known and every claim can be drawn.
//
// The game. A generator G pushes noise z ~ N(0, 1) to samples with density p_g; a
// discriminator D(x) ∈ (0, 1) says how likely x is real. They play
//     min_G max_D V(D, G) = E_{x~p_data}[log D(x)] + E_{z}[log(1 − D(G(z)))].
//
// D1 — the optimal discriminator. For a fixed G, V = ∫ p_data(x) log D(x) + p_g(x)
//   log(1 − D(x)) dx, and each x can be optimised alone: f(y) = a·log y + b·log(1 − y) with
//   a = p_data(x), b = p_g(x) has f'(y) = a/y − b/(1 − y) = 0 at y = a/(a + b), and
//   f''(y) = −a/y² − b/(1 − y)² < 0, so that point is a *maximum* (the source text says
//   "minimised" — an erratum; the derivation table shows f is above its neighbours there):
//       D*(x) = p_data(x) / (p_data(x) + p_g(x)).
//   Part 1 below trains an MLP discriminator (1 → 32 → 32 → 1, LeakyReLU, one logit l, D = σ(l))
//   on fresh samples of p_data = N(0, 1) and p_g = N(2, 0.5²) by minimising binary
//   cross-entropy (label 1 real, 0 fake) — that *is* maximising V — and draws D beside D*.
//
// D2 — the value at the optimum. Putting D* back in,
//       C(G) = V(D*, G) = −log 4 + KL(p_data ‖ M) + KL(p_g ‖ M) = −log 4 + 2·JSD(p_data ‖ p_g)
//   with M = (p_data + p_g)/2: training G against an optimal D minimises the Jensen–Shannon
//   divergence, down to −log 4 when p_g = p_data (then D* ≡ ½). The table prints V(D, G) of
//   the trained D next to C(G) (quadrature); V(D, G) ≤ C(G) for every D.
//
// D3 — saturation. Write D = σ(l) with l the logit. G's original loss log(1 − D(G(z))) has
//   d/dl log(1 − σ(l)) = −σ(l) = −D(G(z)): when D confidently rejects the fakes (D(G(z)) → 0,
//   the situation early in training) G gets almost no gradient. The non-saturating loss
//   −log D(G(z)) has the same fixed point but d/dl = −(1 − D(G(z))) → −1 there. gradients.png
//   draws both curves and, on them, the per-sample gradients autograd gives for G's samples
//   against the trained D. (Here p_g overlaps p_data, so D(G(z)) spans ≈ 0.03–0.9 and the
//   saturating gradient is on average ~6× smaller; the further apart the two densities, the
//   closer D(G(z)) gets to 0 and the larger the factor.)
//
// Part 2 (--gan-steps): a generator x = a·z + b, starting at a = 0.5, b = 2 (so p_g is the
// N(2, 0.5²) of part 1), trained with the non-saturating loss against the part-1
// discriminator, one D step and one G step per iteration; the table shows (a, b) and
// JSD(p_data ‖ p_g) moving toward (±1, 0) and 0, and generator.png draws p_g along the way.
//
// Files: config.json, metrics.csv (the GAN steps), discriminator.png, gradients.png,
// generator.png.
#include "examples/gan_1d.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "autograd/engine.h"
#include "io/csv.h"
#include "io/plot.h"
#include "io/run_dir.h"
#include "models/gan1d.h"
#include "zerogen.h"

namespace zg::examples {

namespace {

const models::Normal1d kData{0.0, 1.0}, kG{2.0, 0.5};

std::vector<double> values(const Tensor& t) {
  return t.to(kFloat64).contiguous().to_vector<double>();
}

// p_data, p_g, D* and the trained D over x.
// Grey verticals: the ends of the D1 grid (either density > 1e-3); beyond them neither
// density has samples to speak of and D is free to differ from D*.
void plot_discriminator(const std::string& path, nn::Sequential& d, const models::D1Grid& grid) {
  Tensor x = linspace(-4.0, 4.5, 400, kFloat64);
  io::Canvas c(640, 400);
  c.xlim(-4.0, 4.5).ylim(0.0, 1.05);
  auto xs = values(x);
  for (double end : {grid.x.min().item<double>(), grid.x.max().item<double>()})
    c.line({end, end}, {0.0, 1.05}, io::kGray, 1);
  c.line(xs, values(kData.log_pdf(x).exp()), io::palette(0), 2);
  c.line(xs, values(kG.log_pdf(x).exp()), io::palette(1), 2);
  c.line(xs, values(models::optimal_logit(kData, kG, x).sigmoid()), io::kBlack, 2);
  c.line(xs, values(models::discriminator_logits(d, x).sigmoid()), io::palette(3), 1);
  c.axes();
  c.title("D1: trained D(x) vs D*(x) = p_data/(p_data+p_g)");
  c.text(60, 110, "p_data = N(0,1)", io::palette(0));
  c.text(60, 122, "p_g = N(2,0.5^2)", io::palette(1));
  c.text(60, 134, "D* = p_data/(p_data+p_g)", io::kBlack);
  c.text(60, 146, "trained D(x)", io::palette(3));
  c.text(60, 158, "grey: D1 grid ends", io::kGray);
  c.save(path);
}

// D3: |d loss / d logit| against D(G(z)), log-log; the curves and G's samples on them.
void plot_gradients(const std::string& path, const std::vector<double>& d_fake,
                    const std::vector<double>& sat, const std::vector<double>& non_sat) {
  io::Canvas c(640, 400);
  c.xlim(-4.0, 0.0).ylim(1e-4, 2.0).log_y();
  std::vector<double> lx, curve_sat, curve_ns;
  for (int i = 0; i <= 200; ++i) {
    double l10 = -4.0 + 4.0 * i / 200.0, dv = std::pow(10.0, l10);
    lx.push_back(l10);
    curve_sat.push_back(dv);       // |d/dl log(1 − σ(l))| = D
    curve_ns.push_back(1.0 - dv);  // |d/dl −log σ(l)| = 1 − D
  }
  c.line(lx, curve_sat, io::palette(3), 2);
  c.line(lx, curve_ns, io::palette(2), 2);
  std::vector<double> lxs;
  for (double v : d_fake) lxs.push_back(std::log10(v));
  c.scatter(lxs, sat, io::palette(3), 2, 0.6);
  c.scatter(lxs, non_sat, io::palette(2), 2, 0.6);
  c.axes();
  c.title("D3: |dloss/dlogit| vs log10 D(G(z))");
  c.text(330, 270, "saturating log(1-D): |grad| = D -> 0", io::palette(3));
  c.text(330, 282, "non-saturating -log D: |grad| = 1-D -> 1", io::palette(2));
  c.text(330, 294, "dots: G's samples vs the trained D", io::kGray);
  c.text(330, 306, "(per-sample autograd)", io::kGray);
  c.save(path);
}

}  // namespace

Gan1dResult run_gan_1d(const Gan1dConfig& cfg) {
  ZG_CHECK(cfg.steps > 0 && cfg.gan_steps >= 0,
           "gan-1d: --steps must be positive and --gan-steps non-negative");
  auto start = std::chrono::steady_clock::now();
  io::RunDir run(cfg.run_dir);
  run.write_config({{"command", "gan-1d"},
                    {"version", "0.1.0"},
                    {"seed", cfg.seed},
                    {"steps", cfg.steps},
                    {"gan_steps", cfg.gan_steps},
                    {"p_data", "N(0, 1)"},
                    {"p_g_start", "N(2, 0.5^2)"},
                    {"threads", get_num_threads()}});
  Gan1dResult result;

  // Part 1 (D1, D2): the discriminator against the fixed p_g.
  models::DiscriminatorTraining dcfg;
  dcfg.steps = cfg.steps;
  dcfg.seed = cfg.seed;
  nn::Sequential d = models::train_discriminator_1d(kData, kG, dcfg);
  models::D1Grid grid = models::d1_grid(kData, kG);
  Tensor d_on_grid = models::discriminator_logits(d, grid.x).sigmoid();
  result.d1_error = models::d1_error(grid, d_on_grid);
  result.d1_max_error = (d_on_grid - grid.d_star).abs().max().item<double>();
  models::Grid1d qgrid = models::grid_for(kData, kG);
  result.v_star =
      models::gan_value(kData, kG, qgrid, models::optimal_logit(kData, kG, qgrid.points())).value;
  result.v_trained =
      models::gan_value(kData, kG, qgrid, models::discriminator_logits(d, qgrid.points())).value;
  result.jsd_start = models::jsd(kData, kG, qgrid).value;
  plot_discriminator(run.file("discriminator.png"), d, grid);
  result.files.push_back(run.file("discriminator.png"));
  if (!cfg.quiet) {
    fmt::print(
        "gan-1d: p_data = N(0,1), p_g = N(2,0.5^2); D = MLP 1-32-32-1 LeakyReLU, {} Adam steps\n",
        cfg.steps);
    fmt::print("  D1  weighted RMS |D - D*| on the grid = {:.4f}   max |D - D*| = {:.4f}\n",
               result.d1_error, result.d1_max_error);
    fmt::print(
        "  D2  V(D_trained, G) = {:.6f}  <=  C(G) = V(D*, G) = {:.6f}"
        "  = -log 4 + 2 JSD ({:.6f})\n",
        result.v_trained, result.v_star, -std::log(4.0) + 2 * result.jsd_start);
    fmt::print("      {:>6} {:>10} {:>10} {:>10} {:>10}\n", "x", "p_data", "p_g", "D*(x)", "D(x)");
    Tensor xs = tensor({-3.0, -2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5}, kFloat64);
    auto dv = values(models::discriminator_logits(d, xs).sigmoid());
    auto xv = values(xs);
    for (size_t i = 0; i < xv.size(); ++i)
      fmt::print("      {:>6.2f} {:>10.4g} {:>10.4g} {:>10.6f} {:>10.6f}\n", xv[i],
                 kData.pdf(xv[i]), kG.pdf(xv[i]), models::optimal_discriminator(kData, kG, xv[i]),
                 dv[i]);
  }

  // D3 on the samples: per-sample gradients of both generator losses w.r.t. the logit.
  Generator gen(cfg.seed + 1);
  {
    Tensor l = models::discriminator_logits(d, kG.sample(256, gen)).requires_grad_();
    Tensor g_sat = autograd::grad({(1.0 - l.sigmoid()).log().sum()}, {l})[0];
    Tensor g_ns = autograd::grad({(-l.sigmoid().log()).sum()}, {l})[0];
    plot_gradients(run.file("gradients.png"), values(l.detach().sigmoid()), values(g_sat.abs()),
                   values(g_ns.abs()));
    result.files.push_back(run.file("gradients.png"));
    if (!cfg.quiet) {
      fmt::print("  D3  {:>10} {:>22} {:>26}\n", "D(G(z))", "d/dl log(1-D) (sat.)",
                 "d/dl -log D (non-sat.)");
      for (double dv : {1e-4, 1e-3, 1e-2, 0.1, 0.5})
        fmt::print("      {:>10g} {:>22.6g} {:>26.6g}\n", dv, -dv, -(1 - dv));
      fmt::print("      mean over G's samples: D(G(z)) {:.4f}, |sat.| {:.4f}, |non-sat.| {:.4f}\n",
                 l.detach().sigmoid().mean().item<double>(), g_sat.abs().mean().item<double>(),
                 g_ns.abs().mean().item<double>());
    }
  }

  // Part 2: an affine generator x = a·z + b, non-saturating loss, against the part-1 D.
  Tensor a = scalar_tensor(kG.sigma).requires_grad_();  // float32, as D
  Tensor b = scalar_tensor(kG.mu).requires_grad_();
  result.g_scale = kG.sigma, result.g_shift = kG.mu, result.jsd_end = result.jsd_start;
  if (cfg.gan_steps > 0) {
    optim::Adam opt_d(d->parameters(), {.lr = 1e-3, .beta1 = 0.5});
    optim::Adam opt_g({a, b}, {.lr = 5e-3, .beta1 = 0.5});
    io::CsvWriter metrics(run.file("metrics.csv"), {"step", "a", "b", "jsd", "d_loss", "g_loss"});
    io::Canvas c(640, 400);
    c.xlim(-4.0, 4.5).ylim(0.0, 0.85);
    Tensor x = linspace(-4.0, 4.5, 400, kFloat64);
    c.line(values(x), values(kData.log_pdf(x).exp()), io::kBlack, 3);
    c.line(values(x), values(kG.log_pdf(x).exp()), io::palette(1), 2);
    const int64_t batch = 256, log_every = std::max<int64_t>(1, cfg.gan_steps / 10);
    if (!cfg.quiet)
      fmt::print(
          "\n  GAN steps, G(z) = a z + b (non-saturating loss):\n"
          "  {:>6} {:>9} {:>9} {:>12} {:>9} {:>9}\n",
          "step", "a", "b", "JSD(pd|pg)", "D loss", "G loss");
    if (!cfg.quiet)
      fmt::print("  {:>6} {:>9.4f} {:>9.4f} {:>12.6f}\n", 0, kG.sigma, kG.mu, result.jsd_start);
    for (int64_t step = 1; step <= cfg.gan_steps; ++step) {
      Tensor fake = [&] {
        NoGradGuard no_grad;
        return a * randn({batch, 1}, gen) + b;
      }();
      double d_loss =
          models::discriminator_step(d, opt_d, kData.sample(batch, gen, kFloat32), fake);
      Tensor l = d(a * randn({batch, 1}, gen) + b);
      Tensor g_loss = nn::functional::binary_cross_entropy_with_logits(l, ones_like(l));
      opt_g.zero_grad();
      g_loss.backward();
      opt_g.step();
      if (step % log_every == 0 || step == cfg.gan_steps) {
        models::Normal1d pg{b.item<double>(), std::abs(a.item<double>())};
        double j = models::jsd(kData, pg, models::grid_for(kData, pg)).value;
        metrics.row(
            {double(step), a.item<double>(), b.item<double>(), j, d_loss, g_loss.item<double>()});
        double t = static_cast<double>(step) / static_cast<double>(cfg.gan_steps);
        c.line(values(x), values(pg.log_pdf(x).exp()),
               io::Color{static_cast<uint8_t>(255 * (1 - t)), static_cast<uint8_t>(120 * t),
                         static_cast<uint8_t>(255 * t)},
               1);
        if (!cfg.quiet)
          fmt::print("  {:>6} {:>9.4f} {:>9.4f} {:>12.6f} {:>9.4f} {:>9.4f}\n", step,
                     a.item<double>(), b.item<double>(), j, d_loss, g_loss.item<double>());
        result.jsd_end = j;
      }
    }
    result.g_scale = a.item<double>(), result.g_shift = b.item<double>();
    c.axes();
    c.title("GAN steps: p_g = N(b, a^2) moves onto p_data");
    c.text(60, 40, "p_data = N(0,1)", io::kBlack);
    c.text(60, 52, "p_g at the start, N(2,0.5^2)", io::palette(1));
    c.text(60, 64, "p_g every tenth of the run,", io::kGray);
    c.text(60, 76, "red (early) to blue (late)", io::kGray);
    c.save(run.file("generator.png"));
    result.files.push_back(run.file("generator.png"));
  }
  if (!cfg.quiet)
    fmt::print("\nwrote {} ({:.1f} s)\n", fmt::join(result.files, ", "),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

void add_gan_1d_command(CLI::App& app, int& exit_code) {
  auto cfg = std::make_shared<Gan1dConfig>();
  auto* sub = app.add_subcommand("gan-1d", "D1-D3 in one dimension: D vs D*, C(G), saturation");
  sub->add_option("--run-dir", cfg->run_dir, "Where config.json, metrics.csv and the PNGs go")
      ->capture_default_str();
  sub->add_option("--seed", cfg->seed, "Random seed")->capture_default_str();
  sub->add_option("--steps", cfg->steps, "Discriminator steps against the fixed p_g")
      ->capture_default_str();
  sub->add_option("--gan-steps", cfg->gan_steps, "Then D/G steps with an affine G (0: none)")
      ->capture_default_str();
  sub->callback([cfg, &exit_code] {
    run_gan_1d(*cfg);
    exit_code = 0;
  });
}

}  // namespace zg::examples
