#pragma once
/// Writes a plugin library's C descriptor. In one source file of the library:
///
///     static constexpr xreg_param_spec kMlpParams[] = {
///         xreg::param::integers("hidden", "[100, 100]", "Widths of the hidden layers.")
///             .positive(),
///     };
///     XREG_PLUGIN_LIBRARY(
///         xreg::entry<Mlp>("mlp", "1.0.0", "Fully connected network", kMlpParams))
///
/// Each class registered is constructed from `const xreg::Params&` and derives from one of
/// Model, Regularizer, Explainer or Metric. Exceptions from its constructor become the
/// `create` error message (a ParamAccessError, a plugin bug, is flagged as one); nothing throws
/// through the C layer. Explainers and metrics declare the explanation kinds they give or score
/// as `static constexpr uint32_t explanation_kinds` (see explainer.hpp, metric.hpp). The
/// descriptor is built on the first call of the entry point, never during static
/// initialization.

#include <c10/util/Exception.h>
#include <torch/version.h>

#include <cstdio>
#include <exception>
#include <iterator>
#include <type_traits>

#include "xreg/sdk/abi.h"
#include "xreg/sdk/params.hpp"
#include "xreg/sdk/version.h"

namespace xreg {
namespace detail {

inline void copy_message(const char* message, char* error, size_t error_size) noexcept {
  if (error != nullptr && error_size > 0) std::snprintf(error, error_size, "%s", message);
}

template <class T>
int create(const void* params, void** out, char* error, size_t error_size) noexcept {
  using Interface = typename T::Interface;
  try {
    Interface* object = new T(*static_cast<const Params*>(params));
    *out = static_cast<void*>(object);
    return XREG_OK;
  } catch (const ParamAccessError& e) {
    copy_message(e.what(), error, error_size);
    return XREG_PLUGIN_BUG;
  } catch (const c10::Error& e) {
    copy_message(e.what_without_backtrace(), error, error_size);
  } catch (const std::exception& e) {
    copy_message(e.what(), error, error_size);
  } catch (...) {
    copy_message("unknown exception", error, error_size);
  }
  return XREG_ERROR;
}

template <class T>
void destroy(void* object) noexcept {
  delete static_cast<typename T::Interface*>(object);
}

inline xreg_library_descriptor describe_library(const xreg_plugin_entry* entries,
                                                uint32_t count) noexcept {
  return xreg_library_descriptor{XREG_ABI_MAGIC,
                                 XREG_ABI_MAJOR,
                                 XREG_ABI_MINOR,
                                 sizeof(xreg_library_descriptor),
                                 sizeof(xreg_plugin_entry),
                                 TORCH_VERSION,
                                 XREG_CXX_ABI_TAG,
                                 XREG_SDK_VERSION,
                                 XREG_COMPILER " " __DATE__,
                                 entries,
                                 count};
}

template <class T>
constexpr xreg_plugin_entry make_entry(const char* name, const char* version, const char* summary,
                                       const xreg_param_spec* params, uint32_t count) noexcept {
  static_assert(std::is_base_of<typename T::Interface, T>::value,
                "xreg::entry<T>: T must derive from xreg::Model, Regularizer, Explainer or Metric");
  static_assert(std::is_constructible<T, const Params&>::value,
                "xreg::entry<T>: T needs a constructor T(const xreg::Params&), which the host "
                "calls with the validated parameters");
  return xreg_plugin_entry{sizeof(xreg_plugin_entry),
                           static_cast<uint32_t>(T::kind),
                           name,
                           version,
                           summary,
                           params,
                           count,
                           sizeof(xreg_param_spec),
                           &create<T>,
                           &destroy<T>,
                           static_cast<uint32_t>(T::explanation_kinds)};
}

}  // namespace detail

/// The descriptor entry of plugin class T with its parameter schema (static storage).
template <class T, size_t N>
xreg_plugin_entry entry(const char* name, const char* version, const char* summary,
                        const xreg_param_spec (&params)[N]) noexcept {
  return detail::make_entry<T>(name, version, summary, params, static_cast<uint32_t>(N));
}

/// The descriptor entry of a plugin class without parameters.
template <class T>
xreg_plugin_entry entry(const char* name, const char* version, const char* summary) noexcept {
  return detail::make_entry<T>(name, version, summary, nullptr, 0);
}

}  // namespace xreg

#define XREG_EXPORT __attribute__((visibility("default")))

/// Defines the library's one exported symbol from a list of xreg::entry<...>(...) values.
#define XREG_PLUGIN_LIBRARY(...)                                                             \
  extern "C" XREG_EXPORT const xreg_library_descriptor* xreg_plugin_library(void) noexcept { \
    static const xreg_plugin_entry entries[] = {__VA_ARGS__};                                \
    static const xreg_library_descriptor library = xreg::detail::describe_library(           \
        entries, static_cast<uint32_t>(sizeof(entries) / sizeof(entries[0])));               \
    return &library;                                                                         \
  }
