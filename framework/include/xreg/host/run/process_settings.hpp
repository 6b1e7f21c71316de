#pragma once
/// Process-wide settings of the host's memory allocator.

namespace xreg {

/// Keeps freed memory in the process's heap: glibc's malloc by default serves every block above
/// 128 KiB with its own mmap and gives it back to the kernel when freed, so that a training step
/// or a batched explanation, which allocates and frees the same few hundred KiB tensors thousands
/// of times, pays page faults and zeroing on each (on housing, 5% of an ExpO-Fidelity step).
/// Blocks up to 64 MiB come from the heap and the heap keeps up to 256 MiB of free memory. Call
/// once at start-up; a no-op without glibc.
void keep_freed_memory();

}  // namespace xreg
