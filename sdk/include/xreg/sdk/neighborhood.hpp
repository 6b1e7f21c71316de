#pragma once
/// The one neighborhood sampler shared by regularizers, explainers and metrics, so that ExpO's
/// regularization neighborhood and the evaluation neighborhood are the same object.

#include <stdexcept>
#include <string>
#include <string_view>

#include "xreg/sdk/context.hpp"
#include "xreg/sdk/data.hpp"

namespace xreg {

class Neighborhood {
 public:
  enum class Kind {
    gaussian,          ///< x + sigma * N(0, I)
    uniform,           ///< x + U(-radius, radius) per coordinate
    single_coordinate  ///< x + sigma * N(0, 1) * e_k, one random coordinate k per point
  };

  static Neighborhood gaussian(double sigma) { return Neighborhood(Kind::gaussian, sigma); }
  static Neighborhood uniform(double radius) { return Neighborhood(Kind::uniform, radius); }
  static Neighborhood single_coordinate(double sigma) {
    return Neighborhood(Kind::single_coordinate, sigma);
  }
  /// By name, as pipeline files spell it: "gaussian", "uniform", "single_coordinate".
  static Neighborhood from_name(const std::string& name, double scale) {
    if (name == "gaussian") return gaussian(scale);
    if (name == "uniform") return uniform(scale);
    if (name == "single_coordinate") return single_coordinate(scale);
    throw std::invalid_argument("unknown neighborhood '" + name +
                                "'; expected gaussian, uniform or single_coordinate");
  }

  /// single_coordinate: the flattened coordinate k [N] (int64) that `sample` with the same
  /// arguments moves for each point.
  torch::Tensor coordinates(const Context& ctx, std::string_view stream, const Batch& points,
                            int64_t draw = 0) const {
    if (kind_ != Kind::single_coordinate) {
      throw std::logic_error("only a single_coordinate neighborhood moves one coordinate");
    }
    const int64_t d = points.x[0].numel();
    return ctx.integers(std::string(stream) + "/coordinate", points.index, {}, d, draw)
        .to(points.x.device());
  }

  /// m neighbors of every point: [N, m, d...] on the points' device. Point i's neighbors
  /// come from stream (`stream`, points.index[i], draw) alone.
  torch::Tensor sample(const Context& ctx, std::string_view stream, const Batch& points, int64_t m,
                       int64_t draw = 0) const {
    const auto& x = points.x;
    std::vector<int64_t> shape{m};
    for (int64_t s : x.sizes().slice(1)) shape.push_back(s);
    auto centre = x.unsqueeze(1);
    switch (kind_) {
      case Kind::gaussian:
        return centre + scale_value_ * noise(ctx, stream, points, shape, draw);
      case Kind::uniform:
        return centre + ctx.uniform(stream, points.index, shape, -scale_value_, scale_value_, draw)
                            .to(x.options());
      case Kind::single_coordinate: {
        const int64_t n = x.size(0), d = x[0].numel();
        auto coordinate = coordinates(ctx, stream, points, draw);
        auto mask = torch::zeros({n, d}, x.options())
                        .scatter_(1, coordinate.unsqueeze(1), 1.0)
                        .view(x.sizes())
                        .unsqueeze(1);
        return centre + scale_value_ * noise(ctx, stream, points, shape, draw) * mask;
      }
    }
    throw std::logic_error("unhandled neighborhood kind");
  }

 private:
  Neighborhood(Kind kind, double scale) : kind_(kind), scale_value_(scale) {}

  static torch::Tensor noise(const Context& ctx, std::string_view stream, const Batch& points,
                             const std::vector<int64_t>& shape, int64_t draw) {
    return ctx.normal(stream, points.index, shape, draw).to(points.x.options());
  }

  Kind kind_;
  double scale_value_;
};

}  // namespace xreg
