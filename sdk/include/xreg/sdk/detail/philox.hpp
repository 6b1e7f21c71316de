#pragma once
/// The counter-based generator behind Context's per-point draws: Philox4x32-10 (Salmon, Moraes,
/// Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the generator of
/// PyTorch's CUDA and of JAX. A block of four 32-bit words is a pure function of a 128-bit
/// counter and a 64-bit key, so any value of any point's stream is computed directly, in any
/// order, a whole batch of points at once, with no generator state to seed or carry.
///
/// How xreg keys it: the key is (run seed, stream name, draw) hashed to 64 bits; the counter is
/// (block number within the point, 64 bits; the point's global index, 64 bits). Distinct
/// indices and blocks never share a counter, so streams do not collide however many points a
/// run has. Value j of a point comes from block j / 4 (normal and uniform draws) or j / 2
/// (integers), so a point's first values do not depend on how many it draws.
///
/// Compiled into every plugin; its results are part of the plugin ABI (see abi.h). The float
/// arithmetic below is plain IEEE single precision, the same whether the compiler vectorizes a
/// loop or not, so a value's bits depend on its counter alone. A build that contracts multiply
/// and add into FMA instructions draws different bits: GCC does so by default wherever FMA is
/// enabled (-mfma, -march=native, aarch64); build such plugins with -ffp-contract=off.

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define XREG_PHILOX_AVX2 1
#endif

namespace xreg::detail {

/// Philox4x32's multipliers and its key schedule's Weyl increments.
inline constexpr uint32_t kPhiloxMultiplier0 = 0xD2511F53u;
inline constexpr uint32_t kPhiloxMultiplier1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxWeyl0 = 0x9E3779B9u;
inline constexpr uint32_t kPhiloxWeyl1 = 0xBB67AE85u;

/// One Philox4x32-10 block: `word` (the counter on entry, the output on return) under `key`.
inline void philox4x32_10(uint32_t word[4], uint64_t key) {
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  uint32_t c0 = word[0], c1 = word[1], c2 = word[2], c3 = word[3];
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxMultiplier0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kPhiloxMultiplier1) * c2;
    c0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    c1 = static_cast<uint32_t>(p1);
    c2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c3 = static_cast<uint32_t>(p0);
    k0 += kPhiloxWeyl0;
    k1 += kPhiloxWeyl1;
  }
  word[0] = c0;
  word[1] = c1;
  word[2] = c2;
  word[3] = c3;
}

/// Blocks [first, first + count) of the stream of global index `index` under `key`, as four
/// word arrays (word k of block first + b in w[k][b]); count <= kPhiloxChunk.
inline constexpr int64_t kPhiloxChunk = 64;
static_assert(kPhiloxChunk % 8 == 0, "the AVX2 path writes whole groups of 8 blocks");
using PhiloxWords = uint32_t[4][kPhiloxChunk];

inline void philox_blocks(uint64_t key, int64_t index, uint64_t first, int64_t count,
                          PhiloxWords& w) {
  const auto global = static_cast<uint64_t>(index);
  for (int64_t b = 0; b < count; ++b) {
    const uint64_t block = first + static_cast<uint64_t>(b);
    uint32_t word[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                        static_cast<uint32_t>(global), static_cast<uint32_t>(global >> 32)};
    philox4x32_10(word, key);
    for (int k = 0; k < 4; ++k) w[k][b] = word[k];
  }
}

#ifdef XREG_PHILOX_AVX2
/// philox_blocks eight blocks at a time in AVX2 registers (the same words: integer arithmetic is
/// exact); count rounded up to a multiple of 8.
__attribute__((target("avx2"))) inline void philox_blocks_avx2(uint64_t key, int64_t index,
                                                               uint64_t first, int64_t count,
                                                               PhiloxWords& w) {
  const __m256i multiplier0 = _mm256_set1_epi32(static_cast<int>(kPhiloxMultiplier0));
  const __m256i multiplier1 = _mm256_set1_epi32(static_cast<int>(kPhiloxMultiplier1));
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i sign = _mm256_set1_epi32(INT32_MIN);
  const auto global = static_cast<uint64_t>(index);
  for (int64_t b = 0; b < count; b += 8) {
    const uint64_t block = first + static_cast<uint64_t>(b);
    const __m256i low = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(block)));
    __m256i c0 = _mm256_add_epi32(low, lanes);
    // A lane whose low word wrapped carries into the high word (unsigned compare via the sign).
    const __m256i carry =
        _mm256_cmpgt_epi32(_mm256_xor_si256(low, sign), _mm256_xor_si256(c0, sign));
    __m256i c1 = _mm256_sub_epi32(
        _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(block >> 32))), carry);
    __m256i c2 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(global)));
    __m256i c3 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(global >> 32)));
    uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
    for (int round = 0; round < 10; ++round) {
      // 32 × 32 → 64-bit products of the even lanes, then of the odd ones.
      const __m256i even0 = _mm256_mul_epu32(c0, multiplier0);
      const __m256i odd0 = _mm256_mul_epu32(_mm256_srli_epi64(c0, 32), multiplier0);
      const __m256i even1 = _mm256_mul_epu32(c2, multiplier1);
      const __m256i odd1 = _mm256_mul_epu32(_mm256_srli_epi64(c2, 32), multiplier1);
      const __m256i high0 = _mm256_blend_epi32(_mm256_srli_epi64(even0, 32), odd0, 0xAA);
      const __m256i low0 = _mm256_blend_epi32(even0, _mm256_slli_epi64(odd0, 32), 0xAA);
      const __m256i high1 = _mm256_blend_epi32(_mm256_srli_epi64(even1, 32), odd1, 0xAA);
      const __m256i low1 = _mm256_blend_epi32(even1, _mm256_slli_epi64(odd1, 32), 0xAA);
      c0 = _mm256_xor_si256(_mm256_xor_si256(high1, c1), _mm256_set1_epi32(static_cast<int>(k0)));
      c1 = low1;
      c2 = _mm256_xor_si256(_mm256_xor_si256(high0, c3), _mm256_set1_epi32(static_cast<int>(k1)));
      c3 = low0;
      k0 += kPhiloxWeyl0;
      k1 += kPhiloxWeyl1;
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&w[0][b]), c0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&w[1][b]), c1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&w[2][b]), c2);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&w[3][b]), c3);
  }
}

inline bool cpu_has_avx2() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
}
#endif

inline float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline uint32_t float_to_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

/// The top 24 bits of a word as a float in [0, 1).
inline float unit_float(uint32_t word) {
  return static_cast<float>(static_cast<int32_t>(word >> 8)) * (1.0f / 16777216.0f);
}

/// sqrt(x) for x >= 0 as x / sqrt(x), 1 / sqrt(x) by three Newton steps from the exponent-halving
/// first guess (relative error below 2e-7). Plain float arithmetic, where std::sqrt's errno
/// branch would keep the compiler from vectorizing the loops that call it.
inline float square_root(float x) {
  float y = bits_to_float(0x5F3759DFu - (float_to_bits(x) >> 1));
  for (int step = 0; step < 3; ++step) y = y * (1.5f - 0.5f * x * y * y);
  return x * y;
}

/// sqrt(-2 ln u) for u = (top 24 bits of `word` + 1) / 2^24 in (0, 1]: the radius of a
/// Box–Muller pair. ln u = e ln 2 + ln m with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s),
/// s = (m − 1)/(m + 1), by its series to s^9 (error below 1e-9).
inline float box_muller_radius(uint32_t word) {
  const float u = static_cast<float>(static_cast<int32_t>(word >> 8) + 1) * (1.0f / 16777216.0f);
  const uint32_t bits = float_to_bits(u);
  const uint32_t fraction = bits & 0x007FFFFFu;
  const uint32_t above = fraction > 0x003504F3u ? 1u : 0u;  // mantissa above sqrt(2)
  const float m = bits_to_float(fraction | ((127u - above) << 23));
  const float e = static_cast<float>(static_cast<int32_t>((bits >> 23) + above) - 127);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float series = s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9))));
  const float ln = e * 0.693145752f + (e * 1.42860677e-6f + (2.0f * s + 2.0f * s * series));
  return square_root(-2.0f * ln);
}

/// cos and sin of 2π t for the turn t = (top 24 bits of `word`) / 2^24: the nearest quarter
/// turn q, then Taylor series on the rest, x in [−π/4, π/4] (errors below 1e-8).
inline void box_muller_angle(uint32_t word, float& cosine, float& sine) {
  const uint32_t turn = word >> 8;                     // 24 bits
  const uint32_t quarter = (turn + (1u << 21)) >> 22;  // 0..4
  const auto rest = static_cast<int32_t>(turn) - static_cast<int32_t>(quarter << 22);
  const float x = static_cast<float>(rest) * (6.28318530717958648f / 16777216.0f);
  const float x2 = x * x;
  const float s =
      x *
      (1.0f + x2 * (-1.0f / 6 + x2 * (1.0f / 120 + x2 * (-1.0f / 5040 + x2 * (1.0f / 362880)))));
  const float c =
      1.0f + x2 * (-0.5f + x2 * (1.0f / 24 +
                                 x2 * (-1.0f / 720 + x2 * (1.0f / 40320 - x2 * (1.0f / 3628800)))));
  const uint32_t swap = 0u - (quarter & 1u);  // all ones in quarters 1 and 3
  const uint32_t sine_bits = float_to_bits(s), cosine_bits = float_to_bits(c);
  const uint32_t sine_sign = (quarter & 2u) << 30;           // quarters 2, 3
  const uint32_t cosine_sign = ((quarter + 1u) & 2u) << 30;  // quarters 1, 2
  sine = bits_to_float(((sine_bits & ~swap) | (cosine_bits & swap)) ^ sine_sign);
  cosine = bits_to_float(((cosine_bits & ~swap) | (sine_bits & swap)) ^ cosine_sign);
}

/// Standard normals by Box–Muller: words 0 and 1 of a block give its values 0 and 1, words 2
/// and 3 its values 2 and 3.
struct NormalValues {
  using Value = float;
  static constexpr int kPerBlock = 4;
  void operator()(const PhiloxWords& w, int64_t count, Value (&v)[kPerBlock][kPhiloxChunk]) const {
    for (int pair = 0; pair < 2; ++pair) {
      for (int64_t b = 0; b < count; ++b) {
        const float r = box_muller_radius(w[2 * pair][b]);
        float c, s;
        box_muller_angle(w[2 * pair + 1][b], c, s);
        v[2 * pair][b] = r * c;
        v[2 * pair + 1][b] = r * s;
      }
    }
  }
};

/// Uniforms in [0, 1) with 24 random bits, one word each.
struct UnitValues {
  using Value = float;
  static constexpr int kPerBlock = 4;
  void operator()(const PhiloxWords& w, int64_t count, Value (&v)[kPerBlock][kPhiloxChunk]) const {
    for (int k = 0; k < kPerBlock; ++k) {
      for (int64_t b = 0; b < count; ++b) v[k][b] = unit_float(w[k][b]);
    }
  }
};

/// Integers in [0, high), high >= 1: floor(x · high / 2^64) of the 64-bit x that words 2k and
/// 2k + 1 make (bias below high / 2^64).
struct IntegersBelow {
  __extension__ typedef unsigned __int128 Wide;
  using Value = int64_t;
  static constexpr int kPerBlock = 2;
  uint64_t high;
  void operator()(const PhiloxWords& w, int64_t count, Value (&v)[kPerBlock][kPhiloxChunk]) const {
    for (int k = 0; k < kPerBlock; ++k) {
      for (int64_t b = 0; b < count; ++b) {
        const uint64_t x = (static_cast<uint64_t>(w[2 * k + 1][b]) << 32) | w[2 * k][b];
        v[k][b] = static_cast<int64_t>((static_cast<Wide>(x) * high) >> 64);
      }
    }
  }
};

/// philox_fill's loop, with the AVX2 blocks or the portable ones.
template <bool Avx2, class Values>
__attribute__((always_inline)) inline void philox_fill_with(uint64_t key, const int64_t* index,
                                                            int64_t points, int64_t per_point,
                                                            typename Values::Value* out,
                                                            const Values& values) {
  constexpr int kPerBlock = Values::kPerBlock;
  using Value = typename Values::Value;
  PhiloxWords w;
  Value v[kPerBlock][kPhiloxChunk];
  Value chunk[kPerBlock * kPhiloxChunk];
  const int64_t blocks = (per_point + kPerBlock - 1) / kPerBlock;
  for (int64_t i = 0; i < points; ++i) {
    for (int64_t first = 0; first < blocks; first += kPhiloxChunk) {
      const int64_t count = blocks - first < kPhiloxChunk ? blocks - first : kPhiloxChunk;
#ifdef XREG_PHILOX_AVX2
      if constexpr (Avx2) {
        philox_blocks_avx2(key, index[i], static_cast<uint64_t>(first), count, w);
      } else {
        philox_blocks(key, index[i], static_cast<uint64_t>(first), count, w);
      }
#else
      philox_blocks(key, index[i], static_cast<uint64_t>(first), count, w);
#endif
      values(w, count, v);
      for (int64_t b = 0; b < count; ++b) {
        for (int k = 0; k < kPerBlock; ++k) chunk[b * kPerBlock + k] = v[k][b];
      }
      const int64_t begin = first * kPerBlock;
      const int64_t n =
          per_point - begin < count * kPerBlock ? per_point - begin : count * kPerBlock;
      std::memcpy(out + i * per_point + begin, chunk, static_cast<size_t>(n) * sizeof(Value));
    }
  }
}

#ifdef XREG_PHILOX_AVX2
template <class Values>
__attribute__((target("avx2"))) void philox_fill_avx2(uint64_t key, const int64_t* index,
                                                      int64_t points, int64_t per_point,
                                                      typename Values::Value* out,
                                                      const Values& values) {
  philox_fill_with<true>(key, index, points, per_point, out, values);
}
#endif

/// Fills out[i * per_point + j], j < per_point, with value j of the stream of global index
/// index[i] under `key`, for i < points: value j from block j / Values::kPerBlock, turned into
/// values by `values`. AVX2 where the processor has it, else portable code: the same values.
template <class Values>
void philox_fill(uint64_t key, const int64_t* index, int64_t points, int64_t per_point,
                 typename Values::Value* out, const Values& values) {
#ifdef XREG_PHILOX_AVX2
  if (cpu_has_avx2()) return philox_fill_avx2(key, index, points, per_point, out, values);
#endif
  philox_fill_with<false>(key, index, points, per_point, out, values);
}

}  // namespace xreg::detail
