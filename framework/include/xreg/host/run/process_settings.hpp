#pragma once
/// Process-wide settings of the host's memory allocator.

namespace xreg {

/// Keeps freed memory in the process's heap: glibc's malloc starts by serving every block above
/// 128 KiB with its own mmap, given back to the kernel when freed (raising that threshold only as
/// such blocks come back), so that a training step
/// or a batched explanation, which allocates and frees the same few hundred KiB tensors thousands
/// of times, pays page faults and zeroing on each.
/// Blocks up to 32 MiB come from the heap and the heap keeps up to 256 MiB of free memory. Call
/// once at start-up. Returns whether the allocator took both settings (false without glibc).
bool keep_freed_memory();

}  // namespace xreg
