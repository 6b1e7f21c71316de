// Per-point random streams and the shared neighborhood sampler: a point's draws depend on
// (seed, stream, global index, draw) only, never on the batch it comes in.
#include <gtest/gtest.h>

#include "xreg/sdk/neighborhood.hpp"

namespace {

xreg::Batch points(int64_t n, int64_t d) {
  auto x = torch::arange(n * d, torch::kFloat).reshape({n, d}) / 10.0;
  return xreg::Batch{x, torch::Tensor(), torch::arange(n, torch::kLong)};
}

TEST(RandomStreams, DrawsDoNotDependOnTheBatching) {
  xreg::Context ctx;
  ctx.seed = 42;
  auto all = ctx.normal("noise", torch::arange(127, torch::kLong), {5, 3});
  std::vector<torch::Tensor> chunks;
  for (int64_t begin = 0; begin < 127; begin += 7) {
    chunks.push_back(
        ctx.normal("noise", torch::arange(begin, std::min<int64_t>(begin + 7, 127)), {5, 3}));
  }
  EXPECT_TRUE(torch::equal(all, torch::cat(chunks, 0)));
}

TEST(RandomStreams, SeedStreamAndDrawEachChangeTheNumbers) {
  xreg::Context a, b;
  a.seed = 1;
  b.seed = 2;
  auto index = torch::arange(4, torch::kLong);
  auto base = a.normal("s", index, {10});
  EXPECT_FALSE(torch::equal(base, b.normal("s", index, {10})));
  EXPECT_FALSE(torch::equal(base, a.normal("t", index, {10})));
  EXPECT_FALSE(torch::equal(base, a.normal("s", index, {10}, /*draw=*/1)));
  EXPECT_FALSE(torch::equal(base[0], base[1]));
  EXPECT_TRUE(torch::equal(base, a.normal("s", index, {10})));
}

TEST(RandomStreams, NormalDrawsHaveUnitVariance) {
  xreg::Context ctx;
  auto z = ctx.normal("check", torch::arange(200, torch::kLong), {500}).to(torch::kDouble);
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(z.var().item<double>(), 1.0, 0.01);
}

TEST(Neighborhood, GaussianNeighborsAreCentredOnThePointWithTheirSigma) {
  xreg::Context ctx;
  const auto batch = points(3, 4);
  auto neighbors = xreg::Neighborhood::gaussian(0.5).sample(ctx, "n", batch, 4000);
  ASSERT_EQ(neighbors.sizes(), (torch::IntArrayRef{3, 4000, 4}));
  auto offset = (neighbors - batch.x.unsqueeze(1)).to(torch::kDouble);
  EXPECT_NEAR(offset.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(offset.std().item<double>(), 0.5, 0.01);
}

TEST(Neighborhood, UniformNeighborsStayInTheBox) {
  xreg::Context ctx;
  const auto batch = points(2, 3);
  auto offset =
      xreg::Neighborhood::uniform(0.05).sample(ctx, "u", batch, 1000) - batch.x.unsqueeze(1);
  EXPECT_LE(offset.abs().max().item<double>(), 0.05);
  EXPECT_GT(offset.abs().max().item<double>(), 0.04);
}

TEST(Neighborhood, SingleCoordinateMovesOneCoordinatePerPoint) {
  xreg::Context ctx;
  const auto batch = points(50, 6);
  auto offset =
      xreg::Neighborhood::single_coordinate(0.5).sample(ctx, "c", batch, 20) - batch.x.unsqueeze(1);
  auto moved = (offset.abs() > 0).any(1).sum(1);  // coordinates moved per point
  EXPECT_TRUE(torch::all(moved == 1).item<bool>());
  auto which = (offset.abs() > 0).any(1).to(torch::kLong).argmax(1);
  EXPECT_GT(std::get<0>(torch::_unique(which)).numel(), 3);  // not always the same coordinate
}

TEST(Neighborhood, TrainingDistributionIgnoresThePoint) {
  xreg::Context ctx;
  const auto batch = points(2, 2);
  auto mean = torch::tensor({10.0f, -10.0f}), scale = torch::tensor({1.0f, 2.0f});
  auto z = xreg::Neighborhood::training_distribution(mean, scale).sample(ctx, "l", batch, 5000);
  auto average = z.reshape({-1, 2}).mean(0);
  EXPECT_NEAR(average[0].item<double>(), 10.0, 0.05);
  EXPECT_NEAR(average[1].item<double>(), -10.0, 0.1);
  EXPECT_NEAR(z.select(2, 1).std().item<double>(), 2.0, 0.05);
}

TEST(Neighborhood, SameNeighborsWhateverTheBatch) {
  xreg::Context ctx;
  ctx.seed = 9;
  const auto batch = points(20, 3);
  auto sampler = xreg::Neighborhood::gaussian(0.1);
  auto whole = sampler.sample(ctx, "n", batch, 8);
  auto part = sampler.sample(ctx, "n", batch.slice(5, 12), 8);
  EXPECT_TRUE(torch::equal(whole.slice(0, 5, 12), part));
}

}  // namespace
