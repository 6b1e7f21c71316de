#include "xreg/host/report/concepts.hpp"

#include <algorithm>
#include <filesystem>

#include "report/png.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/report/report.hpp"
#include "xreg/sdk/predict.hpp"

namespace xreg {

namespace fs = std::filesystem;

namespace {

constexpr const char* kNeed = "concept figures need the model's learned concepts";
/// Tiles of the prototype grid are drawn this many pixels per input pixel.
constexpr int64_t kTileScale = 2;
/// The explained point is drawn this many pixels per input pixel.
constexpr int64_t kPointScale = 4;
constexpr int64_t kGap = 4;
constexpr int64_t kBarWidth = 16;
constexpr uint8_t kBackground = 128;

bool has_learned_concepts(Model& model, const torch::Tensor& probe) {
  torch::NoGradGuard no_grad;
  auto extras = model.extras(probe);
  return extras.count("concepts") > 0 && extras.count("reconstruction") > 0;
}

/// Draws `image` [H, W] (channel 0 of an image point), scaled to [0, 255] by its own range,
/// with its top-left corner at (left, top), each pixel a scale×scale square.
void draw_tile(GrayImage& canvas, const torch::Tensor& point, int64_t left, int64_t top,
               int64_t scale) {
  auto image = point.select(0, 0).to(torch::kCPU, torch::kDouble);
  const double low = image.min().item<double>(), high = image.max().item<double>();
  draw_gray(canvas, (image - low) / std::max(high - low, 1e-12), left, top, scale);
}

/// A row of prototypes per concept, most active on the left.
GrayImage prototype_grid(const ConceptFigures& f) {
  const auto& inputs = f.prototype_inputs;  // [c, l, C, H, W]
  const int64_t rows = inputs.size(0), columns = inputs.size(1);
  const int64_t tile_h = inputs.size(3) * kTileScale, tile_w = inputs.size(4) * kTileScale;
  GrayImage canvas(columns * (tile_w + kGap) + kGap, rows * (tile_h + kGap) + kGap, kBackground);
  for (int64_t c = 0; c < rows; ++c) {
    for (int64_t j = 0; j < columns; ++j) {
      draw_tile(canvas, inputs[c][j], kGap + j * (tile_w + kGap), kGap + c * (tile_h + kGap),
                kTileScale);
    }
  }
  return canvas;
}

/// The explained point, then one bar per concept: white up for a positive relevance, black down
/// for a negative one, heights relative to the largest |relevance|.
GrayImage explained_figure(const ConceptFigures& f) {
  const auto& point = f.explained_input;  // [C, H, W]
  const int64_t side_h = point.size(1) * kPointScale, side_w = point.size(2) * kPointScale;
  auto relevances = f.explained_relevances.to(torch::kCPU, torch::kDouble);
  const int64_t bars = relevances.numel();
  GrayImage canvas(side_w + 2 * kGap + bars * (kBarWidth + kGap), side_h + 2 * kGap, kBackground);
  draw_tile(canvas, point, kGap, kGap, kPointScale);
  const double largest = std::max(relevances.abs().max().item<double>(), 1e-12);
  const int64_t middle = kGap + side_h / 2;
  for (int64_t c = 0; c < bars; ++c) {
    const double r = relevances[c].item<double>();
    const auto height = static_cast<int64_t>(std::abs(r) / largest * (side_h / 2 - 1));
    const int64_t left = side_w + 2 * kGap + c * (kBarWidth + kGap);
    for (int64_t y = 0; y < height; ++y) {
      for (int64_t x = 0; x < kBarWidth; ++x) {
        canvas.at(left + x, r >= 0 ? middle - 1 - y : middle + y) = r >= 0 ? 255 : 0;
      }
    }
  }
  return canvas;
}

std::string prototypes_csv(const ConceptFigures& f) {
  std::string out = "concept,rank,row,activation\n";
  auto rows = f.prototype_rows.to(torch::kCPU);
  auto values = f.prototype_activations.to(torch::kCPU, torch::kDouble);
  for (int64_t c = 0; c < rows.size(0); ++c) {
    for (int64_t j = 0; j < rows.size(1); ++j) {
      out += std::to_string(c) + "," + std::to_string(j) + "," +
             std::to_string(rows[c][j].item<int64_t>()) + "," +
             std::to_string(values[c][j].item<double>()) + "\n";
    }
  }
  return out;
}

std::string explained_csv(const ConceptFigures& f) {
  std::string out = "output,concept,relevance\n";
  auto relevances = f.explained_relevances.to(torch::kCPU, torch::kDouble);
  for (int64_t c = 0; c < relevances.numel(); ++c) {
    out += std::to_string(f.explained_output) + "," + std::to_string(c) + "," +
           std::to_string(relevances[c].item<double>()) + "\n";
  }
  return out;
}

}  // namespace

ConceptFigures concept_figures(Model& model, const Dataset& train, const Dataset& test,
                               int64_t per_concept, const Context& ctx) {
  ConceptFigures figures;
  if (per_concept <= 0 || train.size() == 0 || test.size() == 0 ||
      !has_learned_concepts(model, test.points.x.slice(0, 0, 1))) {
    return figures;
  }
  torch::NoGradGuard no_grad;
  auto concepts =
      extra_points(model, "concepts", kNeed, train.points.x.unsqueeze(1), train.points.index, ctx)
          .squeeze(1);  // [N, c]
  const int64_t l = std::min(per_concept, train.size());
  auto [activations, rows] = concepts.t().topk(l, /*dim=*/1);  // [c, l]
  figures.prototype_rows = train.points.index.index_select(0, rows.flatten()).view(rows.sizes());
  figures.prototype_activations = activations;
  std::vector<int64_t> shape{rows.size(0), l};
  for (int64_t s : train.points.x.sizes().slice(1)) shape.push_back(s);
  figures.prototype_inputs = train.points.x.index_select(0, rows.flatten()).view(shape);
  auto first = test.points.slice(0, 1);
  auto theta = find_extra(model.extras(first.x), "theta", kNeed)[0];  // [c, k]
  figures.explained_output =
      test.task == Task::binary ? 0 : predict(model, first, ctx).argmax(1).item<int64_t>();
  figures.explained_input = first.x[0];
  figures.explained_relevances = theta.select(1, figures.explained_output);
  // A diverged model's figures would be noise drawn from NaN: none are written.
  const bool finite = torch::isfinite(activations).all().item<bool>() &&
                      torch::isfinite(figures.explained_relevances).all().item<bool>() &&
                      torch::isfinite(figures.prototype_inputs).all().item<bool>();
  return finite ? figures : ConceptFigures{};
}

void write_concept_figures(const std::string& folder, int64_t trial,
                           const ConceptFigures& figures) {
  if (!figures.defined()) return;
  const fs::path dir = fs::path(folder) / "concepts";
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw RunError(dir.string() + ": cannot create the folder: " + error.message());
  const std::string stem = (dir / ("trial-" + std::to_string(trial))).string();
  write_file_atomically(stem + "-prototypes.csv", prototypes_csv(figures));
  write_file_atomically(stem + "-explained.csv", explained_csv(figures));
  if (figures.explained_input.dim() != 3) return;  // images [C, H, W] only
  write_file_atomically(stem + "-prototypes.png", encode_png(prototype_grid(figures)));
  write_file_atomically(stem + "-explained.png", encode_png(explained_figure(figures)));
}

}  // namespace xreg
