/* xreg plugin ABI: the C layer the host checks before it touches any C++ type.
 *
 * A plugin library exports exactly one symbol, `xreg_plugin_library`, returning a pointer to a
 * static `xreg_library_descriptor`. The host reads the descriptor, checks the magic number, the
 * ABI version, the LibTorch version and the C++ ABI tag, and only then calls `create`, whose
 * result it treats as the C++ interface of the entry's kind (see plugin.hpp).
 *
 * Compatibility rules:
 *   - `abi_major` must equal the host's; `abi_minor` must be <= the host's.
 *   - Structs only ever gain fields at their end; `struct_size` tells the reader how much of a
 *     struct the writer had. Entries and parameter specs are read with the stride the plugin
 *     declares (`entry_size`, `param_size`).
 *   - No function in this header may throw or longjmp; errors are status codes plus a message
 *     copied into a buffer the caller owns.
 *
 * The SDK's inline helpers that decide a plugin's numbers — the random stream derivation
 * (xreg/sdk/detail/streams.hpp, philox.hpp) and the row layout of forward passes
 * (xreg/sdk/detail/row_layout.hpp) — are compiled into every plugin. Their results are part of
 * this ABI: changing them bumps XREG_ABI_MAJOR (and the SDK major with it), so a host never
 * mixes plugins whose per-point streams or layouts disagree. tests/unit/test_random_streams.cpp
 * pins them with golden values.
 *
 * Nobody writes a descriptor by hand: XREG_PLUGIN_LIBRARY in register.hpp generates it.
 */
#ifndef XREG_SDK_ABI_H
#define XREG_SDK_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** "XREGPLUG" in ASCII: tells an xreg plugin from any other library exporting the symbol. */
#define XREG_ABI_MAGIC 0x58524547504C5547ULL
/** Incremented on any incompatible change; the host refuses a different major.
 *  2.0: Batch gained `annotations` and Context `task`, `rank`, `world_size`. Batch is held by
 *  value in Dataset, so its growth moves Dataset's later fields: no minor bump can keep 1.x
 *  plugins safe. The same release appended bounds to xreg_param_spec, explanation kinds to
 *  xreg_plugin_entry and the status XREG_PLUGIN_BUG, and made Model::state() required.
 *  3.0: Context's per-point draws (normal, uniform, integers) come from the counter-based
 *  Philox4x32-10 keyed on 64 bits, the point's whole global index in the counter, instead of an
 *  mt19937 seeded per point from 32 bits of a hash: every plugin's random numbers changed.
 *  Model::torchscript() (2.3) and Regularizer::form() (2.4) are in every 3.x vtable. */
#define XREG_ABI_MAJOR 3
/** Incremented when fields are appended; the host refuses a plugin newer than itself.
 *  Under major 2: 2.1 appended MetricInput::train, 2.2 Context::max_values_per_pass, 2.3 the
 *  virtual Model::torchscript() and fixed-size row-layout passes, 2.4 the virtual
 *  Regularizer::form() and passes of at most 240 rows. */
#define XREG_ABI_MINOR 0

/** The exported symbol's name, for hosts that look it up. */
#define XREG_PLUGIN_ENTRY_POINT "xreg_plugin_library"

/** The four plugin kinds. The values are part of the ABI. */
typedef enum xreg_kind {
  XREG_KIND_MODEL = 1,
  XREG_KIND_REGULARIZER = 2,
  XREG_KIND_EXPLAINER = 3,
  XREG_KIND_METRIC = 4
} xreg_kind;

/** Parameter types of a plugin's schema. The values are part of the ABI. */
typedef enum xreg_param_type {
  XREG_PARAM_BOOL = 1,
  XREG_PARAM_INT = 2,
  XREG_PARAM_FLOAT = 3,
  XREG_PARAM_STRING = 4,
  XREG_PARAM_INT_LIST = 5,
  XREG_PARAM_FLOAT_LIST = 6,
  XREG_PARAM_STRING_LIST = 7,
  XREG_PARAM_PATH = 8 /**< a string naming a file or folder; a relative path is resolved
                           against the pipeline file's folder before the plugin sees it */
} xreg_param_type;

/** Status codes of `create`. */
typedef enum xreg_status {
  XREG_OK = 0,
  XREG_ERROR = 1,     /**< the parameters were refused: the user's pipeline is at fault */
  XREG_PLUGIN_BUG = 2 /**< the plugin misused its parameters, e.g. read one with another type
                           than its schema declares: the plugin is at fault */
} xreg_status;

/** Flags of a parameter spec's bounds. Bounds apply to integers, floats and each
 *  element of integer and float lists. */
typedef enum xreg_param_flag {
  XREG_PARAM_HAS_MIN = 1u << 0,       /**< value >= min (> min with MIN_EXCLUSIVE) */
  XREG_PARAM_HAS_MAX = 1u << 1,       /**< value <= max (< max with MAX_EXCLUSIVE) */
  XREG_PARAM_MIN_EXCLUSIVE = 1u << 2, /**< the minimum itself is refused */
  XREG_PARAM_MAX_EXCLUSIVE = 1u << 3, /**< the maximum itself is refused */
  XREG_PARAM_NON_EMPTY = 1u << 4      /**< lists: at least one element; strings: not empty */
} xreg_param_flag;

/** Kinds of explanation, as a bit set: what an explainer gives, what a metric scores. */
typedef enum xreg_explanation_kind {
  XREG_EXPLANATION_LINEAR = 1u << 0,      /**< local linear surrogates (LIME, MAPLE) */
  XREG_EXPLANATION_ATTRIBUTION = 1u << 1, /**< attributions such as input gradients */
  XREG_EXPLANATION_CONCEPT = 1u << 2      /**< relevances over concepts (SENN) */
} xreg_explanation_kind;

/** One parameter of a plugin's schema. All strings are static, NUL-terminated UTF-8. */
typedef struct xreg_param_spec {
  uint32_t struct_size;
  uint32_t type;            /**< an xreg_param_type */
  const char* name;         /**< the key in the pipeline file */
  const char* default_toml; /**< the default as a TOML value ("0.1", "[100, 100]", "\"adam\"");
                                 NULL makes the parameter required */
  const char* doc;          /**< one sentence: what the value means, with its unit */
  const char* choices;      /**< for strings: the allowed values separated by '|'; else NULL */
  uint32_t flags;           /**< xreg_param_flag bits; 0: no bounds */
  double min;               /**< the lower bound, with XREG_PARAM_HAS_MIN */
  double max;               /**< the upper bound, with XREG_PARAM_HAS_MAX */
} xreg_param_spec;

/** Creates one object. `params` points to a host-owned `const xreg::Params` (C++), valid only
 *  during the call. On success stores the object in `*out` and returns XREG_OK. On failure
 *  copies a NUL-terminated message (truncated to `error_size`) into `error` and returns
 *  XREG_ERROR (a value refused) or XREG_PLUGIN_BUG. Must not throw. Thread-safe: may be called
 *  from several threads at once. The host creates every slot's object once while it validates
 *  a pipeline, so a refusal is reported with the value's position before any work. */
typedef int (*xreg_create_fn)(const void* params, void** out, char* error, size_t error_size);

/** Destroys an object made by the same entry's `create`. Must not throw. */
typedef void (*xreg_destroy_fn)(void* object);

/** One plugin: a kind, a name unique within its kind, and how to make it. */
typedef struct xreg_plugin_entry {
  uint32_t struct_size;
  uint32_t kind; /**< an xreg_kind */
  const char* name;
  const char* version; /**< semantic version of the plugin, "1.2.0" */
  const char* summary; /**< one line for `xreg plugins` */
  const xreg_param_spec* params;
  uint32_t param_count;
  uint32_t param_size; /**< sizeof(xreg_param_spec) in the plugin's build */
  xreg_create_fn create;
  xreg_destroy_fn destroy;
  uint32_t explanation_kinds; /**< xreg_explanation_kind bits. Explainers: the kinds they give
                                   (0: undeclared, any). Metrics: the kinds they score (0: they
                                   score the model, not explanations). Others: 0. */
} xreg_plugin_entry;

/** What a plugin library exports. Static storage; the host never frees it. */
typedef struct xreg_library_descriptor {
  uint64_t magic; /**< XREG_ABI_MAGIC */
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
  uint32_t entry_size;       /**< sizeof(xreg_plugin_entry) in the plugin's build */
  const char* torch_version; /**< TORCH_VERSION the plugin was compiled against */
  const char* cxx_abi;       /**< "cxx11=<_GLIBCXX_USE_CXX11_ABI>;gxx=<__GXX_ABI_VERSION>" */
  const char* sdk_version;   /**< XREG_SDK_VERSION the plugin was compiled against */
  const char* build_stamp;   /**< compiler and build date, for reports */
  const xreg_plugin_entry* entries;
  uint32_t entry_count;
} xreg_library_descriptor;

/** The signature of the exported entry point. Returns a pointer to static storage; never NULL. */
typedef const xreg_library_descriptor* (*xreg_plugin_library_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* XREG_SDK_ABI_H */
