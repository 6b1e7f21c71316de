// Per-point random streams and the shared neighborhood sampler: a point's draws depend on
// (seed, stream, global index, draw) only, never on the batch it comes in.
#include <gtest/gtest.h>

#include <cstring>

#include "xreg/sdk/detail/philox.hpp"
#include "xreg/sdk/detail/row_layout.hpp"
#include "xreg/sdk/neighborhood.hpp"
#include "xreg/sdk/predict.hpp"

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

TEST(RandomStreams, NormalDrawsHaveUnitVarianceAndGaussianTails) {
  xreg::Context ctx;
  auto z = ctx.normal("check", torch::arange(200, torch::kLong), {500}).to(torch::kDouble);
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 0.01);  // 5 standard errors of 100,000 draws
  EXPECT_NEAR(z.var().item<double>(), 1.0, 0.01);
  // P(|z| > 3) = 0.0027: 270 of 100,000 draws, standard deviation 16; P(|z| > 1) = 0.3173.
  EXPECT_NEAR((z.abs() > 3).sum().item<double>(), 270, 80);
  EXPECT_NEAR((z.abs() > 1).to(torch::kDouble).mean().item<double>(), 0.3173, 0.0075);
}

TEST(RandomStreams, UniformsAndIntegersCoverTheirRanges) {
  xreg::Context ctx;
  const auto index = torch::arange(100, torch::kLong);
  auto u = ctx.uniform("u", index, {1000}, -2.0, 3.0).to(torch::kDouble);
  EXPECT_GE(u.min().item<double>(), -2.0);
  EXPECT_LT(u.max().item<double>(), 3.0);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.025);  // 5 standard errors
  EXPECT_NEAR(u.var().item<double>(), 25.0 / 12, 0.03);
  auto k = ctx.integers("k", index, {700}, 7);
  ASSERT_EQ(k.scalar_type(), torch::kLong);
  auto counts = torch::bincount(k.flatten(), {}, 7).to(torch::kDouble);
  ASSERT_EQ(counts.numel(), 7);
  // 10,000 expected each, standard deviation 93.
  EXPECT_LT((counts - 10000).abs().max().item<double>(), 500) << counts;
}

TEST(RandomStreams, APointsFirstValuesDoNotDependOnHowManyItDraws) {
  xreg::Context ctx;
  const auto index = torch::tensor(std::vector<int64_t>{3, 1000});
  auto few = ctx.normal("n", index, {7});
  auto many = ctx.normal("n", index, {30, 10});
  EXPECT_TRUE(torch::equal(few, many.flatten(1).slice(1, 0, 7)));
}

TEST(RandomStreams, IndicesThatShareTheirLow32BitsGetTheirOwnStreams) {
  xreg::Context ctx;
  const int64_t apart = int64_t{1} << 32;
  auto z = ctx.normal("n", torch::tensor(std::vector<int64_t>{5, 5 + apart, 5 + 2 * apart}), {8});
  EXPECT_FALSE(torch::equal(z[0], z[1]));
  EXPECT_FALSE(torch::equal(z[0], z[2]));
  EXPECT_FALSE(torch::equal(z[1], z[2]));
}

// Philox4x32-10's known-answer vectors (Salmon et al., Random123's kat_vectors).
TEST(Philox, MatchesTheKnownAnswers) {
  struct Case {
    uint32_t counter[4];
    uint64_t key;
    uint32_t expected[4];
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, 0, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
       ~uint64_t{0},
       {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
       (uint64_t{0x299f31d0u} << 32) | 0xa4093822u,
       {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
  };
  for (const Case& c : cases) {
    uint32_t word[4] = {c.counter[0], c.counter[1], c.counter[2], c.counter[3]};
    xreg::detail::philox4x32_10(word, c.key);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(word[k], c.expected[k]) << k;
  }
}

TEST(Philox, TheVectorAndPortablePathsGiveTheSameBits) {
  const std::vector<int64_t> index{0, 7, (int64_t{1} << 40) + 3};
  const int64_t per_point = 4 * 300 + 3;
  std::vector<float> chosen(index.size() * per_point), portable(chosen.size());
  xreg::detail::philox_fill(99, index.data(), 3, per_point, chosen.data(),
                            xreg::detail::NormalValues{});
  xreg::detail::philox_fill_with<false>(99, index.data(), 3, per_point, portable.data(),
                                        xreg::detail::NormalValues{});
  EXPECT_EQ(std::memcmp(chosen.data(), portable.data(), chosen.size() * sizeof(float)), 0);
#ifdef XREG_PHILOX_AVX2
  // Blocks from 2^32 - 100 on, so that the counter's low word wraps inside an AVX2 register.
  xreg::detail::PhiloxWords scalar, vector;
  const uint64_t first = (uint64_t{1} << 32) - 100;
  xreg::detail::philox_blocks(5, 9, first, xreg::detail::kPhiloxChunk, scalar);
  if (xreg::detail::cpu_has_avx2()) {
    xreg::detail::philox_blocks_avx2(5, 9, first, xreg::detail::kPhiloxChunk, vector);
    for (int k = 0; k < 4; ++k) {
      for (int64_t b = 0; b < xreg::detail::kPhiloxChunk; ++b) {
        EXPECT_EQ(scalar[k][b], vector[k][b]) << k << ", " << b;
      }
    }
  }
#endif
}

// Golden values. The stream derivation and the row layout are compiled into every plugin, so
// their results are part of the plugin ABI (sdk/include/xreg/sdk/abi.h): if one of these tests
// fails, the change breaks every plugin built before it. Either undo it, or bump XREG_ABI_MAJOR
// (and the SDK major with it) and update the values here.
TEST(AbiGoldenValues, StreamSeeds) {
  EXPECT_EQ(xreg::detail::stream_seed(0, "trial", 0), 3488271466651163357ULL);
  EXPECT_EQ(xreg::detail::stream_seed(42, "lime", 7, 3), 14433350090300052319ULL);
  EXPECT_EQ(xreg::detail::stream_seed(~uint64_t{0}, "", -1, 0), 8164318984233224048ULL);
}

TEST(AbiGoldenValues, FirstDrawsOfEachStreamKind) {
  xreg::Context ctx;
  ctx.seed = 42;
  ctx.dtype = torch::kDouble;
  auto index = torch::tensor(std::vector<int64_t>{0, 5, int64_t{1} << 40});
  auto expect_values = [](const torch::Tensor& actual, const std::vector<double>& expected) {
    auto flat = actual.to(torch::kDouble).flatten();
    ASSERT_EQ(flat.numel(), static_cast<int64_t>(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_DOUBLE_EQ(flat[static_cast<int64_t>(i)].item<double>(), expected[i]) << i;
    }
  };
  expect_values(ctx.normal("noise", index, {2}),
                {0.432811439037323, -0.11806351691484451, -0.27696684002876282, 0.35209363698959351,
                 0.66158086061477661, 0.68249434232711792});
  expect_values(ctx.uniform("box", index, {2}, -1.0, 1.0),
                {0.019100427627563477, -0.99522042274475098, 0.7154700756072998,
                 0.56073355674743652, -0.79557967185974121, 0.56494033336639404});
  expect_values(ctx.integers("coordinate", index, {2}, 1000), {771, 621, 419, 953, 428, 908});
}

TEST(AbiGoldenValues, RowLayoutPlacesPointsByGlobalIndex) {
  // 20 rows per point: two points per 48-row block, slot = index mod 2.
  const xreg::detail::RowLayout layout(torch::tensor(std::vector<int64_t>{0, 5, 47, 48, 100}), 20);
  EXPECT_EQ(layout.rows(), 5 * 48);
  auto z = (torch::arange(5, torch::kDouble) + 1).view({5, 1, 1}).expand({5, 20, 1});
  EXPECT_EQ(layout.pass_rows(10), 240) << "5 blocks: at most 240 rows";
  EXPECT_EQ(layout.pass_rows(16384), 96) << "2 blocks: at most 2^21 values, 128 rows";
  EXPECT_EQ(layout.pass_rows(int64_t{1} << 20), 48) << "at least one block";
  auto packed = layout.pack(z, 96).flatten();
  EXPECT_EQ(packed.size(0), 6 * 48) << "whole passes of 96 rows";
  auto first_rows = torch::nonzero(packed).flatten().slice(0, 0, 100, 20);
  EXPECT_TRUE(torch::equal(first_rows, torch::tensor(std::vector<int64_t>{0, 68, 116, 144, 192})));
  EXPECT_TRUE(torch::equal(layout.unpack(layout.pack(z, 96)), z));
}

/// A model's last layer with few outputs: OpenBLAS takes another kernel for it once the
/// product has more than about 1,200 rows × outputs, so only passes of one size keep the bits.
TEST(BatchIndependentPasses, APointGetsTheSameBitsInACallOfAnySize) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  for (int64_t outputs : {1, 10}) {
    const auto w = torch::randn({outputs, 100}, gen);
    const auto b = torch::randn({outputs}, gen);
    const auto layer = [&](const torch::Tensor& rows) { return torch::linear(rows, w, b); };
    const int64_t n = 300, k = 20;
    const auto z = torch::randn({n, k, 100}, gen);
    xreg::Context ctx;
    const auto whole = xreg::map_points(z, torch::arange(n), ctx, layer);
    std::vector<torch::Tensor> parts;
    for (int64_t begin = 0; begin < n; begin += 7) {
      const int64_t end = std::min(n, begin + 7);
      parts.push_back(
          xreg::map_points(z.slice(0, begin, end), torch::arange(begin, end), ctx, layer));
    }
    EXPECT_TRUE(torch::equal(whole, torch::cat(parts, 0))) << outputs << " outputs";
  }
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

TEST(Neighborhood, SaysWhichCoordinateItMoved) {
  xreg::Context ctx;
  const auto batch = points(40, 6);
  const auto sampler = xreg::Neighborhood::single_coordinate(0.5);
  auto offset = sampler.sample(ctx, "c", batch, 10, /*draw=*/3) - batch.x.unsqueeze(1);
  auto moved = (offset.abs() > 0).any(1).to(torch::kLong).argmax(1);
  EXPECT_TRUE(torch::equal(sampler.coordinates(ctx, "c", batch, /*draw=*/3), moved));
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
