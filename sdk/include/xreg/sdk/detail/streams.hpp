#pragma once
/// How random streams are keyed: the 64-bit key of Context's per-point draws (run seed, stream
/// name, draw), whose counter then carries the point's global index (philox.hpp), and the seed
/// of a torch generator for one stream (a shuffle, a tree's bootstrap).
///
/// Compiled into every plugin. Its results are part of the plugin ABI: changing them bumps
/// XREG_ABI_MAJOR, so that a host never loads plugins whose per-point streams differ from its
/// own (golden values in tests/unit/test_random_streams.cpp). Plugins draw through
/// xreg::Context; they need not call these directly.

#include <cstdint>
#include <string_view>

namespace xreg::detail {

/// splitmix64 finalizer: a bijective 64-bit mixer.
inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// (run seed, stream name) mixed into 64 bits.
inline uint64_t named_seed(uint64_t run_seed, std::string_view stream) {
  uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a over the stream name
  for (unsigned char c : stream) h = (h ^ c) * 0x100000001B3ULL;
  return mix64(run_seed ^ mix64(h));
}

/// The Philox key of (run seed, stream name, draw number): every point's draws of that stream
/// and draw, told apart by the counter (philox.hpp).
inline uint64_t stream_key(uint64_t run_seed, std::string_view stream, int64_t draw) {
  return mix64(named_seed(run_seed, stream) ^
               mix64(static_cast<uint64_t>(draw) + 0xD1B54A32D192ED03ULL));
}

/// The seed of one random stream: (run seed, stream name, global index, draw number), for a
/// torch generator. Such a generator (mt19937) takes 32 bits of it, so keep to a few streams
/// (shuffles, trees); per-point draws go through stream_key.
inline uint64_t stream_seed(uint64_t run_seed, std::string_view stream, int64_t index,
                            int64_t draw = 0) {
  uint64_t s = named_seed(run_seed, stream);
  s = mix64(s ^ static_cast<uint64_t>(index));
  return mix64(s ^ mix64(static_cast<uint64_t>(draw) + 0x632BE59BD9B4E019ULL));
}

}  // namespace xreg::detail
