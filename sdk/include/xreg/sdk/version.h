/* xreg SDK version and build stamps, shared by the host and every plugin. */
#ifndef XREG_SDK_VERSION_H
#define XREG_SDK_VERSION_H

/* MAJOR.MINOR follow the plugin ABI (abi.h); PATCH counts changes that leave every plugin's
 * results as they were. The host refuses a plugin whose SDK major differs from its own, since
 * the SDK's inline helpers (random streams, row layout) change results only with a major (but
 * for the row-layout changes of 2.3 and 2.4, which moved values by float rounding; sdk/README.md).
 */
#define XREG_SDK_VERSION "3.0.1"

#define XREG_STRINGIZE_IMPL(x) #x
#define XREG_STRINGIZE(x) XREG_STRINGIZE_IMPL(x)

#ifdef __cplusplus
#include <cstddef> /* defines _GLIBCXX_USE_CXX11_ABI under libstdc++ */
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define XREG_CXX11_ABI_VALUE XREG_STRINGIZE(_GLIBCXX_USE_CXX11_ABI)
#else
#define XREG_CXX11_ABI_VALUE "none"
#endif
/** The C++ ABI tag every binary of one xreg installation must share. */
#define XREG_CXX_ABI_TAG "cxx11=" XREG_CXX11_ABI_VALUE ";gxx=" XREG_STRINGIZE(__GXX_ABI_VERSION)
#endif

#if defined(__clang__)
#define XREG_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define XREG_COMPILER "gcc " __VERSION__
#else
#define XREG_COMPILER "unknown compiler"
#endif

#endif /* XREG_SDK_VERSION_H */
